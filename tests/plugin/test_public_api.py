"""The plugin's public names, and what importing them costs a robot."""

import pytest_valet_keys
from pytest_valet_keys import fake_site, transport


def test_the_public_names_are_locked():
    assert pytest_valet_keys.__all__ == [
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
    assert transport.__all__ == ["DEFAULT_HOST", "DjangoAdapter", "ViewError"]


def test_the_fake_site_names_come_from_their_module():
    assert pytest_valet_keys.FakeValetSite is fake_site.FakeValetSite
    assert pytest_valet_keys.FakeKey is fake_site.FakeKey
    assert pytest_valet_keys.SentRequest is fake_site.SentRequest
