import base64
import re
import string

import pytest

from valet_keys.credentials import (
    KEY_ID_PATTERN,
    SECRET_PATTERN,
    BasicCredentials,
    InvalidCredentials,
    basic_authorization,
    digest_secret,
    generate_key_id,
    generate_secret,
    has_valid_checksum,
    parse_basic_authorization,
)

WORD_CHARACTERS = set(string.ascii_letters + string.digits + "_")


def swap_first_unequal_neighbours(secret: str) -> str:
    i = next(i for i in range(4, len(secret) - 1) if secret[i] != secret[i + 1])
    return secret[:i] + secret[i + 1] + secret[i] + secret[i + 2 :]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_key_ids_have_the_prefix_and_only_word_characters():
    key_id = generate_key_id()
    assert key_id.startswith("vk_")
    assert set(key_id) <= WORD_CHARACTERS
    assert KEY_ID_PATTERN.fullmatch(key_id)


def test_secrets_have_the_prefix_only_word_characters_and_a_checksum():
    secret = generate_secret()
    assert secret.startswith("vks_")
    assert set(secret) <= WORD_CHARACTERS
    assert SECRET_PATTERN.fullmatch(secret)
    assert has_valid_checksum(secret)


def test_secrets_carry_at_least_160_random_bits():
    secret = generate_secret()
    random_part = secret[len("vks_") : -6]
    # log2(62) bits per base62 character.
    assert len(random_part) * 5.954 >= 160


def test_generated_credentials_do_not_repeat():
    assert len({generate_secret() for _ in range(1000)}) == 1000
    assert len({generate_key_id() for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda s: s[:-1], id="truncated"),
        pytest.param(lambda s: s + "0", id="extra character"),
        pytest.param(
            lambda s: s[:10] + ("A" if s[10] != "A" else "B") + s[11:], id="typo"
        ),
        pytest.param(swap_first_unequal_neighbours, id="swapped"),
        pytest.param(lambda s: s.replace("vks_", "vkx_"), id="wrong prefix"),
        pytest.param(lambda s: " " + s, id="leading space"),
        pytest.param(lambda s: "", id="empty"),
    ],
)
def test_a_damaged_secret_fails_its_checksum(mangle):
    secret = generate_secret()
    damaged = mangle(secret)
    assert damaged != secret
    assert not has_valid_checksum(damaged)


def test_secret_pattern_finds_a_leaked_secret_in_text():
    secret = generate_secret()
    text = f"config = {{'password': '{secret}'}}"
    assert re.search(SECRET_PATTERN, text).group() == secret


def test_digest_is_hex_sha256_and_not_the_secret():
    secret = generate_secret()
    digest = digest_secret(secret)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert secret not in digest
    assert digest == digest_secret(secret)
    assert digest != digest_secret(generate_secret())


def test_basic_authorization_encodes_identifier_colon_secret():
    assert basic_authorization("vk_abc", "vks_def") == "Basic " + b64("vk_abc:vks_def")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Basic " + b64("vk_a:vks_b"), ("vk_a", "vks_b")),
        ("basic " + b64("vk_a:vks_b"), ("vk_a", "vks_b")),
        ("BASIC " + b64("vk_a:vks_b"), ("vk_a", "vks_b")),
        ("Basic  " + b64("vk_a:vks_b") + " ", ("vk_a", "vks_b")),
        ("Basic " + b64("vk_a:vks:b:c"), ("vk_a", "vks:b:c")),
    ],
    ids=[
        "canonical",
        "lower-case scheme",
        "upper-case scheme",
        "extra spaces",
        "colons in secret",
    ],
)
def test_parse_reads_identifier_and_secret(header, expected):
    assert parse_basic_authorization(header) == BasicCredentials(*expected)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Bearer " + b64("vk_a:vks_b"), "not the Basic scheme"),
        ("Basic", "no credentials after the scheme"),
        ("Basic    ", "no credentials after the scheme"),
        ("Basic !!!!", "malformed base64"),
        ("Basic " + b64("vk_a:vks_b")[:-2], "malformed base64"),
        ("Basic " + base64.b64encode(b"vk_a:\xff\xfe").decode(), "malformed base64"),
        ("Basic é", "malformed base64"),
        ("Basic " + b64("vk_a-vks_b"), "no colon between identifier and secret"),
        ("Basic " + b64(":vks_b"), "empty identifier or secret"),
        ("Basic " + b64("vk_a:"), "empty identifier or secret"),
        ("Basic " + "A" * 600, "header too long"),
    ],
    ids=[
        "other scheme",
        "no token",
        "only spaces",
        "not base64",
        "broken padding",
        "not UTF-8",
        "non-ASCII token",
        "no colon",
        "empty identifier",
        "empty secret",
        "huge header",
    ],
)
def test_parse_rejects_unusable_headers_with_the_reason(header, reason):
    with pytest.raises(InvalidCredentials, match=f"^{reason}$"):
        parse_basic_authorization(header)


def test_parsed_credentials_hide_the_secret_in_their_repr():
    credentials = parse_basic_authorization("Basic " + b64("vk_a:vks_topsecret"))
    assert "topsecret" not in repr(credentials)
    assert repr(credentials) == "BasicCredentials(key_id='vk_a', secret=<hidden>)"
