"""The comment robot, tested against a fake site as its author would.

Nothing here needs Django: ``fake_valet_site`` answers for the site.
"""

import time

import pytest

from tests.plugin import comment_robot


@pytest.fixture
def site(fake_valet_site, monkeypatch):
    """The fake blog, with the robot configured for it from the environment."""
    fake_valet_site.add(
        "POST",
        "posts/hello-world/comment/",
        status=201,
        body="Thanks for your comment.",
    )
    for name, value in fake_valet_site.environ().items():
        monkeypatch.setenv(name, value)
    return fake_valet_site


@pytest.fixture
def waits(monkeypatch):
    """The waits the client asks for between retries, which take no time."""
    waits = []
    monkeypatch.setattr(time, "sleep", waits.append)
    return waits


def test_the_robot_posts_a_comment_with_its_key(site, capsys):
    status = comment_robot.main(["hello-world", "Great post!"])

    assert status == 0
    assert capsys.readouterr().out == "Thanks for your comment.\n"
    [sent] = site.requests
    assert (sent.method, sent.path) == ("POST", "posts/hello-world/comment/")
    assert sent.form == {"comment": ["Great post!"]}
    assert sent.key is site.key
    assert sent.headers["User-Agent"].endswith(" comment-robot/1.0")


def test_the_robot_reports_a_refused_key(site, capsys):
    site.key.disable()

    status = comment_robot.main(["hello-world", "Great post!"])

    assert status == 2
    assert capsys.readouterr().err == (
        "The site refused the key; it may be disabled or expired.\n"
    )
    assert [sent.status for sent in site.requests] == [401]


def test_the_robot_waits_as_a_busy_site_asks_then_posts_once(site, waits, capsys):
    site.throttle("POST", "posts/hello-world/comment/", retry_after=2)

    status = comment_robot.main(["hello-world", "Great post!"])

    assert status == 0
    assert waits == [2.0]
    first, second = site.requests_to("POST", "posts/hello-world/comment/")
    assert (first.status, second.status) == (429, 201)
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]


def test_the_robot_gives_up_when_the_site_asks_for_too_long_a_wait(site, waits, capsys):
    site.throttle("POST", "posts/hello-world/comment/", retry_after=3600)

    status = comment_robot.main(["hello-world", "Great post!"])

    assert status == 3
    assert waits == []
    assert capsys.readouterr().err == "The site is busy; try again in 3600 s.\n"
