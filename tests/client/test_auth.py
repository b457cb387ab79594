"""ValetKeyAuth: the header it writes, and what it keeps to itself."""

from __future__ import annotations

import pytest
import requests
from requests.auth import HTTPBasicAuth

from valet_keys.credentials import parse_basic_authorization
from valet_keys_client import ValetKeyAuth

from .support import AUTHORIZATION, KEY_ID, SECRET


def _authorize(auth: ValetKeyAuth) -> requests.PreparedRequest:
    request = requests.Request("GET", "http://site.test/", auth=auth)
    return request.prepare()


@pytest.mark.parametrize(
    ("key_id", "secret", "header"),
    [
        pytest.param(KEY_ID, SECRET, AUTHORIZATION, id="real-credential"),
        # Real secrets never contain a colon; the header format allows it,
        # and everything after the first colon is the secret.
        pytest.param("vk_abc", "vks_x:y", "Basic dmtfYWJjOnZrc194Onk=", id="colon"),
        pytest.param(
            "vk_zoë", "vks_a:b:c", "Basic dmtfem/Dqzp2a3NfYTpiOmM=", id="non-ascii-id"
        ),
        pytest.param(
            "vk_日本", "sécret", "Basic dmtf5pel5pysOnPDqWNyZXQ=", id="utf-8-both"
        ),
    ],
)
def test_authorization_header_is_basic_with_utf8_credentials(key_id, secret, header):
    prepared = _authorize(ValetKeyAuth(key_id, secret))

    assert prepared.headers["Authorization"] == header
    assert parse_basic_authorization(header) == (key_id, secret)


def test_authorization_header_replaces_one_already_set():
    request = requests.Request(
        "GET",
        "http://site.test/",
        headers={"Authorization": "Bearer something-else"},
        auth=ValetKeyAuth(KEY_ID, SECRET),
    )

    assert request.prepare().headers["Authorization"] == AUTHORIZATION


def test_repr_names_the_key_and_hides_the_secret():
    auth = ValetKeyAuth(KEY_ID, SECRET)

    assert repr(auth) == f"ValetKeyAuth(key_id='{KEY_ID}', secret=<hidden>)"
    assert str(auth) == repr(auth)


def test_equal_when_both_halves_match():
    assert ValetKeyAuth(KEY_ID, SECRET) == ValetKeyAuth(KEY_ID, SECRET)
    assert hash(ValetKeyAuth(KEY_ID, SECRET)) == hash(ValetKeyAuth(KEY_ID, SECRET))
    assert len({ValetKeyAuth(KEY_ID, SECRET), ValetKeyAuth(KEY_ID, SECRET)}) == 1


@pytest.mark.parametrize(
    ("key_id", "secret"),
    [
        pytest.param(KEY_ID, SECRET[:-1] + "X", id="other-secret"),
        pytest.param("vk_other", SECRET, id="other-key-id"),
    ],
)
def test_unequal_when_either_half_differs(key_id, secret):
    assert ValetKeyAuth(KEY_ID, SECRET) != ValetKeyAuth(key_id, secret)


def test_never_equal_to_basic_auth_with_the_same_values():
    assert ValetKeyAuth(KEY_ID, SECRET) != HTTPBasicAuth(KEY_ID, SECRET)
    assert ValetKeyAuth(KEY_ID, SECRET) != (KEY_ID, SECRET)


def test_hash_does_not_depend_on_the_secret():
    # Two keys with the same identifier but different secrets hash alike, so
    # a hash reveals nothing about a secret.
    assert hash(ValetKeyAuth(KEY_ID, SECRET)) == hash(ValetKeyAuth(KEY_ID, "guess"))
