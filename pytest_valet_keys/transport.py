"""A requests transport adapter that hands requests to Django in-process.

Mounted on a ``requests.Session``, ``DjangoAdapter`` turns each prepared
request into a WSGI environ and runs it through a handler built on Django's
test ``ClientHandler``: the whole middleware stack and the view run in the
calling thread, on the test's database connection and inside its
transaction, and no socket is opened.

Django's plain ``WSGIHandler`` is not used because it sends
``request_started`` and ``request_finished`` with ``close_old_connections``
connected, which closes the database connection in the middle of a test.

The response is given to requests as a ``urllib3.HTTPResponse`` whose
original response carries the headers as an ``http.client.HTTPMessage``,
so that requests stores cookies, follows redirects and streams bodies as it
does with a response that came over the network.
"""

from __future__ import annotations

import functools
import http.client
import io
import sys
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import requests
import urllib3
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import (
    got_request_exception,
    request_finished,
    request_started,
)
from django.db import close_old_connections
from django.test.client import ClientHandler, conditional_content_removal
from requests.adapters import BaseAdapter
from requests.cookies import extract_cookies_to_jar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from ._bodies import body_bytes

if TYPE_CHECKING:
    from django.http import HttpResponseBase

__all__ = ["DEFAULT_HOST", "DjangoAdapter", "ViewError"]

# The host name Django's test client uses, which Django's test environment
# adds to ALLOWED_HOSTS.
DEFAULT_HOST = "testserver"

_DEFAULT_PORTS = {"http": "80", "https": "443"}


class ViewError(RuntimeError):
    """A view raised an exception from requests while serving a request.

    It is raised in place of the view's exception, which is its
    ``__cause__``, so that the robot's client cannot take the view's own
    failure to reach some other service for a failure of its own request,
    and retry it or report it as a connection error.
    """


class DjangoAdapter(BaseAdapter):
    """Send requests into the Django project of the current process.

    Mount it on a session for the URL prefixes it should serve, such as
    ``http://testserver/``; the host and scheme of each request reach Django
    as they would from a server. ``raise_request_exception`` re-raises an
    exception that escaped a view, as Django's test client does; when it is
    false, the robot gets the 500 response that the site would send instead.
    CSRF checks are enforced as in production. Timeouts, proxies and TLS
    options are accepted and ignored: nothing crosses a network.
    """

    def __init__(self, *, raise_request_exception: bool = True) -> None:
        super().__init__()
        self.raise_request_exception = raise_request_exception
        self._handler = _Handler(enforce_csrf_checks=True)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Run ``request`` through Django and return its response."""
        environ = _environ(request)

        # The receiver files a view's exception under the environ of the
        # request that raised it: a live server thread may be failing
        # requests of its own at the same moment.
        _listen_for_view_exceptions()
        caught: list[BaseException] = []
        _caught[id(environ)] = caught
        try:
            response = self._handler(environ)
        finally:
            del _caught[id(environ)]

        if caught and self.raise_request_exception:
            _finish(response)
            exc_value = caught[0]
            if isinstance(exc_value, requests.RequestException):
                name = f"{type(exc_value).__module__}.{type(exc_value).__qualname__}"
                raise ViewError(f"The view raised {name}: {exc_value}") from exc_value
            raise exc_value

        return self._build_response(request, response)

    def close(self) -> None:
        """Release nothing: the adapter holds no connections."""

    def _build_response(
        self, request: requests.PreparedRequest, response: HttpResponseBase
    ) -> requests.Response:
        header_lines = [*response.items()]
        header_lines += [
            ("Set-Cookie", morsel.OutputString())
            for morsel in response.cookies.values()
        ]
        body: Iterator[bytes]
        if response.streaming:
            body = iter(response)
        else:
            content = response.content  # type: ignore[attr-defined]
            _finish(response)
            # Servers announce the length of a body they have whole.
            if not response.has_header("Content-Length"):
                header_lines.append(("Content-Length", str(len(content))))
            body = iter((content,))

        message = http.client.HTTPMessage()
        for name, value in header_lines:
            message[name] = value
        raw_body = _ResponseBody(body, message, response)

        raw = urllib3.HTTPResponse(
            body=raw_body,
            headers=_joined_headers(header_lines),
            status=response.status_code,
            version=11,
            reason=response.reason_phrase,
            preload_content=False,
            decode_content=True,
            original_response=raw_body,  # type: ignore[arg-type]
            request_method=request.method,
            request_url=request.url,
        )

        result = requests.Response()
        result.status_code = response.status_code
        result.reason = response.reason_phrase
        result.headers = CaseInsensitiveDict(raw.headers)
        result.encoding = get_encoding_from_headers(result.headers)
        result.raw = raw
        result.url = request.url or ""
        result.request = request
        result.connection = self  # type: ignore[assignment]
        if "set-cookie" in {name.lower() for name, _ in header_lines}:
            extract_cookies_to_jar(result.cookies, request, raw)  # type: ignore[no-untyped-call]
        return result


class _Handler(ClientHandler):
    """Django's test ``ClientHandler``, minus its handling of the response.

    ``ClientHandler`` wraps a streaming response's content in a generator
    that closes the response when it ends, moving ``close_old_connections``
    off ``request_finished`` meanwhile. Closing such a response before its
    end runs that generator from inside the response's own ``close()``,
    which puts ``close_old_connections`` back just before ``close()`` sends
    ``request_finished``: the test's connection would be closed. Here the
    response is left open, and ``_ResponseBody`` closes it exactly once.
    """

    def __init__(self, *, enforce_csrf_checks: bool) -> None:
        super().__init__(enforce_csrf_checks=enforce_csrf_checks)
        self._loaded = False

    def __call__(self, environ: dict[str, Any]) -> HttpResponseBase:  # type: ignore[override]
        # Middleware is loaded at the first request, once settings are
        # those of the test.
        if not self._loaded:
            self.load_middleware()
            self._loaded = True

        request_started.disconnect(close_old_connections)
        try:
            request_started.send(sender=self.__class__, environ=environ)
        finally:
            request_started.connect(close_old_connections)
        request = WSGIRequest(environ)
        if not self.enforce_csrf_checks:
            request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]

        response = self.get_response(request)
        # Servers drop the body of a response to HEAD, and of a 1xx, 204
        # or 304 response.
        conditional_content_removal(request, response)
        return response


class _ResponseBody(io.RawIOBase):
    """The body of a Django response, read the way a socket is read.

    It plays both parts of ``http.client.HTTPResponse`` that urllib3 and
    requests look at: the file the body is read from, and the original
    response whose ``msg`` holds the headers, where requests finds every
    ``Set-Cookie`` line.

    Reaching the end of a streamed body, failing to produce it, or closing
    it early closes the Django response, once.
    """

    def __init__(
        self,
        chunks: Iterator[bytes],
        msg: http.client.HTTPMessage,
        response: HttpResponseBase,
    ) -> None:
        super().__init__()
        self.msg = msg
        self._chunks = chunks
        self._pending = b""
        self._response: HttpResponseBase | None = response

    def readable(self) -> bool:
        return True

    def isclosed(self) -> bool:
        return self.closed

    def readinto(self, buffer: Any) -> int:
        if self.closed:
            return 0
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                self.close()
                return 0
            except BaseException:
                self.close()
                raise
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def read(self, size: int | None = -1) -> bytes:
        # http.client answers b"" once the body is closed; RawIOBase would
        # raise instead.
        if self.closed:
            return b""
        return super().read(-1 if size is None else size)

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        response, self._response = self._response, None
        if response is not None and response.streaming:
            _finish(response)


# The exceptions that views raised, by the id of the environ of the request
# being handled.
_caught: dict[int, list[BaseException]] = {}


@functools.cache
def _listen_for_view_exceptions() -> None:
    """Connect the receiver of ``got_request_exception``, once.

    Connecting and disconnecting a receiver around each request would cost
    more than the rest of the adapter's work.
    """
    got_request_exception.connect(
        _file_view_exception, weak=False, dispatch_uid=__name__
    )


def _file_view_exception(sender: object, request: Any = None, **kwargs: object) -> None:
    environ = getattr(request, "environ", None)
    caught = _caught.get(id(environ)) if environ is not None else None
    exc_value = sys.exc_info()[1]
    if caught is not None and exc_value is not None:
        caught.append(exc_value)


def _finish(response: HttpResponseBase) -> None:
    """Close a Django response, keeping the test's database connection.

    Closing sends ``request_finished``, as a server does at the end of a
    request, but without ``close_old_connections`` listening.
    """
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def _environ(request: requests.PreparedRequest) -> dict[str, Any]:
    """Return the WSGI environ a server would build for ``request``."""
    url = urllib.parse.urlsplit(request.url or "")
    scheme = url.scheme or "http"
    host = url.hostname or DEFAULT_HOST
    port = str(url.port) if url.port is not None else _DEFAULT_PORTS.get(scheme, "80")
    body = body_bytes(request.body)

    # PATH_INFO holds the percent-decoded path as bytes read as latin-1, as
    # PEP 3333 servers pass it; Django decodes it as UTF-8 from there.
    path = urllib.parse.unquote_to_bytes(url.path or "/").decode("iso-8859-1")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": (request.method or "GET").upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": url.query,
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": url.netloc.rpartition("@")[2] or host,
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }

    for name, value in request.headers.items():
        # Servers drop header names with underscores, which would otherwise
        # be read as the dashed header of the same name.
        if "_" in name:
            continue
        key = name.upper().replace("-", "_")
        if isinstance(value, bytes):
            value = value.decode("iso-8859-1")
        if key == "CONTENT_LENGTH":
            # The length of the body as it is sent, whatever was announced.
            continue
        if key == "TRANSFER_ENCODING":
            # The body is handed over whole, with its length.
            continue
        if key != "CONTENT_TYPE":
            key = "HTTP_" + key
        environ[key] = value
    return environ


def _joined_headers(lines: list[tuple[str, str]]) -> dict[str, str]:
    """Join repeated headers with commas, as urllib3 presents them."""
    joined: dict[str, tuple[str, str]] = {}
    for name, value in lines:
        if name.lower() in joined:
            spelling, earlier = joined[name.lower()]
            joined[name.lower()] = (spelling, f"{earlier}, {value}")
        else:
            joined[name.lower()] = (name, value)
    return dict(joined.values())
