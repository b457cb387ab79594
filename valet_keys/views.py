"""The self-service pages, and the endpoint a robot checks itself with."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods

from .charts import activity_chart
from .conf import get_setting
from .decorators import accepts_valet_key
from .forms import NewKeyForm
from .models import Key, KeyAction

__all__ = ["key_disable", "key_history", "key_list", "key_new", "whoami"]

# The session remembers the forms it handed out for creating a key. A form
# can be submitted once: a reload of the page that showed a new secret, or a
# double click, finds its token spent and mints nothing. The secret itself
# never enters the session, which may be stored in the database.
FORM_TOKENS_SESSION_KEY = "valet_keys_new_key_forms"
MAX_OPEN_FORMS = 10

# The chart reads the timestamps of this many recent actions, so its cost
# does not grow with the history.
CHART_SAMPLE_SIZE = 1000


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context["valet_keys_base_template"] = get_setting("BASE_TEMPLATE")
    return render(request, f"valet_keys/{template}", context, status=status)


def _own_key(request: HttpRequest, key_id: str) -> Key:
    # Another user's key is a 404, not a 403: whether it exists is none of
    # this user's business.
    key = get_object_or_404(Key, key_id=key_id, user=request.user.pk)
    # Some databases match text without regard to case; identifiers are
    # exact.
    if key.key_id != key_id:
        raise Http404
    return key


@login_required
@require_GET
def key_list(request: HttpRequest) -> HttpResponse:
    """List every key of the user, newest first, disabled ones included."""
    keys = Key.objects.filter(user=request.user.pk).order_by("-created", "-id")
    return _render(request, "list.html", {"keys": keys})


@login_required
@require_http_methods(["GET", "POST"])
def key_new(request: HttpRequest) -> HttpResponse:
    """Offer the form for a new key, and show the new secret once."""
    if request.method == "GET":
        return _render_new_form(request, NewKeyForm())

    form = NewKeyForm(request.POST)
    token = request.POST.get("form_token", "")
    open_forms: list[str] = request.session.get(FORM_TOKENS_SESSION_KEY, [])
    if token not in open_forms:
        response = _render(request, "already_created.html", {}, status=409)
        add_never_cache_headers(response)
        return response
    if not form.is_valid():
        return _render(
            request, "new.html", {"form": form, "form_token": token}, status=400
        )

    open_forms.remove(token)
    request.session[FORM_TOKENS_SESSION_KEY] = open_forms
    key, secret = Key.objects.mint(
        request.user,  # type: ignore[arg-type]
        form.cleaned_data["description"],
        expires_at=form.cleaned_data["expires_at"],
    )
    response = _render(request, "created.html", {"key": key, "secret": secret})
    # The secret must not outlive this response in any cache or history.
    add_never_cache_headers(response)
    return response


def _render_new_form(request: HttpRequest, form: NewKeyForm) -> HttpResponse:
    token = secrets.token_urlsafe(16)
    open_forms = request.session.get(FORM_TOKENS_SESSION_KEY, [])
    request.session[FORM_TOKENS_SESSION_KEY] = [*open_forms, token][-MAX_OPEN_FORMS:]
    return _render(request, "new.html", {"form": form, "form_token": token})


@login_required
@require_http_methods(["GET", "POST"])
def key_disable(request: HttpRequest, key_id: str) -> HttpResponse:
    """Ask to confirm on GET; disable the key on POST."""
    key = _own_key(request, key_id)
    if request.method == "POST":
        key.disable()
        return HttpResponseRedirect(reverse("valet_keys:list"))
    return _render(request, "disable.html", {"key": key})


@login_required
@require_GET
def key_history(request: HttpRequest, key_id: str) -> HttpResponse:
    """Show a key's actions, newest first, a page at a time.

    Pages are addressed by the identifier of an action (``?before=`` or
    ``?after=``) rather than by number: the database walks the index from
    that action, with no OFFSET and no COUNT, so the last page of a million
    actions costs what the first does.
    """
    key = _own_key(request, key_id)
    page_size: int = get_setting("HISTORY_PAGE_SIZE")
    try:
        before = _cursor(request, "before")
        after = _cursor(request, "after")
    except ValueError:
        return HttpResponseBadRequest(
            "The page cursor must be a positive whole number.",
            content_type="text/plain; charset=utf-8",
        )

    actions_of_key = KeyAction.objects.filter(key=key)
    if after is not None:
        newer_first = actions_of_key.filter(id__gt=after).order_by("id")
        window = list(newer_first[: page_size + 1])
        actions = window[:page_size][::-1]
        has_newer = len(window) > page_size
        has_older = actions_of_key.filter(id__lte=after).exists()
    else:
        older_first = actions_of_key.order_by("-id")
        if before is not None:
            older_first = older_first.filter(id__lt=before)
        window = list(older_first[: page_size + 1])
        actions = window[:page_size]
        has_older = len(window) > page_size
        has_newer = (
            before is not None and actions_of_key.filter(id__gte=before).exists()
        )

    recent = actions_of_key.order_by("-id")
    timestamps = list(recent.values_list("created", flat=True)[:CHART_SAMPLE_SIZE])
    context = {
        "key": key,
        "actions": actions,
        "newer_cursor": actions[0].pk if has_newer and actions else None,
        "older_cursor": actions[-1].pk if has_older and actions else None,
        "is_first_page": not has_newer,
        "chart": activity_chart(timestamps),
        "chart_sample_size": CHART_SAMPLE_SIZE,
    }
    return _render(request, "history.html", context)


def _cursor(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name)
    if raw is None:
        return None
    # isdecimal() keeps out signs, spaces and digits of other scripts that
    # int() would accept; the length bound keeps the value within BIGINT.
    if not raw.isascii() or not raw.isdecimal() or len(raw) > 18:
        raise ValueError(raw)
    return int(raw)


@require_GET
@accepts_valet_key(required=True)
def whoami(request: HttpRequest) -> JsonResponse:
    """Describe the key the request presented, so a robot can check it."""
    key: Key = request.valet_key  # type: ignore[attr-defined]
    return JsonResponse(
        {
            "key_id": key.key_id,
            "user": key.user.get_username() if key.user else None,
            "description": key.description,
            "created": key.created.isoformat(),
            "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        }
    )
