"""Fixtures for the SDK's tests, which need neither a database nor a site."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator

import pytest
import responses

from valet_keys_client import Client, Retries

from .support import BASE_URL, KEY_ID, SECRET, Answer, Received, local_site


@pytest.fixture
def sleeps() -> list[float]:
    """Collect the waits between retries, which tests never sleep through."""
    return []


@pytest.fixture
def retries(sleeps: list[float]) -> Retries:
    """Retry three times without jitter, recording the waits in ``sleeps``."""
    return Retries(total=3, jitter=0, sleep=sleeps.append)


@pytest.fixture
def client(retries: Retries) -> Iterator[Client]:
    with Client(BASE_URL, KEY_ID, SECRET, retries=retries) as client:
        yield client


@pytest.fixture
def site() -> Iterator[responses.RequestsMock]:
    """Stand in for the site; every registered answer must be asked for."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def serve() -> Iterator[
    Callable[[Callable[[Received], Answer]], tuple[str, list[Received]]]
]:
    """Start local sites that answer with a function, until the test ends.

    Calling the fixture with the function returns the site's URL and the
    list of requests it received.
    """
    with contextlib.ExitStack() as stack:
        yield lambda answer: stack.enter_context(local_site(answer))
