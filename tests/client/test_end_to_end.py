"""The SDK and the command against the real app, served on 127.0.0.1.

pytest-django's ``live_server`` runs the test project's URLs in a thread of
this process; the SDK reaches it through a real socket, and the command
line from another process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.testapp.models import Comment, Post
from valet_keys.models import Key, KeyAction
from valet_keys_client import Client, Forbidden, KeyInfo, Unauthorized

# The live server answers from its own thread and connection, so the test's
# data must be committed for it to see.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def owner(make_user):
    # A name beyond ASCII, to cross the wire in JSON both ways.
    return make_user("zoë")


@pytest.fixture
def minted(owner):
    return Key.objects.mint(owner, "Comment robot")


@pytest.fixture
def post(db):
    return Post.objects.create(slug="first-light", title="First light")


@pytest.fixture
def robot(live_server, minted):
    key, secret = minted
    with Client(live_server.url, key.key_id, secret, retries=0) as client:
        yield client


def test_whoami_describes_the_key(robot, minted):
    key, _ = minted

    assert robot.whoami() == KeyInfo(
        key_id=key.key_id,
        user="zoë",
        description="Comment robot",
        created=key.created,
        expires_at=None,
    )


def test_post_to_a_decorated_view_logs_the_action(robot, minted, post, owner):
    key, _ = minted

    response = robot.post(f"/posts/{post.slug}/comment/", data={"comment": "Lovely"})

    assert (response.status_code, response.text) == (201, "Thanks for your comment.")
    comment = Comment.objects.get()
    assert (comment.author, comment.content) == (owner, "Lovely")
    action = KeyAction.objects.get()
    assert (action.key, action.action, action.notes) == (
        key,
        "blog.commented",
        "Lovely",
    )
    assert action.content_object == post


def test_disabled_key_is_refused_on_the_next_request(robot, minted, post):
    key, _ = minted
    assert robot.whoami().key_id == key.key_id

    key.disable()

    with pytest.raises(Unauthorized, match=r"^401 Unauthorized for GET http://") as e:
        robot.whoami()
    assert e.value.response.headers["WWW-Authenticate"].startswith("Basic realm=")
    # Without a valid key, the decorated view gets Django's CSRF protection,
    # which a robot cannot pass.
    with pytest.raises(Forbidden, match=r"^403 Forbidden for POST http://"):
        robot.post(f"/posts/{post.slug}/comment/", data={"comment": "Too late"})
    assert KeyAction.objects.count() == 0
    assert Comment.objects.count() == 0


def _valet_keys(live_server, minted, *argv):
    key, secret = minted
    environment = {
        **os.environ,
        "VALET_KEYS_URL": live_server.url,
        "VALET_KEY_ID": key.key_id,
        "VALET_KEY_SECRET": secret,
    }
    return subprocess.run(
        [sys.executable, "-m", "valet_keys_client", *argv, "--retries", "0"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_command_line_checks_posts_and_is_refused_once_disabled(
    live_server, minted, post
):
    key, secret = minted

    whoami = _valet_keys(live_server, minted, "whoami")
    assert (whoami.returncode, whoami.stderr) == (0, "")
    assert json.loads(whoami.stdout) == {
        "key_id": key.key_id,
        "user": "zoë",
        "description": "Comment robot",
        "created": key.created.isoformat(),
        "expires_at": None,
    }

    comment = _valet_keys(
        live_server,
        minted,
        "POST",
        f"/posts/{post.slug}/comment/",
        "--data",
        "comment=From+the+shell",
    )
    assert (comment.returncode, comment.stdout, comment.stderr) == (
        0,
        "Thanks for your comment.\n",
        "",
    )
    assert KeyAction.objects.get().notes == "From the shell"

    key.disable()
    refused = _valet_keys(live_server, minted, "whoami")
    assert refused.returncode == 3
    assert refused.stdout == ""
    assert refused.stderr.startswith(
        f"valet-keys: 401 Unauthorized for GET {live_server.url}/keys/whoami/: check "
        f"the key identifier and secret, and that the key is neither disabled nor "
        f"expired\n"
    )
    assert secret not in refused.stderr
