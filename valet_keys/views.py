"""The self-service pages, and the endpoint a robot checks itself with."""

from __future__ import annotations

import csv
import datetime
import io
import json
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from .charts import activity_chart
from .conf import get_setting
from .decorators import accepts_valet_key
from .forms import NewKeyForm
from .models import Key, KeyAction

__all__ = [
    "key_disable",
    "key_history",
    "key_history_csv",
    "key_history_json",
    "key_list",
    "key_new",
    "whoami",
]

# The session remembers the forms it handed out for creating a key. A form
# can be submitted once: a reload of the page that showed a new secret, or a
# double click, finds its token spent and mints nothing. The secret itself
# never enters the session, which may be stored in the database.
FORM_TOKENS_SESSION_KEY = "valet_keys_new_key_forms"
MAX_OPEN_FORMS = 10

# The chart reads the timestamps of this many recent actions, so its cost
# does not grow with the history.
CHART_SAMPLE_SIZE = 1000

# Downloads read the history this many actions at a time, each batch by one
# query that starts after the last action of the one before. Memory holds one
# batch, whatever the size of the history.
DOWNLOAD_BATCH_SIZE = 2000

# The columns of a download, in order. The secret and its digest are not
# among them, nor anything else about the key that a file could leak.
DOWNLOAD_FIELDS = [
    "id",
    "created",
    "action",
    "target_type",
    "target_id",
    "target",
    "target_url",
    "notes",
]


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
    # "0 minutes ago" is what timesince says of the last minute; "just now"
    # reads better.
    just_now = timezone.now() - datetime.timedelta(minutes=1)
    return _render(request, "list.html", {"keys": keys, "just_now": just_now})


@login_required
@require_http_methods(["GET", "POST"])
# An error while the new key is shown must not put the secret on a DEBUG page
# or in a mailed error report.
@sensitive_variables("secret")
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
    context = {
        "key": key,
        "secret": secret,
        # The root of the site, for the robot's VALET_KEYS_URL.
        "site_url": request.build_absolute_uri(get_script_prefix()),
    }
    response = _render(request, "created.html", context)
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


@login_required
@require_GET
def key_history_csv(request: HttpRequest, key_id: str) -> StreamingHttpResponse:
    """Download a key's whole history as CSV, newest action first.

    A cell that a spreadsheet would read as a formula (it starts with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with ``'``:
    robots write the notes and target names, and opening the file must not
    run what a robot wrote. The JSON download keeps every value as it is.
    """
    key = _own_key(request, key_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def rows_as_csv(rows: Iterable[Sequence[object]]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows)
        return buffer.getvalue()

    def batch_as_csv(batch: list[dict[str, Any]], first: bool) -> str:
        return rows_as_csv(
            [_spreadsheet_safe(row[name]) for name in DOWNLOAD_FIELDS] for row in batch
        )

    return _download(
        request,
        key,
        extension="csv",
        content_type="text/csv; charset=utf-8",
        head=rows_as_csv([DOWNLOAD_FIELDS]),
        render_batch=batch_as_csv,
        tail="",
    )


@login_required
@require_GET
def key_history_json(request: HttpRequest, key_id: str) -> StreamingHttpResponse:
    """Download a key's whole history as one JSON document.

    The document is an object: ``key`` describes the key, and ``actions``
    holds every action, newest first, with the fields of the CSV download.
    """
    key = _own_key(request, key_id)
    description = {
        "key_id": key.key_id,
        "description": key.description,
        "created": key.created.isoformat(),
        "expires_at": _isoformat(key.expires_at),
        "is_disabled": key.is_disabled,
        "disabled_at": _isoformat(key.disabled_at),
        "last_used_at": _isoformat(key.last_used_at),
    }

    def batch_as_json(batch: list[dict[str, Any]], first: bool) -> str:
        items = ",\n".join(json.dumps(row) for row in batch)
        return ("\n" if first else ",\n") + items

    return _download(
        request,
        key,
        extension="json",
        content_type="application/json",
        head='{"key": ' + json.dumps(description) + ', "actions": [',
        render_batch=batch_as_json,
        tail="\n]}\n",
    )


def _download(
    request: HttpRequest,
    key: Key,
    *,
    extension: str,
    content_type: str,
    head: str,
    render_batch: Callable[[list[dict[str, Any]], bool], str],
    tail: str,
) -> StreamingHttpResponse:
    """Stream ``head``, each batch of the history of ``key``, then ``tail``."""

    def chunks() -> Iterator[str]:
        yield head
        for index, batch in enumerate(_history_batches(key)):
            yield render_batch(batch, index == 0)
        yield tail

    content: Iterator[str] | AsyncIterator[str] = chunks()
    if isinstance(request, ASGIRequest):
        # Under ASGI, Django reads a plain iterator to its end before it
        # sends a byte, history and all; an asynchronous one is sent as it
        # is read, each batch's query run in a worker thread.
        content = _asynchronous(chunks())
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{key.key_id}-history.{extension}"'
    )
    # The history is personal: no shared cache may keep a copy.
    add_never_cache_headers(response)
    return response


def _history_batches(key: Key) -> Iterator[list[dict[str, Any]]]:
    """Yield the actions of ``key`` as rows, newest first, batch by batch.

    Each batch is one query that walks the (key, -id) index from the last
    action of the batch before: no OFFSET, no COUNT, no server-side cursor,
    so the cost per action stays the same on every database and the
    connection is free between batches.
    """
    actions = KeyAction.objects.filter(key=key).order_by("-id")
    columns = (
        "id",
        "created",
        "action",
        "content_type__app_label",
        "content_type__model",
        "object_id",
        "target_repr",
        "target_url",
        "notes",
    )
    last_id: int | None = None
    while True:
        batch = actions if last_id is None else actions.filter(id__lt=last_id)
        values = list(batch.values_list(*columns)[:DOWNLOAD_BATCH_SIZE])
        if not values:
            return
        yield [_download_row(value) for value in values]
        if len(values) < DOWNLOAD_BATCH_SIZE:
            return
        last_id = values[-1][0]


def _download_row(value: tuple[Any, ...]) -> dict[str, Any]:
    (pk, created, action, app_label, model, object_id, target, url, notes) = value
    return {
        "id": pk,
        "created": created.isoformat(),
        "action": action,
        "target_type": f"{app_label}.{model}" if app_label else "",
        "target_id": object_id,
        "target": target,
        "target_url": url,
        "notes": notes,
    }


def _spreadsheet_safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def _isoformat(moment: Any) -> str | None:
    return None if moment is None else str(moment.isoformat())


async def _asynchronous(chunks: Iterator[str]) -> AsyncIterator[str]:
    next_chunk = sync_to_async(_next_chunk)
    while (chunk := await next_chunk(chunks)) is not None:
        yield chunk


def _next_chunk(chunks: Iterator[str]) -> str | None:
    return next(chunks, None)


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
