"""Failed attempts are throttled as with the decorator, answered REST-style."""

import pytest

from tests.drf import NO_REST_FRAMEWORK

pytest.importorskip("rest_framework", reason=NO_REST_FRAMEWORK)

from django.test import override_settings

from tests.conftest import basic_auth
from valet_keys import throttling
from valet_keys.credentials import generate_secret
from valet_keys.models import Key

pytestmark = pytest.mark.django_db

# The start of a throttling window of five minutes.
WINDOW_START = 1_800_000_000.0
TOO_MANY = {
    "detail": "Too many failed attempts with this key or from this address. "
    "Expected available in 200 seconds."
}


@pytest.fixture(autouse=True)
def _hundred_seconds_into_a_window(monkeypatch):
    monkeypatch.setattr(throttling, "_now", lambda: WINDOW_START + 100)


def _attempt(api_client, key_id, secret, url="/api/robots-only/"):
    return api_client.get(url, HTTP_AUTHORIZATION=basic_auth(key_id, secret))


@override_settings(VALET_KEYS={"THROTTLE_FAILURES_PER_KEY": 2})
def test_a_key_that_failed_too_often_is_a_429_with_retry_after(
    api_client, key, secret, django_assert_num_queries
):
    failures = [
        _attempt(api_client, key.key_id, generate_secret()).status_code
        for _ in range(2)
    ]
    # Even the right secret is not checked: no query, nothing learnt.
    with django_assert_num_queries(0):
        throttled = _attempt(api_client, key.key_id, secret)
    assert failures == [401, 401]
    assert throttled.status_code == 429
    assert throttled["Retry-After"] == "200"
    assert throttled.json() == TOO_MANY


@override_settings(VALET_KEYS={"THROTTLE_FAILURES_PER_KEY": 1})
def test_a_throttled_key_is_a_429_even_where_no_key_is_required(
    api_client, key, secret
):
    # The decorator serves such a request as a guest where no key is
    # required; here a failed valet key is never served, so neither is a
    # throttled one.
    _attempt(api_client, key.key_id, generate_secret(), url="/api/who/")
    response = _attempt(api_client, key.key_id, secret, url="/api/who/")
    assert response.status_code == 429
    assert response.json() == TOO_MANY


@override_settings(VALET_KEYS={"THROTTLE_FAILURES_PER_KEY": 1})
def test_another_key_of_the_same_owner_is_not_slowed_down(api_client, key, user):
    other_key, other_secret = Key.objects.mint(user, "Steady robot")
    _attempt(api_client, key.key_id, generate_secret())
    assert _attempt(api_client, key.key_id, generate_secret()).status_code == 429
    response = _attempt(api_client, other_key.key_id, other_secret)
    assert response.status_code == 200
    assert response.json()["auth"] == other_key.key_id
