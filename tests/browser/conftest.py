"""Fixtures of the browser tests."""

from __future__ import annotations

import pytest

from .support import SCREENSHOTS, Camera


@pytest.fixture
def camera(request: pytest.FixtureRequest) -> Camera:
    """Save this test's screenshots in a folder named after it."""
    return Camera(SCREENSHOTS / request.node.name)
