"""The database failing in the middle of a request never authenticates it.

Django answers a database error with its plain 500 page and logs it for the
site; the decorator must not turn the error into a guest, nor, worse, a key.
The test client runs with ``raise_request_exception=False`` to see the 500
a robot would see.

The cache that counts failures failing is tested in ``test_throttling``; the
SDK's report of refused connections and timeouts as its ``TransportError``
is tested with real sockets in ``tests/client/test_transport.py``.
"""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError, connection, connections
from django.db.backends.utils import CursorWrapper
from django.test import Client

from tests.conftest import basic_auth
from valet_keys.models import Key, KeyAction


def assert_plain_500(response):
    """Django's own error page: no traceback, no exception, no SQL."""
    assert response.status_code == 500
    page = response.content.decode()
    assert "<h1>Server Error (500)</h1>" in page
    for leak in ["Traceback", "OperationalError", "SELECT", "connection"]:
        assert leak not in page


# Each endpoint, and what it answers when the database is fine.
ENDPOINTS = [
    ("get", "/served-by/", 200),
    ("get", "/hello/", 200),
    ("get", "/robots-only/", 200),
    ("get", "/keys/whoami/", 200),
    ("post", "/robot-log/", 201),
]


@pytest.fixture(autouse=True)
def _security_urls(settings):
    settings.ROOT_URLCONF = "tests.security.urls"


@pytest.fixture
def robot():
    return Client(raise_request_exception=False)


def failing_on(statement_start: str, table: str):
    """Return a cursor ``execute`` that loses the connection on a statement."""
    execute = CursorWrapper.execute
    quoted = connection.ops.quote_name(table)

    def execute_or_fail(self, sql, params=None):
        if sql.lstrip().upper().startswith(statement_start) and quoted in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(self, sql, params)

    return execute_or_fail


# Committed as in production: an error inside the test's own transaction
# would leave it unusable for the checks that follow.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("method", "url", "status"), ENDPOINTS)
@pytest.mark.parametrize("statement", ["SELECT", "UPDATE"])
def test_a_database_error_while_checking_a_key_is_a_plain_500(
    robot, minted, monkeypatch, caplog, method, url, status, statement
):
    key, secret = minted
    authorization = basic_auth(key.key_id, secret)
    # SELECT loads the key; UPDATE records its first use, after the secret
    # was found good and before the view would run.
    table = Key._meta.db_table
    monkeypatch.setattr(CursorWrapper, "execute", failing_on(statement, table))

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = getattr(robot, method)(url, HTTP_AUTHORIZATION=authorization)

    assert_plain_500(response)
    assert KeyAction.objects.count() == 0
    # The site's log has the error; nothing there holds the secret.
    assert [record.levelno for record in caplog.records] == [logging.ERROR]
    assert caplog.records[0].exc_info[0] is OperationalError
    assert secret not in caplog.text

    monkeypatch.undo()
    assert getattr(robot, method)(
        url, HTTP_AUTHORIZATION=authorization
    ).status_code == (status)


def kill_connection(alias: str = "default") -> None:
    """End this thread's database session from another session, as a
    server restart or a failover would."""
    victim = connections[alias]
    victim.ensure_connection()
    if victim.vendor == "postgresql":
        pid = victim.connection.info.backend_pid
        statement = "SELECT pg_terminate_backend(%s)"
    else:
        pid = victim.connection.thread_id()
        statement = "KILL %s"
    killer = connections.create_connection(alias)
    try:
        with killer.cursor() as cursor:
            cursor.execute(statement, [pid])
    finally:
        killer.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("method", "url", "status"), ENDPOINTS)
def test_a_connection_killed_by_the_server_is_a_plain_500(
    robot, user, method, url, status
):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite runs in this process; there is no session to end.")
    key, secret = Key.objects.mint(user, "Robot")
    authorization = basic_auth(key.key_id, secret)

    kill_connection()
    response = getattr(robot, method)(url, HTTP_AUTHORIZATION=authorization)

    assert_plain_500(response)
    # Django replaces a broken connection at the start of the next request;
    # the test client does not, so this stands in for it.
    connection.close()
    assert KeyAction.objects.count() == 0
    assert getattr(robot, method)(
        url, HTTP_AUTHORIZATION=authorization
    ).status_code == (status)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("method", "url", "status"), ENDPOINTS)
def test_a_database_that_cannot_be_reached_is_a_plain_500(
    robot, user, monkeypatch, method, url, status
):
    key, secret = Key.objects.mint(user, "Robot")
    authorization = basic_auth(key.key_id, secret)

    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    connection.close()
    monkeypatch.setattr(connection, "get_new_connection", unreachable)
    response = getattr(robot, method)(url, HTTP_AUTHORIZATION=authorization)

    assert_plain_500(response)
    monkeypatch.undo()
    assert KeyAction.objects.count() == 0
