"""An unknown identifier and a wrong secret cost the same work.

Timing itself is never measured here: it is noisy, and a test that reads a
clock fails at random. Instead each test records the work done, call by
call, and compares the records.
"""

from __future__ import annotations

import hmac
import logging

import pytest
from django.core.cache import caches
from django.db import connection
from django.db.models.signals import post_init
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests.conftest import basic_auth
from tests.security.conftest import spy_on_cache
from valet_keys import authentication
from valet_keys.credentials import generate_key_id, generate_secret
from valet_keys.models import Key

pytestmark = pytest.mark.django_db


@pytest.fixture
def record_work(client, monkeypatch, caplog, throttle_cache):
    """Return a function that makes a request and returns the work it did.

    The record holds, in order, each digest computed and each comparison of
    digests (with the lengths of what was compared), then the cache calls,
    the number of queries and the reason logged with the identifier masked.
    """
    work = []
    digest = authentication.digest_secret
    compare = hmac.compare_digest

    def digest_spy(secret):
        work.append(("digest", len(secret)))
        return digest(secret)

    def compare_spy(a, b):
        work.append(("compare", len(a), len(b)))
        return compare(a, b)

    monkeypatch.setattr(authentication, "digest_secret", digest_spy)
    monkeypatch.setattr(hmac, "compare_digest", compare_spy)
    cache_calls = spy_on_cache(caches["throttle"], monkeypatch)

    addresses = (f"192.0.2.{number}" for number in range(1, 255))

    def request(key_id, secret):
        # Each from an address of its own, so that neither finds counters
        # the other left behind.
        address = next(addresses)
        work.clear()
        cache_calls.clear()
        caplog.clear()
        with (
            CaptureQueriesContext(connection) as queries,
            caplog.at_level(logging.DEBUG, logger="valet_keys"),
        ):
            response = client.get(
                "/robots-only/",
                HTTP_AUTHORIZATION=basic_auth(key_id, secret),
                REMOTE_ADDR=address,
            )
        assert response.status_code == 401
        reasons = [
            record.getMessage().replace(key_id, "<id>")
            for record in caplog.records
            if record.name == "valet_keys"
        ]
        return [*work, ("cache", *cache_calls), ("queries", len(queries)), *reasons]

    return request


def test_unknown_identifier_and_wrong_secret_do_the_same_work(record_work, key):
    unknown = record_work(generate_key_id(), generate_secret())
    wrong = record_work(key.key_id, generate_secret())
    assert unknown == wrong
    assert wrong == [
        ("digest", 42),
        ("compare", 64, 64),
        ("cache", "get_many", "add", "add", "add"),
        ("queries", 1),
        "Rejected valet key <id>: unknown identifier or wrong secret",
    ]


def test_a_secret_that_fails_its_checksum_costs_nothing_either_way(record_work, key):
    mistyped = generate_secret()[:-1] + "!"
    unknown = record_work(generate_key_id(), mistyped)
    known = record_work(key.key_id, mistyped)
    assert unknown == known
    assert known == [
        ("cache",),
        ("queries", 0),
        "Rejected valet key <id>: secret fails its checksum",
    ]


def test_a_known_identifier_with_another_keys_secret_does_the_same_work(
    record_work, key, user
):
    _, other_secret = Key.objects.mint(user, "Other robot")
    unknown = record_work(generate_key_id(), other_secret)
    crossed = record_work(key.key_id, other_secret)
    assert unknown == crossed


class ComparedOnlyInConstantTime(str):
    """A digest that fails the test if anything compares it with ``==``."""

    def __eq__(self, other):
        raise AssertionError("a digest was compared with ==")

    def __ne__(self, other):
        raise AssertionError("a digest was compared with !=")

    __hash__ = str.__hash__


@pytest.fixture
def guarded_digests(monkeypatch):
    """Make both the presented and the stored digest refuse ``==``."""
    digest = authentication.digest_secret
    monkeypatch.setattr(
        authentication,
        "digest_secret",
        lambda secret: ComparedOnlyInConstantTime(digest(secret)),
    )

    # A post_init receiver sees every Key loaded, however it is built.
    def guard(sender, instance, **kwargs):
        if "secret_digest" in instance.__dict__:
            instance.secret_digest = ComparedOnlyInConstantTime(instance.secret_digest)

    post_init.connect(guard, sender=Key)
    yield
    post_init.disconnect(guard, sender=Key)


@pytest.mark.parametrize("right", [True, False], ids=["right secret", "wrong"])
def test_digests_are_compared_only_in_constant_time(
    client, guarded_digests, key, secret, right
):
    presented = secret if right else generate_secret()
    with override_settings(
        VALET_KEYS={
            "THROTTLE_FAILURES_PER_KEY": None,
            "THROTTLE_FAILED_KEYS_PER_ADDRESS": None,
        }
    ):
        response = client.get(
            "/robots-only/", HTTP_AUTHORIZATION=basic_auth(key.key_id, presented)
        )
    assert response.status_code == (200 if right else 401)


def test_the_stand_in_digest_for_an_unknown_identifier_looks_like_a_real_one(key):
    stand_in = authentication._NO_SUCH_DIGEST
    assert len(stand_in) == len(key.secret_digest) == 64
    assert set(stand_in) <= set("0123456789abcdef")
