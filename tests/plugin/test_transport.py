"""The in-process transport: requests reach Django as from a server.

These run on every database vendor: whether views share the test's
transaction, and keep its connection open, depends on the backend.
"""

import time

import pytest
import requests
import responses
from django.core.signals import request_finished
from django.db import connection

from pytest_valet_keys.transport import DjangoAdapter, ViewError
from tests.plugin import views
from tests.testapp.models import Comment, Post
from valet_keys_client import Forbidden, ServerError

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.plugin.urls")]


@pytest.fixture
def session(valet_key):
    """A bare requests session into Django, presenting the test's key."""
    with requests.Session() as session:
        adapter = DjangoAdapter()
        session.mount("http://testserver/", adapter)
        session.mount("https://testserver/", adapter)
        session.auth = valet_key.auth
        yield session


# What the view sees.


def test_a_request_reaches_the_view_as_a_server_would_pass_it(robot, valet_key):
    response = robot.get("plugin/echo/", params={"page": "2", "tag": ["a", "b"]})

    seen = response.json()
    assert seen["method"] == "GET"
    assert seen["path"] == "/plugin/echo/"
    assert seen["query"] == {"page": ["2"], "tag": ["a", "b"]}
    assert seen["host"] == "testserver"
    assert seen["secure"] is False
    assert seen["remote_addr"] == "127.0.0.1"
    assert seen["key_id"] == valet_key.key_id
    assert seen["headers"]["User-Agent"] == robot.user_agent


def test_an_https_url_reaches_the_view_as_a_secure_request(session):
    seen = session.get("https://testserver/plugin/echo/").json()

    assert seen["secure"] is True
    assert seen["host"] == "testserver"


def test_a_percent_encoded_path_reaches_the_view_decoded(session):
    seen = session.get("http://testserver/plugin/echo/caf%C3%A9/").json()

    assert seen["rest"] == "café/"


def test_a_form_reaches_the_view_as_post_data(robot):
    seen = robot.post("plugin/echo/", data={"comment": "Très bien", "n": "1"}).json()

    assert seen["form"] == {"comment": ["Très bien"], "n": ["1"]}


def test_a_json_body_reaches_the_view_as_it_was_sent(robot):
    seen = robot.post("plugin/echo/", json={"title": "Hello"}).json()

    assert seen["body"] == '{"title": "Hello"}'
    assert seen["headers"]["Content-Type"] == "application/json"


def test_a_file_upload_reaches_the_view_as_a_file(session):
    files = {"report": ("report.txt", b"all good\n", "text/plain")}

    seen = session.post("http://testserver/plugin/echo/", files=files).json()

    assert seen["files"] == {"report": "all good\n"}


def test_a_generator_body_reaches_the_view_whole(session):
    chunks = (part for part in [b"first ", b"second"])

    seen = session.post("http://testserver/plugin/echo/", data=chunks).json()

    assert seen["body"] == "first second"


def test_header_names_with_underscores_are_dropped_as_servers_do(session):
    headers = {"X-Robot-Name": "dusty", "X_Robot_Name": "spoofed"}

    seen = session.get("http://testserver/plugin/echo/", headers=headers).json()

    assert seen["headers"]["X-Robot-Name"] == "dusty"


# What the robot gets back.


def test_a_response_has_the_status_reason_headers_and_url_of_the_view(robot):
    response = robot.get("hello/")

    assert response.status_code == 200
    assert response.reason == "OK"
    assert response.headers["Content-Type"] == "text/plain"
    assert response.headers["content-length"] == str(len(response.content))
    assert response.url == "http://testserver/hello/"


def test_cookies_set_by_the_site_are_kept_and_sent_back(robot):
    response = robot.get("plugin/cookies/")

    assert response.cookies.get_dict() == {"flavour": "oatmeal", "colour": "blue"}
    assert robot.session.cookies.get_dict() == {"flavour": "oatmeal", "colour": "blue"}
    seen = robot.get("plugin/echo/").json()
    assert seen["cookies"] == {"flavour": "oatmeal", "colour": "blue"}


def test_several_set_cookie_headers_are_joined_as_over_a_network(robot):
    response = robot.get("plugin/cookies/")

    assert response.headers["Set-Cookie"] == (
        "flavour=oatmeal; Path=/, colour=blue; HttpOnly; Path=/"
    )


def test_a_redirect_is_followed_with_the_key(robot, valet_key):
    response = robot.get("plugin/redirect/")

    assert [step.status_code for step in response.history] == [302]
    assert response.url == "http://testserver/plugin/echo/?from=redirect"
    assert response.json()["key_id"] == valet_key.key_id


def test_a_redirect_is_returned_as_it_is_when_not_followed(robot):
    response = robot.get("plugin/redirect/", allow_redirects=False)

    assert response.status_code == 302
    assert response.headers["Location"] == "/plugin/echo/?from=redirect"


def test_a_streaming_response_is_produced_as_it_is_read(session):
    response = session.get("http://testserver/plugin/stream/", stream=True)

    assert views.produced == []
    assert list(response.iter_lines()) == [b"chunk 0", b"chunk 1", b"chunk 2"]
    assert views.produced == [0, 1, 2, "closed"]


def test_a_streaming_response_closed_early_keeps_the_test_connection(session):
    post = Post.objects.create(slug="kept", title="Kept")

    with session.get("http://testserver/plugin/stream/", stream=True) as response:
        assert next(response.iter_content(chunk_size=4)) == b"chun"

    assert views.produced == [0, "closed"]
    assert connection.in_atomic_block
    assert Post.objects.get(slug="kept") == post


@pytest.mark.parametrize(
    ("path", "read"),
    [
        pytest.param("hello/", "all", id="whole"),
        pytest.param("plugin/stream/", "all", id="streamed"),
        pytest.param("plugin/stream/", "none", id="streamed-then-closed"),
    ],
)
def test_each_request_finishes_once_as_behind_a_server(session, path, read):
    finished = []

    def count(sender, **kwargs):
        finished.append(sender)

    request_finished.connect(count)
    try:
        response = session.get(f"http://testserver/{path}", stream=True)
        if read == "all":
            response.content  # noqa: B018 (reading is the point)
        response.close()
    finally:
        request_finished.disconnect(count)

    assert len(finished) == 1


def test_a_compressed_response_is_decompressed_as_over_a_network(session):
    response = session.get(
        "http://testserver/plugin/compressed/", headers={"Accept-Encoding": "gzip"}
    )

    assert response.headers["Content-Encoding"] == "gzip"
    assert response.text == "squeeze " * 100


def test_an_async_view_is_served_as_a_server_serves_it(robot, valet_user):
    response = robot.get("hello-async/")

    assert response.text == (
        f"HELLO ROBOT, I SEE YOU ARE IMPERSONATING {valet_user.username}"
    )


def test_a_head_request_gets_headers_without_a_body(session):
    response = session.head("http://testserver/hello/")

    assert response.status_code == 200
    assert response.content == b""


def test_a_no_content_response_has_no_body(session):
    response = session.get("http://testserver/plugin/no-content/")

    assert response.status_code == 204
    assert response.content == b""


# Exceptions and refusals.


def test_a_view_exception_is_raised_into_the_test(robot):
    with pytest.raises(ValueError, match=r"^The view broke\.$"):
        robot.get("plugin/broken/")


@pytest.mark.valet_robot(raise_request_exception=False)
def test_a_view_exception_reaches_the_robot_as_a_500_when_asked(robot):
    with pytest.raises(ServerError) as caught:
        robot.get("plugin/broken/", headers={"Accept": "text/plain"})

    assert caught.value.status_code == 500


def test_a_requests_error_in_a_view_is_not_taken_for_the_robots_own(robot):
    with pytest.raises(ViewError) as caught:
        robot.get("plugin/broken-upstream/")

    assert str(caught.value) == (
        "The view raised requests.exceptions.ConnectionError: "
        "The upstream service is down."
    )
    assert isinstance(caught.value.__cause__, requests.ConnectionError)


def test_csrf_protection_refuses_a_robot_on_a_view_without_the_decorator(robot):
    assert robot.get("plugin/unguarded/").json() == {"method": "GET"}
    with pytest.raises(Forbidden):
        robot.post("plugin/unguarded/", data={"comment": "hi"})


def test_csrf_protection_refuses_a_post_without_a_valid_key(session):
    session.auth = None

    response = session.post("http://testserver/plugin/echo/", data={"a": "1"})

    assert response.status_code == 403


def test_the_robot_retries_a_busy_site_without_waiting(robot, monkeypatch):
    views.busy_calls.clear()
    monkeypatch.setattr(time, "sleep", pytest.fail)

    with pytest.raises(ServerError) as caught:
        robot.get("plugin/busy/")

    assert caught.value.status_code == 503
    assert views.busy_calls == ["GET"] * (robot.retries.total + 1)


@pytest.mark.valet_robot(retries=1, user_agent_extra="nightly/1.0")
def test_the_valet_robot_marker_configures_the_client(robot, monkeypatch):
    views.busy_calls.clear()
    monkeypatch.setattr(time, "sleep", pytest.fail)

    seen = robot.get("plugin/echo/").json()
    with pytest.raises(ServerError):
        robot.get("plugin/busy/")

    assert seen["headers"]["User-Agent"].endswith(" nightly/1.0")
    assert views.busy_calls == ["GET", "GET"]


def test_a_responses_mock_does_not_intercept_the_robot(robot):
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, "https://upstream.example/", body="mocked")

        assert robot.get("hello/").text.startswith("HELLO ROBOT")
        assert requests.get("https://upstream.example/", timeout=1).text == "mocked"


# The database.


def test_the_view_and_the_test_share_one_transaction(robot, valet_actions):
    post = Post.objects.create(slug="shared", title="Shared")

    robot.post("posts/shared/comment/", data={"comment": "Seen both ways"})

    assert connection.in_atomic_block
    assert Comment.objects.get(post=post).content == "Seen both ways"
    valet_actions.assert_logged("blog.commented", target=post)


def test_the_test_connection_stays_open_across_requests(robot):
    Post.objects.create(slug="one", title="One")

    for _ in range(3):
        robot.get("hello/")

    assert connection.connection is not None
    assert Post.objects.filter(slug="one").exists()
