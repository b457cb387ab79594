"""Fixtures for the tests of ``valet_keys.rest_framework``.

Each test module here skips itself when Django REST framework is not
installed (see ``tests/drf/__init__.py``); this file imports nothing from
REST framework at import time, so that it loads without it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.core.cache import caches

from tests.testapp.models import Post

if TYPE_CHECKING:
    from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _forget_failures() -> None:
    """Start every test with no failed attempts counted.

    Failures are throttled through the default cache, which lives for the
    whole run: without this, the failures of earlier tests, all from
    127.0.0.1, would throttle later ones.
    """
    caches["default"].clear()


@pytest.fixture
def api_client() -> APIClient:
    """A REST framework test client that checks CSRF as browsers meet it."""
    from rest_framework.test import APIClient

    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def post(db: None) -> Post:
    return Post.objects.create(slug="first-light", title="First light")
