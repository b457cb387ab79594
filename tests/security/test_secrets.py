"""A plaintext secret exists once: in the response or output that creates it.

One scenario creates keys through the page and through the command, uses
them well and badly (a wrong secret, a mistyped one, one in the identifier's
place, enough failures to be throttled, a database error), then looks for
each secret, and for the Basic token that encodes it, everywhere it could
have been written: every log record at DEBUG (SQL included), every page and
admin page with their headers, every exception text and error report, every
column of every table (sessions decoded), and the throttle's cache.
"""

from __future__ import annotations

import base64
import logging
import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, connections
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter

from tests.conftest import basic_auth
from valet_keys.credentials import (
    SECRET_PATTERN,
    InvalidCredentials,
    generate_key_id,
    generate_secret,
    parse_basic_authorization,
)
from valet_keys.models import Key

pytestmark = pytest.mark.django_db


def every_stored_value():
    """Yield (table, value) for every column of every row, as text."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("latin-1")
                    yield table, str(value)
    # Session data is signed and compressed: read it as the app would.
    for session in Session.objects.all():
        yield (
            "django_session (decoded)",
            repr(SessionStore().decode(session.session_data)),
        )


def every_cached_value(backend):
    """Yield every key and value the throttle's cache holds, as text."""
    cache = caches["throttle"]
    if backend == "locmem":
        for name, value in cache._cache.items():
            yield name
            yield repr(value)
    else:
        client = cache._cache.get_client()
        for name in client.scan_iter(match=f"{cache.key_prefix}:*"):
            yield name.decode()
            yield repr(client.get(name))


class Secrets:
    """The secrets minted during the test, and the forms they could take."""

    def __init__(self):
        self.forms: dict[str, str] = {}

    def add(self, key, secret):
        self.forms[secret] = "plaintext"
        token = base64.b64encode(f"{key.key_id}:{secret}".encode()).decode()
        self.forms[token] = "Basic token"

    def found_in(self, text):
        return [kind for form, kind in self.forms.items() if form in text]


def test_after_creation_no_secret_is_written_anywhere(
    client, user, caplog, throttle_cache, monkeypatch
):
    secrets = Secrets()
    admin = User(username="root", is_staff=True, is_superuser=True)
    admin.set_unusable_password()
    admin.save()
    # Django's own loggers stop at INFO unless told otherwise.
    for name in [None, "django", "django.db.backends", "valet_keys"]:
        caplog.set_level(logging.DEBUG, logger=name)
    # Every query and its parameters are logged by django.db.backends.
    monkeypatch.setattr(connections["default"], "force_debug_cursor", True)
    texts: dict[str, str] = {}

    # Create one key through its page, as a person would, and one through
    # the command, as an operator would.
    client.force_login(user)
    form = client.get(reverse("valet_keys:new")).content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', form)[1]
    data = {"description": "Robot", "form_token": token}
    created = client.post(reverse("valet_keys:new"), data)
    key = Key.objects.get(user=user)
    secret = SECRET_PATTERN.search(created.content.decode()).group()
    secrets.add(key, secret)
    output = StringIO()
    call_command(
        "valet_keys", "create", "--user", "ada", "--description", "Cron", stdout=output
    )
    cron = Key.objects.exclude(pk=key.pk).get()
    cron_secret = SECRET_PATTERN.search(output.getvalue()).group()
    secrets.add(cron, cron_secret)

    # The reload of the creating page shows no secret.
    texts["reloaded creation"] = client.post(
        reverse("valet_keys:new"), data
    ).content.decode()

    # Use the key well and badly, so every logging path runs.
    robot = Client(raise_request_exception=False)
    headers = [
        basic_auth(key.key_id, secret),
        basic_auth(key.key_id, secret[:-1]),
        basic_auth(key.key_id, secret + ":extra"),
        basic_auth(generate_key_id(), secret),
        basic_auth(secret, key.key_id),
        basic_auth(cron.key_id, secret),
        "Basic " + secret,
        "Bearer " + secret,
        secret,
    ]
    for header in headers:
        for url in ["/hello/", "/robots-only/", "/keys/whoami/"]:
            response = robot.get(url, HTTP_AUTHORIZATION=header)
            texts[f"{url} with {header[:12]}"] = str(response.headers) + (
                response.content.decode()
            )
    # Enough failures to be throttled, then the throttled answer.
    wrong = basic_auth(key.key_id, generate_secret())
    for _ in range(12):
        robot.get("/robots-only/", HTTP_AUTHORIZATION=wrong)
    throttled = robot.get("/robots-only/", HTTP_AUTHORIZATION=headers[0])
    assert throttled.status_code == 429
    texts["throttled"] = str(throttled.headers) + throttled.content.decode()
    key.log("robot.started", notes="with its own notes")

    # A database error in the middle of a request with a key (the other one:
    # the first is throttled now, so its requests no longer reach the
    # database).
    execute = CursorWrapper.execute

    def failing(self, sql, params=None):
        if "SELECT" in sql and connection.ops.quote_name("valet_keys_key") in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(self, sql, params)

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", failing)
        crashed = robot.get(
            "/hello/", HTTP_AUTHORIZATION=basic_auth(cron.key_id, cron_secret)
        )
    assert crashed.status_code == 500
    texts["500 page"] = crashed.content.decode()
    # The report Django mails to ADMINS, and the page DEBUG shows, both list
    # the local variables of every frame down to the failed query.
    crash = next(r for r in caplog.records if r.name == "django.request" and r.exc_info)
    for is_email in [True, False]:
        reporter = ExceptionReporter(crash.request, *crash.exc_info, is_email=is_email)
        texts[f"error report, email {is_email}"] = reporter.get_traceback_text()
        texts[f"error page, email {is_email}"] = reporter.get_traceback_html()
    assert "_verify" in texts["error page, email False"]

    # Exceptions, as raised and as reported to the site's admins.
    exceptions = []
    for header in [
        "Basic " + secret,
        "Basic " + "x" * 600 + secret,
        "Digest " + secret,
    ]:
        with pytest.raises(InvalidCredentials) as caught:
            parse_basic_authorization(header)
        exceptions.append(caught.value)
    for args in [["disable", secret], ["history", secret], ["disable", "x" + secret]]:
        with pytest.raises(CommandError) as caught:
            call_command("valet_keys", *args)
        exceptions.append(caught.value)
    for number, error in enumerate(exceptions):
        texts[f"exception {number}"] = f"{error} {error!r} {error.args!r}"

    # Every page of the person, and every admin page about keys.
    pages = [
        reverse("valet_keys:list"),
        reverse("valet_keys:new"),
        reverse("valet_keys:history", args=[key.key_id]),
        reverse("valet_keys:disable", args=[key.key_id]),
    ]
    client.post(pages[-1])
    for url in pages:
        response = client.get(url)
        texts[url] = str(response.headers) + response.content.decode()
    client.force_login(admin)
    action = key.actions.first()
    admin_pages = [
        reverse("admin:index"),
        reverse("admin:valet_keys_key_changelist"),
        reverse("admin:valet_keys_key_changelist") + f"?q={key.key_id}",
        reverse("admin:valet_keys_key_change", args=[key.pk]),
        reverse("admin:valet_keys_key_history", args=[key.pk]),
        reverse("admin:valet_keys_keyaction_changelist"),
        reverse("admin:valet_keys_keyaction_change", args=[action.pk]),
        reverse("admin:auth_user_change", args=[user.pk]),
    ]
    client.post(
        reverse("admin:valet_keys_key_changelist"),
        {"action": "disable_keys", "_selected_action": [cron.pk]},
    )
    for url in admin_pages:
        response = client.get(url)
        assert response.status_code == 200, url
        texts[url] = str(response.headers) + response.content.decode()
        assert key.secret_digest not in texts[url], url

    # Now look.
    leaks = {where: secrets.found_in(text) for where, text in texts.items()}
    assert {where: kinds for where, kinds in leaks.items() if kinds} == {}

    formatter = logging.Formatter("%(name)s %(message)s")
    assert len(caplog.records) > 100, "the scenario should have logged plenty"
    for record in caplog.records:
        logged = formatter.format(record) + repr(record.args)
        assert secrets.found_in(logged) == [], record.getMessage()[:200]

    stored = [
        (table, kinds)
        for table, value in every_stored_value()
        if (kinds := secrets.found_in(value))
    ]
    assert stored == []
    cached = [
        value for value in every_cached_value(throttle_cache) if secrets.found_in(value)
    ]
    assert cached == []


def test_the_scan_would_find_a_secret_where_one_was_written(user):
    """The search above is only worth its silence if it can find one."""
    key, secret = Key.objects.mint(user, "Robot")
    secrets = Secrets()
    secrets.add(key, secret)
    Key.objects.filter(pk=key.pk).update(description=f"oops {secret}")
    session = SessionStore()
    session["note"] = basic_auth(key.key_id, secret)
    session.save()
    found = {table for table, value in every_stored_value() if secrets.found_in(value)}
    assert found == {"valet_keys_key", "django_session (decoded)"}


def test_the_command_does_not_echo_a_secret_given_as_a_key_identifier(user):
    _, secret = Key.objects.mint(user, "Robot")
    with pytest.raises(
        CommandError,
        match=(
            r"^KEY_ID is a secret, not a key identifier; identifiers start with "
            r"'vk_'\. Disable that key if the secret was exposed\.$"
        ),
    ):
        call_command("valet_keys", "disable", secret)
