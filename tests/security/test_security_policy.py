"""What SECURITY.md tells secret scanners and operators is what the code does.

The expressions and code blocks are read from the file itself, so the page
cannot drift from the implementation unnoticed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valet_keys.credentials import (
    ALPHABET,
    generate_key_id,
    generate_secret,
    has_valid_checksum,
)
from valet_keys.models import Key

POLICY = (Path(__file__).resolve().parents[2] / "SECURITY.md").read_text()


def code_blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", POLICY, flags=re.DOTALL)


def scanner_patterns():
    [block] = code_blocks("text")
    secret, identifier = block.strip().splitlines()
    return re.compile(secret), re.compile(identifier)


def documented_checksum():
    namespace: dict[str, object] = {}
    exec(code_blocks("python")[0], namespace)  # noqa: S102 (our own page)
    return namespace["is_valet_key_secret"]


@pytest.mark.parametrize(
    ("around", "found"),
    [
        ("{}", True),
        ("password={}\n", True),
        ("'{}'", True),
        ("https://robot:{}@example.com/", True),
        ("x{}", False),
        ("_{}", False),
        ("{}x", False),
        ("{}_", False),
    ],
)
def test_the_scanner_patterns_find_credentials_in_text(around, found):
    secret_pattern, identifier_pattern = scanner_patterns()
    secret, key_id = generate_secret(), generate_key_id()
    assert [m.group() for m in secret_pattern.finditer(around.format(secret))] == (
        [secret] if found else []
    )
    assert [m.group() for m in identifier_pattern.finditer(around.format(key_id))] == (
        [key_id] if found else []
    )


def test_the_patterns_do_not_mistake_one_part_for_the_other():
    secret_pattern, identifier_pattern = scanner_patterns()
    assert identifier_pattern.search(generate_secret()) is None
    assert secret_pattern.search(generate_key_id()) is None


def test_the_documented_alphabet_is_the_one_in_use():
    assert documented_checksum.__globals__["ALPHABET"] == ALPHABET


@settings(max_examples=200, database=None)
@given(
    position=st.integers(0, 41),
    replacement=st.sampled_from(ALPHABET),
    mutate=st.booleans(),
)
def test_the_documented_checksum_agrees_with_the_library(position, replacement, mutate):
    check = documented_checksum()
    secret = generate_secret()
    if mutate and position >= 4:
        secret = secret[:position] + replacement + secret[position + 1 :]
    assert check(secret) == has_valid_checksum(secret)


@pytest.mark.django_db
def test_the_documented_lookup_finds_and_disables_a_leaked_key(user):
    key, leaked = Key.objects.mint(user, "Leaky robot")
    Key.objects.mint(user, "Another robot")
    exec(code_blocks("python")[1], {"leaked": leaked})  # noqa: S102 (our own page)
    key.refresh_from_db()
    assert key.is_disabled
    assert Key.objects.filter(is_disabled=True).count() == 1
