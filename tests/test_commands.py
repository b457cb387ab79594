import datetime
import os
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.testapp.models import Post
from valet_keys.credentials import SECRET_PATTERN, digest_secret
from valet_keys.models import Key

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("valet_keys", *args, stdout=out)
    return out.getvalue()


def test_create_prints_the_identifier_and_the_secret_once(user):
    output = run("create", "--user", "ada", "--description", "Backup robot")
    key = Key.objects.get(user=user)
    secret = SECRET_PATTERN.search(output).group()
    assert f"Key identifier: {key.key_id}\n" in output
    assert f"Secret:         {secret}\n" in output
    assert "shown only this once" in output
    assert key.secret_digest == digest_secret(secret)
    assert key.description == "Backup robot"


def test_create_with_an_expiry(user):
    when = (timezone.now() + datetime.timedelta(days=1)).replace(microsecond=0)
    run("create", "--user", "ada", "--description", "R", "--expires", when.isoformat())
    assert Key.objects.get(user=user).expires_at == when


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody", "--description", "R"], "No user named 'nobody'."),
        (["--user", "ada", "--description", "  "], "--description must not be empty."),
        (
            ["--user", "ada", "--description", "x" * 201],
            "--description is at most 200 characters; got 201.",
        ),
        (
            ["--user", "ada", "--description", "R", "--expires", "soon"],
            "--expires must be an ISO 8601 date and time, such as "
            "2027-01-31T18:00; got 'soon'.",
        ),
        (
            ["--user", "ada", "--description", "R", "--expires", "2027-02-30T00:00"],
            "--expires must be an ISO 8601 date and time, such as "
            "2027-01-31T18:00; got '2027-02-30T00:00'.",
        ),
        (
            ["--user", "ada", "--description", "R", "--expires", "2001-01-01T00:00"],
            "--expires must be in the future; got '2001-01-01T00:00'.",
        ),
    ],
    ids=[
        "unknown user",
        "empty",
        "too long",
        "unreadable expiry",
        "no such day",
        "past",
    ],
)
def test_create_refuses_bad_arguments_and_mints_nothing(user, args, message):
    with pytest.raises(CommandError, match=f"^{re.escape(message)}$"):
        run("create", *args)
    assert not Key.objects.exists()


def test_list_shows_keys_with_status(user, other_user):
    active, _ = Key.objects.mint(user, "Active robot")
    disabled, _ = Key.objects.mint(user, "Disabled robot")
    disabled.disable()
    others, _ = Key.objects.mint(other_user, "Other robot")
    everything = run("list")
    assert f"{active.key_id}\tactive\tada\t" in everything
    assert f"{disabled.key_id}\tdisabled\tada\t" in everything
    assert others.key_id in everything
    only_ada = run("list", "--user", "ada")
    assert others.key_id not in only_ada
    assert only_ada.count("\n") == 2


def test_list_says_when_there_are_no_keys(user):
    assert run("list", "--user", "ada") == "No keys.\n"


def test_disable_disables_once(key):
    assert run("disable", key.key_id) == f"Disabled {key.key_id}.\n"
    key.refresh_from_db()
    assert key.is_disabled
    again = run("disable", key.key_id)
    assert (
        again
        == f"{key.key_id} was already disabled at {key.disabled_at.isoformat()}.\n"
    )


@pytest.mark.parametrize("subcommand", ["disable", "history"])
def test_an_unknown_key_is_a_clear_error(db, subcommand):
    with pytest.raises(CommandError, match=r"^No key with identifier 'vk_nope'\.$"):
        run(subcommand, "vk_nope")


def test_history_prints_actions_newest_first(key):
    post = Post.objects.create(slug="p", title="A post")
    first = key.log("robot.started")
    second = key.log("blog.commented", post, "Line one\nline two")
    lines = run("history", key.key_id).splitlines()
    assert lines == [
        f"{second.created.isoformat()}\tblog.commented\tA post\tLine one line two",
        f"{first.created.isoformat()}\trobot.started\t-\t",
    ]
    assert run("history", key.key_id, "--limit", "1").count("\n") == 1


def test_history_refuses_a_limit_below_one(key):
    with pytest.raises(CommandError, match=r"^--limit must be at least 1; got 0\.$"):
        run("history", key.key_id, "--limit", "0")


def test_a_missing_subcommand_is_a_usage_error(db):
    with pytest.raises(
        CommandError,
        match=r"^Error: the following arguments are required: "
        r"\{create,list,disable,history\}$",
    ):
        call_command("valet_keys")


def test_usage_errors_on_the_command_line_print_no_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "django", "valet_keys", "create", "--user", "ada"],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        check=False,
    )
    assert result.returncode == 2
    assert "the following arguments are required: --description" in result.stderr
    assert "Traceback" not in result.stderr
