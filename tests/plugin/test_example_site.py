"""The blog's comment view, tested as the site's developers would.

The ``comment`` view of the original documentation: a robot that POSTs a
comment with a valet key gets it saved, and ``blog.commented`` logged on the
post with the comment as notes. The same test runs through each way the
plugin offers to play the robot.
"""

import pytest

from tests.testapp.models import Comment, Post
from valet_keys_client import Forbidden

pytestmark = pytest.mark.django_db


@pytest.fixture
def post():
    return Post.objects.create(slug="hello-world", title="Hello, world")


def test_a_robot_comments_through_the_sdk(robot, valet_key, valet_actions, post):
    response = robot.post("posts/hello-world/comment/", data={"comment": "Great post!"})

    assert response.status_code == 201
    assert Comment.objects.get(post=post).author == valet_key.user
    valet_actions.assert_logged(
        "blog.commented", key=valet_key, target=post, notes="Great post!"
    )


def test_a_robot_comments_through_the_test_client(
    robot_client, valet_key, valet_actions, post
):
    response = robot_client.post(
        "/posts/hello-world/comment/", {"comment": "Great post!"}
    )

    assert response.status_code == 201
    valet_actions.assert_logged(
        "blog.commented", key=valet_key, target=post, notes="Great post!"
    )


def test_a_robot_comments_over_a_live_server(
    live_robot, valet_key, valet_actions, post
):
    response = live_robot.post(
        "posts/hello-world/comment/", data={"comment": "Great post!"}
    )

    assert response.status_code == 201
    valet_actions.assert_logged(
        "blog.commented", key=valet_key, target=post, notes="Great post!"
    )


def test_a_robot_with_a_disabled_key_cannot_comment(
    robot, valet_key, valet_actions, post
):
    valet_key.key.disable()

    # Without a valid key, the view is protected from CSRF like any other,
    # and a robot has no token.
    with pytest.raises(Forbidden):
        robot.post("posts/hello-world/comment/", data={"comment": "Great post!"})

    assert not Comment.objects.exists()
    valet_actions.assert_not_logged()


def test_several_comments_are_logged_in_order(robot, valet_actions, post):
    for text in ["First!", "Second thoughts."]:
        robot.post("posts/hello-world/comment/", data={"comment": text})

    valet_actions.assert_logged_in_order(
        valet_actions.expect("blog.commented", notes="First!"),
        valet_actions.expect("blog.commented", notes="Second thoughts."),
    )
