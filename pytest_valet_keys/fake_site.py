"""A fake site that accepts valet keys, for testing robots without Django.

``FakeValetSite`` answers requests sent through requests (and so through
``valet_keys_client``) with the help of ``responses``: nothing leaves the
process, and Django need not be installed. It checks credentials the way
``@accepts_valet_key(required=True)`` does, answers 401 the way it does,
serves the app's ``whoami`` endpoint, and records every request it got.
"""

from __future__ import annotations

import hmac
import json as json_module
import re
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import responses
from requests import PreparedRequest
from requests.structures import CaseInsensitiveDict

from valet_keys.credentials import (
    KEY_ID_PATTERN,
    InvalidCredentials,
    basic_authorization,
    generate_key_id,
    generate_secret,
    has_valid_checksum,
    parse_basic_authorization,
)

from ._bodies import body_bytes

if TYPE_CHECKING:
    from valet_keys_client import Client

__all__ = [
    "DEFAULT_URL",
    "FakeKey",
    "FakeValetSite",
    "SentRequest",
]

# A reserved name (RFC 2606) that can never lead to a real site.
DEFAULT_URL = "https://valet-site.example/"
DEFAULT_REALM = "valet-keys"
WHOAMI_PATH = "keys/whoami/"

UNAUTHORIZED_BODY = b"A valid valet key is required.\n"

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

Body = str | bytes
Answer = tuple[int, Mapping[str, str], Body]
Callback = Callable[["SentRequest"], Answer]


@dataclass
class FakeKey:
    """A key the fake site accepts.

    ``key_id`` and ``secret`` have the real format, so that the SDK's own
    checks pass. ``user`` is the owner's user name, as ``whoami`` reports
    it. A key that is ``disabled``, or whose ``expires_at`` has passed, is
    refused like any wrong credential.
    """

    key_id: str
    secret: str = field(repr=False)
    user: str
    description: str
    created: datetime
    expires_at: datetime | None = None
    disabled: bool = False

    @property
    def auth(self) -> tuple[str, str]:
        """Return the ``(key_id, secret)`` pair for requests' ``auth=``."""
        return (self.key_id, self.secret)

    @property
    def authorization(self) -> str:
        """Return the value of an ``Authorization`` header for this key."""
        return basic_authorization(self.key_id, self.secret)

    @property
    def is_usable(self) -> bool:
        """Tell whether the site would accept the key right now."""
        expired = self.expires_at is not None and self.expires_at <= datetime.now(UTC)
        return not self.disabled and not expired

    def disable(self) -> None:
        """Make the site refuse the key from the next request on."""
        self.disabled = True


@dataclass
class SentRequest:
    """A request the fake site received, and the status it answered.

    ``path`` is relative to the site's URL, without the query string, which
    is parsed into ``query``. ``key_id`` is the identifier the request
    presented, accepted or not, and ``key`` the ``FakeKey`` that the site
    accepted, or None. ``status`` is what the site answered.
    """

    method: str
    url: str
    path: str
    query: dict[str, list[str]]
    headers: CaseInsensitiveDict[str]
    body: bytes
    key_id: str | None
    key: FakeKey | None
    status: int = 0

    @property
    def text(self) -> str:
        """Return the body decoded as UTF-8."""
        return self.body.decode("utf-8")

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json_module.loads(self.body)

    @property
    def form(self) -> dict[str, list[str]]:
        """Return the body parsed as an HTML form."""
        return urllib.parse.parse_qs(self.text, keep_blank_values=True)


@dataclass
class _Endpoint:
    method: str
    path: str | re.Pattern[str]
    status: int
    headers: dict[str, str]
    body: bytes
    callback: Callback | None
    key_required: bool

    def matches(self, path: str) -> bool:
        if isinstance(self.path, str):
            return self.path == path
        return self.path.fullmatch(path) is not None


@dataclass
class _Failure:
    status: int
    retry_after: int | str | None
    body: bytes
    remaining: int


class FakeValetSite:
    """A site at ``url`` that accepts valet keys, faked with ``responses``.

    Use it as a context manager, or start and stop it; while it runs, every
    request made with requests to an address under ``url`` is answered by
    it. ``realm`` is the realm sent with a 401. ``key`` is a key the site
    accepts, made at the start; ``add_key`` makes more.

    Endpoints registered with ``add`` answer as told, after checking the
    key as ``@accepts_valet_key(required=True)`` does: a missing, malformed,
    unknown, wrong, disabled or expired key gets the same 401. The app's
    ``whoami`` endpoint answers at ``keys/whoami/``. Any other path gets a
    404, and another method on a known path a 405. ``fail`` and
    ``throttle`` make the next requests to a path fail before any of that.

    ``requests`` lists what the site received. ``mock`` is the
    ``responses.RequestsMock`` behind it, on which other addresses can be
    faked for the same test; do not combine it with ``responses.activate``
    or another running mock, as only the one started last would answer.
    """

    def __init__(self, url: str = DEFAULT_URL, *, realm: str = DEFAULT_REALM) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(
                f"FakeValetSite needs an http or https URL, such as "
                f"{DEFAULT_URL!r}; got {url!r}."
            )
        self.url = url.rstrip("/") + "/"
        self.realm = realm
        self.requests: list[SentRequest] = []
        self.sleeps: list[float] = []
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self._keys: dict[str, FakeKey] = {}
        self._endpoints: list[_Endpoint] = []
        self._failures: dict[tuple[str, str], list[_Failure]] = {}
        # Reentrant, as a callback may itself call the site.
        self._lock = threading.RLock()
        self._prefix = urllib.parse.urlsplit(self.url).path
        pattern = re.compile(re.escape(self.url) + ".*")
        for method in _METHODS:
            self.mock.add_callback(method, pattern, self._answer, content_type=None)
        self.key = self.add_key()

    def __repr__(self) -> str:
        return f"<FakeValetSite {self.url}>"

    def start(self) -> None:
        """Start answering requests."""
        self.mock.start()

    def stop(self) -> None:
        """Stop answering requests; requests go to the network again."""
        self.mock.stop(allow_assert=False)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def add_key(
        self,
        *,
        user: str = "robot-owner",
        description: str = "Test robot",
        expires_at: datetime | None = None,
        disabled: bool = False,
    ) -> FakeKey:
        """Make a key that the site accepts, with a new identifier and secret.

        ``user`` is its owner's user name, ``description`` what its owner
        wrote about it; both are reported by ``whoami``. ``expires_at`` is an
        aware datetime after which it is refused; ``disabled`` refuses it
        from the start.
        """
        if expires_at is not None and expires_at.tzinfo is None:
            raise ValueError(
                "expires_at must be an aware datetime, such as "
                "datetime.now(UTC) + timedelta(days=1)."
            )
        key = FakeKey(
            key_id=generate_key_id(),
            secret=generate_secret(),
            user=user,
            description=description,
            created=datetime.now(UTC),
            expires_at=expires_at,
            disabled=disabled,
        )
        with self._lock:
            self._keys[key.key_id] = key
        return key

    def add(
        self,
        method: str,
        path: str | re.Pattern[str],
        *,
        status: int = 200,
        json: Any = None,
        body: Body | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        callback: Callback | None = None,
        key_required: bool = True,
    ) -> None:
        """Register an endpoint, replacing one with the same method and path.

        ``path`` is relative to the site's URL, such as ``"api/items/"``, or a
        compiled pattern that must match all of it. The answer is ``status``
        with ``json`` (sent as JSON) or ``body``, plus ``headers``;
        ``content_type`` defaults to JSON or plain text accordingly. Instead,
        ``callback`` may answer: it gets the ``SentRequest`` and returns
        ``(status, headers, body)``. With ``key_required`` false, a request
        without a valid key is answered too, and its ``key`` is None.
        """
        if sum(value is not None for value in (json, body, callback)) > 1:
            raise ValueError("Give at most one of json, body and callback.")
        if json is not None:
            payload = json_module.dumps(json).encode()
            default_type = "application/json"
        else:
            payload = body.encode() if isinstance(body, str) else (body or b"")
            default_type = "text/plain; charset=utf-8"
        answer_headers = {"Content-Type": content_type or default_type}
        answer_headers.update(headers or {})
        endpoint = _Endpoint(
            method=method.upper(),
            path=_relative(path),
            status=status,
            headers=answer_headers,
            body=payload,
            callback=callback,
            key_required=key_required,
        )
        with self._lock:
            self._endpoints = [
                known
                for known in self._endpoints
                if (known.method, known.path) != (endpoint.method, endpoint.path)
            ]
            self._endpoints.append(endpoint)

    def fail(
        self,
        method: str,
        path: str,
        status: int = 503,
        *,
        times: int = 1,
        retry_after: int | str | None = None,
        body: Body = "",
    ) -> None:
        """Answer the next ``times`` requests to ``path`` with ``status``.

        The failure comes before the key is checked, as from a proxy or a
        rate limiter in front of the site. ``retry_after`` is sent as the
        ``Retry-After`` header, in seconds or as an HTTP date. Failures
        queued for the same path are used up in order.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"A failure needs a status from 400 to 599; got {status}.")
        if times < 1:
            raise ValueError(f"times must be 1 or more; got {times}.")
        failure = _Failure(
            status=status,
            retry_after=retry_after,
            body=body.encode() if isinstance(body, str) else body,
            remaining=times,
        )
        with self._lock:
            queue = self._failures.setdefault((method.upper(), path.lstrip("/")), [])
            queue.append(failure)

    def throttle(
        self, method: str, path: str, *, retry_after: int | str = 1, times: int = 1
    ) -> None:
        """Answer the next ``times`` requests to ``path`` with 429.

        ``retry_after`` is sent as the ``Retry-After`` header.
        """
        self.fail(method, path, 429, times=times, retry_after=retry_after)

    def requests_to(self, method: str, path: str) -> list[SentRequest]:
        """Return the requests received for one method and path."""
        wanted = (method.upper(), path.lstrip("/"))
        return [sent for sent in self.requests if (sent.method, sent.path) == wanted]

    def environ(self, key: FakeKey | None = None) -> dict[str, str]:
        """Return the variables ``Client.from_env()`` reads, for ``key``.

        ``key`` defaults to the site's ``key``. Set them with
        ``monkeypatch.setenv`` to run a robot that configures itself from
        the environment.
        """
        key = self.key if key is None else key
        return {
            "VALET_KEYS_URL": self.url,
            "VALET_KEY_ID": key.key_id,
            "VALET_KEY_SECRET": key.secret,
        }

    def client(self, key: FakeKey | None = None, **options: Any) -> Client:
        """Return a ``valet_keys_client.Client`` for this site and ``key``.

        ``key`` defaults to the site's ``key``; ``options`` are passed to
        ``Client``. Unless ``retries`` is given, the client retries as by
        default but does not sleep between retries: it appends each wait to
        ``sleeps`` instead, so that a test of retries takes no time.
        """
        from valet_keys_client import Client, Retries

        key = self.key if key is None else key
        options.setdefault("retries", Retries(sleep=self.sleeps.append))
        return Client(self.url, key.key_id, key.secret, **options)

    def _answer(self, prepared: PreparedRequest) -> Answer:
        """Answer one request; ``responses`` calls it."""
        url = prepared.url or self.url
        parts = urllib.parse.urlsplit(url)
        path = urllib.parse.unquote(parts.path)
        path = path[len(self._prefix) :] if path.startswith(self._prefix) else path
        method = (prepared.method or "GET").upper()
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(
            {
                name: value.decode("latin-1") if isinstance(value, bytes) else value
                for name, value in prepared.headers.items()
            }
        )
        key_id, key = self._authenticate(headers.get("Authorization"))
        sent = SentRequest(
            method=method,
            url=url,
            path=path,
            query=urllib.parse.parse_qs(parts.query, keep_blank_values=True),
            headers=headers,
            body=body_bytes(prepared.body),
            key_id=key_id,
            key=key,
        )
        with self._lock:
            self.requests.append(sent)
            answer = self._route(sent)
        sent.status = answer[0]
        return answer

    def _authenticate(self, header: str | None) -> tuple[str | None, FakeKey | None]:
        """Return the identifier presented and the key accepted, if any."""
        if not header:
            return None, None
        try:
            key_id, secret = parse_basic_authorization(header)
        except InvalidCredentials:
            return None, None
        if KEY_ID_PATTERN.fullmatch(key_id) is None or not has_valid_checksum(secret):
            return key_id, None
        key = self._keys.get(key_id)
        if key is None or not hmac.compare_digest(key.secret, secret):
            return key_id, None
        return key_id, key if key.is_usable else None

    def _route(self, sent: SentRequest) -> Answer:
        failures = self._failures.get((sent.method, sent.path))
        if failures:
            failure = failures[0]
            failure.remaining -= 1
            if not failure.remaining:
                failures.pop(0)
            failure_headers = {"Content-Type": "text/plain; charset=utf-8"}
            if failure.retry_after is not None:
                failure_headers["Retry-After"] = str(failure.retry_after)
            return failure.status, failure_headers, failure.body

        for endpoint in reversed(self._endpoints):
            if endpoint.method == sent.method and endpoint.matches(sent.path):
                if endpoint.key_required and sent.key is None:
                    return self._unauthorized()
                if endpoint.callback is not None:
                    return endpoint.callback(sent)
                return endpoint.status, dict(endpoint.headers), endpoint.body

        if sent.path == WHOAMI_PATH:
            return self._whoami(sent)
        allowed = sorted(
            {
                endpoint.method
                for endpoint in self._endpoints
                if endpoint.matches(sent.path)
            }
        )
        if allowed:
            return 405, {"Allow": ", ".join(allowed)}, b""
        return (
            404,
            {"Content-Type": "text/plain; charset=utf-8"},
            f"The fake site has no endpoint for {sent.method} {sent.path}; "
            f"register one with add().\n".encode(),
        )

    def _unauthorized(self) -> Answer:
        realm = self.realm.replace("\\", "\\\\").replace('"', '\\"')
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "WWW-Authenticate": f'Basic realm="{realm}", charset="UTF-8"',
        }
        return 401, headers, UNAUTHORIZED_BODY

    def _whoami(self, sent: SentRequest) -> Answer:
        if sent.method != "GET":
            return 405, {"Allow": "GET"}, b""
        if sent.key is None:
            return self._unauthorized()
        key = sent.key
        payload = {
            "key_id": key.key_id,
            "user": key.user,
            "description": key.description,
            "created": key.created.isoformat(),
            "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        }
        return 200, {"Content-Type": "application/json"}, json_module.dumps(payload)


def _relative(path: str | re.Pattern[str]) -> str | re.Pattern[str]:
    """Return a path relative to the site's root, as endpoints store it."""
    return path.lstrip("/") if isinstance(path, str) else path
