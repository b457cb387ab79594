"""Accept valet keys in Django REST framework views.

Install the extra, ``pip install valet-keys[drf]``, then list the
authentication class first, so that its challenge is the one a 401 carries
and a key wins over a logged-in session, as it does with the decorator::

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "valet_keys.rest_framework.ValetKeyAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ],
    }

The class shares ``@accepts_valet_key``'s lookup, and with it the same
rules, throttling, ``last_used_at`` writes and ``key_used`` signal. When
both run on one request, whichever runs second takes the first one's
answer without a query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

try:
    import rest_framework  # noqa: F401
except ModuleNotFoundError as error:
    if error.name != "rest_framework":
        raise
    raise ModuleNotFoundError(
        "valet_keys.rest_framework needs Django REST framework; install it "
        "with 'pip install valet-keys[drf]'.",
        name=error.name,
    ) from error

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .authentication import authenticate_or_throttle
from .credentials import KEY_ID_PREFIX, InvalidCredentials, parse_basic_authorization
from .decorators import basic_challenge
from .models import Key
from .throttling import Throttled

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView
    from rest_framework.views import APIView

    _GenericView = GenericAPIView[Any]
else:
    _GenericView = object

__all__ = [
    "HasValetKey",
    "ValetKeyAuthentication",
    "ValetKeyContextMixin",
    "get_valet_key",
]


class ValetKeyAuthentication(BaseAuthentication):
    """Authenticate a request by the valet key in its Authorization header.

    With a valid key, ``request.user`` is the key's owner and
    ``request.auth`` is the ``Key``; the underlying ``HttpRequest`` gets
    ``valet_key`` too, so ``request.valet_key`` reads as it does under the
    decorator. A valid key needs no CSRF token: robots have none.

    A header that is not a valet key (none, another scheme, Basic with a
    user name that does not start with ``vk_``, or Basic too malformed to
    read) is left to the next authentication class. A valet key that fails
    (unknown, wrong secret, disabled, expired, or its owner inactive)
    raises ``AuthenticationFailed``, a 401, rather than letting the request
    through as anonymous or as a session user. A key identifier or client
    address that failed too often raises ``Throttled``, a 429 with
    ``Retry-After``.
    """

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, Key] | None:
        http_request = request._request
        try:
            key = authenticate_or_throttle(http_request)
        except Throttled as throttled:
            http_request.valet_key = None  # type: ignore[attr-defined]
            raise exceptions.Throttled(
                wait=throttled.retry_after,
                detail="Too many failed attempts with this key or from this address.",
            ) from None
        http_request.valet_key = key  # type: ignore[attr-defined]
        if key is not None:
            # The lookup joins the owner, so a key it returns has one.
            return cast("AbstractBaseUser", key.user), key

        # The lookup has logged the reason at DEBUG; only the verdict is left.
        if _presents_valet_key(http_request):
            raise exceptions.AuthenticationFailed(
                "Invalid valet key: unknown, wrong secret, disabled or expired."
            )
        return None

    def authenticate_header(self, request: Request) -> str:
        return basic_challenge()


def _presents_valet_key(request: HttpRequest) -> bool:
    """Tell whether the request's Basic credentials name a valet key.

    Only the prefix is looked at: a ``vk_`` user name is a claim to be a
    valet key, and a false claim is refused rather than passed on to
    another class, which could not accept it either.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    try:
        key_id, _ = parse_basic_authorization(header)
    except InvalidCredentials:
        return False
    return key_id.startswith(KEY_ID_PREFIX)


class HasValetKey(BasePermission):
    """Allow only requests that authenticated with a valet key.

    A request with no credentials gets a 401; one that authenticated
    another way, such as a logged-in session, gets a 403.
    """

    message = "This endpoint needs a valet key."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, Key)


def get_valet_key(request: Request | HttpRequest) -> Key | None:
    """Return the valet key a request authenticated with, or None.

    Accept a REST framework ``Request``, which may have authenticated by
    another class, or a plain ``HttpRequest`` that went through
    ``@accepts_valet_key`` or ``ValetKeyAuthentication``.
    """
    if isinstance(request, Request) and isinstance(request.auth, Key):
        return request.auth
    key = getattr(request, "valet_key", None)
    return key if isinstance(key, Key) else None


class ValetKeyContextMixin(_GenericView):
    """Put the request's valet key in the serializer context.

    Mix it into a generic view, before the view class; serializers then
    find the ``Key``, or None, as ``self.context["valet_key"]``, and can
    ``log()`` what they did with it.
    """

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["valet_key"] = get_valet_key(self.request)
        return context
