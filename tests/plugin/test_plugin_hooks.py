"""What the plugin tells a project that lacks what site fixtures need."""

from types import SimpleNamespace

import pytest

from pytest_valet_keys import plugin

INSTALL = "install it with: pip install 'valet-keys[pytest]'"


class PluginManager:
    def __init__(self, *active):
        self.active = active

    def hasplugin(self, name):
        return name in self.active


@pytest.mark.parametrize(
    ("active", "installed", "missing"),
    [
        pytest.param(("django",), ("django", "pytest_django"), None, id="everything"),
        pytest.param(
            (),
            ("django", "pytest_django"),
            "pytest-django, which is disabled in this run (-p no:django); "
            "remove that option.",
            id="pytest-django-disabled",
        ),
        pytest.param(
            (),
            ("django",),
            f"pytest-django, which is not installed; {INSTALL}",
            id="pytest-django-missing",
        ),
        pytest.param(
            ("django",),
            ("pytest_django",),
            f"Django, which is not installed; {INSTALL}",
            id="django-missing",
        ),
    ],
)
def test_what_site_fixtures_miss(monkeypatch, active, installed, missing):
    monkeypatch.setattr(plugin, "_installed", lambda module: module in installed)
    config = SimpleNamespace(pluginmanager=PluginManager(*active))

    assert plugin._missing_for_site_fixtures(config) == missing


def test_a_module_that_fails_to_be_found_counts_as_missing(monkeypatch):
    def find_spec(name):
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(plugin.importlib.util, "find_spec", find_spec)

    assert not plugin._installed("django")
