"""A key's whole life in Chromium, against the app on pytest-django's server.

A person logs in, creates a key, copies its secret from the page and hands
it to a robot using the SDK; the robot's comment shows on the key's history
page and in its chart; the person disables the key and the robot is refused.
Another person's browser cannot reach any of the first person's key pages.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
from dataclasses import dataclass

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from tests.testapp.models import Post
from valet_keys.credentials import KEY_ID_PATTERN, SECRET_PATTERN
from valet_keys.models import Key, KeyAction
from valet_keys_client import Client, Unauthorized

from .support import DESKTOP, Camera, chromium, only_on_sqlite

# The live server answers from its own thread and connection, so what the
# test creates must be committed for it to see.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    only_on_sqlite,
]

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Site:
    url: str
    post_slug: str
    key_id: str = ""


@pytest.fixture
def site(live_server, django_user_model) -> Site:
    """Two people who can log in, and a post to comment on.

    Everything the test needs from the database is made here, before the
    browser starts (see ``support.chromium``).
    """
    for username in ("ada", "mallory"):
        django_user_model.objects.create_user(username, password=PASSWORD)
    post = Post.objects.create(slug="first-light", title="First light")
    return Site(url=live_server.url, post_slug=post.slug)


def log_in(context: BrowserContext, site: Site, username: str) -> Page:
    page = context.new_page()
    page.goto(f"{site.url}/keys/")
    expect(page).to_have_url(f"{site.url}/accounts/login/?next=/keys/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site.url}/keys/")
    return page


def test_a_key_from_creation_to_disabling(site: Site, camera: Camera) -> None:
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP, base_url=site.url)
        context.grant_permissions(
            ["clipboard-read", "clipboard-write"], origin=site.url
        )
        page = log_in(context, site, "ada")

        # The list starts empty and offers to create a key.
        expect(page.locator("h1")).to_have_text("Valet keys")
        expect(page.locator(".vk-empty")).to_contain_text("You have no keys yet.")
        camera.shoot(page, "list, empty")

        page.click("text=Create a key")
        expect(page).to_have_url(f"{site.url}/keys/new/")
        camera.shoot(page, "new")

        # A form without a description is sent back with the error.
        page.click("button:has-text('Create key')")
        expect(page.locator(".vk-field .errorlist")).to_have_text(
            "This field is required."
        )
        camera.shoot(page, "new, with an error")

        page.fill("#id_description", "Comment robot")
        with page.expect_response(f"{site.url}/keys/new/") as created:
            page.click("button:has-text('Create key')")
        assert created.value.status == 200
        assert "no-store" in created.value.headers["cache-control"]
        expect(page.locator("[role=alert]")).to_contain_text(
            "It is shown only this once"
        )

        # Read the credentials from the page, and copy the secret with its
        # button as a person would.
        key_id = page.input_value("#vk-key-id")
        secret = page.input_value("#vk-secret")
        assert KEY_ID_PATTERN.fullmatch(key_id)
        assert SECRET_PATTERN.fullmatch(secret)
        page.click("button[data-vk-copy=vk-secret]")
        expect(page.locator("#vk-copy-status")).to_have_text(
            "Secret copied to the clipboard."
        )
        assert page.evaluate("navigator.clipboard.readText()") == secret
        assert page.input_value("#vk-environment") == (
            f"export VALET_KEYS_URL={site.url}/\n"
            f"export VALET_KEY_ID={key_id}\n"
            f"export VALET_KEY_SECRET={secret}"
        )
        camera.shoot(page, "created")

        # The robot uses the key through the SDK.
        with Client(site.url, key_id, secret, retries=0) as robot:
            assert robot.whoami().user == "ada"
            response = robot.post(
                f"posts/{site.post_slug}/comment/", data={"comment": "Beep, boop."}
            )
            assert response.status_code == 201

        page.click("text=I have copied the secret")
        expect(page).to_have_url(f"{site.url}/keys/")
        row = page.locator("tbody tr", has=page.locator(f"code:text-is('{key_id}')"))
        expect(row.locator("th")).to_have_text("Comment robot")
        expect(row.locator(".vk-badge")).to_have_text("Active")
        expect(row.locator("td[data-label='Last used']")).to_have_text("Just now")
        assert secret not in page.content()
        camera.shoot(page, "list, one key used")

        # The robot's comment is on the history page and in its chart.
        row.locator("text=History").click()
        expect(page).to_have_url(f"{site.url}/keys/{key_id}/history/")
        actions = page.locator("table.vk-actions tbody tr")
        expect(actions).to_have_count(1)
        expect(actions.locator("td[data-label=Action]")).to_have_text("blog.commented")
        expect(actions.locator("td[data-label=Target] a")).to_have_attribute(
            "href", f"/posts/{site.post_slug}/"
        )
        expect(actions.locator("td[data-label=Notes]")).to_have_text("Beep, boop.")
        expect(page.locator(".vk-chart rect[data-count='1']")).to_have_count(1)
        expect(page.locator(".vk-chart rect:not([data-count='0'])")).to_have_count(1)
        expect(page.locator(".vk-chart figcaption")).to_contain_text(
            "Activity of the most recent action"
        )
        camera.shoot(page, "history")

        # Both downloads hold the action.
        with page.expect_download() as csv_download:
            page.click("a:has-text('CSV')")
        assert csv_download.value.suggested_filename == f"{key_id}-history.csv"
        with open(csv_download.value.path(), newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        assert [(row["action"], row["target"], row["notes"]) for row in rows] == [
            ("blog.commented", "First light", "Beep, boop.")
        ]
        with page.expect_download() as json_download:
            page.click("a:has-text('JSON')")
        with open(json_download.value.path(), encoding="utf-8") as file:
            document = json.load(file)
        assert document["key"]["key_id"] == key_id
        assert [action["notes"] for action in document["actions"]] == ["Beep, boop."]

        # Disabling asks first, then stops the robot on its next request.
        page.click("text=Disable this key")
        expect(page).to_have_url(f"{site.url}/keys/{key_id}/disable/")
        camera.shoot(page, "disable")
        page.click("button:has-text('Disable key')")
        expect(page).to_have_url(f"{site.url}/keys/")
        expect(row.locator(".vk-badge")).to_have_text("Disabled")
        expect(row.locator("a", has_text="Disable")).to_have_count(0)
        camera.shoot(page, "list, key disabled")

        with (
            Client(site.url, key_id, secret, retries=0) as robot,
            pytest.raises(Unauthorized) as refused,
        ):
            robot.whoami()
        assert refused.value.response.status_code == 401

        page.goto(f"/keys/{key_id}/history/")
        expect(page.locator(".vk-summary .vk-badge")).to_have_text("Disabled")
        expect(page.locator("text=Disable this key")).to_have_count(0)
        camera.shoot(page, "history, key disabled")

        # Another person's browser finds none of it.
        other = browser.new_context(viewport=DESKTOP, base_url=site.url)
        intruder = log_in(other, site, "mallory")
        expect(intruder.locator(".vk-empty")).to_contain_text("You have no keys yet.")
        assert key_id not in intruder.content()
        for path in ("history/", "disable/", "history.csv", "history.json"):
            response = intruder.request.get(f"/keys/{key_id}/{path}")
            assert response.status == 404, path
            assert key_id not in response.text()
        intruder.goto(f"/keys/{key_id}/history/")
        camera.shoot(intruder, "another person's key, not found")
        response = intruder.request.post(f"/keys/{key_id}/disable/")
        assert response.status == 403  # No CSRF token: refused before the view.

        context.close()
        other.close()


def test_a_spent_form_mints_nothing_and_says_so(site: Site, camera: Camera) -> None:
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP, base_url=site.url)
        first = log_in(context, site, "ada")
        first.goto("/keys/new/")
        spent_token = first.input_value("input[name=form_token]")
        first.fill("#id_description", "Backup robot")
        first.click("button:has-text('Create key')")
        expect(first.locator("#vk-secret")).to_have_count(1)

        # A second tab sends the same form again, as a double click or a
        # reload of the result would.
        second = context.new_page()
        second.goto("/keys/new/")
        second.eval_on_selector(
            "input[name=form_token]", f"field => field.value = '{spent_token}'"
        )
        second.fill("#id_description", "Backup robot")
        with second.expect_response(f"{site.url}/keys/new/") as again:
            second.click("button:has-text('Create key')")
        assert again.value.status == 409
        expect(second.locator("h1")).to_have_text("This form was already used")
        assert not re.search(SECRET_PATTERN, second.content())
        camera.shoot(second, "already created")

        second.click("text=Back to your keys")
        expect(second.locator("tbody tr")).to_have_count(1)
        context.close()


@pytest.fixture
def busy_site(site: Site, django_user_model) -> Site:
    """Give ada keys in every state, one of them with two days of actions."""
    ada = django_user_model.objects.get(username="ada")
    now = timezone.now()
    expiring, _ = Key.objects.mint(ada, "Weekly report robot")
    Key.objects.filter(pk=expiring.pk).update(
        expires_at=now + datetime.timedelta(days=30),
        last_used_at=now - datetime.timedelta(days=6, hours=2),
    )
    expired, _ = Key.objects.mint(ada, "Conference badge scanner")
    Key.objects.filter(pk=expired.pk).update(
        expires_at=now - datetime.timedelta(days=2),
        last_used_at=now - datetime.timedelta(days=2, hours=1),
    )
    retired, _ = Key.objects.mint(ada, "Old backup robot")
    retired.disable()
    busy, _ = Key.objects.mint(ada, "Comment moderator robot")
    Key.objects.filter(pk=busy.pk).update(last_used_at=now)
    post = Post.objects.get(slug=site.post_slug)
    # A robot that works in the daytime, busier in the afternoon, over two
    # days: the chart should show two humps.
    moments = [
        now - datetime.timedelta(days=day, hours=hour, minutes=minute)
        for day in (0, 1)
        for hour in range(2, 12)
        for minute in range(0, 60, 3 + hour // 2)
    ]
    KeyAction.objects.bulk_create(
        KeyAction(
            key=busy,
            action="blog.commented" if index % 4 else "blog.flagged",
            created=moment,
            content_type=ContentType.objects.get_for_model(Post),
            object_id=str(post.pk),
            target_repr=str(post),
            target_url=post.get_absolute_url(),
            notes=f"Comment number {index}: looks fine to me.",
        )
        for index, moment in enumerate(sorted(moments))
    )
    return Site(url=site.url, post_slug=site.post_slug, key_id=busy.key_id)


@override_settings(VALET_KEYS={"HISTORY_PAGE_SIZE": 20})
def test_keys_in_every_state_and_a_busy_history(busy_site: Site, camera: Camera):
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP, base_url=busy_site.url)
        page = log_in(context, busy_site, "ada")
        badges = page.locator("tbody .vk-badge")
        expect(badges).to_have_text(["Active", "Disabled", "Expired", "Active"])
        expect(page.locator("tbody tr").nth(3)).to_contain_text("until")
        camera.shoot(page, "list, keys in every state")

        page.click(f"a[href='/keys/{busy_site.key_id}/history/']")
        rows = page.locator("table.vk-actions tbody tr")
        expect(rows).to_have_count(20)
        expect(page.locator(".vk-pager a")).to_have_text(["Older"])
        bars = page.locator(".vk-chart rect:not([data-count='0'])")
        assert bars.count() > 2
        camera.shoot(page, "history, busy")

        newest = rows.first.locator("td[data-label=Notes]").inner_text()
        page.click(".vk-pager >> text=Older")
        expect(page.locator(".vk-pager a")).to_have_text(["Newest", "Newer", "Older"])
        assert rows.first.locator("td[data-label=Notes]").inner_text() != newest
        camera.shoot(page, "history, older page")

        page.click(".vk-pager >> text=Newer")
        expect(rows.first.locator("td[data-label=Notes]")).to_have_text(newest)
        context.close()
