"""The ``@accepts_valet_key`` view decorator."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string

from .authentication import authenticate_or_throttle
from .conf import get_setting
from .throttling import Throttled

__all__ = ["accepts_valet_key"]

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])


@overload
def accepts_valet_key(view: ViewFunc, /) -> ViewFunc: ...


@overload
def accepts_valet_key(
    view: None = None, /, *, required: bool = False
) -> Callable[[ViewFunc], ViewFunc]: ...


def accepts_valet_key(
    view: ViewFunc | None = None, /, *, required: bool = False
) -> ViewFunc | Callable[[ViewFunc], ViewFunc]:
    """Let a view be called by a robot presenting a valet key.

    Use it bare, ``@accepts_valet_key``, or called,
    ``@accepts_valet_key(required=True)``, on a function view, an ``async
    def`` view, or a class-based view's ``dispatch`` through
    ``method_decorator``.

    When the request carries a valid key, ``request.valet_key`` is the
    ``Key`` and ``request.user`` is its owner, even if a user is logged in
    too; the request is exempt from CSRF checks, as robots have no token.

    Otherwise ``request.valet_key`` is None, ``request.user`` is left as it
    was and the request gets Django's usual CSRF protection. With
    ``required=True`` the view is not called and the answer is a 401 that
    asks for Basic credentials, or a 429 with ``Retry-After`` when the key
    identifier or the client's address has failed too often (see
    ``valet_keys.throttling``).
    """

    def decorator(view_func: ViewFunc) -> ViewFunc:
        if iscoroutinefunction(view_func):

            @functools.wraps(view_func)
            async def async_wrapper(
                request: HttpRequest, *args: Any, **kwargs: Any
            ) -> HttpResponseBase:
                refusal = await sync_to_async(_prepare)(
                    request, view_func, args, kwargs, required
                )
                if refusal is not None:
                    return refusal
                response: HttpResponseBase = await view_func(request, *args, **kwargs)
                return response

            wrapper: Callable[..., Any] = async_wrapper
        else:

            @functools.wraps(view_func)
            def sync_wrapper(
                request: HttpRequest, *args: Any, **kwargs: Any
            ) -> HttpResponseBase:
                refusal = _prepare(request, view_func, args, kwargs, required)
                if refusal is not None:
                    return refusal
                response: HttpResponseBase = view_func(request, *args, **kwargs)
                return response

            wrapper = sync_wrapper

        # CsrfViewMiddleware runs before the view and cannot know whether a
        # key will authenticate, so the middleware is told to stand aside and
        # _prepare applies its check itself to requests without a valid key.
        wrapper.csrf_exempt = True  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    if view is None:
        return decorator
    return decorator(view)


def _prepare(
    request: HttpRequest,
    view_func: Callable[..., Awaitable[Any] | Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    required: bool,
) -> HttpResponseBase | None:
    """Authenticate the request, and return a response if it is refused."""
    try:
        key = authenticate_or_throttle(request)
    except Throttled as throttled:
        # A view that does not require a key serves a throttled client as it
        # serves anyone without one; only a view that does answers 429.
        key = None
        if required:
            request.valet_key = None  # type: ignore[attr-defined]
            return _too_many_failures(throttled.retry_after)
    request.valet_key = key  # type: ignore[attr-defined]
    if key is not None:
        request.user = key.user  # type: ignore[assignment]
        return None
    if required:
        return _unauthorized()
    return _check_csrf(request, view_func, args, kwargs)


def basic_challenge() -> str:
    """Return the ``WWW-Authenticate`` value that asks for a valet key.

    The realm comes from ``VALET_KEYS["REALM"]``, quoted as RFC 9110 wants.
    """
    realm = str(get_setting("REALM")).replace("\\", "\\\\").replace('"', '\\"')
    return f'Basic realm="{realm}", charset="UTF-8"'


def _unauthorized() -> HttpResponse:
    response = HttpResponse(
        "A valid valet key is required.\n",
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response["WWW-Authenticate"] = basic_challenge()
    return response


def _too_many_failures(retry_after: int) -> HttpResponse:
    response = HttpResponse(
        "Too many failed attempts with this key or from this address.\n",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(retry_after)
    return response


@functools.cache
def _csrf_middleware_class(middleware: tuple[str, ...]) -> type | None:
    for path in middleware:
        candidate = import_string(path)
        if isinstance(candidate, type) and issubclass(candidate, CsrfViewMiddleware):
            return candidate
    return None


def _check_csrf(
    request: HttpRequest,
    view_func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> HttpResponseBase | None:
    """Apply the site's CSRF middleware to a request without a valid key.

    A site without CSRF middleware gets no check here either: decorating a
    view neither adds protection the site turned off nor removes any.
    """
    middleware_class = _csrf_middleware_class(tuple(settings.MIDDLEWARE))
    if middleware_class is None:
        return None
    middleware = middleware_class(_never_called)
    refusal: HttpResponseBase | None = middleware.process_view(
        request, view_func, args, kwargs
    )
    return refusal


def _never_called(request: HttpRequest) -> HttpResponse:
    raise AssertionError("The CSRF check only runs process_view.")
