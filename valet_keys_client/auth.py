"""Present a valet key on requests made with the requests library."""

from __future__ import annotations

import hmac

import requests
from requests.auth import AuthBase

from valet_keys.credentials import basic_authorization

__all__ = ["ValetKeyAuth"]


class ValetKeyAuth(AuthBase):
    """Authenticate a request with a valet key, as HTTP Basic.

    ``key_id`` is the key's public identifier and ``secret`` its secret. Use
    it wherever requests takes ``auth=``::

        requests.get(url, auth=ValetKeyAuth(key_id, secret))

    Both halves are encoded as UTF-8, as the app decodes them. The secret is
    kept only inside the header value, which no ``repr``, comparison or hash
    reveals. Unlike ``Client``, this class does not check the credential's
    format, so it can present any value, even one a site will refuse.
    """

    def __init__(self, key_id: str, secret: str) -> None:
        self.key_id = key_id
        self._authorization = basic_authorization(key_id, secret)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._authorization
        return request

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ValetKeyAuth):
            return NotImplemented
        # Compare in constant time, so that comparing against a guess tells
        # nothing about how much of it was right.
        return hmac.compare_digest(self._authorization, other._authorization)

    def __hash__(self) -> int:
        # Equal credentials share their identifier; hashing the identifier
        # alone keeps the secret out of anything derived from the hash.
        return hash((ValetKeyAuth, self.key_id))

    def __repr__(self) -> str:
        return f"ValetKeyAuth(key_id={self.key_id!r}, secret=<hidden>)"
