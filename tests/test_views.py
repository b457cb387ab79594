import datetime
import json
import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import basic_auth
from tests.testapp.models import Post
from valet_keys.credentials import SECRET_PATTERN, digest_secret
from valet_keys.models import Key, KeyAction

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


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
    ],
)
def test_another_users_key_is_not_found(client, other_user, key, name, method):
    client.force_login(other_user)
    response = getattr(client, method)(reverse(name, args=[key.key_id]))
    assert response.status_code == 404
    key.refresh_from_db()
    assert not key.is_disabled


@pytest.mark.parametrize("name", ["valet_keys:disable", "valet_keys:history"])
def test_an_unknown_key_is_not_found(logged_in, name):
    assert logged_in.get(reverse(name, args=["vk_nope"])).status_code == 404


def test_the_identifier_must_match_exactly(logged_in, key):
    url = reverse("valet_keys:history", args=[key.key_id.upper()])
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
    ]
    for url in urls:
        page = logged_in.get(url).content.decode()
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
    assert "the 4 most recent actions" in response.content.decode()


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
