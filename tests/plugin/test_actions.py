"""valet_actions: what robots logged, and the failures that show it."""

import re
import uuid

import pytest

from pytest_valet_keys import ANY, ExpectedAction
from tests.testapp.models import Document, Post, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def tag():
    return Tag.objects.create(name="python")


@pytest.fixture
def other_key(valet_key_factory):
    return valet_key_factory()


def failure(call):
    """Return the message of the AssertionError that ``call`` raises."""
    with pytest.raises(AssertionError) as caught:
        call()
    return str(caught.value)


# Collecting.


def test_it_lists_actions_oldest_first(valet_actions, valet_key, tag):
    valet_key.key.log("blog.tagged", tag)
    valet_key.key.log("blog.published")

    assert [action.action for action in valet_actions] == [
        "blog.tagged",
        "blog.published",
    ]
    assert len(valet_actions) == 2
    assert valet_actions[0].target_repr == "#python"
    assert repr(valet_actions) == "<ValetActions: 2 logged>"


def test_it_sees_actions_logged_by_a_robot_in_a_view(robot, valet_actions):
    post = Post.objects.create(slug="hi", title="Hi")

    robot.post("posts/hi/comment/", data={"comment": "Well put."})

    assert valet_actions.filter("blog.commented", target=post) == list(valet_actions)


def test_clear_forgets_what_was_logged_so_far(valet_actions, valet_key):
    valet_key.key.log("setup.done")
    valet_actions.clear()
    valet_key.key.log("blog.published")

    assert [action.action for action in valet_actions] == ["blog.published"]


# Matching.


def test_assert_logged_returns_the_first_match(valet_actions, valet_key):
    first = valet_key.key.log("blog.published", notes="one")
    valet_key.key.log("blog.published", notes="two")

    assert valet_actions.assert_logged("blog.published") == first


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(lambda minted: minted, id="minted-key"),
        pytest.param(lambda minted: minted.key, id="key"),
        pytest.param(lambda minted: minted.key_id, id="key-id"),
    ],
)
def test_a_key_is_matched_in_any_of_its_forms(valet_actions, valet_key, other_key, key):
    valet_key.key.log("blog.published")

    valet_actions.assert_logged("blog.published", key=key(valet_key))
    valet_actions.assert_not_logged("blog.published", key=key(other_key))


def test_a_target_is_matched_by_model_and_primary_key(valet_actions, valet_key, tag):
    document = Document.objects.create(name="Plan")
    valet_key.key.log("docs.read", document)
    valet_key.key.log("blog.tagged", tag)

    valet_actions.assert_logged("docs.read", target=document)
    valet_actions.assert_logged("blog.tagged", target=Tag(name="python"))
    valet_actions.assert_not_logged("docs.read", target=Document(id=uuid.uuid4()))
    valet_actions.assert_not_logged("docs.read", target=tag)


def test_a_target_is_matched_by_its_snapshot_after_deletion(
    valet_actions, valet_key, tag
):
    valet_key.key.log("blog.untagged", tag)
    tag.delete()

    valet_actions.assert_logged("blog.untagged", target="#python")


def test_none_matches_only_an_action_without_a_target(valet_actions, valet_key, tag):
    valet_key.key.log("blog.tagged", tag)
    valet_key.key.log("blog.published")

    assert valet_actions.filter(target=None) == [valet_actions[1]]


def test_patterns_are_searched_in_the_action_and_notes(valet_actions, valet_key):
    valet_key.key.log("blog.commented", notes="Great post, thanks!")

    valet_actions.assert_logged(re.compile(r"^blog\."), notes=re.compile("thanks"))
    valet_actions.assert_not_logged(notes=re.compile("^thanks"))


def test_notes_given_as_text_must_match_exactly(valet_actions, valet_key):
    valet_key.key.log("blog.commented", notes="Great post")

    valet_actions.assert_not_logged(notes="Great")


def test_assert_not_logged_without_criteria_asserts_nothing_was_logged(
    valet_actions,
):
    valet_actions.assert_not_logged()


def test_assert_logged_in_order_skips_other_actions(valet_actions, valet_key, tag):
    drafted = valet_key.key.log("blog.drafted")
    valet_key.key.log("blog.tagged", tag)
    published = valet_key.key.log("blog.published", notes="live")

    found = valet_actions.assert_logged_in_order(
        "blog.drafted", valet_actions.expect("blog.published", notes="live")
    )

    assert found == [drafted, published]


def test_expect_builds_an_expected_action(valet_actions):
    assert valet_actions.expect("blog.tagged", notes="x") == ExpectedAction(
        action="blog.tagged", key=ANY, target=ANY, notes="x"
    )


# Failures: the expected action beside every one logged.


def test_assert_logged_shows_every_action_logged(valet_actions, valet_key, tag):
    valet_key.key.log("blog.tagged", tag, "First tag")
    valet_key.key.log("blog.published")

    message = failure(
        lambda: valet_actions.assert_logged("blog.tagged", target=tag, notes="First")
    )

    assert message == (
        "No logged action matches the expected one.\n"
        "  expected  key=<any>                    action='blog.tagged'     "
        "target=testapp.tag:python '#python'  notes='First'\n"
        f"  logged 1  key={valet_key.key_id}  action='blog.tagged'     "
        "target=testapp.tag:python '#python'  notes='First tag'\n"
        f"  logged 2  key={valet_key.key_id}  action='blog.published'  "
        "target=None                          notes=''"
    )


def test_assert_logged_says_when_nothing_was_logged(valet_actions, valet_key):
    message = failure(lambda: valet_actions.assert_logged("blog.tagged", key=valet_key))

    assert message == (
        "No logged action matches the expected one.\n"
        f"  expected  key={valet_key.key_id}  action='blog.tagged'  "
        "target=<any>  notes=<any>\n"
        "  logged    nothing"
    )


def test_assert_not_logged_points_at_the_actions_that_match(
    valet_actions, valet_key, tag
):
    valet_key.key.log("blog.tagged", tag)
    valet_key.key.log("blog.published")

    message = failure(lambda: valet_actions.assert_not_logged(target=tag))

    assert message == (
        "An action that should not have been logged was logged.\n"
        "  unexpected  key=<any>                    action=<any>             "
        "target=testapp.tag:python '#python'  notes=<any>\n"
        f"  logged 1    key={valet_key.key_id}  action='blog.tagged'     "
        "target=testapp.tag:python '#python'  notes=''     <- matches\n"
        f"  logged 2    key={valet_key.key_id}  action='blog.published'  "
        "target=None                          notes=''"
    )


def test_assert_logged_in_order_says_which_expected_action_is_missing(
    valet_actions, valet_key
):
    valet_key.key.log("blog.published")
    valet_key.key.log("blog.drafted")

    message = failure(
        lambda: valet_actions.assert_logged_in_order("blog.drafted", "blog.published")
    )

    assert message == (
        "The logged actions do not match the expected ones in order: nothing "
        "matches expected 2 after expected 1.\n"
        "  expected 1  key=<any>                    action='blog.drafted'    "
        "target=<any>  notes=<any>\n"
        "  expected 2  key=<any>                    action='blog.published'  "
        "target=<any>  notes=<any>\n"
        f"  logged 1    key={valet_key.key_id}  action='blog.published'  "
        "target=None   notes=''\n"
        f"  logged 2    key={valet_key.key_id}  action='blog.drafted'    "
        "target=None   notes=''     <- expected 1"
    )
