"""Fixtures for the tests of ``valet_keys.rest_framework``.

The whole folder is skipped when Django REST framework is not installed, as
in the ``tests_without_drf`` nox session.
"""

from __future__ import annotations

import pytest

pytest.importorskip(
    "rest_framework",
    reason="Django REST framework is not installed (the drf extra adds it)",
)

from django.core.cache import caches
from rest_framework.test import APIClient

from tests.testapp.models import Post


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
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def post(db: None) -> Post:
    return Post.objects.create(slug="first-light", title="First light")
