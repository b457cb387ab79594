"""The errors the SDK raises, in one tree.

Every error a ``Client`` raises on purpose derives from ``ValetKeyError``::

    ValetKeyError
    ├── ConfigurationError (ValueError)
    │   └── MalformedCredentials
    ├── TransportError (requests.RequestException)
    │   ├── ConnectError (requests.ConnectionError, ConnectionError)
    │   └── Timeout (requests.Timeout, TimeoutError)
    ├── HTTPError (requests.HTTPError)
    │   ├── BadRequest             400
    │   ├── Unauthorized           401
    │   ├── Forbidden              403
    │   ├── NotFound               404
    │   ├── TooManyRequests        429, with ``retry_after``
    │   └── ServerError            500-599
    └── UnexpectedResponse (ValueError)

The second parents let code written for plain requests keep working: an
``except requests.RequestException`` still catches transport and HTTP errors,
and an ``except ValueError`` still catches bad configuration.

``HTTPError`` and ``UnexpectedResponse`` carry the ``response``, and through
it the ``request``; ``TransportError`` carries the ``request`` when requests
got as far as preparing one, and no response. Any other status of 400 or
more raises ``HTTPError`` itself.

Messages name the method, the URL without any credentials, and the status.
They never contain the secret: it is known only to ``ValetKeyAuth``, which
writes it into the ``Authorization`` header and nowhere else.
"""

from __future__ import annotations

import http
import math

import requests

from ._http import parse_retry_after, url_without_credentials

__all__ = [
    "BadRequest",
    "ConfigurationError",
    "ConnectError",
    "Forbidden",
    "HTTPError",
    "MalformedCredentials",
    "NotFound",
    "ServerError",
    "Timeout",
    "TooManyRequests",
    "TransportError",
    "Unauthorized",
    "UnexpectedResponse",
    "ValetKeyError",
    "error_for_response",
    "error_for_transport_failure",
]


class ValetKeyError(Exception):
    """The base of every error the SDK raises on purpose."""


class ConfigurationError(ValetKeyError, ValueError):
    """A client was given a setting it cannot work with.

    Raised when the client is built, before any request is sent: a base URL
    that is not http or https, a missing environment variable, a bad
    timeout.
    """


class MalformedCredentials(ConfigurationError):
    """The key identifier or secret does not have the valet key format.

    A secret whose checksum does not match was mistyped or truncated; no
    request is sent with it. The message says what is wrong and never
    quotes the secret.
    """


class TransportError(ValetKeyError, requests.RequestException):
    """The request or its response did not make it across the network.

    ``request`` is the prepared request when requests got that far, and
    ``response`` is always None.
    """


class ConnectError(TransportError, requests.ConnectionError, ConnectionError):
    """No connection to the site could be made or kept."""


class Timeout(TransportError, requests.Timeout, TimeoutError):
    """The site did not connect or answer within the timeout."""


class HTTPError(ValetKeyError, requests.HTTPError):
    """The site answered with a status of 400 or more.

    ``response`` is the ``requests.Response``, its body already read, and
    ``status_code`` is its status.
    """

    response: requests.Response
    _hint = ""

    def __init__(self, message: str, *, response: requests.Response) -> None:
        super().__init__(message, response=response)

    @property
    def status_code(self) -> int:
        """Return the HTTP status of the response."""
        return self.response.status_code


class BadRequest(HTTPError):
    """The site refused the request as malformed (400)."""

    _hint = "the response body may say what the site expected"


class Unauthorized(HTTPError):
    """The site did not accept the key (401)."""

    _hint = (
        "check the key identifier and secret, and that the key is neither "
        "disabled nor expired"
    )


class Forbidden(HTTPError):
    """The site accepted the key, or none was needed, but refused (403)."""

    _hint = (
        "the key's user may lack the permission, or the view may not be "
        "decorated with @accepts_valet_key, in which case Django's CSRF "
        "protection refuses robots"
    )


class NotFound(HTTPError):
    """No page at this URL, or none this key may see (404)."""

    _hint = "check the path and the client's base_url"


class TooManyRequests(HTTPError):
    """The site asks the robot to slow down (429).

    ``retry_after`` is the number of seconds the site asked to wait, read
    from ``Retry-After``, or None when it did not say.
    """

    _hint = "slow down, or let the client retry more"

    def __init__(self, message: str, *, response: requests.Response) -> None:
        super().__init__(message, response=response)
        self.retry_after = parse_retry_after(response.headers.get("Retry-After"))


class ServerError(HTTPError):
    """The site failed to handle the request (500-599)."""

    _hint = "the site failed; retry later, or ask its operators"


class UnexpectedResponse(ValetKeyError, ValueError):
    """The site answered with success but not with what the SDK expected.

    It usually means the base URL leads to some other site. ``response`` is
    the ``requests.Response``.
    """

    def __init__(self, message: str, *, response: requests.Response) -> None:
        super().__init__(message)
        self.response = response
        self.request = response.request


_ERRORS_BY_STATUS: dict[int, type[HTTPError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    429: TooManyRequests,
}


def _reason(response: requests.Response) -> str:
    # In-process transports may leave the reason phrase empty.
    if response.reason:
        return str(response.reason)
    try:
        return http.HTTPStatus(response.status_code).phrase
    except ValueError:
        return "Unknown Status"


def error_for_response(response: requests.Response) -> HTTPError | None:
    """Return the error that ``response`` stands for, or None for success.

    A status below 400 is not an error: redirects were followed, or the
    caller asked for them as they are.
    """
    status = response.status_code
    if status < 400:
        return None
    if status in _ERRORS_BY_STATUS:
        error_class = _ERRORS_BY_STATUS[status]
    elif 500 <= status < 600:
        error_class = ServerError
    else:
        error_class = HTTPError

    method = response.request.method if response.request is not None else None
    url = url_without_credentials(response.url)
    message = f"{status} {_reason(response)} for {method or 'request'} {url}"
    hint = error_class._hint
    if error_class is TooManyRequests:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is not None:
            hint = f"the site asks to wait {math.ceil(retry_after)} s"
    if hint:
        message = f"{message}: {hint}"
    return error_class(message, response=response)


def _timeouts(timeout: float | tuple[float, float]) -> tuple[float, float]:
    return timeout if isinstance(timeout, tuple) else (timeout, timeout)


def _cause(exc: requests.RequestException) -> str:
    # requests wraps urllib3's MaxRetryError, which wraps the error that
    # failed the connection, which was raised from the socket's own. The
    # socket's words ("Connection refused") are the ones that help.
    cause: BaseException = exc
    if exc.args and isinstance(exc.args[0], BaseException):
        cause = exc.args[0]
    reason = getattr(cause, "reason", None)
    if isinstance(reason, BaseException):
        cause = reason
    root = cause
    # Such chains are short; the bound only guards against a cycle.
    for _ in range(10):
        if root.__cause__ is None:
            break
        root = root.__cause__
    if isinstance(root, OSError) and root.strerror:
        return str(root.strerror)
    return str(cause) or type(cause).__name__


def error_for_transport_failure(
    exc: requests.RequestException,
    *,
    method: str,
    url: str,
    timeout: float | tuple[float, float],
) -> TransportError | None:
    """Return the SDK error for requests' failure to exchange messages.

    This is the one place where requests' transport errors become the SDK's.
    Return None for the errors that requests raises about the caller's own
    arguments, such as a header value with a newline or a JSON body that
    cannot be encoded: they are bugs to fix, not failures to handle, and
    are best seen as they are.
    """
    if isinstance(
        exc,
        ValueError
        | requests.exceptions.InvalidJSONError
        | requests.exceptions.URLRequired,
    ):
        return None

    url = url_without_credentials(url)
    request = exc.request
    connect_timeout, read_timeout = _timeouts(timeout)
    if isinstance(exc, requests.ConnectTimeout):
        return Timeout(
            f"{method} {url} timed out: no connection within "
            f"{connect_timeout:g} s; check the base URL and that the site is up",
            request=request,
        )
    if isinstance(exc, requests.Timeout):
        return Timeout(
            f"{method} {url} timed out: no response within {read_timeout:g} s; "
            f"raise the read timeout if the site is slow",
            request=request,
        )
    if isinstance(exc, requests.ConnectionError):
        return ConnectError(
            f"{method} {url} failed: could not connect: {_cause(exc)}",
            request=request,
        )
    return TransportError(f"{method} {url} failed: {_cause(exc)}", request=request)
