"""Failed attempts are throttled per key identifier and per client address.

Each behaviour is pinned down on Django's local-memory cache and on the real
Redis through Django's Redis backend (the ``throttle_cache`` fixture), with
the throttle's clock set by the ``clock`` fixture instead of waiting.
"""

from __future__ import annotations

import datetime
import logging
import socket

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser, User
from django.core import checks
from django.core.cache import caches
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from tests.conftest import basic_auth
from tests.security.conftest import serve_until_both_workers_answer, spy_on_cache
from valet_keys.conf import DEFAULTS
from valet_keys.credentials import generate_key_id, generate_secret
from valet_keys.decorators import accepts_valet_key
from valet_keys.models import Key

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
NEIGHBOUR = "203.0.113.8"
TOO_MANY = b"Too many failed attempts with this key or from this address.\n"


def throttle_settings(**values):
    """Return VALET_KEYS naming the test's throttle cache, plus ``values``."""
    return {"THROTTLE_CACHE": "throttle", **values}


def attempt(client, key_id, secret, address=ATTACKER, url="/robots-only/"):
    return client.get(
        url, HTTP_AUTHORIZATION=basic_auth(key_id, secret), REMOTE_ADDR=address
    )


@pytest.fixture
def robot(user):
    """Another key of the same user, used correctly throughout."""
    return Key.objects.mint(user, "Well-behaved robot")


# Per key identifier


def test_a_key_is_refused_unchecked_after_its_limit_of_failures(
    client, throttle_cache, clock, minted, django_assert_num_queries
):
    key, secret = minted
    with override_settings(VALET_KEYS=throttle_settings(THROTTLE_FAILURES_PER_KEY=3)):
        statuses = [attempt(client, key.key_id, generate_secret()).status_code]
        statuses += [attempt(client, key.key_id, generate_secret()).status_code]
        statuses += [attempt(client, key.key_id, generate_secret()).status_code]
        assert statuses == [401, 401, 401]

        # Even the right secret is not checked: no query, nothing learnt.
        with django_assert_num_queries(0):
            throttled = attempt(client, key.key_id, secret)
    assert throttled.status_code == 429
    assert throttled["Retry-After"] == "200"
    assert throttled["Content-Type"] == "text/plain; charset=utf-8"
    assert throttled.content == TOO_MANY


def test_a_throttled_key_works_again_in_the_next_window(
    client, throttle_cache, clock, minted
):
    key, secret = minted
    with override_settings(VALET_KEYS=throttle_settings(THROTTLE_FAILURES_PER_KEY=1)):
        attempt(client, key.key_id, generate_secret())
        assert attempt(client, key.key_id, secret).status_code == 429
        clock(300)
        assert attempt(client, key.key_id, secret).status_code == 200


@pytest.mark.parametrize(
    ("offset", "retry_after"),
    [(0, "300"), (0.5, "300"), (100, "200"), (299, "1"), (299.9, "1")],
)
def test_retry_after_is_the_time_left_in_the_window(
    client, throttle_cache, clock, key, offset, retry_after
):
    clock(offset)
    with override_settings(VALET_KEYS=throttle_settings(THROTTLE_FAILURES_PER_KEY=1)):
        attempt(client, key.key_id, generate_secret())
        response = attempt(client, key.key_id, generate_secret())
    assert response.status_code == 429
    assert response["Retry-After"] == retry_after


def test_failures_with_an_unknown_identifier_are_counted_like_any_other(
    client, throttle_cache, clock
):
    unknown = generate_key_id()
    with override_settings(VALET_KEYS=throttle_settings(THROTTLE_FAILURES_PER_KEY=2)):
        statuses = [
            attempt(client, unknown, generate_secret()).status_code for _ in range(3)
        ]
    assert statuses == [401, 401, 429]


def test_failures_from_many_addresses_add_up_for_one_key(
    client, throttle_cache, clock, minted
):
    key, secret = minted
    with override_settings(VALET_KEYS=throttle_settings(THROTTLE_FAILURES_PER_KEY=3)):
        for number in range(3):
            attempt(client, key.key_id, generate_secret(), f"198.51.100.{number}")
        response = attempt(client, key.key_id, secret, "198.51.100.99")
    assert response.status_code == 429


# One key's failures and another key's robot


@pytest.mark.parametrize("address", [ATTACKER, NEIGHBOUR], ids=["same", "other"])
def test_one_keys_failures_never_slow_down_a_robot_using_another_key(
    client, throttle_cache, clock, key, robot, address, django_assert_num_queries
):
    robot_key, robot_secret = robot
    attempt(client, robot_key.key_id, robot_secret, address)  # last_used_at

    # Far past both limits with one key, the robot's request between each.
    for _ in range(3 * DEFAULTS["THROTTLE_FAILED_KEYS_PER_ADDRESS"]):
        failed = attempt(client, key.key_id, generate_secret(), ATTACKER)
        assert failed.status_code in {401, 429}
        with django_assert_num_queries(1):
            served = attempt(client, robot_key.key_id, robot_secret, address)
        assert served.status_code == 200
    assert attempt(client, key.key_id, generate_secret()).status_code == 429


def test_a_robot_that_succeeds_reads_the_cache_once_and_writes_nothing(
    client, throttle_cache, clock, robot, monkeypatch
):
    robot_key, robot_secret = robot
    calls = spy_on_cache(caches["throttle"], monkeypatch)
    with override_settings(VALET_KEYS=throttle_settings()):
        assert attempt(client, robot_key.key_id, robot_secret).status_code == 200
    assert calls == ["get_many"]


def test_a_failure_reads_once_and_counts_against_key_and_address(
    client, throttle_cache, clock, key, monkeypatch
):
    calls = spy_on_cache(caches["throttle"], monkeypatch)
    with override_settings(VALET_KEYS=throttle_settings()):
        attempt(client, key.key_id, generate_secret())
        first = list(calls)
        calls.clear()
        attempt(client, key.key_id, generate_secret())
    # The first failure creates both counters and the address's marker for
    # this identifier; the next finds the marker and counts the key only.
    assert first == ["get_many", "add", "add", "add"]
    assert calls == ["get_many", "add", "incr", "add"]


# Per client address


def test_an_address_is_refused_after_failing_with_its_limit_of_identifiers(
    client, throttle_cache, clock, robot
):
    robot_key, robot_secret = robot
    limits = throttle_settings(
        THROTTLE_FAILURES_PER_KEY=None, THROTTLE_FAILED_KEYS_PER_ADDRESS=3
    )
    with override_settings(VALET_KEYS=limits):
        statuses = [
            attempt(client, generate_key_id(), generate_secret()).status_code
            for _ in range(3)
        ]
        # Spraying identifiers throttles the address, whatever it presents
        # next; other addresses are untouched.
        from_attacker = attempt(client, robot_key.key_id, robot_secret, ATTACKER)
        from_neighbour = attempt(client, robot_key.key_id, robot_secret, NEIGHBOUR)
    assert statuses == [401, 401, 401]
    assert from_attacker.status_code == 429
    assert from_attacker["Retry-After"] == "200"
    assert from_neighbour.status_code == 200


def test_one_identifier_counts_once_against_its_address(
    client, throttle_cache, clock, key, robot
):
    robot_key, robot_secret = robot
    limits = throttle_settings(
        THROTTLE_FAILURES_PER_KEY=None, THROTTLE_FAILED_KEYS_PER_ADDRESS=2
    )
    with override_settings(VALET_KEYS=limits):
        for _ in range(30):
            assert attempt(client, key.key_id, generate_secret()).status_code == 401
        assert attempt(client, robot_key.key_id, robot_secret).status_code == 200
        # A second identifier reaches the limit.
        attempt(client, generate_key_id(), generate_secret())
        assert attempt(client, robot_key.key_id, robot_secret).status_code == 429


@pytest.mark.parametrize(
    ("first", "second", "counted_together"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", True),
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("::ffff:192.0.2.1", "192.0.2.1", True),
        ("192.0.2.1", "192.0.2.2", False),
    ],
    ids=["same IPv6 /64", "other IPv6 /64", "IPv4-mapped", "other IPv4"],
)
def test_addresses_are_counted_by_what_one_client_can_hold(
    client, throttle_cache, clock, robot, first, second, counted_together
):
    robot_key, robot_secret = robot
    limits = throttle_settings(
        THROTTLE_FAILURES_PER_KEY=None, THROTTLE_FAILED_KEYS_PER_ADDRESS=2
    )
    with override_settings(VALET_KEYS=limits):
        attempt(client, generate_key_id(), generate_secret(), first)
        attempt(client, generate_key_id(), generate_secret(), second)
        response = attempt(client, robot_key.key_id, robot_secret, second)
    assert response.status_code == (429 if counted_together else 200)


def forwarded_for(request):
    """Behind one trusted proxy, the address it appended is the client's."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.rpartition(",")[2].strip() or None


@pytest.mark.parametrize(
    "client_address",
    [forwarded_for, "tests.security.test_throttling.forwarded_for"],
    ids=["callable", "dotted path"],
)
def test_a_proxy_setup_picks_the_client_address_with_a_setting(
    client, throttle_cache, clock, robot, client_address
):
    robot_key, robot_secret = robot
    limits = throttle_settings(
        THROTTLE_FAILURES_PER_KEY=None,
        THROTTLE_FAILED_KEYS_PER_ADDRESS=2,
        CLIENT_ADDRESS=client_address,
    )

    def through_proxy(key_id, secret, forwarded):
        # Every request comes from the proxy's own address.
        return client.get(
            "/robots-only/",
            HTTP_AUTHORIZATION=basic_auth(key_id, secret),
            HTTP_X_FORWARDED_FOR=forwarded,
            REMOTE_ADDR="10.0.0.1",
        )

    with override_settings(VALET_KEYS=limits):
        through_proxy(generate_key_id(), generate_secret(), f"1.1.1.1, {ATTACKER}")
        through_proxy(generate_key_id(), generate_secret(), ATTACKER)
        assert through_proxy(robot_key.key_id, robot_secret, ATTACKER).status_code == (
            429
        )
        assert through_proxy(robot_key.key_id, robot_secret, NEIGHBOUR).status_code == (
            200
        )


def test_without_a_client_address_only_the_identifier_is_counted(
    client, throttle_cache, clock, robot
):
    robot_key, robot_secret = robot
    limits = throttle_settings(
        THROTTLE_FAILED_KEYS_PER_ADDRESS=2, CLIENT_ADDRESS=lambda request: None
    )
    with override_settings(VALET_KEYS=limits):
        for _ in range(5):
            attempt(client, generate_key_id(), generate_secret())
        assert attempt(client, robot_key.key_id, robot_secret).status_code == 200


# What a throttled request gets


def test_a_throttled_view_that_does_not_require_a_key_serves_a_guest(
    client, throttle_cache, clock, minted, other_user
):
    key, secret = minted
    client.force_login(other_user)
    with override_settings(VALET_KEYS=throttle_settings(THROTTLE_FAILURES_PER_KEY=1)):
        attempt(client, key.key_id, generate_secret(), url="/hello/")
        response = attempt(client, key.key_id, secret, url="/hello/")
    # The session user stays who they were; the key is not taken.
    assert response.status_code == 200
    assert response.content == b"Why, hello there Mr. User!"


def test_a_throttled_session_post_still_needs_its_csrf_token(
    throttle_cache, clock, minted, other_user
):
    key, secret = minted
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_user)
    with override_settings(VALET_KEYS=throttle_settings(THROTTLE_FAILURES_PER_KEY=1)):
        attempt(client, key.key_id, generate_secret(), url="/hello/")
        response = client.post(
            "/hello/", HTTP_AUTHORIZATION=basic_auth(key.key_id, secret)
        )
    assert response.status_code == 403


def test_whoami_answers_429_when_throttled(client, throttle_cache, clock, minted):
    key, secret = minted
    with override_settings(VALET_KEYS=throttle_settings(THROTTLE_FAILURES_PER_KEY=1)):
        attempt(client, key.key_id, generate_secret(), url="/keys/whoami/")
        response = attempt(client, key.key_id, secret, url="/keys/whoami/")
    assert response.status_code == 429
    assert response["Retry-After"] == "200"


def test_an_async_view_that_requires_a_key_answers_429(throttle_cache, clock, minted):
    key, secret = minted

    @accepts_valet_key(required=True)
    async def view(request):
        return HttpResponse("served")

    def call(given_secret):
        request = RequestFactory().get(
            "/", HTTP_AUTHORIZATION=basic_auth(key.key_id, given_secret)
        )
        request.user = AnonymousUser()
        return async_to_sync(view)(request)

    with override_settings(VALET_KEYS=throttle_settings(THROTTLE_FAILURES_PER_KEY=1)):
        assert call(generate_secret()).status_code == 401
        throttled = call(secret)
    assert throttled.status_code == 429
    assert throttled["Retry-After"] == "200"


def test_a_throttled_attempt_is_logged_at_debug_without_the_secret(
    client, throttle_cache, clock, minted, caplog
):
    key, secret = minted
    with override_settings(VALET_KEYS=throttle_settings(THROTTLE_FAILURES_PER_KEY=1)):
        attempt(client, key.key_id, generate_secret())
        with caplog.at_level(logging.DEBUG, logger="valet_keys"):
            attempt(client, key.key_id, secret)
    ours = [record for record in caplog.records if record.name == "valet_keys"]
    assert [(record.levelno, record.getMessage()) for record in ours] == [
        (logging.DEBUG, f"Rejected valet key {key.key_id}: too many failures")
    ]


def test_malformed_credentials_never_reach_the_cache(
    client, throttle_cache, clock, key, monkeypatch
):
    def refuse(*args, **kwargs):
        raise AssertionError("the cache was used")

    cache = caches["throttle"]
    for name in ["get_many", "add", "incr"]:
        monkeypatch.setattr(cache, name, refuse)
    with override_settings(VALET_KEYS=throttle_settings()):
        assert attempt(client, "vk_short", generate_secret()).status_code == 401
        assert attempt(client, key.key_id, "vks_mistyped").status_code == 401
        response = client.get("/robots-only/", HTTP_AUTHORIZATION="Basic %%%")
    assert response.status_code == 401


# Turning it off, and a cache that fails


def test_throttling_turned_off_never_touches_the_cache(client, minted, monkeypatch):
    key, secret = minted

    def refuse(*args, **kwargs):
        raise AssertionError("the cache was used")

    off = {"THROTTLE_FAILURES_PER_KEY": None, "THROTTLE_FAILED_KEYS_PER_ADDRESS": None}
    with override_settings(
        VALET_KEYS={**off, "THROTTLE_CACHE": "nowhere"},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
    ):
        monkeypatch.setattr("valet_keys.throttling.caches", refuse)
        for _ in range(30):
            assert attempt(client, key.key_id, generate_secret()).status_code == 401
        assert attempt(client, key.key_id, secret).status_code == 200


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_cache_that_fails_lets_requests_through_and_warns(
    client, minted, closed_port, caplog
):
    key, secret = minted
    unreachable = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        },
    }
    with (
        override_settings(CACHES=unreachable, VALET_KEYS=throttle_settings()),
        caplog.at_level(logging.WARNING, logger="valet_keys"),
    ):
        refused = attempt(client, key.key_id, generate_secret())
        served = attempt(client, key.key_id, secret)
    # A cache outage must not lock every robot out, nor let a wrong secret in.
    assert refused.status_code == 401
    assert served.status_code == 200
    # Reading and counting the failure, then reading for the success.
    ours = [record for record in caplog.records if record.name == "valet_keys"]
    assert len(ours) == 3
    for record in ours:
        assert record.levelno == logging.WARNING
        assert record.getMessage().startswith(
            "Valet key throttling skipped: cache 'throttle' failed: ConnectionError: "
        )
        assert secret not in record.getMessage()


# Across processes


@pytest.mark.multiprocess
def test_failures_served_by_two_workers_are_counted_together(live_site):
    if live_site.redis_prefix is None:
        pytest.skip("Redis does not answer, so the workers share no cache.")
    owner = User.objects.create(username="ada")
    key, secret = Key.objects.mint(owner, "Robot")
    wrong = {"Authorization": basic_auth(key.key_id, generate_secret())}
    right = {"Authorization": basic_auth(key.key_id, secret)}

    # Exactly the limit of failures, wherever they land: if each worker
    # counted alone, at least one of them would still accept the key.
    for _ in range(DEFAULTS["THROTTLE_FAILURES_PER_KEY"]):
        assert live_site.get("/robots-only/", headers=wrong).status_code == 401

    # Now neither worker checks the key, right secret or not.
    throttled = serve_until_both_workers_answer(live_site, "/served-by/", headers=right)
    assert {r.json()["key_id"] for rs in throttled.values() for r in rs} == {None}
    response = live_site.get("/robots-only/", headers=right)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 300


# System checks


def run_checks():
    return {message.id: message for message in checks.run_checks()}


@pytest.mark.parametrize(
    ("values", "check_id", "message", "hint"),
    [
        (
            {"THROTTLE_WINDOW": 300},
            "valet_keys.E006",
            "VALET_KEYS['THROTTLE_WINDOW'] must be a timedelta of at least one second.",
            "It is 300.",
        ),
        (
            {"THROTTLE_WINDOW": datetime.timedelta(milliseconds=10)},
            "valet_keys.E006",
            "VALET_KEYS['THROTTLE_WINDOW'] must be a timedelta of at least one second.",
            "It is datetime.timedelta(microseconds=10000).",
        ),
        (
            {"THROTTLE_FAILURES_PER_KEY": 0},
            "valet_keys.E007",
            "VALET_KEYS['THROTTLE_FAILURES_PER_KEY'] must be None or a whole "
            "number of at least 1.",
            "It is 0.",
        ),
        (
            {"THROTTLE_FAILURES_PER_KEY": True},
            "valet_keys.E007",
            "VALET_KEYS['THROTTLE_FAILURES_PER_KEY'] must be None or a whole "
            "number of at least 1.",
            "It is True.",
        ),
        (
            {"THROTTLE_FAILED_KEYS_PER_ADDRESS": 1},
            "valet_keys.E008",
            "VALET_KEYS['THROTTLE_FAILED_KEYS_PER_ADDRESS'] must be None or a "
            "whole number of at least 2.",
            "It is 1.",
        ),
        (
            {"CLIENT_ADDRESS": "tests.security.nowhere.address"},
            "valet_keys.E009",
            "VALET_KEYS['CLIENT_ADDRESS'] names 'tests.security.nowhere.address', "
            "which cannot be imported.",
            "No module named 'tests.security.nowhere'",
        ),
        (
            {"CLIENT_ADDRESS": 42},
            "valet_keys.E009",
            "VALET_KEYS['CLIENT_ADDRESS'] must be None, a callable, or the dotted "
            "path of one.",
            "It is 42.",
        ),
        (
            {"THROTTLE_CACHE": "nowhere"},
            "valet_keys.E010",
            "VALET_KEYS['THROTTLE_CACHE'] names the cache 'nowhere', which is not "
            "in CACHES.",
            "Name a cache alias of CACHES, or set both throttle limits to None to "
            "turn throttling off.",
        ),
    ],
    ids=[
        "window not a timedelta",
        "window too short",
        "zero failures per key",
        "boolean failures per key",
        "one key per address",
        "address not importable",
        "address not callable",
        "unknown cache",
    ],
)
def test_throttle_settings_are_checked(values, check_id, message, hint):
    with override_settings(VALET_KEYS=values):
        found = run_checks()[check_id]
    assert (found.msg, found.hint) == (message, hint)


def test_a_dummy_throttle_cache_is_a_warning():
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    ):
        found = run_checks()["valet_keys.W002"]
    assert found.msg == (
        "The cache 'default' that valet key throttling uses stores nothing, so "
        "failed attempts are never throttled."
    )


def test_a_dummy_cache_is_fine_when_throttling_is_off():
    off = {"THROTTLE_FAILURES_PER_KEY": None, "THROTTLE_FAILED_KEYS_PER_ADDRESS": None}
    with override_settings(
        VALET_KEYS={**off, "THROTTLE_CACHE": "nowhere"},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
    ):
        found = run_checks()
    assert not [check_id for check_id in found if check_id.startswith("valet_keys.")]


def test_the_default_throttle_settings_pass_the_checks():
    assert not [m for m in run_checks() if m.startswith("valet_keys.")]
