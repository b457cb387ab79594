"""The credential a site-side fixture hands to a test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from valet_keys.credentials import basic_authorization

if TYPE_CHECKING:
    from valet_keys.models import Key

__all__ = ["MintedKey"]


@dataclass(frozen=True, repr=False)
class MintedKey:
    """A key minted for a test, with the secret that only exists at minting.

    ``key`` is the saved ``valet_keys.models.Key`` and ``secret`` its
    plaintext secret. The other attributes are derived from them: ``key_id``,
    ``user`` (the key's owner), ``auth`` (the ``(key_id, secret)`` pair that
    requests takes as ``auth=``) and ``authorization`` (the value of an
    ``Authorization`` header). The ``repr`` leaves the secret out, so that it
    stays out of test reports.
    """

    key: Key
    secret: str

    @property
    def key_id(self) -> str:
        """Return the key's public identifier."""
        return self.key.key_id

    @property
    def user(self) -> Any:
        """Return the user who owns the key."""
        return self.key.user

    @property
    def auth(self) -> tuple[str, str]:
        """Return the ``(key_id, secret)`` pair for requests' ``auth=``."""
        return (self.key.key_id, self.secret)

    @property
    def authorization(self) -> str:
        """Return the value of an ``Authorization`` header for this key."""
        return basic_authorization(self.key.key_id, self.secret)

    def __repr__(self) -> str:
        return f"<MintedKey {self.key.key_id} of {self.key.user}>"
