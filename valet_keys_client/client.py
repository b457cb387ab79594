"""The client a robot uses to call a site that accepts valet keys."""

from __future__ import annotations

import logging
import math
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self, overload

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import default_user_agent

from valet_keys import __version__
from valet_keys.credentials import (
    CHECKSUM_LENGTH,
    KEY_ID_PATTERN,
    KEY_ID_PREFIX,
    KEY_ID_RANDOM_LENGTH,
    SECRET_PATTERN,
    SECRET_PREFIX,
    SECRET_RANDOM_LENGTH,
    has_valid_checksum,
)

from ._http import url_without_credentials
from .auth import ValetKeyAuth
from .exceptions import (
    ConfigurationError,
    HTTPError,
    MalformedCredentials,
    UnexpectedResponse,
    ValetKeyError,
    error_for_response,
    error_for_transport_failure,
)
from .retries import IDEMPOTENT_METHODS, Retries

__all__ = [
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WHOAMI_PATH",
    "Client",
    "KeyInfo",
]

logger = logging.getLogger("valet_keys_client")

# Connecting to a healthy site takes milliseconds, so a few seconds tell a
# dead one quickly; a view may take a while to answer, so reading waits
# longer. Without a timeout requests would wait forever.
DEFAULT_TIMEOUT = (5.0, 30.0)
DEFAULT_RETRIES = Retries()
DEFAULT_WHOAMI_PATH = "keys/whoami/"

URL_VARIABLE = "VALET_KEYS_URL"
KEY_ID_VARIABLE = "VALET_KEY_ID"
SECRET_VARIABLE = "VALET_KEY_SECRET"  # noqa: S105 (a name, not a secret)

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"

SECRET_LENGTH = len(SECRET_PREFIX) + SECRET_RANDOM_LENGTH + CHECKSUM_LENGTH

TimeoutValue = float | tuple[float, float]
Params = Mapping[str, Any] | list[tuple[str, Any]] | str
# Only bodies that can be sent twice: a retry must send the same body again,
# and a file or generator would be empty the second time.
Data = str | bytes | Mapping[str, Any] | list[tuple[str, Any]]


@dataclass(frozen=True)
class KeyInfo:
    """What a site says about the key a robot presented.

    ``user`` is the user name of the key's owner, or None when the owner's
    account is gone; ``expires_at`` is None for a key that never expires.
    """

    key_id: str
    user: str | None
    description: str
    created: datetime
    expires_at: datetime | None

    @classmethod
    def from_response(cls, response: requests.Response) -> KeyInfo:
        """Read the answer of the app's ``whoami`` endpoint.

        Raise ``UnexpectedResponse`` when the body is not the JSON object
        that endpoint sends, which usually means the URL leads elsewhere.
        """
        try:
            data = response.json()
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            key_id = _text(data, "key_id")
            user = _text(data, "user", optional=True)
            description = _text(data, "description")
            created = _text(data, "created")
            expires_at = _text(data, "expires_at", optional=True)
            return cls(
                key_id=key_id,
                user=user,
                description=description,
                created=datetime.fromisoformat(created),
                expires_at=(
                    None if expires_at is None else datetime.fromisoformat(expires_at)
                ),
            )
        except ValueError as exc:
            # requests' JSONDecodeError is a ValueError too; its message
            # says where the text stopped being JSON.
            method = response.request.method
            url = url_without_credentials(response.url)
            raise UnexpectedResponse(
                f"{method} {url} answered {response.status_code} without the "
                f"key's description ({exc}); check that the client's base_url "
                f"is the site's root and that the whoami path is right",
                response=response,
            ) from None


@overload
def _text(data: dict[str, object], name: str) -> str: ...
@overload
def _text(data: dict[str, object], name: str, *, optional: bool) -> str | None: ...
def _text(data: dict[str, object], name: str, *, optional: bool = False) -> str | None:
    if name not in data:
        raise ValueError(f"no {name!r} field")
    value = data[name]
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"the {name!r} field is not a string")
    return value


class Client:
    """Call a site's views with a valet key.

    ``base_url`` is the root of the site, such as ``https://example.com/``;
    every path the methods take is relative to it, even one that starts
    with a slash. ``key_id`` and ``secret`` are the two halves of the key.

    ``timeout`` is the seconds to wait for a connection and then for an
    answer, as a (connect, read) pair or one number for both; every request
    has one. ``retries`` is a ``Retries`` policy, or the most retries as a
    number with the other settings at their defaults. ``session`` is a
    ``requests.Session`` to send requests through, with its adapters,
    proxies and certificates; the client makes its own when it is None, and
    closes only a session it made. ``user_agent_extra`` is added to the
    ``User-Agent`` header, to name the robot to the site's operators.

    Raise ``MalformedCredentials`` when the key identifier or the secret
    does not have the valet key format (a mistyped or truncated secret
    fails its checksum), and ``ConfigurationError`` for any other setting
    that cannot work. Both happen here, before any request is sent.

    A client is not safe to share between threads, as a ``requests.Session``
    is not; give each thread its own.
    """

    def __init__(
        self,
        base_url: str,
        key_id: str,
        secret: str,
        *,
        timeout: TimeoutValue = DEFAULT_TIMEOUT,
        retries: int | Retries = DEFAULT_RETRIES,
        session: requests.Session | None = None,
        user_agent_extra: str | None = None,
    ) -> None:
        self.base_url = _check_base_url(base_url)
        _check_credentials(key_id, secret)
        self.auth = ValetKeyAuth(key_id, secret)
        self.timeout = _check_timeout(timeout)
        self.retries = (
            retries if isinstance(retries, Retries) else Retries(total=retries)
        )
        self.user_agent = _user_agent(user_agent_extra)
        self._owns_session = session is None
        self.session = requests.Session() if session is None else session

    @classmethod
    def from_env(
        cls,
        *,
        base_url: str | None = None,
        key_id: str | None = None,
        secret: str | None = None,
        timeout: TimeoutValue = DEFAULT_TIMEOUT,
        retries: int | Retries = DEFAULT_RETRIES,
        session: requests.Session | None = None,
        user_agent_extra: str | None = None,
    ) -> Self:
        """Make a client from the environment.

        Read the base URL from ``VALET_KEYS_URL``, the key identifier from
        ``VALET_KEY_ID`` and the secret from ``VALET_KEY_SECRET``, ignoring
        spaces and line breaks around them. A keyword argument given here
        wins over its variable; the other options are those of ``Client``.

        Raise ``ConfigurationError`` naming the variable that is missing.
        """
        return cls(
            _from_env(URL_VARIABLE, base_url, "base_url"),
            _from_env(KEY_ID_VARIABLE, key_id, "key_id"),
            _from_env(SECRET_VARIABLE, secret, "secret"),
            timeout=timeout,
            retries=retries,
            session=session,
            user_agent_extra=user_agent_extra,
        )

    @property
    def key_id(self) -> str:
        """Return the identifier of the key the client presents."""
        return self.auth.key_id

    def __repr__(self) -> str:
        return f"<Client base_url={self.base_url!r} key_id={self.key_id!r}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session, unless it was given to the client."""
        if self._owns_session:
            self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Data | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutValue | None = None,
        idempotency_key: str | None = None,
        allow_redirects: bool = True,
    ) -> requests.Response:
        """Send a request with the key and return the successful response.

        ``path`` is relative to the base URL and may carry a query string;
        ``params`` adds to it. Send ``json`` as a JSON body or ``data`` as a
        form (from a mapping) or as it is (from text or bytes). ``headers``
        are added to the client's own. ``timeout`` replaces the client's
        timeout for this call. ``idempotency_key`` is sent as the
        ``Idempotency-Key`` header, which tells a site that supports it to
        perform a repeated request only once, and lets the client retry a
        POST or PATCH; a header of that name in ``headers`` does the same.
        ``allow_redirects`` is as in requests, which drops the key when a
        redirect leads to another host.

        Retry as ``retries`` says, then raise ``HTTPError`` (a subclass of it
        for the common statuses) for an answer of 400 or more, or
        ``TransportError`` when no answer came.
        """
        method = method.upper()
        url = self._url(path)
        headers = self._headers(headers, idempotency_key)
        timeout = self.timeout if timeout is None else _check_timeout(timeout)
        # Sending again a request that is not idempotent could perform it
        # twice, unless the site deduplicates it by its idempotency key.
        retryable = method in IDEMPOTENT_METHODS or IDEMPOTENCY_KEY_HEADER in headers

        retry = 0
        while True:
            error: ValetKeyError | None
            cause: requests.RequestException | None = None
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    auth=self.auth,
                    timeout=timeout,
                    allow_redirects=allow_redirects,
                )
            except requests.RequestException as exc:
                error = error_for_transport_failure(
                    exc, method=method, url=url, timeout=timeout
                )
                if error is None:
                    raise
                cause = exc
            else:
                error = error_for_response(response)
                if error is None:
                    return response

            retry += 1
            delay = self.retries.delay(retry, error) if retryable else None
            if delay is None:
                raise error from cause
            if isinstance(error, HTTPError):
                error.response.close()
            logger.debug(
                "Retrying %s %s in %.2f s after %s (retry %d of %d)",
                method,
                url_without_credentials(url),
                delay,
                _short_reason(error),
                retry,
                self.retries.total,
            )
            self.retries.wait(delay)

    def get(
        self,
        path: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutValue | None = None,
        allow_redirects: bool = True,
    ) -> requests.Response:
        """Send a GET request; see ``request`` for the options."""
        return self.request(
            "GET",
            path,
            params=params,
            headers=headers,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def post(
        self,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Data | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutValue | None = None,
        idempotency_key: str | None = None,
        allow_redirects: bool = True,
    ) -> requests.Response:
        """Send a POST request; see ``request`` for the options.

        A POST is retried only when it has an idempotency key.
        """
        return self.request(
            "POST",
            path,
            params=params,
            json=json,
            data=data,
            headers=headers,
            timeout=timeout,
            idempotency_key=idempotency_key,
            allow_redirects=allow_redirects,
        )

    def put(
        self,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Data | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutValue | None = None,
        allow_redirects: bool = True,
    ) -> requests.Response:
        """Send a PUT request; see ``request`` for the options."""
        return self.request(
            "PUT",
            path,
            params=params,
            json=json,
            data=data,
            headers=headers,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def patch(
        self,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Data | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutValue | None = None,
        idempotency_key: str | None = None,
        allow_redirects: bool = True,
    ) -> requests.Response:
        """Send a PATCH request; see ``request`` for the options.

        A PATCH is retried only when it has an idempotency key.
        """
        return self.request(
            "PATCH",
            path,
            params=params,
            json=json,
            data=data,
            headers=headers,
            timeout=timeout,
            idempotency_key=idempotency_key,
            allow_redirects=allow_redirects,
        )

    def delete(
        self,
        path: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutValue | None = None,
        allow_redirects: bool = True,
    ) -> requests.Response:
        """Send a DELETE request; see ``request`` for the options."""
        return self.request(
            "DELETE",
            path,
            params=params,
            headers=headers,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def whoami(self, *, path: str = DEFAULT_WHOAMI_PATH) -> KeyInfo:
        """Ask the site which key this is, to check that it works.

        ``path`` is where the site mounted the app's ``whoami`` view,
        relative to the base URL; the default fits a site that includes the
        app's URLs under ``keys/``.

        Raise ``Unauthorized`` when the site does not accept the key, and
        ``UnexpectedResponse`` when the answer is not a key's description.
        """
        return KeyInfo.from_response(self.get(path))

    def _url(self, path: str) -> str:
        parts = urllib.parse.urlsplit(path)
        # The key goes only to the site it was made for: an absolute URL
        # would send it wherever the URL leads.
        if parts.scheme or parts.netloc:
            raise ConfigurationError(
                f"{path!r} is not a path: the client sends its key only to "
                f"{self.base_url}; pass a path relative to it, such as "
                f"'api/items/'."
            )
        return self.base_url + path.lstrip("/")

    def _headers(
        self, headers: Mapping[str, str] | None, idempotency_key: str | None
    ) -> CaseInsensitiveDict[str]:
        merged: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        merged["User-Agent"] = self.user_agent
        if headers is not None:
            merged.update(headers)
        if idempotency_key is not None:
            if not idempotency_key:
                raise ConfigurationError(
                    "idempotency_key must not be empty: pass a value unique to "
                    "the operation, such as a UUID, or None."
                )
            merged[IDEMPOTENCY_KEY_HEADER] = idempotency_key
        return merged


def _short_reason(error: ValetKeyError) -> str:
    if isinstance(error, HTTPError):
        return f"status {error.status_code}"
    return type(error).__name__


def _check_base_url(base_url: str) -> str:
    try:
        parts = urllib.parse.urlsplit(base_url)
    except ValueError:
        parts = None
    # A base URL with a password must not be quoted in the message.
    if parts is not None and "@" in parts.netloc:
        raise ConfigurationError(
            "base_url must not contain a user name or password: the client "
            "authenticates with the key instead."
        )
    if parts is None or parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigurationError(
            f"base_url {base_url!r} is not an http or https URL; pass the "
            f"site's root, such as 'https://example.com/'."
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(
            f"base_url {base_url!r} must not have a query or a fragment; pass "
            f"the site's root, such as 'https://example.com/'."
        )
    return base_url.rstrip("/") + "/"


def _check_credentials(key_id: str, secret: str) -> None:
    # The identifier is public and can be quoted, unless it is in fact the
    # secret, pasted in the wrong place.
    if SECRET_PREFIX in key_id:
        raise MalformedCredentials(
            f"The key identifier looks like a secret (it contains "
            f"{SECRET_PREFIX!r}); pass the identifier, which starts with "
            f"{KEY_ID_PREFIX!r}, as key_id and the secret as secret."
        )
    if KEY_ID_PATTERN.fullmatch(key_id) is None:
        raise MalformedCredentials(
            f"The key identifier {key_id!r} is not a valet key identifier, "
            f"which is {KEY_ID_PREFIX!r} followed by {KEY_ID_RANDOM_LENGTH} "
            f"letters and digits; copy it again from the site's list of keys."
        )
    if has_valid_checksum(secret):
        return

    if secret != secret.strip():
        problem = "it has spaces or line breaks around it"
    elif not secret.startswith(SECRET_PREFIX):
        problem = f"it does not start with {SECRET_PREFIX!r}"
    elif len(secret) != SECRET_LENGTH:
        problem = f"it has {len(secret)} characters where a secret has {SECRET_LENGTH}"
    elif SECRET_PATTERN.fullmatch(secret) is None:
        problem = "it has characters other than letters and digits"
    else:
        problem = "its checksum does not match"
    raise MalformedCredentials(
        f"The secret looks mistyped or truncated: {problem}. Copy it again "
        f"from where it was shown when the key was made, or make a new key; "
        f"no request was sent with it."
    )


def _check_timeout(timeout: TimeoutValue) -> TimeoutValue:
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    valid = (not isinstance(timeout, tuple) or len(timeout) == 2) and all(
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0 < value < math.inf
        for value in values
    )
    if not valid:
        raise ConfigurationError(
            f"timeout={timeout!r} is not usable: pass a number of seconds "
            f"above zero, or a (connect, read) pair of them."
        )
    return timeout


def _user_agent(extra: str | None) -> str:
    agent = f"valet-keys-client/{__version__} {default_user_agent()}"
    if extra is None:
        return agent
    # A header value must stay on one line, in ASCII, to be sent at all.
    if not extra.strip() or not extra.isascii() or not extra.isprintable():
        raise ConfigurationError(
            f"user_agent_extra={extra!r} must be printable ASCII on one line, "
            f"such as 'inventory-robot/1.2'."
        )
    return f"{agent} {extra.strip()}"


def _from_env(variable: str, value: str | None, argument: str) -> str:
    if value is not None:
        return value
    value = os.environ.get(variable, "").strip()
    if not value:
        raise ConfigurationError(
            f"{variable} is not set: set it in the environment, or pass "
            f"{argument}= to Client.from_env()."
        )
    return value
