"""The plugin's fixtures against REST framework views, as a user writes them.

``robot`` is the SDK routed in-process into Django, ``robot_client`` the
Django test client presenting the key, and ``valet_actions`` what was
logged; none of them needs to know that the views are REST framework's.
"""

import pytest

from tests.drf import NO_REST_FRAMEWORK

pytest.importorskip("rest_framework", reason=NO_REST_FRAMEWORK)

from valet_keys_client import Unauthorized

pytestmark = pytest.mark.django_db


def test_robot_is_the_keys_owner_on_a_rest_framework_view(robot, valet_key):
    response = robot.get("api/who/")
    assert response.json() == {
        "user": valet_key.user.get_username(),
        "auth": valet_key.key_id,
        "valet_key": valet_key.key_id,
        "authenticator": "ValetKeyAuthentication",
    }


def test_robot_comment_is_logged_through_the_serializer(
    robot, valet_key, valet_actions, post
):
    response = robot.post(
        f"api/posts/{post.slug}/comments/", json={"content": "Lovely light."}
    )
    assert response.status_code == 201
    assert response.json()["author"] == valet_key.user.get_username()
    valet_actions.assert_logged(
        "blog.commented", key=valet_key.key, target=post, notes="Lovely light."
    )


def test_robot_reading_comments_logs_nothing(robot, valet_actions, post):
    assert robot.get(f"api/posts/{post.slug}/comments/").json() == []
    valet_actions.assert_not_logged()


def test_robot_with_a_disabled_key_is_unauthorized(robot, valet_key, valet_actions):
    valet_key.key.disable()
    with pytest.raises(Unauthorized) as error:
        robot.get("api/robots-only/")
    assert error.value.response.headers["WWW-Authenticate"] == (
        'Basic realm="valet-keys", charset="UTF-8"'
    )
    valet_actions.assert_not_logged()


def test_robot_client_posts_json_without_a_csrf_token(
    robot_client, valet_key, valet_actions, post
):
    response = robot_client.post(
        f"/api/posts/{post.slug}/comments/",
        {"content": "From the test client."},
        content_type="application/json",
    )
    assert response.status_code == 201
    valet_actions.assert_logged(
        "blog.commented", key=valet_key.key, target=post, notes="From the test client."
    )


def test_robot_client_on_a_view_written_for_the_decorator(
    robot_client, valet_key, valet_actions, post
):
    response = robot_client.post(f"/api/posts/{post.slug}/visit/")
    assert response.status_code == 200
    valet_actions.assert_logged_in_order("blog.visited")
    valet_actions.assert_logged("blog.visited", key=valet_key.key, target=post)


@pytest.mark.parametrize("url", ["api/decorator-outside/", "api/decorator-inside/"])
def test_robot_on_a_view_with_both_the_decorator_and_the_class(
    robot, valet_key, django_assert_num_queries, url
):
    robot.get(url)  # the first use writes last_used_at
    with django_assert_num_queries(1):
        response = robot.post(url)
    assert response.json()["valet_key"] == valet_key.key_id
