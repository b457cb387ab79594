"""ValetKeyAuthentication through REST framework's own test client."""

import base64
import datetime
import logging

import pytest

from tests.drf import NO_REST_FRAMEWORK

pytest.importorskip("rest_framework", reason=NO_REST_FRAMEWORK)

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import basic_auth
from valet_keys import signals
from valet_keys.credentials import generate_key_id, generate_secret
from valet_keys.models import Key

pytestmark = pytest.mark.django_db

CHALLENGE = 'Basic realm="valet-keys", charset="UTF-8"'
INVALID_KEY = {
    "detail": "Invalid valet key: unknown, wrong secret, disabled or expired."
}
ANONYMOUS = {"user": None, "auth": None, "valet_key": None, "authenticator": None}


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def _as_robot(key, username="ada"):
    return {
        "user": username,
        "auth": key.key_id,
        "valet_key": key.key_id,
        "authenticator": "ValetKeyAuthentication",
    }


def test_a_valid_key_makes_its_owner_the_user_and_itself_the_auth(
    api_client, key, authorization
):
    response = api_client.get("/api/who/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200
    assert response.json() == _as_robot(key)


def test_the_key_and_its_owner_are_the_same_objects_everywhere(
    api_client, key, user, authorization
):
    response = api_client.get("/api/who/", HTTP_AUTHORIZATION=authorization)
    drf_request = response.renderer_context["request"]
    assert drf_request.auth == key
    assert drf_request.user == user
    # Code written for the decorator reads the plain HttpRequest.
    assert drf_request._request.valet_key is drf_request.auth
    assert drf_request._request.user is drf_request.user
    assert drf_request.auth.user is drf_request.user


def test_a_request_without_credentials_is_anonymous(api_client):
    response = api_client.get("/api/who/")
    assert response.status_code == 200
    assert response.json() == ANONYMOUS


# Headers that are not a valet key are left to the other classes.

NOT_VALET_KEYS = {
    "empty header": lambda key, secret: "",
    "other scheme": lambda key, secret: f"Bearer {secret}",
    "token scheme": lambda key, secret: f"Token {key.key_id}",
    "bad base64": lambda key, secret: "Basic %%%not-base64%%%",
    "broken padding": lambda key, secret: (
        "Basic " + _b64(f"{key.key_id}:{secret}")[:-1]
    ),
    "no colon": lambda key, secret: "Basic " + _b64(key.key_id + secret),
    "Basic with a person's user name": lambda key, secret: basic_auth(
        "ada", "correct horse"
    ),
    "secret and id swapped": lambda key, secret: basic_auth(secret, key.key_id),
    "huge header": lambda key, secret: "Basic " + "QUFB" * 5000,
}


@pytest.mark.parametrize(
    "make_header", NOT_VALET_KEYS.values(), ids=NOT_VALET_KEYS.keys()
)
def test_a_header_that_is_not_a_valet_key_leaves_the_request_anonymous(
    api_client, key, secret, make_header
):
    response = api_client.get("/api/who/", HTTP_AUTHORIZATION=make_header(key, secret))
    assert response.status_code == 200
    assert response.json() == ANONYMOUS


@pytest.mark.parametrize(
    "make_header", NOT_VALET_KEYS.values(), ids=NOT_VALET_KEYS.keys()
)
def test_a_header_that_is_not_a_valet_key_keeps_the_session_user(
    api_client, key, secret, other_user, make_header
):
    api_client.force_login(other_user)
    response = api_client.get("/api/who/", HTTP_AUTHORIZATION=make_header(key, secret))
    assert response.json() == {
        "user": "mallory",
        "auth": None,
        "valet_key": None,
        "authenticator": "SessionAuthentication",
    }


# A valet key that fails is refused, whatever else the request carries.

FAILED_VALET_KEYS = {
    "unknown id": lambda key, secret: basic_auth(generate_key_id(), secret),
    "wrong secret": lambda key, secret: basic_auth(key.key_id, generate_secret()),
    "another key's identifier": lambda key, secret: basic_auth(
        Key.objects.mint(key.user, "Another robot")[0].key_id, secret
    ),
    "bad checksum": lambda key, secret: basic_auth(
        key.key_id, secret[:-1] + ("x" if secret[-1] != "x" else "y")
    ),
    "truncated secret": lambda key, secret: basic_auth(key.key_id, secret[:-1]),
    "identifier in other case": lambda key, secret: basic_auth(
        key.key_id.swapcase().replace("VK_", "vk_"), secret
    ),
    "bare prefix": lambda key, secret: basic_auth("vk_", secret),
    "non-ASCII identifier": lambda key, secret: (
        "Basic " + _b64(f"{key.key_id}é:{secret}")
    ),
    "lower-case scheme": lambda key, secret: (
        "basic " + _b64(f"{key.key_id}:{generate_secret()}")
    ),
}


@pytest.mark.parametrize(
    "make_header", FAILED_VALET_KEYS.values(), ids=FAILED_VALET_KEYS.keys()
)
def test_a_valet_key_that_fails_is_a_401_with_the_challenge(
    api_client, key, secret, make_header
):
    response = api_client.get("/api/who/", HTTP_AUTHORIZATION=make_header(key, secret))
    assert response.status_code == 401
    assert response.json() == INVALID_KEY
    assert response["WWW-Authenticate"] == CHALLENGE


def _make_unusable(key, lifecycle):
    if lifecycle == "disabled":
        key.disable()
    elif lifecycle == "expired":
        Key.objects.filter(pk=key.pk).update(
            expires_at=timezone.now() - datetime.timedelta(seconds=1)
        )
    elif lifecycle == "inactive owner":
        key.user.is_active = False
        key.user.save()
    elif lifecycle == "deleted owner":
        key.user.delete()


@pytest.mark.parametrize(
    "lifecycle", ["disabled", "expired", "inactive owner", "deleted owner"]
)
def test_a_key_that_may_no_longer_be_used_is_a_401(
    api_client, key, authorization, lifecycle
):
    _make_unusable(key, lifecycle)
    response = api_client.get("/api/who/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    assert response.json() == INVALID_KEY
    assert response["WWW-Authenticate"] == CHALLENGE


def test_a_failed_valet_key_is_refused_even_beside_a_session(
    api_client, key, other_user, authorization
):
    # Unlike the decorator, which falls back to the session: a REST
    # framework client that sent a key meant to be the key's owner, and
    # serving it as someone else would hide that its key stopped working.
    key.disable()
    api_client.force_login(other_user)
    response = api_client.get("/api/who/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    assert response.json() == INVALID_KEY


def test_a_key_that_expires_later_works(api_client, key, authorization):
    Key.objects.filter(pk=key.pk).update(
        expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    response = api_client.get("/api/who/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200
    assert response.json() == _as_robot(key)


def test_a_disabled_key_stops_working_on_the_next_request(
    api_client, key, authorization
):
    first = api_client.get("/api/who/", HTTP_AUTHORIZATION=authorization)
    Key.objects.get(pk=key.pk).disable()
    second = api_client.get("/api/who/", HTTP_AUTHORIZATION=authorization)
    assert (first.status_code, second.status_code) == (200, 401)


def test_a_valid_key_wins_over_a_logged_in_session_user(
    api_client, key, other_user, authorization
):
    api_client.force_login(other_user)
    response = api_client.get("/api/who/", HTTP_AUTHORIZATION=authorization)
    assert response.json() == _as_robot(key)


@override_settings(VALET_KEYS={"REALM": 'Robots "R" Us \\ Co'})
def test_the_challenge_carries_the_configured_realm_escaped(api_client, key):
    response = api_client.get(
        "/api/who/", HTTP_AUTHORIZATION=basic_auth(key.key_id, generate_secret())
    )
    assert response["WWW-Authenticate"] == (
        'Basic realm="Robots \\"R\\" Us \\\\ Co", charset="UTF-8"'
    )


# CSRF: a key needs no token, a session still does.


def test_a_post_with_a_valid_key_needs_no_csrf_token(api_client, key, authorization):
    response = api_client.post("/api/who/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200
    assert response.json() == _as_robot(key)


def test_a_post_with_a_valid_key_beside_a_session_needs_no_csrf_token(
    api_client, key, other_user, authorization
):
    api_client.force_login(other_user)
    response = api_client.post("/api/who/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200
    assert response.json() == _as_robot(key)


@pytest.mark.parametrize(
    "make_header",
    [lambda key, secret: None, *NOT_VALET_KEYS.values()],
    ids=["no header", *NOT_VALET_KEYS.keys()],
)
def test_a_session_post_without_a_valid_key_still_needs_a_csrf_token(
    api_client, key, secret, user, make_header
):
    header = make_header(key, secret)
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    api_client.force_login(user)
    response = api_client.post("/api/who/", **extra)
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF cookie not set."}


def test_a_session_post_with_a_csrf_token_goes_through(api_client, user):
    api_client.force_login(user)
    api_client.get("/keys/new/")  # a page with a form, which sets the cookie
    token = api_client.cookies["csrftoken"].value
    response = api_client.post("/api/who/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.json() == {
        "user": "ada",
        "auth": None,
        "valet_key": None,
        "authenticator": "SessionAuthentication",
    }


# What it costs and what it records: the same as the decorator.


def test_an_authenticated_request_costs_one_query(api_client, key, authorization):
    api_client.get("/api/who/", HTTP_AUTHORIZATION=authorization)  # last_used_at
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/api/who/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200
    assert len(queries) == 1
    assert "valet_keys_key" in queries[0]["sql"]


def test_the_first_use_records_last_used_at(api_client, key, authorization):
    assert key.last_used_at is None
    before = timezone.now()
    api_client.get("/api/who/", HTTP_AUTHORIZATION=authorization)
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert before <= key.last_used_at <= timezone.now()


def test_each_authenticated_request_sends_key_used_once(api_client, key, authorization):
    received = []

    def receiver(sender, key, request, **kwargs):
        received.append((sender, key, request.path))

    signals.key_used.connect(receiver)
    try:
        api_client.get("/api/who/", HTTP_AUTHORIZATION=authorization)
        api_client.post("/api/who/", HTTP_AUTHORIZATION=authorization)
    finally:
        signals.key_used.disconnect(receiver)
    assert received == [(Key, key, "/api/who/"), (Key, key, "/api/who/")]


def test_a_failed_key_is_logged_at_debug_without_its_secret(api_client, key, caplog):
    wrong_secret = generate_secret()
    with caplog.at_level(logging.DEBUG, logger="valet_keys"):
        api_client.get(
            "/api/who/", HTTP_AUTHORIZATION=basic_auth(key.key_id, wrong_secret)
        )
    assert [r.getMessage() for r in caplog.records if r.name == "valet_keys"] == [
        f"Rejected valet key {key.key_id}: unknown identifier or wrong secret"
    ]
    assert wrong_secret not in caplog.text


# Side by side with REST framework's BasicAuthentication.


@pytest.fixture
def person_with_password(make_user):
    person = make_user("grace")
    person.set_password("correct horse")
    person.save()
    return person


def test_basic_authentication_still_accepts_a_person(api_client, person_with_password):
    response = api_client.get(
        "/api/key-or-basic/",
        HTTP_AUTHORIZATION=basic_auth("grace", "correct horse"),
    )
    assert response.status_code == 200
    assert response.json() == {
        "user": "grace",
        "auth": None,
        "valet_key": None,
        "authenticator": "BasicAuthentication",
    }


def test_basic_authentication_refuses_a_wrong_password(
    api_client, person_with_password
):
    response = api_client.get(
        "/api/key-or-basic/",
        HTTP_AUTHORIZATION=basic_auth("grace", "wrong horse"),
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid username/password."}
    # The challenge is the first class's.
    assert response["WWW-Authenticate"] == CHALLENGE


def test_a_valet_key_is_accepted_beside_basic_authentication(
    api_client, key, authorization
):
    response = api_client.get("/api/key-or-basic/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200
    assert response.json() == _as_robot(key)


def test_no_credentials_beside_basic_authentication_is_a_401_with_the_challenge(
    api_client,
):
    response = api_client.get("/api/key-or-basic/")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided."
    }
    assert response["WWW-Authenticate"] == CHALLENGE
