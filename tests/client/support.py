"""Credentials and a small local web server shared by the SDK's tests."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

BASE_URL = "http://site.test/"

# A well-formed credential with a valid checksum, spelled out so that the
# exact header bytes can be written down; it belongs to no site.
KEY_ID = "vk_ROBOT0123456789abcde"
SECRET = "vks_0123456789abcdefghijABCDEFGHIJkl0aPQDR"
# base64("vk_ROBOT0123456789abcde:vks_0123456789abcdefghijABCDEFGHIJkl0aPQDR")
AUTHORIZATION = (
    "Basic dmtfUk9CT1QwMTIzNDU2Nzg5YWJjZGU6dmtzXzAxMjM0NTY3ODlhYmNkZWZnaGlq"
    "QUJDREVGR0hJSmtsMGFQUURS"
)
# The part of the header that encodes the secret, which must be kept as
# secret as the secret itself.
AUTHORIZATION_TOKEN = AUTHORIZATION.removeprefix("Basic ")

WHOAMI = {
    "key_id": KEY_ID,
    "user": "zoë",
    "description": "Nightly inventory robot",
    "created": "2025-03-01T09:30:00.123456+00:00",
    "expires_at": None,
}


@dataclass
class Answer:
    """What the local site answers to one request."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: object, status: int = 200) -> Answer:
        return cls(
            status,
            json.dumps(data).encode(),
            {"Content-Type": "application/json"},
        )


@dataclass
class Received:
    """One request as the local site received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@contextmanager
def local_site(
    answer: Callable[[Received], Answer],
) -> Iterator[tuple[str, list[Received]]]:
    """Serve ``answer`` on 127.0.0.1 and yield the URL and the requests.

    A real server, so that requests goes through urllib3 and its logging as
    it does against a real site.
    """
    received: list[Received] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Received(
                self.command,
                self.path,
                dict(self.headers.items()),
                self.rfile.read(length),
            )
            received.append(request)
            reply = answer(request)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:
            # The test's output is no place for an access log.
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
