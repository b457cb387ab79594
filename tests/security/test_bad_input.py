"""No input to the pages or the management command ends in a 500.

The test client runs with ``raise_request_exception=False``, so a view that
raises gives the 500 a user would see instead of failing the test early.
The command is called the way ``manage.py`` calls it; anything but a
``CommandError`` (which Django prints as one line) would be a traceback.
"""

from __future__ import annotations

import datetime
import re
import urllib.parse
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from valet_keys.models import Key

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Text a person, a browser or an attacker might send, weighted towards the
# characters databases treat specially.
SPECIAL = "\x00\U0001f916'\"%_\\;\n\t é"
awkward_text = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(SPECIAL + "\udcff")),
    st.sampled_from(["", " ", "\x00", "vk_", "0", "-1", "9" * 40, "x" * 300]),
)
# Over HTTP text travels as UTF-8, which has no lone surrogates; bytes that
# are not UTF-8 at all reach a URL percent-encoded, below.
http_text = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=["Cs"])),
    st.text(alphabet=st.sampled_from(SPECIAL)),
    st.sampled_from(["", " ", "\x00", "vk_", "0", "-1", "9" * 40, "x" * 300]),
)

# Moments at the edges of what Python, the form and each database can hold.
ZONES = [
    datetime.UTC,
    datetime.timezone(datetime.timedelta(hours=14)),
    datetime.timezone(datetime.timedelta(hours=-14)),
]
moments = st.one_of(
    http_text,
    st.datetimes(timezones=st.sampled_from([None, *ZONES])).map(
        datetime.datetime.isoformat
    ),
    st.sampled_from(
        [
            "9999-12-31T23:59:59-14:00",
            "9999-12-31T23:59:59.999999",
            "0001-01-01T00:00:00+14:00",
            "2027-02-30T00:00",
            "2027-01-31 25:00",
            "2027-01-31T18:00+99:00",
        ]
    ),
)


@pytest.fixture
def browser(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def form_token(client):
    page = client.get(reverse("valet_keys:new")).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', page)[1]


# The create page


@PROPERTY
@given(description=http_text, expires_at=moments, fresh_token=st.booleans())
@example(description="Robot", expires_at="9999-12-31T23:59:59-14:00", fresh_token=True)
@example(description="Robot\x00", expires_at="", fresh_token=True)
def test_the_create_form_answers_every_input_without_a_500(
    browser, user, description, expires_at, fresh_token
):
    token = form_token(browser) if fresh_token else "not-a-token"
    before = Key.objects.filter(user=user).count()
    response = browser.post(
        reverse("valet_keys:new"),
        {"description": description, "expires_at": expires_at, "form_token": token},
    )
    minted = Key.objects.filter(user=user).count() - before
    assert response.status_code in {200, 400, 409}
    assert minted == (1 if response.status_code == 200 else 0)
    if response.status_code == 400:
        assert 'class="errorlist' in response.content.decode()


# Pages addressed by a key identifier


@PROPERTY
@given(
    segment=st.one_of(http_text, st.binary().map(bytes.hex)).filter(
        lambda text: text not in {"", ".", ".."}
    ),
    raw=st.binary(max_size=20),
)
@example(segment="a\x00b", raw=b"")
@example(segment="VK_" + "A" * 20, raw=b"")
@example(segment="vk_", raw=b"\xff\xfe")
def test_any_key_identifier_in_a_url_is_a_404(browser, key, segment, raw):
    quoted = urllib.parse.quote(segment, safe="") + urllib.parse.quote(raw, safe="")
    for page in ["disable/", "history/", "history.csv", "history.json"]:
        response = browser.get(f"/keys/{quoted}/{page}")
        assert response.status_code == 404, page
    assert browser.post(f"/keys/{quoted}/disable/").status_code == 404
    key.refresh_from_db()
    assert not key.is_disabled


@PROPERTY
@given(before=st.none() | http_text, after=st.none() | http_text)
@example(before="9" * 18, after=None)
@example(before=None, after="9" * 19)
@example(before="1\x00", after=None)
def test_any_history_cursor_is_a_page_or_a_clear_400(browser, key, before, after):
    key.log("robot.ran")
    cursors = [("before", before), ("after", after)]
    query = {name: value for name, value in cursors if value is not None}
    response = browser.get(reverse("valet_keys:history", args=[key.key_id]), query)
    assert response.status_code in {200, 400}
    if response.status_code == 400:
        assert response.content == b"The page cursor must be a positive whole number."


@PROPERTY
@given(junk=st.dictionaries(http_text, http_text, max_size=3))
def test_unexpected_query_strings_change_nothing(browser, key, junk):
    for url in [
        reverse("valet_keys:list"),
        reverse("valet_keys:new"),
        reverse("valet_keys:disable", args=[key.key_id]),
    ]:
        assert browser.get(url, junk).status_code == 200, url


# The management command


def run(*args):
    """Run the command as manage.py would; return its output or its error."""
    try:
        call_command("valet_keys", *args, stdout=StringIO(), stderr=StringIO())
    except CommandError as error:
        return f"error: {error}"
    return "ok"


@PROPERTY
@given(username=awkward_text, description=awkward_text, expires=moments)
@example(username="ada", description="Robot", expires="9999-12-31T23:59:59-14:00")
@example(username="ada\x00", description="Robot", expires="")
@example(username="ada", description="Robot\x00", expires="")
def test_create_answers_every_argument_with_a_key_or_a_clear_error(
    user, username, description, expires
):
    # The --name=value form keeps a value that starts with a dash a value.
    args = ["create", f"--user={username}", f"--description={description}"]
    if expires:
        args += [f"--expires={expires}"]
    before = Key.objects.count()
    outcome = run(*args)
    assert Key.objects.count() - before == (1 if outcome == "ok" else 0)


@PROPERTY
@given(username=awkward_text)
def test_list_answers_every_user_argument(user, username):
    outcome = run("list", f"--user={username}")
    if username == "ada":
        assert outcome == "ok"
    else:
        assert outcome == f"error: No user named {username!r}."


@PROPERTY
@given(
    subcommand=st.sampled_from(["disable", "history"]),
    key_id=awkward_text.filter(lambda text: not text.startswith("-")),
)
@example(subcommand="disable", key_id="vk_\x00")
@example(subcommand="history", key_id="VK_" + "A" * 20)
def test_an_unknown_key_argument_is_a_clear_error(db, subcommand, key_id):
    assert run(subcommand, key_id) == f"error: No key with identifier {key_id!r}."


@PROPERTY
@given(limit=st.one_of(st.integers(), awkward_text))
@example(limit=2**63)
@example(limit=-(2**63))
@example(limit="١٢")
def test_any_history_limit_is_a_listing_or_a_clear_error(key, limit):
    key.log("robot.ran")
    outcome = run("history", key.key_id, f"--limit={limit}")
    assert outcome == "ok" or outcome.startswith("error: ")
