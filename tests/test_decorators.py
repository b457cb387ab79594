import base64
import datetime
import logging

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import basic_auth
from valet_keys import signals
from valet_keys.credentials import generate_key_id, generate_secret
from valet_keys.decorators import accepts_valet_key
from valet_keys.models import Key

pytestmark = pytest.mark.django_db

ROBOT_GREETING = "HELLO ROBOT, I SEE YOU ARE IMPERSONATING {}"
USER_GREETING = "Why, hello there Mr. User!"
GUEST_GREETING = "Welcome, guest."

HELLO_URLS = ["/hello/", "/hello-async/", "/hello-class/"]


# The hello view of the original documentation, three ways.


@pytest.mark.parametrize("url", HELLO_URLS)
def test_hello_greets_a_robot_as_impersonating_its_owner(
    client, user, authorization, url
):
    response = client.get(url, HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200
    assert response.content.decode() == ROBOT_GREETING.format(user.username)


@pytest.mark.parametrize("url", HELLO_URLS)
def test_hello_greets_a_logged_in_user_as_a_user(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.content.decode() == USER_GREETING


@pytest.mark.parametrize("url", HELLO_URLS)
def test_hello_greets_anyone_else_as_a_guest(client, url):
    response = client.get(url)
    assert response.content.decode() == GUEST_GREETING


@pytest.mark.parametrize("url", HELLO_URLS)
def test_a_key_wins_over_a_logged_in_session_user(
    client, other_user, user, authorization, url
):
    client.force_login(other_user)
    response = client.get(url, HTTP_AUTHORIZATION=authorization)
    assert response.content.decode() == ROBOT_GREETING.format(user.username)


# What the decorator puts on the request.


def _recording_view():
    seen = {}

    @accepts_valet_key
    def view(request):
        seen["valet_key"] = request.valet_key
        seen["user"] = request.user
        return HttpResponse("ok")

    return view, seen


def _request(authorization=None):
    factory = RequestFactory()
    extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    request = factory.get("/", **extra)
    request.user = AnonymousUser()
    return request


def test_a_valid_key_sets_valet_key_and_user(key, user, authorization):
    view, seen = _recording_view()
    view(_request(authorization))
    assert seen["valet_key"] == key
    assert seen["user"] == user
    assert seen["valet_key"].user == user


def _b64(text):
    return base64.b64encode(text.encode()).decode()


REJECTIONS = {
    "no header": lambda key, secret: None,
    "empty header": lambda key, secret: "",
    "other scheme": lambda key, secret: f"Bearer {secret}",
    "bad base64": lambda key, secret: "Basic %%%not-base64%%%",
    "broken padding": lambda key, secret: (
        "Basic " + _b64(f"{key.key_id}:{secret}")[:-1]
    ),
    "no colon": lambda key, secret: "Basic " + _b64(key.key_id + secret),
    "unknown id": lambda key, secret: basic_auth(generate_key_id(), secret),
    "wrong secret": lambda key, secret: basic_auth(key.key_id, generate_secret()),
    "bad checksum": lambda key, secret: basic_auth(
        key.key_id, secret[:-1] + ("x" if secret[-1] != "x" else "y")
    ),
    "identifier in other case": lambda key, secret: basic_auth(
        key.key_id.swapcase().replace("VK_", "vk_"), secret
    ),
    "secret and id swapped": lambda key, secret: basic_auth(secret, key.key_id),
    "non-ASCII": lambda key, secret: "Basic " + _b64(f"{key.key_id}é:{secret}"),
    "huge header": lambda key, secret: "Basic " + "QUFB" * 5000,
}


@pytest.mark.parametrize("make_header", REJECTIONS.values(), ids=REJECTIONS.keys())
def test_an_unusable_header_sets_none_and_keeps_the_user(key, secret, make_header):
    view, seen = _recording_view()
    request = _request(make_header(key, secret))
    session_user = request.user
    response = view(request)
    assert response.status_code == 200
    assert seen["valet_key"] is None
    assert seen["user"] is session_user


@pytest.mark.parametrize(
    "lifecycle",
    ["disabled", "expired", "inactive owner", "deleted owner"],
)
def test_a_key_that_may_no_longer_be_used_sets_none_and_keeps_the_user(
    key, secret, authorization, lifecycle
):
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
    view, seen = _recording_view()
    request = _request(authorization)
    session_user = request.user
    view(request)
    assert seen["valet_key"] is None
    assert seen["user"] is session_user


def test_a_key_that_expires_later_works(key, authorization):
    Key.objects.filter(pk=key.pk).update(
        expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    view, seen = _recording_view()
    view(_request(authorization))
    assert seen["valet_key"] == key


def test_a_secret_containing_a_colon_is_read_whole(key, secret, caplog):
    # Real secrets have no colon, so this one cannot match; what matters is
    # that the part after the first colon reached the secret check whole,
    # rather than being cut at its own colon.
    view, seen = _recording_view()
    with caplog.at_level(logging.DEBUG, logger="valet_keys"):
        view(_request(basic_auth(key.key_id, secret + ":more")))
    assert seen["valet_key"] is None
    assert caplog.messages == [
        f"Rejected valet key {key.key_id}: secret fails its checksum"
    ]


@pytest.mark.parametrize(
    ("make_header", "message"),
    [
        (REJECTIONS["other scheme"], "Rejected valet key: not the Basic scheme"),
        (
            REJECTIONS["no colon"],
            "Rejected valet key: no colon between identifier and secret",
        ),
        (
            REJECTIONS["bad checksum"],
            "Rejected valet key {key_id}: secret fails its checksum",
        ),
        (
            REJECTIONS["wrong secret"],
            "Rejected valet key {key_id}: unknown identifier or wrong secret",
        ),
    ],
    ids=["other scheme", "no colon", "bad checksum", "wrong secret"],
)
def test_each_rejection_is_logged_at_debug_with_its_reason(
    key, secret, caplog, make_header, message
):
    view, _ = _recording_view()
    with caplog.at_level(logging.DEBUG, logger="valet_keys"):
        view(_request(make_header(key, secret)))
    assert caplog.messages == [message.format(key_id=key.key_id)]
    assert all(record.levelno == logging.DEBUG for record in caplog.records)


def test_unknown_identifier_and_wrong_secret_log_the_same_reason(key, secret, caplog):
    unknown_id = generate_key_id()
    view, _ = _recording_view()
    with caplog.at_level(logging.DEBUG, logger="valet_keys"):
        view(_request(basic_auth(unknown_id, secret)))
        view(_request(basic_auth(key.key_id, generate_secret())))
    reasons = [message.split(": ", 1)[1] for message in caplog.messages]
    assert reasons == ["unknown identifier or wrong secret"] * 2


# required=True


def test_required_answers_401_with_a_basic_challenge(client):
    response = client.get("/robots-only/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="valet-keys", charset="UTF-8"'
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"A valid valet key is required.\n"


def test_required_answers_401_to_a_logged_in_user_without_a_key(client, user):
    client.force_login(user)
    assert client.get("/robots-only/").status_code == 401


@override_settings(VALET_KEYS={"REALM": 'Example "robots"'})
def test_required_realm_comes_from_settings_and_is_quoted(client):
    response = client.get("/robots-only/")
    assert response["WWW-Authenticate"] == (
        'Basic realm="Example \\"robots\\"", charset="UTF-8"'
    )


def test_required_calls_the_view_for_a_valid_key(client, key, authorization):
    response = client.get("/robots-only/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200
    assert response.content.decode() == f"Key {key.key_id}"


def test_called_without_arguments_works_like_bare():
    @accepts_valet_key()
    def view(request):
        return HttpResponse(repr(request.valet_key))

    assert view(_request()).content == b"None"


def test_the_decorated_view_keeps_its_name_and_docstring():
    def my_view(request: HttpRequest) -> HttpResponse:
        """Say hello."""
        return HttpResponse()

    decorated = accepts_valet_key(my_view)
    assert decorated.__name__ == "my_view"
    assert decorated.__doc__ == "Say hello."
    assert decorated.__wrapped__ is my_view


def test_an_async_view_stays_async():
    from asgiref.sync import iscoroutinefunction

    async def view(request):
        return HttpResponse()

    assert iscoroutinefunction(accepts_valet_key(view))
    assert iscoroutinefunction(accepts_valet_key(required=True)(view))


def test_an_async_view_receives_the_key(async_client, key, user, authorization):
    get = async_to_sync(async_client.get)
    response = get("/hello-async/", AUTHORIZATION=authorization)
    assert response.content.decode() == ROBOT_GREETING.format(user.username)


# CSRF


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("url", ["/hello/", "/hello-class/"])
def test_a_session_post_without_a_csrf_token_is_refused(csrf_client, user, url):
    csrf_client.force_login(user)
    response = csrf_client.post(url)
    assert response.status_code == 403
    assert b"CSRF" in response.content


@pytest.mark.parametrize("url", ["/hello/", "/hello-class/"])
def test_a_post_with_a_valid_key_needs_no_csrf_token(
    csrf_client, user, authorization, url
):
    response = csrf_client.post(url, HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200
    assert response.content.decode() == ROBOT_GREETING.format(user.username)


def test_a_session_post_with_an_invalid_key_still_needs_a_csrf_token(
    csrf_client, user, key
):
    csrf_client.force_login(user)
    response = csrf_client.post(
        "/hello/", HTTP_AUTHORIZATION=basic_auth(key.key_id, generate_secret())
    )
    assert response.status_code == 403


def test_a_session_post_with_a_csrf_token_is_accepted(csrf_client, user):
    csrf_client.force_login(user)
    csrf_client.get("/keys/new/")  # Sets the CSRF cookie.
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post("/hello/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.content.decode() == USER_GREETING


def test_an_async_session_post_without_a_csrf_token_is_refused(user):
    client = AsyncClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = async_to_sync(client.post)("/hello-async/")
    assert response.status_code == 403


@override_settings(
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]
)
def test_a_site_without_csrf_middleware_gets_no_csrf_check(csrf_client, user):
    csrf_client.force_login(user)
    assert csrf_client.post("/hello/").status_code == 200


# Cost


def test_an_authenticated_request_costs_one_query(
    client, authorization, django_assert_num_queries
):
    # The first request also writes last_used_at; the second is inside the
    # interval and reads only.
    client.get("/hello/", HTTP_AUTHORIZATION=authorization)
    with django_assert_num_queries(1):
        response = client.get("/hello/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200


def test_the_first_use_also_writes_last_used_at(key, authorization):
    view, _ = _recording_view()
    with CaptureQueriesContext(connection) as queries:
        view(_request(authorization))
    assert len(queries) == 2
    assert queries[1]["sql"].startswith("UPDATE")
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_last_used_at_is_written_again_after_the_interval(key, authorization):
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    Key.objects.filter(pk=key.pk).update(last_used_at=long_ago)
    view, _ = _recording_view()
    view(_request(authorization))
    key.refresh_from_db()
    assert key.last_used_at > long_ago


@override_settings(VALET_KEYS={"LAST_USED_INTERVAL": datetime.timedelta(days=1)})
def test_last_used_at_is_not_written_within_the_interval(key, authorization):
    recently = timezone.now() - datetime.timedelta(hours=1)
    Key.objects.filter(pk=key.pk).update(last_used_at=recently)
    view, _ = _recording_view()
    view(_request(authorization))
    key.refresh_from_db()
    assert key.last_used_at == recently


def test_rejections_before_the_database_cost_no_query(key, secret):
    view, _ = _recording_view()
    with CaptureQueriesContext(connection) as queries:
        view(_request(REJECTIONS["bad checksum"](key, secret)))
        view(_request(REJECTIONS["bad base64"](key, secret)))
    assert len(queries) == 0


def test_the_loaded_key_and_owner_match_the_orm(key, user, authorization):
    view, seen = _recording_view()
    view(_request(authorization))
    loaded, expected = seen["valet_key"], Key.objects.select_related("user").get()
    for field in Key._meta.concrete_fields:
        if field.name == "last_used_at":
            continue
        assert getattr(loaded, field.attname) == getattr(expected, field.attname)
    for field in type(user)._meta.concrete_fields:
        assert getattr(loaded.user, field.attname) == getattr(
            expected.user, field.attname
        )
    assert loaded.created.tzinfo is not None
    assert loaded.is_disabled is False


def test_a_view_decorated_twice_looks_the_key_up_once(key, authorization):
    used = []

    def receiver(sender, key, **kwargs):
        used.append(key.key_id)

    view, seen = _recording_view()
    twice = accepts_valet_key(view)
    twice(_request(authorization))  # Writes last_used_at once.
    used.clear()
    signals.key_used.connect(receiver)
    try:
        with CaptureQueriesContext(connection) as queries:
            twice(_request(authorization))
    finally:
        signals.key_used.disconnect(receiver)
    assert len(queries) == 1
    assert used == [key.key_id]
    assert seen["valet_key"] == key
