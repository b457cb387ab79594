import csv
import datetime
import io
import json
import re

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import basic_auth
from tests.testapp.models import Post
from valet_keys import views
from valet_keys.credentials import SECRET_PATTERN, digest_secret
from valet_keys.models import Key, KeyAction

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


MOMENT = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)


def _logged_at(action, moment):
    KeyAction.objects.filter(pk=action.pk).update(created=moment)
    action.created = moment
    return action


def _body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _form_token(response):
    return re.search(r'name="form_token" value="([^"]+)"', response.content.decode())[1]


def _create_key(client, description="Backup robot", **fields):
    form = client.get(reverse("valet_keys:new"))
    data = {"description": description, "form_token": _form_token(form), **fields}
    return client.post(reverse("valet_keys:new"), data)


# Login and ownership


PAGES = [
    ("valet_keys:list", False),
    ("valet_keys:new", False),
    ("valet_keys:disable", True),
    ("valet_keys:history", True),
    ("valet_keys:history_csv", True),
    ("valet_keys:history_json", True),
]


@pytest.mark.parametrize(("name", "takes_key"), PAGES)
def test_anonymous_users_are_sent_to_login(client, key, name, takes_key):
    url = reverse(name, args=[key.key_id] if takes_key else [])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("valet_keys:disable", "get"),
        ("valet_keys:disable", "post"),
        ("valet_keys:history", "get"),
        ("valet_keys:history_csv", "get"),
        ("valet_keys:history_json", "get"),
    ],
)
def test_another_users_key_is_not_found(client, other_user, key, name, method):
    client.force_login(other_user)
    response = getattr(client, method)(reverse(name, args=[key.key_id]))
    assert response.status_code == 404
    key.refresh_from_db()
    assert not key.is_disabled


@pytest.mark.parametrize(
    "name",
    [
        "valet_keys:disable",
        "valet_keys:history",
        "valet_keys:history_csv",
        "valet_keys:history_json",
    ],
)
def test_an_unknown_key_is_not_found(logged_in, name):
    assert logged_in.get(reverse(name, args=["vk_nope"])).status_code == 404


@pytest.mark.parametrize(
    "name", ["valet_keys:history", "valet_keys:history_csv", "valet_keys:history_json"]
)
def test_the_identifier_must_match_exactly(logged_in, key, name):
    url = reverse(name, args=[key.key_id.upper()])
    assert logged_in.get(url).status_code == 404


# List


def test_the_list_shows_every_key_newest_first_with_disabled_ones_marked(
    logged_in, user, other_user
):
    older, _ = Key.objects.mint(user, "Older robot")
    Key.objects.filter(pk=older.pk).update(
        created=timezone.now() - datetime.timedelta(days=1)
    )
    newer, _ = Key.objects.mint(user, "Newer robot")
    newer.disable()
    Key.objects.mint(other_user, "Someone else's robot")

    response = logged_in.get(reverse("valet_keys:list"))
    page = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["keys"]) == [newer, older]
    assert page.index("Newer robot") < page.index("Older robot")
    assert "Someone else" not in page
    assert page.count("Disabled</span>") == 1
    assert reverse("valet_keys:new") in page


def test_the_list_shows_last_use(logged_in, client, key, authorization):
    assert "Never" in logged_in.get(reverse("valet_keys:list")).content.decode()
    logged_in.get("/hello/", HTTP_AUTHORIZATION=authorization)
    key.refresh_from_db()
    page = logged_in.get(reverse("valet_keys:list")).content.decode()
    assert key.last_used_at.isoformat(timespec="seconds")[:19] in page
    assert "Never" not in page


def test_the_list_tells_how_long_ago_a_key_was_last_used(logged_in, key):
    Key.objects.filter(pk=key.pk).update(
        last_used_at=timezone.now() - datetime.timedelta(hours=3, minutes=5)
    )
    page = logged_in.get(reverse("valet_keys:list")).content.decode()
    assert ">3\xa0hours, 5\xa0minutes ago</time>" in page


def test_the_list_marks_expired_keys(logged_in, key):
    Key.objects.filter(pk=key.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    page = logged_in.get(reverse("valet_keys:list")).content.decode()
    assert "Expired</span>" in page


@pytest.mark.parametrize("count", [1, 50])
def test_the_list_costs_the_same_queries_for_few_or_many_keys(
    logged_in, user, count, django_assert_num_queries
):
    for number in range(count):
        Key.objects.mint(user, f"Robot {number}")
    # Session and user, then the keys.
    with django_assert_num_queries(3):
        response = logged_in.get(reverse("valet_keys:list"))
    assert len(response.context["keys"]) == count


# New


def test_creating_a_key_shows_its_secret_once_and_uncached(logged_in, user):
    response = _create_key(logged_in, "Backup robot")
    assert response.status_code == 200
    key = Key.objects.get(user=user)
    page = response.content.decode()
    secret = SECRET_PATTERN.search(page).group()
    assert key.key_id in page
    assert key.secret_digest not in page
    assert "shown only this once" in page
    assert "no-store" in response["Cache-Control"]
    assert key.description == "Backup robot"
    assert key.secret_digest == digest_secret(secret)


def test_the_secret_page_offers_copy_buttons_and_the_environment(logged_in, user):
    response = _create_key(logged_in)
    page = response.content.decode()
    key = Key.objects.get(user=user)
    secret = SECRET_PATTERN.search(page).group()
    assert page.count("data-vk-copy=") == 3
    # The buttons appear only once the script can make them work.
    assert page.count(" hidden>Copy<") == 3
    assert '<script src="/static/valet_keys/copy.js" defer></script>' in page
    assert (
        "export VALET_KEYS_URL=http://testserver/\n"
        f"export VALET_KEY_ID={key.key_id}\n"
        f"export VALET_KEY_SECRET={secret}</textarea>"
    ) in page


def test_resubmitting_the_form_mints_nothing(logged_in, user):
    form = logged_in.get(reverse("valet_keys:new"))
    data = {"description": "Backup robot", "form_token": _form_token(form)}
    first = logged_in.post(reverse("valet_keys:new"), data)
    again = logged_in.post(reverse("valet_keys:new"), data)
    assert first.status_code == 200
    assert again.status_code == 409
    assert "already used" in again.content.decode()
    assert SECRET_PATTERN.search(again.content.decode()) is None
    assert Key.objects.filter(user=user).count() == 1


def test_a_post_without_a_form_token_mints_nothing(logged_in, user):
    response = logged_in.post(reverse("valet_keys:new"), {"description": "Robot"})
    assert response.status_code == 409
    assert not Key.objects.exists()


def test_a_form_token_is_bound_to_the_session(client, user, other_user):
    client.force_login(other_user)
    token = _form_token(client.get(reverse("valet_keys:new")))
    client.force_login(user)
    response = client.post(
        reverse("valet_keys:new"), {"description": "Robot", "form_token": token}
    )
    assert response.status_code == 409
    assert not Key.objects.exists()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"description": ""}, "This field is required."),
        ({"description": "   "}, "This field is required."),
        ({"description": "x" * 201}, "Ensure this value has at most 200 characters"),
        (
            {"description": "Robot", "expires_at": "yesterday"},
            "Enter a valid date/time.",
        ),
        (
            {"description": "Robot", "expires_at": "2001-01-01T00:00"},
            "Choose a time in the future.",
        ),
    ],
    ids=["empty", "blank", "too long", "unreadable expiry", "past expiry"],
)
def test_an_invalid_form_shows_the_error_and_mints_nothing(logged_in, fields, error):
    response = _create_key(logged_in, **fields)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Key.objects.exists()


def test_the_form_can_be_corrected_after_an_error(logged_in, user):
    form = logged_in.get(reverse("valet_keys:new"))
    token = _form_token(form)
    url = reverse("valet_keys:new")
    assert (
        logged_in.post(url, {"description": "", "form_token": token}).status_code == 400
    )
    response = logged_in.post(url, {"description": "Robot", "form_token": token})
    assert response.status_code == 200
    assert Key.objects.filter(user=user).count() == 1


def test_creating_a_key_with_an_expiry(logged_in, user):
    when = (timezone.now() + datetime.timedelta(days=2)).replace(microsecond=0)
    response = _create_key(logged_in, expires_at=when.strftime("%Y-%m-%dT%H:%M:%S"))
    assert response.status_code == 200
    assert Key.objects.get(user=user).expires_at == when


@override_settings(VALET_KEYS={"MAX_EXPIRY": datetime.timedelta(days=30)})
def test_a_maximum_expiry_requires_and_bounds_the_expiry(logged_in):
    response = _create_key(logged_in)
    assert "Keys on this site must expire." in response.content.decode()
    far = (timezone.now() + datetime.timedelta(days=60)).strftime("%Y-%m-%dT%H:%M")
    response = _create_key(logged_in, expires_at=far)
    assert "Keys on this site may live at most 30 days." in response.content.decode()
    assert not Key.objects.exists()


def test_the_new_page_carries_a_csrf_token(logged_in):
    page = logged_in.get(reverse("valet_keys:new")).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page


def test_the_secret_is_on_no_later_page(logged_in, user):
    response = _create_key(logged_in)
    secret = SECRET_PATTERN.search(response.content.decode()).group()
    key = Key.objects.get(user=user)
    key.log("robot.started", notes="hello")
    urls = [
        reverse("valet_keys:list"),
        reverse("valet_keys:new"),
        reverse("valet_keys:disable", args=[key.key_id]),
        reverse("valet_keys:history", args=[key.key_id]),
        reverse("valet_keys:history_csv", args=[key.key_id]),
        reverse("valet_keys:history_json", args=[key.key_id]),
    ]
    for url in urls:
        page = _body(logged_in.get(url)).decode()
        assert "robot.started" in page or "history" not in url, url
        assert secret not in page, url
        assert key.secret_digest not in page, url


# Disable


def test_get_confirms_and_post_disables(logged_in, key, authorization):
    url = reverse("valet_keys:disable", args=[key.key_id])
    confirm = logged_in.get(url)
    assert confirm.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in confirm.content.decode()
    key.refresh_from_db()
    assert not key.is_disabled

    response = logged_in.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("valet_keys:list")
    key.refresh_from_db()
    assert key.is_disabled
    # The very next request with the key is refused.
    robot = logged_in.get("/robots-only/", HTTP_AUTHORIZATION=authorization)
    assert robot.status_code == 401


def test_disabling_twice_is_harmless(logged_in, key):
    url = reverse("valet_keys:disable", args=[key.key_id])
    logged_in.post(url)
    first = Key.objects.get(pk=key.pk).disabled_at
    assert logged_in.post(url).status_code == 302
    assert Key.objects.get(pk=key.pk).disabled_at == first
    assert "was disabled on" in logged_in.get(url).content.decode()


def test_disable_refuses_other_methods(logged_in, key):
    url = reverse("valet_keys:disable", args=[key.key_id])
    assert logged_in.put(url).status_code == 405
    assert logged_in.delete(url).status_code == 405


# History


def test_history_shows_actions_newest_first_with_targets_and_notes(logged_in, key):
    post = Post.objects.create(slug="hello", title="Hello <world>")
    key.log("robot.started")
    key.log("blog.commented", post, "Nice\npost")
    response = logged_in.get(reverse("valet_keys:history", args=[key.key_id]))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("blog.commented") < page.index("robot.started")
    assert '<a href="/posts/hello/">Hello &lt;world&gt;</a>' in page
    assert "Nice<br>post" in page
    assert "<svg" in page


def _cursor_links(page):
    return {
        rel: int(value)
        for rel, name, value in re.findall(
            r'rel="(prev|next)" href="\?(after|before)=(\d+)"', page
        )
    }


@override_settings(VALET_KEYS={"HISTORY_PAGE_SIZE": 3})
def test_history_pages_link_to_older_and_newer_actions(logged_in, key):
    logged = [key.log(f"robot.step{number}") for number in range(7)]
    url = reverse("valet_keys:history", args=[key.key_id])

    def names(response):
        return [action.action for action in response.context["actions"]]

    first = logged_in.get(url)
    assert names(first) == ["robot.step6", "robot.step5", "robot.step4"]
    assert _cursor_links(first.content.decode()) == {"next": logged[4].pk}

    second = logged_in.get(url, {"before": logged[4].pk})
    assert names(second) == ["robot.step3", "robot.step2", "robot.step1"]
    assert _cursor_links(second.content.decode()) == {
        "prev": logged[3].pk,
        "next": logged[1].pk,
    }

    last = logged_in.get(url, {"before": logged[1].pk})
    assert names(last) == ["robot.step0"]
    assert _cursor_links(last.content.decode()) == {"prev": logged[0].pk}

    back = logged_in.get(url, {"after": logged[3].pk})
    assert names(back) == ["robot.step6", "robot.step5", "robot.step4"]
    assert _cursor_links(back.content.decode()) == {"next": logged[4].pk}


@pytest.mark.parametrize("cursor", ["-1", "abc", "1.5", "", " 1", "١٢", "9" * 30])
@pytest.mark.parametrize("name", ["before", "after"])
def test_a_malformed_cursor_is_a_clear_400(logged_in, key, name, cursor):
    url = reverse("valet_keys:history", args=[key.key_id])
    response = logged_in.get(url, {name: cursor})
    assert response.status_code == 400
    assert response.content == b"The page cursor must be a positive whole number."


def test_history_shows_only_that_keys_actions(logged_in, user, key):
    other_key, _ = Key.objects.mint(user, "Other robot")
    other_key.log("other.thing")
    key.log("this.thing")
    page = logged_in.get(reverse("valet_keys:history", args=[key.key_id]))
    assert [a.action for a in page.context["actions"]] == ["this.thing"]


@pytest.mark.parametrize("count", [1, 50])
def test_history_costs_the_same_queries_for_few_or_many_actions(
    logged_in, key, count, django_assert_num_queries
):
    post = Post.objects.create(slug="p", title="P")
    KeyAction.objects.bulk_create(
        KeyAction(key=key, action="blog.commented", target_repr=str(post))
        for _ in range(count)
    )
    # Session, user, key, the page of actions, the chart's sample.
    with django_assert_num_queries(5):
        response = logged_in.get(reverse("valet_keys:history", args=[key.key_id]))
    assert len(response.context["actions"]) == count


def test_history_chart_counts_the_recent_actions(logged_in, key):
    for _ in range(4):
        key.log("robot.tick")
    response = logged_in.get(reverse("valet_keys:history", args=[key.key_id]))
    chart = response.context["chart"]
    assert chart.total == 4
    assert sum(bar.count for bar in chart.bars) == 4
    page = response.content.decode()
    assert "Activity of the 4 most recent actions, from " in page
    assert "in 24 equal spans of time; the busiest span holds 4." in page
    assert re.findall(r'data-count="([1-9]\d*)"', page) == ["4"]


def test_history_chart_of_one_action(logged_in, key):
    _logged_at(key.log("robot.tick"), MOMENT)
    response = logged_in.get(reverse("valet_keys:history", args=[key.key_id]))
    page = response.content.decode()
    assert (
        "Activity of the most recent action, at March 1, 2026, 9:30 a.m.</figcaption>"
    ) in page
    assert re.findall(r'data-count="([1-9]\d*)"', page) == ["1"]


def test_history_without_actions_says_so_and_draws_no_chart(logged_in, key):
    response = logged_in.get(reverse("valet_keys:history", args=[key.key_id]))
    page = response.content.decode()
    assert "No actions recorded yet." in page
    assert "<svg" not in page
    assert 'class="vk-pager"' not in page


# Downloads


@pytest.fixture
def history(key):
    """Log three actions: without a target, on a post, and with a formula."""
    post = Post.objects.create(slug="hello", title="Hello, <world>")
    return [
        _logged_at(key.log("robot.started"), MOMENT),
        _logged_at(
            key.log("blog.commented", post, 'Nice "post",\nthanks'),
            MOMENT + datetime.timedelta(minutes=1),
        ),
        _logged_at(
            key.log("robot.noted", notes='=HYPERLINK("http://x.invalid")'),
            MOMENT + datetime.timedelta(minutes=2),
        ),
    ]


def test_the_csv_download_holds_every_action_newest_first(logged_in, key, history):
    started, commented, noted = history
    response = logged_in.get(reverse("valet_keys:history_csv", args=[key.key_id]))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{key.key_id}-history.csv"'
    )
    assert "no-store" in response["Cache-Control"]
    assert _body(response).decode() == (
        "id,created,action,target_type,target_id,target,target_url,notes\r\n"
        f"{noted.pk},2026-03-01T09:32:00+00:00,robot.noted,,,,,"
        '"\'=HYPERLINK(""http://x.invalid"")"\r\n'
        f"{commented.pk},2026-03-01T09:31:00+00:00,blog.commented,testapp.post,"
        f'{commented.object_id},"Hello, <world>",/posts/hello/,'
        '"Nice ""post"",\nthanks"\r\n'
        f"{started.pk},2026-03-01T09:30:00+00:00,robot.started,,,,,\r\n"
    )


def test_the_json_download_holds_the_key_and_every_action_as_logged(
    logged_in, key, history
):
    started, commented, noted = history
    response = logged_in.get(reverse("valet_keys:history_json", args=[key.key_id]))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{key.key_id}-history.json"'
    )
    assert "no-store" in response["Cache-Control"]
    assert json.loads(_body(response)) == {
        "key": {
            "key_id": key.key_id,
            "description": "Nightly backup robot",
            "created": key.created.isoformat(),
            "expires_at": None,
            "is_disabled": False,
            "disabled_at": None,
            "last_used_at": None,
        },
        "actions": [
            {
                "id": noted.pk,
                "created": "2026-03-01T09:32:00+00:00",
                "action": "robot.noted",
                "target_type": "",
                "target_id": "",
                "target": "",
                "target_url": "",
                "notes": '=HYPERLINK("http://x.invalid")',
            },
            {
                "id": commented.pk,
                "created": "2026-03-01T09:31:00+00:00",
                "action": "blog.commented",
                "target_type": "testapp.post",
                "target_id": commented.object_id,
                "target": "Hello, <world>",
                "target_url": "/posts/hello/",
                "notes": 'Nice "post",\nthanks',
            },
            {
                "id": started.pk,
                "created": "2026-03-01T09:30:00+00:00",
                "action": "robot.started",
                "target_type": "",
                "target_id": "",
                "target": "",
                "target_url": "",
                "notes": "",
            },
        ],
    }


def test_downloads_of_an_empty_history_are_well_formed(logged_in, key):
    key.disable()
    csv_response = logged_in.get(reverse("valet_keys:history_csv", args=[key.key_id]))
    assert _body(csv_response) == (
        b"id,created,action,target_type,target_id,target,target_url,notes\r\n"
    )
    json_response = logged_in.get(reverse("valet_keys:history_json", args=[key.key_id]))
    document = json.loads(_body(json_response))
    assert document["actions"] == []
    assert document["key"]["is_disabled"] is True
    assert document["key"]["disabled_at"] == key.disabled_at.isoformat()


@pytest.mark.parametrize(
    ("notes", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        (" =1", " =1"),
    ],
)
def test_the_csv_download_defuses_spreadsheet_formulas(logged_in, key, notes, cell):
    key.log("robot.noted", notes=notes)
    response = logged_in.get(reverse("valet_keys:history_csv", args=[key.key_id]))
    rows = list(csv.DictReader(io.StringIO(_body(response).decode(), newline="")))
    assert [row["notes"] for row in rows] == [cell]


@pytest.mark.parametrize("count", [6, 7])
@pytest.mark.parametrize("name", ["valet_keys:history_csv", "valet_keys:history_json"])
def test_downloads_read_the_history_in_batches_without_offset_or_count(
    logged_in, key, monkeypatch, name, count
):
    monkeypatch.setattr(views, "DOWNLOAD_BATCH_SIZE", 3)
    logged = [key.log(f"robot.step{number}") for number in range(count)]
    response = logged_in.get(reverse(name, args=[key.key_id]))

    # The batches are read as the response is sent, not by the view.
    with CaptureQueriesContext(connection) as queries:
        body = _body(response).decode()

    batches = [query["sql"] for query in queries.captured_queries]
    # Three actions per query, and one more that finds none when the last
    # batch is full.
    assert len(batches) == 3
    for sql in batches:
        assert "valet_keys_keyaction" in sql
        assert "OFFSET" not in sql.upper()
        assert "COUNT(" not in sql.upper()
    positions = [body.index(f"robot.step{number}") for number in range(count)]
    assert positions == sorted(positions, reverse=True)
    assert body.count("robot.step") == len(logged)


def test_downloads_stream_under_asgi_without_reading_ahead(async_client, user, key):
    key.log("robot.started")
    async_client.force_login(user)
    url = reverse("valet_keys:history_csv", args=[key.key_id])

    async def download():
        response = await async_client.get(url)
        chunks = [chunk async for chunk in response.streaming_content]
        return response, chunks

    # Django warns, and the suite turns warnings into errors, when it must
    # read a synchronous iterator to its end to send it under ASGI.
    response, chunks = async_to_sync(download)()
    assert response.status_code == 200
    assert response.is_async
    assert b"".join(chunks).decode().splitlines()[1].endswith(",robot.started,,,,,")


# whoami


def test_whoami_describes_the_presented_key(client, key, user, authorization):
    response = client.get(
        reverse("valet_keys:whoami"), HTTP_AUTHORIZATION=authorization
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "key_id": key.key_id,
        "user": user.username,
        "description": key.description,
        "created": key.created.isoformat(),
        "expires_at": None,
    }


@pytest.mark.parametrize("header", [None, "Basic Zm9vOmJhcg==", "Bearer x"])
def test_whoami_without_a_valid_key_is_401(client, key, header):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.get(reverse("valet_keys:whoami"), **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic realm=")


def test_whoami_is_401_once_the_key_is_disabled(client, key, authorization):
    key.disable()
    response = client.get(
        reverse("valet_keys:whoami"), HTTP_AUTHORIZATION=authorization
    )
    assert response.status_code == 401


def test_whoami_ignores_a_logged_in_session(client, user):
    client.force_login(user)
    assert client.get(reverse("valet_keys:whoami")).status_code == 401


def test_whoami_refuses_a_secret_of_another_key(client, user, key):
    _, other_secret = Key.objects.mint(user, "Other robot")
    response = client.get(
        reverse("valet_keys:whoami"),
        HTTP_AUTHORIZATION=basic_auth(key.key_id, other_secret),
    )
    assert response.status_code == 401


# Swappable base template


@override_settings(VALET_KEYS={"BASE_TEMPLATE": "site_base.html"})
def test_the_base_template_can_be_swapped(logged_in):
    page = logged_in.get(reverse("valet_keys:list")).content.decode()
    assert "<!-- the site's own layout -->" in page
    assert "Valet keys" in page
