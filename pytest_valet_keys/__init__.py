"""A pytest plugin for sites that accept valet keys, and for their robots.

pytest loads it through the ``pytest11`` entry point; there is nothing to
configure. Site-side fixtures (``valet_user``, ``valet_key_factory``,
``valet_key``, ``robot_client``, ``robot``, ``robot_factory``,
``live_robot``, ``valet_actions``) need pytest-django; the robot-side
fixture ``fake_valet_site`` needs only ``responses``.

This package imports nothing from Django, so that robot authors can use it
without Django. The in-process transport, which needs Django, lives in
``pytest_valet_keys.transport``.
"""

from .actions import ANY, ExpectedAction, ValetActions
from .keys import MintedKey
from .site_fixtures import KeyFactory, RobotFactory

__all__ = [
    "ANY",
    "ExpectedAction",
    "FakeKey",
    "FakeValetSite",
    "KeyFactory",
    "MintedKey",
    "RobotFactory",
    "SentRequest",
    "ValetActions",
]


def __getattr__(name: str) -> object:
    # The fake site imports responses, which a site's own tests may not
    # have; load it only when asked for.
    if name in {"FakeKey", "FakeValetSite", "SentRequest"}:
        from . import fake_site

        return getattr(fake_site, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
