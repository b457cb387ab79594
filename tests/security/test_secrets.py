"""The plaintext secret exists once, in the response that creates the key."""

import logging
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.urls import reverse

from tests.conftest import basic_auth
from valet_keys.credentials import SECRET_PATTERN
from valet_keys.models import Key

pytestmark = pytest.mark.django_db


def _every_stored_value():
    """Yield every value of every column of every table, as text."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("latin-1")
                    yield table, str(value)


def test_after_creation_the_secret_is_in_no_log_page_or_column(client, user, caplog):
    admin = User(username="root", is_staff=True, is_superuser=True)
    admin.set_unusable_password()
    admin.save()
    caplog.set_level(logging.DEBUG)

    # Create the key through its page, as a person would.
    client.force_login(user)
    form = client.get(reverse("valet_keys:new")).content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', form)[1]
    created = client.post(
        reverse("valet_keys:new"), {"description": "Robot", "form_token": token}
    )
    secret = SECRET_PATTERN.search(created.content.decode()).group()
    key = Key.objects.get(user=user)

    # Use it, well and badly, so every logging path runs.
    client.get("/hello/", HTTP_AUTHORIZATION=basic_auth(key.key_id, secret))
    client.get("/hello/", HTTP_AUTHORIZATION=basic_auth(key.key_id, secret[:-1]))
    client.get("/hello/", HTTP_AUTHORIZATION=basic_auth(key.key_id + "x", secret))
    client.get("/hello/", HTTP_AUTHORIZATION="Basic " + secret)
    key.log("robot.started")

    pages = [
        reverse("valet_keys:list"),
        reverse("valet_keys:new"),
        reverse("valet_keys:history", args=[key.key_id]),
        reverse("valet_keys:disable", args=[key.key_id]),
    ]
    client.post(pages[-1])
    for url in pages:
        assert secret not in client.get(url).content.decode(), url

    client.force_login(admin)
    admin_pages = [
        reverse("admin:valet_keys_key_changelist"),
        reverse("admin:valet_keys_key_change", args=[key.pk]),
        reverse("admin:valet_keys_keyaction_changelist"),
    ]
    for url in admin_pages:
        page = client.get(url).content.decode()
        assert secret not in page, url
        assert key.secret_digest not in page, url

    assert caplog.records, "the rejections above should have been logged"
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in repr(record.args)

    leaks = [table for table, value in _every_stored_value() if secret in value]
    assert leaks == []
