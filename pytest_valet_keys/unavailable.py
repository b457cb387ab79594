"""Stand-ins for the site-side fixtures when their requirements are missing.

Without them, a test that asks for ``robot`` in a project without
pytest-django would stop at pytest's "fixture 'robot' not found", or at
"fixture 'live_server' not found" for a fixture it never asked for. The
stand-ins answer instead with what to install or enable.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any, NoReturn

import pytest

from . import site_fixtures

__all__ = ["stand_ins"]


def stand_ins(missing: str) -> ModuleType:
    """Return a plugin whose site-side fixtures fail with ``missing``.

    ``missing`` completes the sentence "<fixture> needs ...", such as
    "pytest-django, which is not installed; ...". The plugin is a module,
    as pytest looks for fixtures on the type of any other object.
    """
    plugin = ModuleType(f"{__name__}.stand_ins")
    for name in site_fixtures.SITE_FIXTURES:
        setattr(plugin, name, _stand_in(name, missing))
    return plugin


def _stand_in(name: str, missing: str) -> Any:
    def fixture() -> NoReturn:
        pytest.fail(f"{name} needs {missing}", pytrace=False)

    # pytest --fixtures shows the first paragraph: it says what is missing.
    documentation = inspect.getdoc(getattr(site_fixtures, name)) or ""
    fixture.__doc__ = f"Unavailable: needs {missing}\n\n{documentation}"
    fixture.__name__ = fixture.__qualname__ = name
    return pytest.fixture(name=name)(fixture)
