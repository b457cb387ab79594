"""Shared fixtures, and the check that the chosen database answers."""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import caches

from valet_keys.models import Key

_SERVERS = {
    "postgresql": ("PostgreSQL", 5432),
    "mariadb": ("MariaDB", 3306),
}


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    vendor = settings.DATABASE_VENDOR
    if vendor not in _SERVERS:
        return
    name, port = _SERVERS[vendor]
    if _answers(port):
        return
    message = f"{name} does not answer on 127.0.0.1:{port}"
    # On CI every database must be there: a silent skip would let a broken
    # service pass as a green run.
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        raise pytest.UsageError(message + "; CI=true requires it.")
    skip = pytest.mark.skip(reason=message)
    for item in items:
        item.add_marker(skip)


@pytest.fixture(autouse=True)
def _forget_failed_attempts() -> None:
    """Start every test with no failed attempts counted.

    Failures are throttled through the default cache, which lives in this
    process for the whole run; failures made on purpose by one test would
    otherwise add up and throttle a later one.
    """
    caches["default"].clear()


def basic_auth(key_id: str, secret: str) -> str:
    """Return an Authorization header value, written out by hand.

    Tests build the header themselves rather than with the library's own
    encoder, so that a bug there cannot hide a bug in the decoder.
    """
    token = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    return f"Basic {token}"


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    """Create users without a usable password, so no hasher runs."""
    created = 0

    def make(username: str | None = None, **fields: object) -> User:
        nonlocal created
        created += 1
        user = User(username=username or f"person{created}", **fields)
        user.set_unusable_password()
        user.save()
        return user

    return make


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user("ada")


@pytest.fixture
def other_user(make_user: Callable[..., User]) -> User:
    return make_user("mallory")


@pytest.fixture
def minted(user: User) -> tuple[Key, str]:
    return Key.objects.mint(user, "Nightly backup robot")


@pytest.fixture
def key(minted: tuple[Key, str]) -> Key:
    return minted[0]


@pytest.fixture
def secret(minted: tuple[Key, str]) -> str:
    return minted[1]


@pytest.fixture
def authorization(key: Key, secret: str) -> str:
    return basic_auth(key.key_id, secret)
