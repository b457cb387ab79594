"""No Authorization header raises, and none authenticates the wrong key.

Hypothesis builds the headers: arbitrary text and bytes, huge values, other
schemes, broken base64, empty parts, and mixtures of two real keys'
identifiers and secrets. Throttling is off here, so that every header is
really checked; it is tested on its own in ``test_throttling``.
"""

from __future__ import annotations

import base64
import binascii

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.conftest import basic_auth
from valet_keys.credentials import generate_key_id, generate_secret
from valet_keys.decorators import accepts_valet_key
from valet_keys.models import Key

pytestmark = pytest.mark.django_db

NOT_THROTTLED = {
    "THROTTLE_FAILURES_PER_KEY": None,
    "THROTTLE_FAILED_KEYS_PER_ADDRESS": None,
}

# Every example runs a request, some a query: no deadline, and the keys made
# once per test are shared by its examples. Nothing is written to a local
# example database.
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(autouse=True)
def _not_throttled():
    with override_settings(VALET_KEYS=NOT_THROTTLED):
        yield


@pytest.fixture
def keys(user, other_user):
    """Two real keys of two users, with their secrets."""
    return [
        Key.objects.mint(user, "Robot of Ada"),
        Key.objects.mint(other_user, "Robot of Mallory"),
    ]


def authenticate(header):
    """Run a decorated view with ``header``; return the key it was given."""
    seen = {}

    @accepts_valet_key
    def view(request):
        seen["key"] = request.valet_key
        seen["user"] = request.user
        return HttpResponse()

    request = RequestFactory().get("/", HTTP_AUTHORIZATION=header)
    request.user = AnonymousUser()
    response = view(request)
    assert response.status_code == 200
    return seen["key"]


def decoded_credentials(header):
    """Read a header the way a lenient server would, independently."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        text = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return text


def assert_only_its_own_key(header, keys):
    """The header authenticates nothing, or exactly the key it spells out."""
    key = authenticate(header)
    event("authenticated" if key is not None else "refused")
    if key is None:
        return
    secrets = {minted.key_id: secret for minted, secret in keys}
    assert decoded_credentials(header) == f"{key.key_id}:{secrets[key.key_id]}"
    assert key.user_id == next(k.user_id for k, _ in keys if k.pk == key.pk)


# Anything at all


@PROPERTY
@given(header=st.text())
@example(header="Basic")
@example(header="Basic ")
@example(header="Basic Og==")  # ":"
@example(header="Basic dms=")  # "vk"
@example(header="basic\tdms6")
@example(header="\x00Basic")
def test_any_text_header_is_refused_quietly(keys, header):
    assert authenticate(header) is None


@PROPERTY
@given(raw=st.binary(max_size=600))
def test_any_bytes_as_a_header_are_refused_quietly(keys, raw):
    # WSGI servers hand headers over as ISO-8859-1 text.
    assert authenticate(raw.decode("latin-1")) is None


@PROPERTY
@given(payload=st.binary(max_size=300))
def test_any_bytes_in_basic_credentials_are_refused_quietly(keys, payload):
    header = "Basic " + base64.b64encode(payload).decode()
    assert authenticate(header) is None


@PROPERTY
@given(size=st.integers(min_value=513, max_value=1_000_000), which=st.integers(0, 1))
def test_a_huge_header_is_refused_even_around_a_valid_credential(keys, size, which):
    key, secret = keys[which]
    valid = basic_auth(key.key_id, secret)
    assert authenticate(valid + " " * size) is None
    assert authenticate(valid + "=" * size) is None
    assert authenticate("Basic " + "QUFB" * (size // 4)) is None


# Mixtures of real credentials


def mutations(text):
    """Strategies for ``text`` itself and near misses of it."""
    if not text:
        return st.one_of(st.just(text), st.characters().map(str))
    return st.one_of(
        st.just(text),
        st.integers(0, len(text) - 1).map(lambda i: text[:i]),
        st.integers(0, len(text) - 1).map(lambda i: text[:i] + text[i + 1 :]),
        st.integers(0, len(text) - 1).map(
            lambda i: text[:i] + text[i].swapcase() + text[i + 1 :]
        ),
        st.tuples(st.integers(0, len(text)), st.characters()).map(
            lambda pair: text[: pair[0]] + pair[1] + text[pair[0] :]
        ),
        st.just(text.upper()),
        st.just(text + ":"),
        st.just(" " + text),
    )


VALID_SCHEMES = ["Basic", "basic", "BASIC", " Basic"]
OTHER_SCHEMES = ["Bearer", "Digest", "", "Basic:", "Basi", "Basic\x00"]


@st.composite
def crossed_headers(draw, keys):
    """A header made of the parts of two real keys, an unknown one, or junk.

    A third of the headers are a key's own, half of those with one part
    spoiled; a third pair one key's identifier with the other's secret; the
    rest mix near misses of everything.
    """
    (key_a, secret_a), (key_b, secret_b) = keys
    plan = draw(st.sampled_from(["own", "crossed", "mixed"]))
    if plan == "own":
        key_id, secret = draw(
            st.sampled_from([(key_a.key_id, secret_a), (key_b.key_id, secret_b)])
        )
    elif plan == "crossed":
        key_id, secret = draw(
            st.sampled_from([(key_a.key_id, secret_b), (key_b.key_id, secret_a)])
        )
    else:
        identifiers = [key_a.key_id, key_b.key_id, generate_key_id(), "", "vk_"]
        secrets = [secret_a, secret_b, generate_secret(), ""]
        key_id = draw(st.sampled_from(identifiers).flatmap(mutations))
        secret = draw(st.sampled_from(secrets).flatmap(mutations))

    spoiled = draw(
        st.sampled_from(
            ["nothing", "identifier", "secret", "separator", "token", "scheme"]
        )
        if plan == "own"
        else st.just("everything")
    )
    if spoiled in {"identifier", "everything"}:
        key_id = draw(mutations(key_id))
    if spoiled in {"secret", "everything"}:
        secret = draw(mutations(secret))
    separator = ":"
    if spoiled in {"separator", "everything"}:
        separator = draw(st.sampled_from([":", "", "::", ": "]))
    token = base64.b64encode(f"{key_id}{separator}{secret}".encode()).decode()
    if spoiled in {"token", "everything"}:
        token = draw(
            st.sampled_from(
                [
                    token,
                    token.rstrip("="),
                    token + "=",
                    token[1:],
                    token.swapcase(),
                    f" {token} ",
                    token.replace("=", "%3D"),
                ]
            )
        )
    schemes = VALID_SCHEMES
    if spoiled in {"scheme", "everything"}:
        schemes = VALID_SCHEMES + OTHER_SCHEMES
    return f"{draw(st.sampled_from(schemes))} {token}"


@given(data=st.data())
@PROPERTY
def test_mixtures_of_two_keys_never_authenticate_the_wrong_one(keys, data):
    header = data.draw(crossed_headers(keys))
    assert_only_its_own_key(header, keys)


@pytest.mark.parametrize("scheme", ["Basic", "basic", "BASIC", "bAsIc"])
def test_each_keys_own_header_authenticates_that_key(keys, scheme):
    for key, secret in keys:
        header = basic_auth(key.key_id, secret).replace("Basic", scheme)
        assert authenticate(header) == key


@pytest.mark.parametrize("order", ["a then b", "b then a"])
def test_a_valid_identifier_with_another_keys_secret_is_refused(keys, order):
    (key_a, secret_a), (key_b, secret_b) = keys
    pairs = [(key_a.key_id, secret_b), (key_b.key_id, secret_a)]
    if order == "b then a":
        pairs.reverse()
    for key_id, secret in pairs:
        assert authenticate(basic_auth(key_id, secret)) is None


# Through all of Django's request handling


@PROPERTY
@given(header=st.one_of(st.text(), st.binary().map(lambda raw: raw.decode("latin-1"))))
def test_no_header_makes_a_page_fail(keys, header):
    client = Client(raise_request_exception=False)
    for url, status in [
        ("/hello/", 200),
        ("/robots-only/", 401),
        ("/keys/whoami/", 401),
    ]:
        response = client.get(url, HTTP_AUTHORIZATION=header)
        assert response.status_code == status, url
