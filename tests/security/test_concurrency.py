"""Robots at work at the same time lose nothing, and stop when told to.

Eight robots post at once to an endpoint that requires a key and logs one
action per request. They run as threads, each with its own database
connection, either through Django's test client in this process or over
HTTP to two gunicorn worker processes. The data is committed
(``transaction=True``), as it is in production.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client

from tests.conftest import basic_auth
from valet_keys.models import Key, KeyAction

pytestmark = pytest.mark.django_db(transaction=True)

ROBOTS = 8
ACTIONS_PER_ROBOT = 25
LOG_URL = "/robot-log/"

Send = Callable[[str, str], int]


@pytest.fixture(autouse=True)
def _robot_endpoint(settings):
    settings.ROOT_URLCONF = "tests.security.urls"


@pytest.fixture(
    params=["in-process", pytest.param("gunicorn", marks=pytest.mark.multiprocess)]
)
def send(request: pytest.FixtureRequest) -> Iterator[Send]:
    """Return a function that posts notes with a header, giving the status."""
    if request.param == "gunicorn":
        site = request.getfixturevalue("live_site")

        def over_http(authorization: str, notes: str) -> int:
            response = site.post(
                LOG_URL, data={"notes": notes}, headers={"Authorization": authorization}
            )
            return response.status_code

        yield over_http
    else:

        def in_process(authorization: str, notes: str) -> int:
            response = Client().post(
                LOG_URL, {"notes": notes}, HTTP_AUTHORIZATION=authorization
            )
            return response.status_code

        yield in_process


def run_robots(work: Callable[[int], None]) -> None:
    """Run ``work(number)`` in ROBOTS threads started together; re-raise."""
    barrier = threading.Barrier(ROBOTS, timeout=30)
    errors: list[BaseException] = []

    def robot(number: int) -> None:
        try:
            barrier.wait()
            work(number)
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            # Each thread opened its own connections; the test database
            # cannot be flushed while they stay open.
            connections.close_all()

    threads = [threading.Thread(target=robot, args=(n,)) for n in range(ROBOTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]


def test_robots_logging_at_once_lose_no_action(send):
    # Four keys of four owners, each shared by two robots.
    minted = [
        Key.objects.mint(User.objects.create(username=f"owner{n}"), f"Robot {n}")
        for n in range(ROBOTS // 2)
    ]
    statuses: list[int] = []

    def work(number: int) -> None:
        key, secret = minted[number % len(minted)]
        authorization = basic_auth(key.key_id, secret)
        for step in range(ACTIONS_PER_ROBOT):
            statuses.append(send(authorization, f"robot {number} step {step}"))

    run_robots(work)

    assert statuses == [201] * ROBOTS * ACTIONS_PER_ROBOT
    logged = KeyAction.objects.filter(action="robot.logged")
    assert sorted(logged.values_list("notes", flat=True)) == sorted(
        f"robot {n} step {s}" for n in range(ROBOTS) for s in range(ACTIONS_PER_ROBOT)
    )
    for key, _ in minted:
        assert logged.filter(key=key).count() == 2 * ACTIONS_PER_ROBOT
    assert KeyAction.objects.count() == ROBOTS * ACTIONS_PER_ROBOT


def test_no_request_is_served_with_a_key_after_its_disabling_committed(send):
    key, secret = Key.objects.mint(User.objects.create(username="ada"), "Robot")
    authorization = basic_auth(key.key_id, secret)
    served = threading.Semaphore(0)
    disabled = threading.Event()
    # (whether the disable had committed before the request was sent, status)
    outcomes: list[tuple[bool, int]] = []

    def work(number: int) -> None:
        after_disable = 0
        # Bounded: enough requests for the disable to land among them, and a
        # few more after it.
        for step in range(200):
            sent_after_disable = disabled.is_set()
            status = send(authorization, f"robot {number} step {step}")
            outcomes.append((sent_after_disable, status))
            if status == 201:
                served.release()
            if sent_after_disable:
                after_disable += 1
                if after_disable == 5:
                    return

    def disable_while_robots_run() -> None:
        # Let the robots get going, then disable through another connection;
        # disable() returns once its UPDATE is committed.
        for _ in range(2 * ROBOTS):
            assert served.acquire(timeout=60)
        Key.objects.get(pk=key.pk).disable()
        disabled.set()
        connections.close_all()

    conductor = threading.Thread(target=disable_while_robots_run)
    conductor.start()
    run_robots(work)
    conductor.join(timeout=60)

    assert disabled.is_set()
    after = [status for sent_after, status in outcomes if sent_after]
    assert len(after) == 5 * ROBOTS
    # Refused, or throttled once the refusals pile up (which can happen
    # before this thread even learns of the disable).
    assert set(after) <= {401, 429}
    # Every action logged belongs to a request that was served.
    assert KeyAction.objects.count() == [status for _, status in outcomes].count(201)
