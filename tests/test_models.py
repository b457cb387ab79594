import datetime
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.deletion import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.testapp.models import Document, Post, Tag
from valet_keys import signals
from valet_keys.credentials import KEY_ID_PATTERN, digest_secret, has_valid_checksum
from valet_keys.models import Key, KeyAction

pytestmark = pytest.mark.django_db


def test_mint_returns_the_key_and_its_secret_once(user):
    key, secret = Key.objects.mint(user, "Backup robot")
    assert KEY_ID_PATTERN.fullmatch(key.key_id)
    assert has_valid_checksum(secret)
    assert key.user == user
    assert key.owner_label == user.username
    assert key.description == "Backup robot"
    assert key.secret_digest == digest_secret(secret)
    assert not key.is_disabled
    assert key.expires_at is None


def test_mint_is_one_insert(user):
    with CaptureQueriesContext(connection) as queries:
        Key.objects.mint(user, "Backup robot")
    statements = [q["sql"].split()[0].upper() for q in queries]
    assert statements == ["INSERT"]


def test_mint_stores_only_the_digest(user):
    key, secret = Key.objects.mint(user, "Backup robot")
    row = Key.objects.filter(pk=key.pk).values().get()
    assert secret not in {str(value) for value in row.values()}
    assert row["secret_digest"] == digest_secret(secret)


def test_mint_with_expiry(user):
    expires_at = timezone.now() + datetime.timedelta(days=3)
    key, _ = Key.objects.mint(user, "Short-lived robot", expires_at=expires_at)
    key.refresh_from_db()
    assert key.expires_at == expires_at
    assert not key.is_expired


def test_mint_sends_key_created(user):
    received = []

    def receiver(sender, key, **kwargs):
        received.append(key)

    signals.key_created.connect(receiver)
    try:
        key, _ = Key.objects.mint(user, "Backup robot")
    finally:
        signals.key_created.disconnect(receiver)
    assert received == [key]


def test_repr_and_str_show_the_identifier_only(minted):
    key, secret = minted
    assert str(key) == key.key_id
    assert repr(key) == f"<Key {key.key_id} of user {key.user_id}>"
    assert secret not in repr(key) + str(key)
    assert key.secret_digest not in repr(key) + str(key)


def test_disable_records_when_and_is_idempotent(key):
    received = []

    def receiver(sender, key, **kwargs):
        received.append(key.key_id)

    signals.key_disabled.connect(receiver)
    try:
        key.disable()
        first_disabled_at = key.disabled_at
        key.disable()
    finally:
        signals.key_disabled.disconnect(receiver)
    key.refresh_from_db()
    assert key.is_disabled
    assert key.disabled_at == first_disabled_at
    assert received == [key.key_id]


def test_disable_through_a_stale_instance_keeps_the_first_time(key):
    stale = Key.objects.get(pk=key.pk)
    key.disable()
    stale.disable()
    assert stale.disabled_at == Key.objects.get(pk=key.pk).disabled_at


@pytest.mark.parametrize(
    "make_target",
    [
        pytest.param(
            lambda: Post.objects.create(slug="hi", title="Hi there"), id="int"
        ),
        pytest.param(lambda: Document.objects.create(name="Report"), id="uuid"),
        pytest.param(lambda: Tag.objects.create(name="robots"), id="str"),
    ],
)
def test_log_records_a_target_of_any_primary_key_type(key, make_target):
    target = make_target()
    action = key.log("blog.commented", target, "Nice post")
    action.refresh_from_db()
    assert action.key == key
    assert action.action == "blog.commented"
    assert action.content_object == target
    assert action.object_id == str(target.pk)
    assert action.target_repr == str(target)
    assert action.notes == "Nice post"


def test_log_without_a_target(key):
    action = key.log("robot.started")
    action.refresh_from_db()
    assert action.content_type is None
    assert action.object_id == ""
    assert action.content_object is None
    assert action.target_repr == ""
    assert action.notes == ""
    assert str(action) == "robot.started"


def test_log_keeps_the_target_url(key):
    post = Post.objects.create(slug="hello", title="Hello")
    action = key.log("blog.commented", post)
    assert action.target_url == "/posts/hello/"


def test_log_is_one_insert(key):
    post = Post.objects.create(slug="hello", title="Hello")
    ContentType.objects.get_for_model(post)  # Cached for the process.
    with CaptureQueriesContext(connection) as queries:
        key.log("blog.commented", post, "text")
    assert [q["sql"].split()[0].upper() for q in queries] == ["INSERT"]


def test_the_snapshot_survives_the_targets_deletion(key):
    post = Post.objects.create(slug="doomed", title="A doomed post")
    action = key.log("blog.commented", post, "First!")
    post.delete()
    action = KeyAction.objects.get(pk=action.pk)
    assert action.content_object is None
    assert action.target_repr == "A doomed post"
    assert str(action) == "blog.commented A doomed post"


def test_log_sends_action_logged(key):
    received = []

    def receiver(sender, action, **kwargs):
        received.append(action)

    signals.action_logged.connect(receiver)
    try:
        action = key.log("robot.started")
    finally:
        signals.action_logged.disconnect(receiver)
    assert received == [action]


@pytest.mark.parametrize(
    ("action", "target", "message"),
    [
        ("", None, "An action needs a name, such as 'blog.commented'."),
        ("x" * 101, None, "Action names are at most 100 characters; got 101."),
        (
            "blog.commented",
            Post(slug="unsaved"),
            "Cannot log an action on an unsaved Post.",
        ),
    ],
    ids=["empty action", "long action", "unsaved target"],
)
def test_log_refuses_bad_input_and_writes_nothing(key, action, target, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        key.log(action, target)
    assert not KeyAction.objects.exists()


def test_a_key_with_history_cannot_be_deleted(key):
    key.log("robot.started")
    with pytest.raises(ProtectedError):
        key.delete()


def test_deleting_the_owner_keeps_keys_and_history_and_disables_them(key, user):
    action = key.log("robot.started")
    user.delete()
    key.refresh_from_db()
    assert key.user is None
    assert key.owner_label == "ada"
    assert key.is_disabled
    assert key.disabled_at is not None
    assert not key.is_usable
    assert KeyAction.objects.get(pk=action.pk).key == key


def test_actions_are_newest_first(key):
    first = key.log("robot.first")
    second = key.log("robot.second")
    assert list(key.actions.all()) == [second, first]


def test_keys_are_newest_first(user):
    older, _ = Key.objects.mint(user, "Older")
    Key.objects.filter(pk=older.pk).update(
        created=timezone.now() - datetime.timedelta(days=1)
    )
    newer, _ = Key.objects.mint(user, "Newer")
    assert list(Key.objects.all()) == [newer, older]


def test_is_expired_follows_the_clock(key):
    key.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    assert key.is_expired
    assert not key.is_usable
    key.expires_at = timezone.now() + datetime.timedelta(hours=1)
    assert not key.is_expired
    assert key.is_usable


def test_object_ids_hold_uuids_as_text(key):
    document = Document.objects.create(id=uuid.UUID(int=7), name="Seven")
    action = key.log("docs.read", document)
    assert KeyAction.objects.get(pk=action.pk).object_id == str(uuid.UUID(int=7))
