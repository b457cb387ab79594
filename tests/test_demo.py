"""The demo site, started as ``make demo`` starts it, with its robot script.

The demo runs in processes of its own, on its own SQLite database in a
temporary folder, exactly as a newcomer runs it; the tests reach it over
HTTP as a person's browser and the robot would.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.support import DESKTOP, SCREENSHOTS, Camera, chromium
from valet_keys.credentials import KEY_ID_PATTERN, SECRET_PATTERN
from valet_keys_client import Client

EXAMPLE = Path(__file__).resolve().parents[1] / "example"
MANAGE = EXAMPLE / "manage.py"
ROBOT = EXAMPLE / "robot.py"

# The demo always runs on SQLite, whichever database the suite was given;
# running it again with PostgreSQL or MariaDB chosen would test nothing new.
pytestmark = pytest.mark.skipif(
    settings.DATABASE_VENDOR != "sqlite",
    reason="the demo runs on its own SQLite database",
)

LOGIN_LINE = re.compile(r"^  Log in   user name: demo   password: (\S+)$", re.M)

# Generous: this is how long a slow machine may take to migrate and start
# the server, not a measure of anything.
STARTUP_DEADLINE = 120


def demo_environment(database: Path) -> dict[str, str]:
    # pytest-django put the suite's settings in the environment; the demo
    # must find its own, as it does when started from a shell.
    environment = {
        name: value
        for name, value in os.environ.items()
        if name != "DJANGO_SETTINGS_MODULE"
    }
    return {**environment, "VALET_KEYS_DEMO_DB": str(database), "PYTHONUNBUFFERED": "1"}


def run_demo_command(database: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(MANAGE), *arguments],
        env=demo_environment(database),
        capture_output=True,
        text=True,
        check=False,
        timeout=STARTUP_DEADLINE,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Demo:
    url: str
    password: str
    database: Path
    output: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """Start the demo on a free port, as ``make demo`` does."""
    folder = tmp_path_factory.mktemp("demo")
    database = folder / "db.sqlite3"
    output = folder / "rundemo.log"
    port = free_port()
    with output.open("w") as log:
        # The server's output goes to a file: a pipe nobody reads would fill
        # up and stall the server.
        server = subprocess.Popen(
            [sys.executable, str(MANAGE), "rundemo", "--port", str(port)],
            env=demo_environment(database),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE
        while not answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The demo did not start:\n{output.read_text()}")
            time.sleep(0.1)
        login = LOGIN_LINE.search(output.read_text())
        assert login is not None, output.read_text()
        yield Demo(
            url=f"http://127.0.0.1:{port}/",
            password=login[1],
            database=database,
            output=output,
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def log_in(demo: Demo) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{demo.url}accounts/login/?next=/settings/")
    form.raise_for_status()
    response = session.post(
        form.url,
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "username": "demo",
            "password": demo.password,
            "next": "/settings/",
        },
        headers={"Referer": form.url},
    )
    assert response.url == f"{demo.url}settings/"
    return session


def create_key(demo: Demo, session: requests.Session, description: str) -> dict:
    """Create a key on the pages and return the export lines they show."""
    form = session.get(f"{demo.url}keys/new/")
    token = re.search(r'name="form_token" value="([^"]+)"', form.text)[1]
    page = session.post(
        form.url,
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "form_token": token,
            "description": description,
        },
        headers={"Referer": form.url},
    )
    assert page.status_code == 200
    exports = re.search(
        r'<textarea id="vk-environment"[^>]*>(.*?)</textarea>', page.text, re.S
    )
    variables = dict(
        line.removeprefix("export ").split("=", 1)
        for line in html.unescape(exports[1]).splitlines()
    )
    assert set(variables) == {"VALET_KEYS_URL", "VALET_KEY_ID", "VALET_KEY_SECRET"}
    return variables


def run_robot(
    variables: dict[str, str], *arguments: str
) -> subprocess.CompletedProcess:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("VALET_KEY")
    }
    return subprocess.run(
        [sys.executable, str(ROBOT), *arguments],
        env={**environment, **variables},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_demo_prints_where_it_serves_and_how_to_log_in(demo):
    output = demo.output.read_text()
    assert f"  Open     {demo.url}\n" in output
    assert f"  Keys     {demo.url}keys/\n" in output
    assert f"  Database {demo.database}\n" in output
    assert "example/robot.py" in output
    assert "Press Ctrl+C to stop." in output


def test_the_robots_comments_show_on_the_post_and_the_keys_history(demo):
    session = log_in(demo)
    settings_page = session.get(f"{demo.url}settings/").text
    assert '<a class="button" href="/keys/">Manage valet keys</a>' in settings_page
    variables = create_key(demo, session, "Demo comment robot")
    assert variables["VALET_KEYS_URL"] == demo.url
    key_id = variables["VALET_KEY_ID"]
    assert KEY_ID_PATTERN.fullmatch(key_id)
    assert SECRET_PATTERN.fullmatch(variables["VALET_KEY_SECRET"])

    robot = run_robot(variables, "--post", "valet-keys", "--count", "2")

    assert robot.returncode == 0, robot.stderr
    assert robot.stdout.splitlines() == [
        f"Acting for demo with {key_id} (Demo comment robot).",
        "Commented on 'valet-keys': Beep boop. Comment 1 of 2, posted by the demo "
        "robot.",
        "Commented on 'valet-keys': Beep boop. Comment 2 of 2, posted by the demo "
        "robot.",
        f"See what it did: {demo.url}keys/{key_id}/history/",
    ]
    assert variables["VALET_KEY_SECRET"] not in robot.stdout + robot.stderr

    history = session.get(f"{demo.url}keys/{key_id}/history/").text
    assert history.count("<code>blog.commented</code>") == 2
    assert (
        history.count('<a href="/posts/valet-keys/">Why robots get valet keys</a>') == 2
    )
    assert "Comment 1 of 2" in history
    assert "Comment 2 of 2" in history
    assert "Activity of the 2 most recent actions" in history

    post = session.get(f"{demo.url}posts/valet-keys/").text
    assert post.count('demo <span class="robot-badge">by a robot</span>') == 2

    downloaded = session.get(f"{demo.url}keys/{key_id}/history.csv").text
    assert downloaded.count(",blog.commented,blog.post,") == 2


def test_the_hello_view_greets_the_robot_by_its_owner(demo):
    session = log_in(demo)
    variables = create_key(demo, session, "Greeting robot")
    with Client(
        demo.url, variables["VALET_KEY_ID"], variables["VALET_KEY_SECRET"], retries=0
    ) as robot:
        greeting = robot.get("hello/")
    assert greeting.text == "HELLO ROBOT, I SEE YOU ARE IMPERSONATING demo"
    assert requests.get(f"{demo.url}hello/", timeout=30).text == "Welcome, guest."
    assert session.get(f"{demo.url}hello/").text == "Why, hello there Mr. User!"


def test_the_robot_without_a_key_says_how_to_get_one():
    robot = run_robot({})
    assert robot.returncode == 1
    assert robot.stdout == ""
    assert robot.stderr == (
        "robot.py: VALET_KEYS_URL is not set: set it in the environment, or pass "
        "base_url= to Client.from_env().\n"
        "robot.py: create a key on the demo's Keys page and paste the export "
        "lines it shows into this shell.\n"
    )


def test_the_robot_is_refused_once_its_key_is_disabled(demo):
    session = log_in(demo)
    variables = create_key(demo, session, "Doomed robot")
    key_id = variables["VALET_KEY_ID"]
    confirm = session.get(f"{demo.url}keys/{key_id}/disable/")
    session.post(
        confirm.url,
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": confirm.url},
    )

    robot = run_robot(variables)

    assert robot.returncode == 1
    assert robot.stderr.startswith(
        f"robot.py: 401 Unauthorized for GET {demo.url}keys/whoami/"
    )


def test_starting_again_keeps_the_posts_and_changes_the_password(demo, tmp_path):
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(demo.database, database)

    again = run_demo_command(database, "rundemo", "--no-serve")

    assert again.returncode == 0, again.stderr
    assert "Press Ctrl+C" not in again.stdout
    assert LOGIN_LINE.search(again.stdout)[1] != demo.password
    with sqlite3.connect(database) as connection:
        slugs = connection.execute(
            "SELECT slug FROM blog_post ORDER BY slug"
        ).fetchall()
    assert slugs == [("valet-keys",), ("welcome",)]


@pytest.mark.browser
def test_a_person_hands_a_robot_a_key_on_the_demo_in_a_browser(demo):
    camera = Camera(SCREENSHOTS / "demo")
    with chromium() as browser:
        page = browser.new_context(viewport=DESKTOP, base_url=demo.url).new_page()
        page.goto("/")
        expect(page.locator("h1")).to_have_text("Posts")
        camera.shoot(page, "home")

        page.click("header >> text=Log in")
        page.fill("#id_username", "demo")
        page.fill("#id_password", demo.password)
        camera.shoot(page, "login")
        page.click("button:has-text('Log in')")
        expect(page).to_have_url(f"{demo.url}settings/")
        camera.shoot(page, "settings")

        page.click("text=Manage valet keys")
        expect(page).to_have_url(f"{demo.url}keys/")
        page.click("text=Create a key")
        page.fill("#id_description", "Robot in the browser test")
        camera.shoot(page, "new key")
        page.click("button:has-text('Create key')")
        exports = page.input_value("#vk-environment")
        camera.shoot(page, "new key created")
        variables = dict(
            line.removeprefix("export ").split("=", 1) for line in exports.splitlines()
        )

        robot = run_robot(variables, "--count", "3")
        assert robot.returncode == 0, robot.stderr

        page.click("text=I have copied the secret")
        camera.shoot(page, "keys")
        key_id = variables["VALET_KEY_ID"]
        page.click(f"a[href='/keys/{key_id}/history/']")
        expect(page.locator("table.vk-actions tbody tr")).to_have_count(3)
        camera.shoot(page, "history")

        page.locator("table.vk-actions a").first.click()
        expect(page).to_have_url(f"{demo.url}posts/welcome/")
        expect(page.locator(".comment", has_text="by a robot")).to_have_count(3)
        camera.shoot(page, "post with the robot's comments")
