"""Fixtures for the security tests: throttle caches, a clock, a live site."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.cache import caches
from django.db import connection
from django.test import override_settings

from valet_keys import throttling

REPOSITORY = Path(__file__).resolve().parents[2]
REDIS_PORT = 6379

# The start of a throttling window of five minutes, and a moment inside it.
WINDOW_START = 1_800_000_000.0
assert WINDOW_START % 300 == 0


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Set the throttle's clock, in seconds after the start of a window."""

    def set_clock(offset: float) -> None:
        monkeypatch.setattr(throttling, "_now", lambda: WINDOW_START + offset)

    set_clock(100)
    return set_clock


def redis_location() -> str:
    if not _answers(REDIS_PORT):
        message = f"Redis does not answer on 127.0.0.1:{REDIS_PORT}"
        if on_ci():
            pytest.fail(message + "; CI=true requires it.")
        pytest.skip(message)
    return f"redis://127.0.0.1:{REDIS_PORT}/0"


@pytest.fixture(params=["locmem", "redis"])
def throttle_cache(request: pytest.FixtureRequest) -> Iterator[str]:
    """Count failures in a cache of each kind; yield the backend's name.

    Redis is shared with other checkouts and other runs: every test gets a
    key prefix of its own and deletes only the keys under it.
    """
    prefix = f"vk-security-{uuid.uuid4().hex}"
    if request.param == "redis":
        cache = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_location(),
            "KEY_PREFIX": prefix,
        }
    else:
        cache = {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": prefix,
        }
    overrides = override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "throttle": cache,
        },
        VALET_KEYS={"THROTTLE_CACHE": "throttle"},
    )
    with overrides:
        yield request.param
        if request.param == "redis":
            import redis

            client = redis.Redis.from_url(cache["LOCATION"])
            stale = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if stale:
                client.delete(*stale)
            client.close()
        caches["throttle"].close()


class LiveSite:
    """Two gunicorn workers serving the suite's URLs on 127.0.0.1."""

    def __init__(
        self,
        url: str,
        process: subprocess.Popen[bytes],
        log: Path,
        redis_prefix: str | None,
    ) -> None:
        self.url = url
        self.process = process
        self.log = log
        # Where the workers count failed attempts, if they share Redis.
        self.redis_prefix = redis_prefix

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.post(self.url + path, timeout=30, **kwargs)

    def forget_failures(self) -> None:
        if self.redis_prefix is None:
            return
        import redis

        with redis.Redis(port=REDIS_PORT) as client:
            stale = list(client.scan_iter(match=f"{self.redis_prefix}:*", count=1000))
            if stale:
                client.delete(*stale)


@pytest.fixture(scope="session")
def _gunicorn(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveSite]:
    """Start gunicorn once for the session, on the test database.

    Two processes of four threads each, so that requests really are served
    by different processes and up to eight at once. The listening socket is
    bound here, on a free port, and handed to gunicorn, so no other process
    can take the port in between. The workers count failed attempts in
    Redis when it answers, as a site with several processes should.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    redis_prefix = f"vk-security-server-{uuid.uuid4().hex}"
    if not _answers(REDIS_PORT):
        if on_ci():
            pytest.fail(f"Redis does not answer on 127.0.0.1:{REDIS_PORT}.")
        redis_prefix = None
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.security.server_settings",
        "VALET_KEYS_SERVER_DB_NAME": str(connection.settings_dict["NAME"]),
        "VALET_KEYS_SERVER_REDIS_PREFIX": redis_prefix or "",
        "PYTHONPATH": str(REPOSITORY),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers=2",
                "--worker-class=gthread",
                "--threads=4",
                # Loading the application once, before the fork, halves the
                # start-up time on a busy machine.
                "--preload",
                f"--bind=fd://{listener.fileno()}",
                "--graceful-timeout=5",
                "--log-level=warning",
                "tests.security.wsgi:application",
            ],
            cwd=REPOSITORY,
            env=environment,
            pass_fds=[listener.fileno()],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    listener.close()
    site = LiveSite(f"http://127.0.0.1:{port}", process, log, redis_prefix)
    try:
        # Connections wait in the socket's queue until a worker is ready, so
        # the first request doubles as the wait for start-up.
        site.get("/hello/")
        yield site
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        site.forget_failures()


@pytest.fixture
def live_site(_gunicorn: LiveSite, transactional_db: None) -> LiveSite:
    """Serve the test database with two gunicorn worker processes.

    The test's data must be committed for the workers to see it, hence
    ``transactional_db``; the workers close their connections after each
    request (``CONN_MAX_AGE`` is 0), so the flush after the test is not held
    up by them.
    """
    _gunicorn.forget_failures()
    return _gunicorn


def serve_until_both_workers_answer(
    site: LiveSite, path: str, **kwargs: object
) -> dict[int, list[requests.Response]]:
    """Send requests until each worker process has answered at least one.

    Which worker accepts a connection is up to the kernel; the loop is
    bounded, and a worker that never answers fails the test.
    """
    served: dict[int, list[requests.Response]] = {}
    for _ in range(400):
        response = site.get(path, **kwargs)
        served.setdefault(response.json()["pid"], []).append(response)
        if len(served) == 2:
            return served
    raise AssertionError(
        f"Only worker {list(served)} answered 400 requests; see {site.log}."
    )


def spy_on_cache(cache, monkeypatch):
    """Record the names of the cache methods called from outside the cache.

    Backends call their own methods (local memory's ``get_many`` calls
    ``get``); only the outermost call is what the throttle asked for.
    """
    calls = []
    depth = 0

    def spied(name, method):
        def call(*args, **kwargs):
            nonlocal depth
            if depth == 0:
                calls.append(name)
            depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                depth -= 1

        return call

    for name in ["get", "get_many", "add", "set", "incr", "set_many", "delete"]:
        monkeypatch.setattr(cache, name, spied(name, getattr(cache, name)))
    return calls
