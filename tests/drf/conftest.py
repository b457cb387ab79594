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

from rest_framework.test import APIClient

from tests.testapp.models import Post


@pytest.fixture
def api_client() -> APIClient:
    """A REST framework test client that checks CSRF as browsers meet it."""
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def post(db: None) -> Post:
    return Post.objects.create(slug="first-light", title="First light")
