"""Real connections to 127.0.0.1: refused, silent, and answered."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from valet_keys_client import Client, ConnectError, Timeout

from .support import AUTHORIZATION, KEY_ID, SECRET, WHOAMI, Answer


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Return a port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_connection_refused_raises_connect_error(closed_port, sleeps):
    url = f"http://127.0.0.1:{closed_port}/"

    with (
        Client(url, KEY_ID, SECRET, retries=0) as client,
        pytest.raises(ConnectError) as caught,
    ):
        client.get("items/")

    assert str(caught.value) == (
        f"GET {url}items/ failed: could not connect: Connection refused"
    )
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
    assert caught.value.request.url == f"{url}items/"
    assert caught.value.response is None


def test_site_that_never_answers_raises_timeout(silent_port):
    url = f"http://127.0.0.1:{silent_port}/"

    with (
        Client(url, KEY_ID, SECRET, timeout=(2, 0.05), retries=0) as client,
        pytest.raises(Timeout) as caught,
    ):
        client.get("items/")

    assert str(caught.value) == (
        f"GET {url}items/ timed out: no response within 0.05 s; raise the read "
        f"timeout if the site is slow"
    )
    assert isinstance(caught.value.__cause__, requests.ReadTimeout)
    assert isinstance(caught.value, TimeoutError)


def test_real_round_trip_sends_the_exact_header(serve):
    url, received = serve(lambda request: Answer.json(WHOAMI))

    with Client(url, KEY_ID, SECRET) as client:
        info = client.whoami()

    assert info.user == "zoë"
    assert [(r.method, r.path) for r in received] == [("GET", "/keys/whoami/")]
    assert received[0].headers["Authorization"] == AUTHORIZATION


def test_real_round_trip_retries_a_busy_site(serve, retries, sleeps):
    statuses = [503, 200]
    url, received = serve(
        lambda request: Answer(statuses.pop(0), b"done", {"Retry-After": "1"})
    )

    with Client(url, KEY_ID, SECRET, retries=retries) as client:
        response = client.get("items/")

    assert response.text == "done"
    assert len(received) == 2
    assert sleeps == [1.0]
