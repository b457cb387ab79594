"""The module's public names, and its import without REST framework."""

import importlib
import sys

import pytest

from tests.drf import NO_REST_FRAMEWORK

pytest.importorskip("rest_framework", reason=NO_REST_FRAMEWORK)

import valet_keys.rest_framework


def test_the_public_names_are_these():
    assert valet_keys.rest_framework.__all__ == [
        "HasValetKey",
        "ValetKeyAuthentication",
        "ValetKeyContextMixin",
        "get_valet_key",
    ]


def test_importing_without_rest_framework_says_what_to_install(monkeypatch):
    # None in sys.modules makes an import fail as if the package were absent.
    monkeypatch.setitem(sys.modules, "rest_framework", None)
    monkeypatch.delitem(sys.modules, "valet_keys.rest_framework")
    with pytest.raises(
        ModuleNotFoundError,
        match=r"^valet_keys\.rest_framework needs Django REST framework; install "
        r"it with 'pip install valet-keys\[drf\]'\.$",
    ):
        importlib.import_module("valet_keys.rest_framework")
