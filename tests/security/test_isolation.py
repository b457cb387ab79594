"""Each person reaches only their own keys, and keys reach no person's pages.

``tests/test_views.py`` covers the basics (another user's key is a 404,
anonymous GETs go to login, the disable page confirms on GET) and
``tests/test_decorators.py`` a session POST without a token; this adds what
changes state: anonymous POSTs, POSTs without a CSRF token, methods that
must be refused, robots on the people's pages, and a session user on a
decorated view whatever the Authorization header says.
"""

from __future__ import annotations

import datetime
import re

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.test import AsyncClient, Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import basic_auth
from valet_keys.credentials import generate_key_id, generate_secret
from valet_keys.models import Key

pytestmark = pytest.mark.django_db


def form_token(client):
    page = client.get(reverse("valet_keys:new")).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', page)[1]


def csrf_token(client):
    # The create page carries a form, so it sets the CSRF cookie.
    client.get(reverse("valet_keys:new"))
    return client.cookies["csrftoken"].value


# People and their keys


@pytest.mark.parametrize("page", ["new", "disable"])
def test_anonymous_posts_go_to_login_and_change_nothing(client, key, page):
    url = reverse(f"valet_keys:{page}", args=[key.key_id] if page == "disable" else [])
    response = client.post(url, {"description": "Robot", "form_token": "x"})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    key.refresh_from_db()
    assert not key.is_disabled
    assert Key.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "takes_key", "method"),
    [
        ("valet_keys:list", False, "post"),
        ("valet_keys:list", False, "delete"),
        ("valet_keys:new", False, "put"),
        ("valet_keys:history", True, "post"),
        ("valet_keys:history", True, "delete"),
        ("valet_keys:disable", True, "patch"),
        ("valet_keys:whoami", False, "post"),
    ],
)
def test_each_page_refuses_the_methods_it_does_not_serve(
    client, user, key, authorization, name, takes_key, method
):
    client.force_login(user)
    url = reverse(name, args=[key.key_id] if takes_key else [])
    response = getattr(client, method)(url, HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 405
    key.refresh_from_db()
    assert not key.is_disabled


def test_a_get_with_form_fields_mints_nothing(client, user):
    client.force_login(user)
    response = client.get(
        reverse("valet_keys:new"), {"description": "Robot", "form_token": "x"}
    )
    assert response.status_code == 200
    assert not Key.objects.exists()


@pytest.mark.parametrize("page", ["new", "disable"])
def test_a_session_post_without_a_csrf_token_changes_nothing(user, key, page):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = form_token(client)
    url = reverse(f"valet_keys:{page}", args=[key.key_id] if page == "disable" else [])
    response = client.post(url, {"description": "Robot", "form_token": token})
    assert response.status_code == 403
    key.refresh_from_db()
    assert not key.is_disabled
    assert Key.objects.count() == 1


@pytest.mark.parametrize("page", ["new", "disable"])
def test_a_session_post_with_another_sessions_csrf_token_is_refused(
    user, other_user, key, page
):
    stranger = Client(enforce_csrf_checks=True)
    stranger.force_login(other_user)
    stolen = csrf_token(stranger)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    csrf_token(client)
    url = reverse(f"valet_keys:{page}", args=[key.key_id] if page == "disable" else [])
    response = client.post(
        url,
        {"description": "Robot", "form_token": form_token(client)},
        HTTP_X_CSRFTOKEN=stolen,
    )
    assert response.status_code == 403
    key.refresh_from_db()
    assert not key.is_disabled


def test_a_form_token_from_another_user_mints_nothing_with_a_valid_csrf_token(
    user, other_user
):
    stranger = Client()
    stranger.force_login(other_user)
    token = form_token(stranger)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        reverse("valet_keys:new"),
        {"description": "Robot", "form_token": token},
        HTTP_X_CSRFTOKEN=csrf_token(client),
    )
    assert response.status_code == 409
    assert not Key.objects.exists()


# Robots on the people's pages


@pytest.mark.parametrize(
    ("name", "takes_key", "method"),
    [
        ("valet_keys:list", False, "get"),
        ("valet_keys:new", False, "get"),
        ("valet_keys:new", False, "post"),
        ("valet_keys:disable", True, "post"),
        ("valet_keys:history", True, "get"),
    ],
)
def test_a_key_does_not_log_a_robot_into_the_pages(
    client, key, authorization, name, takes_key, method
):
    url = reverse(name, args=[key.key_id] if takes_key else [])
    data = {"description": "Robot"} if method == "post" else {}
    response = getattr(client, method)(url, data, HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    key.refresh_from_db()
    assert not key.is_disabled
    assert Key.objects.count() == 1


def test_a_key_does_not_change_who_is_logged_into_the_pages(
    client, other_user, key, authorization
):
    theirs, _ = Key.objects.mint(other_user, "Mallory's robot")
    client.force_login(other_user)
    listing = client.get(reverse("valet_keys:list"), HTTP_AUTHORIZATION=authorization)
    assert list(listing.context["keys"]) == [theirs]
    history = client.get(
        reverse("valet_keys:history", args=[key.key_id]),
        HTTP_AUTHORIZATION=authorization,
    )
    assert history.status_code == 404


# A session user on a decorated view keeps CSRF protection


def expired(key, secret):
    Key.objects.filter(pk=key.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    return basic_auth(key.key_id, secret)


def disabled(key, secret):
    key.disable()
    return basic_auth(key.key_id, secret)


def owner_inactive(key, secret):
    User.objects.filter(pk=key.user_id).update(is_active=False)
    return basic_auth(key.key_id, secret)


UNUSABLE_HEADERS = {
    "none": lambda key, secret: None,
    "other scheme": lambda key, secret: f"Bearer {secret}",
    "malformed": lambda key, secret: "Basic !!!",
    "unknown identifier": lambda key, secret: basic_auth(generate_key_id(), secret),
    "wrong secret": lambda key, secret: basic_auth(key.key_id, generate_secret()),
    "disabled key": disabled,
    "expired key": expired,
    "inactive owner": owner_inactive,
}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "make_header", UNUSABLE_HEADERS.values(), ids=UNUSABLE_HEADERS.keys()
)
@pytest.mark.parametrize("url", ["/hello/", "/hello-class/", "/posts/p/comment/"])
def test_a_session_without_a_usable_key_still_needs_a_csrf_token(
    other_user, minted, make_header, method, url
):
    key, secret = minted
    header = make_header(key, secret)
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_user)
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = getattr(client, method)(url, **extra)
    assert response.status_code == 403
    assert b"CSRF" in response.content


@pytest.mark.parametrize(
    "make_header", UNUSABLE_HEADERS.values(), ids=UNUSABLE_HEADERS.keys()
)
def test_an_async_session_without_a_usable_key_still_needs_a_csrf_token(
    other_user, minted, make_header
):
    key, secret = minted
    header = make_header(key, secret)
    client = AsyncClient(enforce_csrf_checks=True)
    client.force_login(other_user)
    extra = {} if header is None else {"AUTHORIZATION": header}
    response = async_to_sync(client.post)("/hello-async/", **extra)
    assert response.status_code == 403


def test_admin_pages_are_for_staff_only(client, user, key):
    client.force_login(user)
    for url in [
        reverse("admin:valet_keys_key_changelist"),
        reverse("admin:valet_keys_key_change", args=[key.pk]),
        reverse("admin:valet_keys_keyaction_changelist"),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
