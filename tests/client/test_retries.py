"""Retries: which requests are sent again, how often, and after how long."""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime

import pytest
import requests

from valet_keys_client import (
    Client,
    ConfigurationError,
    ConnectError,
    HTTPError,
    Retries,
    ServerError,
    Timeout,
    TooManyRequests,
)
from valet_keys_client._http import parse_retry_after

from .support import BASE_URL, KEY_ID, SECRET

URL = f"{BASE_URL}items/"


def _answer(site, method, *statuses, headers=None):
    for status in statuses:
        site.add(method, URL, status=status, headers=headers or {})


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_passing_failures_are_retried_until_success(client, site, sleeps, status):
    _answer(site, "GET", status, status, 200)

    response = client.get("items/")

    assert response.status_code == 200
    assert len(site.calls) == 3
    assert sleeps == [0.5, 1.0]


def test_retries_stop_after_total_and_raise_with_the_last_response(
    client, site, sleeps
):
    _answer(site, "GET", 503, 503, 503, 502)

    with pytest.raises(ServerError, match=r"^502 Bad Gateway for GET") as caught:
        client.get("items/")

    assert caught.value.response.status_code == 502
    assert len(site.calls) == 4
    assert sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 500, 501])
def test_lasting_failures_are_not_retried(client, site, sleeps, status):
    _answer(site, "GET", status)

    with pytest.raises(HTTPError):
        client.get("items/")

    assert len(site.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
def test_idempotent_methods_are_retried(client, site, sleeps, method):
    _answer(site, method, 503, 200)

    client.request(method, "items/")

    assert len(site.calls) == 2


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_unsafe_methods_without_an_idempotency_key_are_sent_once(
    client, site, sleeps, method
):
    _answer(site, method, 503)

    with pytest.raises(ServerError):
        client.request(method, "items/", json={"name": "bolt"})

    assert len(site.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_unsafe_methods_with_an_idempotency_key_are_retried(
    client, site, sleeps, method
):
    _answer(site, method, 503, 429, 201)

    response = client.request(
        method, "items/", json={"name": "bolt"}, idempotency_key="run-42-item-7"
    )

    assert response.status_code == 201
    assert [call.request.headers["Idempotency-Key"] for call in site.calls] == [
        "run-42-item-7"
    ] * 3
    assert [call.request.body for call in site.calls] == [b'{"name": "bolt"}'] * 3


def test_idempotency_key_header_given_directly_also_allows_retries(client, site):
    _answer(site, "POST", 503, 201)

    client.post("items/", json={}, headers={"idempotency-key": "abc"})

    assert len(site.calls) == 2


def test_post_convenience_method_is_not_retried_without_a_key(client, site):
    _answer(site, "POST", 429)

    with pytest.raises(TooManyRequests):
        client.post("items/", data={"name": "bolt"})

    assert len(site.calls) == 1


TRANSPORT_FAILURES = [
    pytest.param(requests.ConnectionError("refused"), ConnectError, id="connect"),
    pytest.param(requests.ConnectTimeout("slow"), Timeout, id="connect-timeout"),
    pytest.param(requests.ReadTimeout("slow"), Timeout, id="read-timeout"),
]


@pytest.mark.parametrize(
    "failure",
    [failure.values[0] for failure in TRANSPORT_FAILURES],
    ids=[failure.id for failure in TRANSPORT_FAILURES],
)
def test_transport_failures_of_idempotent_requests_are_retried(
    client, site, sleeps, failure
):
    site.get(URL, body=failure)
    site.get(URL, body=failure)
    site.get(URL, body="at last")

    assert client.get("items/").text == "at last"
    assert sleeps == [0.5, 1.0]


@pytest.mark.parametrize(("failure", "error"), TRANSPORT_FAILURES)
def test_transport_failures_raise_after_the_last_retry(
    client, site, sleeps, failure, error
):
    for _ in range(4):
        site.get(URL, body=failure)

    with pytest.raises(error, match=r"^GET http://site.test/items/ "):
        client.get("items/")

    assert len(site.calls) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_transport_failure_of_a_post_is_not_retried(client, site, sleeps):
    site.post(URL, body=requests.ReadTimeout("slow to answer"))

    with pytest.raises(Timeout):
        client.post("items/", json={})

    assert len(site.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("retry_after", "slept"),
    [
        ("7", [7.0]),
        (" 0 ", [0.0]),
        ("60", [60.0]),
        # A date in the past means "now".
        ("Wed, 21 Oct 2015 07:28:00 GMT", [0.0]),
        # Unreadable: the client falls back on its own backoff.
        ("soon", [0.5]),
        ("-3", [0.5]),
        ("1.5", [0.5]),
    ],
)
def test_retry_after_replaces_the_backoff(client, site, sleeps, retry_after, slept):
    _answer(site, "GET", 503, headers={"Retry-After": retry_after})
    _answer(site, "GET", 200)

    client.get("items/")

    assert sleeps == slept


def test_retry_after_above_the_cap_gives_up_at_once(client, site, sleeps, caplog):
    caplog.set_level(logging.DEBUG, logger="valet_keys_client")
    _answer(site, "GET", 429, headers={"Retry-After": "61"})

    with pytest.raises(TooManyRequests) as caught:
        client.get("items/")

    assert caught.value.retry_after == 61.0
    assert str(caught.value) == (
        "429 Too Many Requests for GET http://site.test/items/: the site asks to "
        "wait 61 s"
    )
    assert len(site.calls) == 1
    assert sleeps == []
    assert caplog.messages == [
        "Not retrying GET http://site.test/items/: Retry-After asks for 61 s, "
        "more than retry_after_max of 60 s"
    ]


def test_retry_after_date_far_ahead_gives_up_at_once(client, site, sleeps):
    _answer(site, "GET", 503, headers={"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"})

    with pytest.raises(ServerError):
        client.get("items/")

    assert sleeps == []


def test_retry_after_cap_can_be_raised(site, sleeps):
    retries = Retries(retry_after_max=3600, sleep=sleeps.append)
    _answer(site, "GET", 429, headers={"Retry-After": "600"})
    _answer(site, "GET", 200)

    with Client(BASE_URL, KEY_ID, SECRET, retries=retries) as client:
        client.get("items/")

    assert sleeps == [600.0]


def test_backoff_doubles_up_to_its_maximum(site, sleeps):
    retries = Retries(total=5, backoff=1, backoff_max=3, jitter=0, sleep=sleeps.append)
    _answer(site, "GET", 503, 503, 503, 503, 503, 200)

    with Client(BASE_URL, KEY_ID, SECRET, retries=retries) as client:
        client.get("items/")

    assert sleeps == [1.0, 2.0, 3.0, 3.0, 3.0]


@pytest.mark.parametrize(
    ("jitter", "random_value", "delays"),
    [
        (0.5, 0.0, [2.0, 4.0, 8.0]),
        (0.5, 1.0, [1.0, 2.0, 4.0]),
        (1.0, 0.25, [1.5, 3.0, 6.0]),
        (0.0, 0.9, [2.0, 4.0, 8.0]),
    ],
)
def test_jitter_takes_a_random_part_of_each_delay(
    monkeypatch, jitter, random_value, delays
):
    monkeypatch.setattr(random, "random", lambda: random_value)
    retries = Retries(backoff=2, jitter=jitter)

    assert [retries.backoff_delay(retry) for retry in (1, 2, 3)] == delays


def test_default_jitter_keeps_delays_between_half_and_all_of_the_backoff():
    retries = Retries(backoff=1, backoff_max=100)

    for retry in range(1, 6):
        delay = retries.backoff_delay(retry)
        assert 2 ** (retry - 1) / 2 <= delay <= 2 ** (retry - 1)


def test_huge_retry_numbers_stay_at_the_maximum():
    assert Retries(backoff_max=30, jitter=0).backoff_delay(10_000) == 30.0


@pytest.mark.parametrize("retries", [0, Retries(total=0)])
def test_zero_retries_sends_once(site, retries):
    _answer(site, "GET", 503)

    with (
        Client(BASE_URL, KEY_ID, SECRET, retries=retries) as client,
        pytest.raises(ServerError),
    ):
        client.get("items/")

    assert len(site.calls) == 1


def test_a_number_of_retries_keeps_the_other_defaults():
    client = Client(BASE_URL, KEY_ID, SECRET, retries=5)

    assert client.retries == Retries(total=5)


def test_default_policy_retries_three_times_from_half_a_second():
    assert Retries() == Retries(
        total=3, backoff=0.5, backoff_max=10.0, jitter=0.5, retry_after_max=60.0
    )


def test_default_sleep_is_time_sleep_looked_up_when_waiting(site, monkeypatch):
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    _answer(site, "GET", 503, headers={"Retry-After": "2"})
    _answer(site, "GET", 200)

    with Client(BASE_URL, KEY_ID, SECRET) as client:
        client.get("items/")

    assert slept == [2.0]


def test_each_retry_is_logged_at_debug(client, site, caplog):
    caplog.set_level(logging.DEBUG, logger="valet_keys_client")
    _answer(site, "GET", 503, 429, 200)

    client.get("items/")

    assert [(r.name, r.levelno) for r in caplog.records] == [
        ("valet_keys_client", logging.DEBUG)
    ] * 2
    assert caplog.messages == [
        "Retrying GET http://site.test/items/ in 0.50 s after status 503 "
        "(retry 1 of 3)",
        "Retrying GET http://site.test/items/ in 1.00 s after status 429 "
        "(retry 2 of 3)",
    ]


def test_transport_retry_is_logged_with_the_error_class(client, site, caplog):
    caplog.set_level(logging.DEBUG, logger="valet_keys_client")
    site.get(URL, body=requests.ConnectionError("refused"))
    site.get(URL, body="ok")

    client.get("items/")

    assert caplog.messages == [
        "Retrying GET http://site.test/items/ in 0.50 s after ConnectError "
        "(retry 1 of 3)"
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"total": -1}, r"^Retries\(total=-1\) must be a whole number of retries"),
        ({"total": 1.5}, r"^Retries\(total=1.5\) must be a whole number of retries"),
        ({"total": True}, r"^Retries\(total=True\) must be a whole number"),
        ({"backoff": -0.1}, r"^Retries\(backoff=-0.1\) must be a number of seconds"),
        ({"backoff_max": float("nan")}, r"^Retries\(backoff_max=nan\) must be"),
        ({"retry_after_max": -1}, r"^Retries\(retry_after_max=-1\) must be"),
        ({"jitter": 1.5}, r"^Retries\(jitter=1.5\) must be a fraction between 0 and"),
    ],
)
def test_unusable_policies_are_refused(options, message):
    with pytest.raises(ConfigurationError, match=message):
        Retries(**options)


NOW = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("0", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0),
        ("Wednesday, 21-Oct-15 07:28:30 GMT", 90.0),
        ("Wed Oct 21 07:27:10 2015", 10.0),
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),
        ("Wed, 21 Oct 2015 08:27:00 +0100", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-1", None),
        ("1e3", None),
        ("Wed, 32 Oct 2015 07:28:00 GMT", None),
    ],
)
def test_parse_retry_after_reads_seconds_and_http_dates(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds
