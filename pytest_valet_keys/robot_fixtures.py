"""Fixtures for testing robots, which need only ``responses``.

Nothing here imports Django, so robot authors can use them in a project
without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .fake_site import FakeValetSite

__all__ = ["ROBOT_FIXTURES", "fake_valet_site"]

ROBOT_FIXTURES = ("fake_valet_site",)


@pytest.fixture
def fake_valet_site() -> Iterator[FakeValetSite]:
    """Return a fake site that accepts valet keys, at
    ``https://valet-site.example/``.

    Requests made with requests to that address, through
    ``valet_keys_client`` or not, are answered in this process by
    ``responses``; addresses elsewhere are refused. ``fake_valet_site.key``
    is a key it accepts, and ``add_key()`` makes more. Register endpoints
    with ``add()``; requests without a valid key get the 401 that
    ``@accepts_valet_key(required=True)`` sends. ``fail()`` and
    ``throttle()`` answer 5xx or 429 on demand, ``keys/whoami/`` answers as
    the app does, and ``requests`` lists what the robot sent.
    ``environ()`` gives the variables ``Client.from_env()`` reads.

    It is no Django site: views, permissions and the database are for the
    site's own tests. Do not combine it with ``responses.activate``; fake
    other addresses on ``fake_valet_site.mock`` instead.
    """
    try:
        from .fake_site import FakeValetSite
    except ModuleNotFoundError as error:
        if error.name != "responses":
            raise
        pytest.fail(
            "fake_valet_site needs responses, which is not installed; install "
            "it with: pip install 'valet-keys[pytest]'",
            pytrace=False,
        )
    with FakeValetSite() as site:
        yield site
