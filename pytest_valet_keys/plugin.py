"""Hooks of the valet-keys pytest plugin, loaded through ``pytest11``.

The plugin registers its markers and its fixtures. Robot-side fixtures are
always there; site-side fixtures need pytest-django and Django, and when
either is missing, stand-ins of the same names say what to install. This
module imports neither at import time, so that it loads in a robot's
project without Django.
"""

from __future__ import annotations

import importlib.util

import pytest

__all__ = ["pytest_configure"]

MARKERS = (
    "valet_key(**options): options of the valet_key fixture, passed to "
    "valet_key_factory: description='...' and the keyword options of "
    "Key.objects.mint(), such as expires_at=<aware datetime>.",
    "valet_robot(**options): options of the robot, robot_client and "
    "live_robot fixtures: raise_request_exception=False gives the robot a "
    "view's 500 response rather than raising its exception in the test; "
    "timeout, retries and user_agent_extra go to valet_keys_client.Client.",
)

INSTALL = "pip install 'valet-keys[pytest]'"


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)

    from . import robot_fixtures

    config.pluginmanager.register(robot_fixtures, "valet_keys.robot_fixtures")

    missing = _missing_for_site_fixtures(config)
    if missing is None:
        from . import site_fixtures

        config.pluginmanager.register(site_fixtures, "valet_keys.site_fixtures")
    else:
        from .unavailable import stand_ins

        config.pluginmanager.register(stand_ins(missing), "valet_keys.site_fixtures")


def _missing_for_site_fixtures(config: pytest.Config) -> str | None:
    """Describe what the site-side fixtures lack, or return None."""
    if not config.pluginmanager.hasplugin("django"):
        if _installed("pytest_django"):
            return (
                "pytest-django, which is disabled in this run (-p no:django); "
                "remove that option."
            )
        return f"pytest-django, which is not installed; install it with: {INSTALL}"
    if not _installed("django"):
        return f"Django, which is not installed; install it with: {INSTALL}"
    return None


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
