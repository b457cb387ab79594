"""The robot's SDK against REST framework views, served on 127.0.0.1.

pytest-django's ``live_server`` runs the test project in a thread of this
process, and ``valet_keys_client.Client`` reaches it through a real socket.
"""

import pytest

from tests.drf import NO_REST_FRAMEWORK

pytest.importorskip("rest_framework", reason=NO_REST_FRAMEWORK)

from tests.testapp.models import Comment
from valet_keys.credentials import generate_key_id, generate_secret
from valet_keys.models import Key, KeyAction
from valet_keys_client import Client, Unauthorized

# The live server answers from its own thread and connection, so the test's
# data must be committed for it to see.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def robot(live_server, minted):
    key, secret = minted
    with Client(live_server.url, key.key_id, secret, retries=0) as client:
        yield client


def test_the_robot_is_its_owner_on_a_rest_framework_view(robot, key):
    response = robot.get("/api/who/")
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "user": "ada",
        "auth": key.key_id,
        "valet_key": key.key_id,
        "authenticator": "ValetKeyAuthentication",
    }


def test_the_robot_posts_json_and_its_comment_is_logged(robot, key, user, post):
    response = robot.post(
        f"/api/posts/{post.slug}/comments/", json={"content": "Lovely light."}
    )
    comment = Comment.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "id": comment.pk,
        "author": "ada",
        "content": "Lovely light.",
    }
    action = KeyAction.objects.get()
    assert (action.key, action.action, action.content_object, action.notes) == (
        key,
        "blog.commented",
        post,
        "Lovely light.",
    )
    assert robot.get(f"/api/posts/{post.slug}/comments/").json() == [
        {"id": comment.pk, "author": "ada", "content": "Lovely light."}
    ]


def test_a_disabled_key_is_unauthorized_with_the_challenge(robot, key, post):
    assert robot.get("/api/robots-only/").status_code == 200
    Key.objects.get(pk=key.pk).disable()

    with pytest.raises(Unauthorized, match=r"^401 Unauthorized for POST http://") as e:
        robot.post(f"/api/posts/{post.slug}/comments/", json={"content": "Late"})
    assert e.value.response.json() == {
        "detail": "Invalid valet key: unknown, wrong secret, disabled or expired."
    }
    assert e.value.response.headers["WWW-Authenticate"] == (
        'Basic realm="valet-keys", charset="UTF-8"'
    )
    assert Comment.objects.count() == 0


def test_a_key_the_site_does_not_know_is_unauthorized(live_server, db):
    stray = Client(live_server.url, generate_key_id(), generate_secret(), retries=0)
    with stray, pytest.raises(Unauthorized) as e:
        stray.get("/api/who/")
    assert e.value.response.json() == {
        "detail": "Invalid valet key: unknown, wrong secret, disabled or expired."
    }


def test_the_robot_passes_the_valet_key_permission(robot, key):
    response = robot.get("/api/robots-only/")
    assert response.json()["auth"] == key.key_id
