"""The key where views and serializers can log with it."""

import pytest

from tests.drf import NO_REST_FRAMEWORK

pytest.importorskip("rest_framework", reason=NO_REST_FRAMEWORK)

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import ForcedAuthentication, Request
from rest_framework.test import APIRequestFactory

from tests.testapp.api import WhoView
from tests.testapp.models import Comment
from valet_keys.models import KeyAction
from valet_keys.rest_framework import ValetKeyAuthentication, get_valet_key

pytestmark = pytest.mark.django_db


def _actions():
    return [
        (action.key_id, action.action, action.content_object, action.notes)
        for action in KeyAction.objects.order_by("created", "id")
    ]


def test_a_robot_comment_is_logged_by_the_serializer(
    api_client, key, user, authorization, post
):
    response = api_client.post(
        f"/api/posts/{post.slug}/comments/",
        {"content": "Lovely light."},
        format="json",
        HTTP_AUTHORIZATION=authorization,
    )
    assert response.status_code == 201
    comment = Comment.objects.get()
    assert response.json() == {
        "id": comment.pk,
        "author": "ada",
        "content": "Lovely light.",
    }
    assert (comment.post, comment.author) == (post, user)
    assert _actions() == [(key.pk, "blog.commented", post, "Lovely light.")]


def test_a_session_comment_is_not_logged_as_a_robot_action(api_client, user, post):
    api_client.force_login(user)
    api_client.get("/keys/new/")  # a page with a form, which sets the cookie
    response = api_client.post(
        f"/api/posts/{post.slug}/comments/",
        {"content": "By hand."},
        format="json",
        HTTP_X_CSRFTOKEN=api_client.cookies["csrftoken"].value,
    )
    assert response.status_code == 201
    assert Comment.objects.get().author == user
    assert _actions() == []


def test_an_anonymous_comment_is_refused_and_anyone_may_read(
    api_client, key, authorization, post
):
    api_client.post(
        f"/api/posts/{post.slug}/comments/",
        {"content": "First!"},
        format="json",
        HTTP_AUTHORIZATION=authorization,
    )
    refused = api_client.post(
        f"/api/posts/{post.slug}/comments/", {"content": "Me too"}, format="json"
    )
    listed = api_client.get(f"/api/posts/{post.slug}/comments/")
    assert refused.status_code == 401
    assert listed.status_code == 200
    assert [c["content"] for c in listed.json()] == ["First!"]


def test_a_view_written_for_the_decorator_logs_through_request_valet_key(
    api_client, key, authorization, post
):
    response = api_client.post(
        f"/api/posts/{post.slug}/visit/", HTTP_AUTHORIZATION=authorization
    )
    assert response.status_code == 200
    assert _actions() == [(key.pk, "blog.visited", post, "")]


def test_a_view_written_for_the_decorator_sees_none_for_a_session(
    api_client, user, post
):
    api_client.force_login(user)
    api_client.get("/keys/new/")
    response = api_client.post(
        f"/api/posts/{post.slug}/visit/",
        HTTP_X_CSRFTOKEN=api_client.cookies["csrftoken"].value,
    )
    assert response.status_code == 200
    assert response.json()["valet_key"] is None
    assert _actions() == []


# get_valet_key, for code that is handed either kind of request.


def _drf_request(authorization=None):
    factory = APIRequestFactory()
    extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    http_request = factory.get("/api/who/", **extra)
    http_request.user = AnonymousUser()
    view = WhoView()
    return Request(http_request, authenticators=view.get_authenticators())


def test_get_valet_key_reads_an_authenticated_rest_framework_request(
    key, authorization
):
    assert get_valet_key(_drf_request(authorization)) == key


def test_get_valet_key_is_none_for_an_anonymous_rest_framework_request():
    assert get_valet_key(_drf_request()) is None


def test_get_valet_key_is_none_for_a_request_authenticated_otherwise(user):
    http_request = APIRequestFactory().get("/")
    request = Request(
        http_request, authenticators=[ForcedAuthentication(user, "another token")]
    )
    assert get_valet_key(request) is None


def test_get_valet_key_is_none_where_another_class_authenticated_first(
    user, authorization
):
    # ValetKeyAuthentication never ran, so request.valet_key was never set;
    # get_valet_key still answers.
    http_request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=authorization)
    http_request.user = user
    request = Request(
        http_request,
        authenticators=[SessionAuthentication(), ValetKeyAuthentication()],
    )
    assert get_valet_key(request) is None
    assert request.user == user
    with pytest.raises(AttributeError, match="has no attribute 'valet_key'"):
        request.valet_key  # noqa: B018


def test_get_valet_key_reads_a_plain_request_the_decorator_saw(key):
    http_request = RequestFactory().get("/")
    http_request.valet_key = key
    assert get_valet_key(http_request) == key


def test_get_valet_key_is_none_for_a_plain_request_nothing_saw():
    assert get_valet_key(RequestFactory().get("/")) is None
