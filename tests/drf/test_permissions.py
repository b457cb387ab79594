"""HasValetKey: the endpoint answers only requests that present a key."""

import pytest

from tests.drf import NO_REST_FRAMEWORK

pytest.importorskip("rest_framework", reason=NO_REST_FRAMEWORK)

pytestmark = pytest.mark.django_db

CHALLENGE = 'Basic realm="valet-keys", charset="UTF-8"'


def test_a_request_with_a_valid_key_is_let_in(api_client, key, authorization):
    response = api_client.get("/api/robots-only/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200
    assert response.json()["auth"] == key.key_id


def test_a_request_without_credentials_is_asked_for_them(api_client):
    response = api_client.get("/api/robots-only/")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided."
    }
    assert response["WWW-Authenticate"] == CHALLENGE


def test_a_logged_in_person_without_a_key_is_forbidden(api_client, user):
    api_client.force_login(user)
    response = api_client.get("/api/robots-only/")
    assert response.status_code == 403
    assert response.json() == {"detail": "This endpoint needs a valet key."}


def test_a_request_authenticated_by_something_else_is_forbidden(api_client, user):
    api_client.force_authenticate(user=user, token="a token of another kind")
    response = api_client.get("/api/robots-only/")
    assert response.status_code == 403
    assert response.json() == {"detail": "This endpoint needs a valet key."}


def test_a_disabled_key_is_refused_before_the_permission_is_asked(
    api_client, key, authorization
):
    key.disable()
    response = api_client.get("/api/robots-only/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Invalid valet key: unknown, wrong secret, disabled or expired."
    }
