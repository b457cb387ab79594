"""Small projects for pytester to run the plugin in, as its users meet it.

``site_project`` is a Django site with pytest-django; ``robot_project`` is a
robot's project in which Django cannot be imported. Both run in a
subprocess: pytest-django configures Django once per process, and the
outer run's Django must not leak into theirs.

Their behaviour does not depend on the database vendor (the site uses
SQLite in memory), so they run only in the SQLite session of the suite;
the transport, which does depend on it, is tested in-process on every
vendor by the other modules here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings

PROJECTS = Path(__file__).parent / "projects"

collect_ignore = ["projects"]

only_once = pytest.mark.skipif(
    settings.DATABASE_VENDOR != "sqlite",
    reason="pytester projects use their own SQLite database; run with sqlite",
)

SITE_INI = """\
[pytest]
DJANGO_SETTINGS_MODULE = site_settings
django_find_project = false
addopts = -p no:cacheprovider -p no:hypothesispytest
filterwarnings = error
"""

ROBOT_INI = """\
[pytest]
addopts = -p no_django -p no:django -p no:cacheprovider -p no:hypothesispytest
filterwarnings = error
"""


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the outer run's settings and xdist worker out of the project."""
    for variable in (
        "DJANGO_SETTINGS_MODULE",
        "PYTEST_XDIST_WORKER",
        "PYTEST_XDIST_WORKER_COUNT",
        "PYTEST_XDIST_TESTRUNUID",
        "VALET_KEY_ID",
        "VALET_KEY_SECRET",
        "VALET_KEYS_URL",
    ):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def site_project(pytester: pytest.Pytester, clean_environment: None) -> pytest.Pytester:
    """Return a pytester holding a Django site that accepts valet keys."""
    shutil.copytree(PROJECTS / "site", pytester.path, dirs_exist_ok=True)
    pytester.makefile(".ini", pytest=SITE_INI)
    return pytester


@pytest.fixture
def robot_project(
    pytester: pytest.Pytester, clean_environment: None
) -> pytest.Pytester:
    """Return a pytester holding a robot's project, without Django."""
    shutil.copytree(PROJECTS / "robot", pytester.path, dirs_exist_ok=True)
    pytester.makefile(".ini", pytest=ROBOT_INI)
    return pytester
