"""Generate, check and encode valet key credentials.

This module is shared by the Django app and by the robot's SDK, so it must
import nothing from Django.

A credential has two halves, sent as the user name and password of HTTP Basic
authentication:

- the *key identifier*, ``vk_`` followed by random letters and digits, which
  is public and names the key in lists and logs;
- the *secret*, ``vks_`` followed by random letters and digits and a
  six-character checksum, which is shown once and stored only as a digest.

The checksum is CRC32 of everything before it, written in base62. It lets
either side reject a mistyped or truncated secret without asking the
database, and lets secret scanners recognise a leaked one with few false
positives (see ``SECRET_PATTERN``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import string
import zlib
from typing import NamedTuple

__all__ = [
    "CHECKSUM_LENGTH",
    "KEY_ID_PATTERN",
    "KEY_ID_PREFIX",
    "KEY_ID_RANDOM_LENGTH",
    "SECRET_PATTERN",
    "SECRET_PREFIX",
    "SECRET_RANDOM_LENGTH",
    "BasicCredentials",
    "InvalidCredentials",
    "basic_authorization",
    "digest_secret",
    "generate_key_id",
    "generate_secret",
    "has_valid_checksum",
    "parse_basic_authorization",
]

KEY_ID_PREFIX = "vk_"
SECRET_PREFIX = "vks_"  # noqa: S105 (a prefix, not a secret)

# Digits first, so that base62 sorts the way numbers do.
ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase

# 20 characters of base62 are about 119 bits: collisions between generated
# identifiers are not a practical concern, and they stay short enough to read.
KEY_ID_RANDOM_LENGTH = 20

# 32 characters of base62 are about 190 bits, above the 160 the design asks
# for. With this much entropy a fast digest is as safe as a slow hash.
SECRET_RANDOM_LENGTH = 32

# CRC32 is below 62**6, so six base62 characters always hold it.
CHECKSUM_LENGTH = 6

KEY_ID_PATTERN = re.compile(rf"{KEY_ID_PREFIX}[0-9A-Za-z]{{{KEY_ID_RANDOM_LENGTH}}}")
SECRET_PATTERN = re.compile(
    rf"{SECRET_PREFIX}[0-9A-Za-z]{{{SECRET_RANDOM_LENGTH + CHECKSUM_LENGTH}}}"
)

# Far longer than any credential this module makes; a header above it is
# rejected before it is decoded, so a huge header costs no work.
MAX_AUTHORIZATION_LENGTH = 512


class InvalidCredentials(ValueError):
    """An Authorization header or credential that cannot be used.

    The message names the reason and never contains the secret.
    """


class BasicCredentials(NamedTuple):
    """The two halves of a credential as read from an Authorization header."""

    key_id: str
    secret: str

    def __repr__(self) -> str:
        return f"BasicCredentials(key_id={self.key_id!r}, secret=<hidden>)"


def _random_base62(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(ALPHABET[remainder])
    return "".join(reversed(digits)).rjust(width, ALPHABET[0])


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), CHECKSUM_LENGTH)


_DIGIT_VALUES = {character: value for value, character in enumerate(ALPHABET)}


def generate_key_id() -> str:
    """Return a new random key identifier, such as ``vk_3fZ0...``."""
    return KEY_ID_PREFIX + _random_base62(KEY_ID_RANDOM_LENGTH)


def generate_secret() -> str:
    """Return a new random secret that ends with its checksum."""
    body = SECRET_PREFIX + _random_base62(SECRET_RANDOM_LENGTH)
    return body + _checksum(body)


def has_valid_checksum(secret: str) -> bool:
    """Tell whether ``secret`` has the shape and checksum of a real secret.

    A secret that was mistyped, truncated or copied with extra characters
    fails this check; a well-formed secret that belongs to no key passes it.
    """
    if SECRET_PATTERN.fullmatch(secret) is None:
        return False
    body, checksum = secret[:-CHECKSUM_LENGTH], secret[-CHECKSUM_LENGTH:]
    # Decoding six digits is cheaper than encoding them, and this runs on
    # every request. The checksum is no secret: it follows from the rest of
    # what the client sent, so a plain comparison leaks nothing.
    presented = 0
    for character in checksum:
        presented = presented * 62 + _DIGIT_VALUES[character]
    return presented == zlib.crc32(body.encode("ascii"))


def digest_secret(secret: str) -> str:
    """Return the hexadecimal SHA-256 digest of ``secret``, as stored."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def basic_authorization(key_id: str, secret: str) -> str:
    """Return the value of an ``Authorization`` header for this credential."""
    token = f"{key_id}:{secret}".encode()
    return "Basic " + base64.b64encode(token).decode("ascii")


def parse_basic_authorization(header: str) -> BasicCredentials:
    """Read the key identifier and secret from an ``Authorization`` header.

    The scheme is matched without regard to case, and the secret is
    everything after the first colon, so it may contain colons itself.
    Raise ``InvalidCredentials`` with the reason when the header is not
    usable Basic authentication.
    """
    if len(header) > MAX_AUTHORIZATION_LENGTH:
        raise InvalidCredentials("header too long")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise InvalidCredentials("not the Basic scheme")
    if not token.strip():
        raise InvalidCredentials("no credentials after the scheme")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCredentials("malformed base64") from None
    key_id, colon, secret = decoded.partition(":")
    if not colon:
        raise InvalidCredentials("no colon between identifier and secret")
    if not key_id or not secret:
        raise InvalidCredentials("empty identifier or secret")
    return BasicCredentials(key_id, secret)
