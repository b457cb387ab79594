"""The decorator and the class on one request share one lookup."""

import pytest

from tests.drf import NO_REST_FRAMEWORK

pytest.importorskip("rest_framework", reason=NO_REST_FRAMEWORK)

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import basic_auth
from valet_keys import signals
from valet_keys.credentials import generate_secret

pytestmark = pytest.mark.django_db

URLS = ["/api/decorator-outside/", "/api/decorator-inside/"]


@pytest.fixture
def key_used():
    received = []

    def receiver(sender, key, request, **kwargs):
        received.append(key)

    signals.key_used.connect(receiver)
    yield received
    signals.key_used.disconnect(receiver)


@pytest.mark.parametrize("url", URLS)
def test_both_on_one_request_cost_one_query_and_one_use(
    api_client, key, authorization, key_used, url
):
    api_client.get(url, HTTP_AUTHORIZATION=authorization)  # writes last_used_at
    key_used.clear()
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(url, HTTP_AUTHORIZATION=authorization)
    assert response.json() == {
        "user": "ada",
        "auth": key.key_id,
        "valet_key": key.key_id,
        "authenticator": "ValetKeyAuthentication",
    }
    assert len(queries) == 1
    assert key_used == [key]


@pytest.mark.parametrize("url", URLS)
def test_both_on_one_request_leave_a_request_without_a_key_anonymous(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 200
    assert response.json() == {
        "user": None,
        "auth": None,
        "valet_key": None,
        "authenticator": None,
    }


@pytest.mark.parametrize("url", URLS)
def test_both_on_one_request_refuse_a_failed_key_once(api_client, key, url, caplog):
    with caplog.at_level("DEBUG", logger="valet_keys"):
        response = api_client.get(
            url, HTTP_AUTHORIZATION=basic_auth(key.key_id, generate_secret())
        )
    assert response.status_code == 401
    assert [r.getMessage() for r in caplog.records if r.name == "valet_keys"] == [
        f"Rejected valet key {key.key_id}: unknown identifier or wrong secret"
    ]


@pytest.mark.parametrize("url", URLS)
def test_both_on_one_request_let_a_key_post_without_a_csrf_token(
    api_client, key, authorization, url
):
    response = api_client.post(url, HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200
    assert response.json()["valet_key"] == key.key_id
