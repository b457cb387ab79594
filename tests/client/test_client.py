"""Client: construction, URLs, headers, timeouts, sessions and methods."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests
from responses import matchers

import valet_keys
from valet_keys_client import (
    Client,
    ConfigurationError,
    KeyInfo,
    MalformedCredentials,
    Retries,
    Unauthorized,
    UnexpectedResponse,
)
from valet_keys_client.client import DEFAULT_TIMEOUT

from .support import AUTHORIZATION, BASE_URL, KEY_ID, SECRET, WHOAMI

USER_AGENT = (
    f"valet-keys-client/{valet_keys.__version__} python-requests/{requests.__version__}"
)


# Base URL and paths


@pytest.mark.parametrize(
    ("base_url", "path", "url"),
    [
        ("http://site.test", "keys/whoami/", "http://site.test/keys/whoami/"),
        ("http://site.test/", "/keys/whoami/", "http://site.test/keys/whoami/"),
        ("https://site.test/api", "items/", "https://site.test/api/items/"),
        # A leading slash stays under the base URL's path, unlike urljoin.
        ("https://site.test/api/", "/items/", "https://site.test/api/items/"),
        ("http://127.0.0.1:8000", "/a/b?page=2", "http://127.0.0.1:8000/a/b?page=2"),
        ("http://site.test", "", "http://site.test/"),
    ],
)
def test_paths_are_relative_to_the_base_url(site, base_url, path, url):
    site.get(url, body="ok")

    with Client(base_url, KEY_ID, SECRET) as client:
        response = client.get(path)

    assert response.text == "ok"
    assert site.calls[0].request.url == url


@pytest.mark.parametrize(
    "path",
    ["http://elsewhere.test/steal", "https://site.test/x", "//elsewhere.test/x"],
)
def test_absolute_urls_are_refused_so_the_key_goes_nowhere_else(client, site, path):
    with pytest.raises(ConfigurationError, match=r"is not a path: the client sends"):
        client.get(path)

    assert len(site.calls) == 0


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("site.test", r"base_url 'site.test' is not an http or https URL"),
        ("ftp://site.test/", r"base_url 'ftp://site.test/' is not an http or https"),
        ("", r"base_url '' is not an http or https URL"),
        ("http://[::1", r"base_url 'http://\[::1' is not an http or https URL"),
        ("http://site.test/?a=1", r"must not have a query or a fragment"),
        ("http://site.test/#top", r"must not have a query or a fragment"),
    ],
)
def test_unusable_base_urls_are_refused(base_url, message):
    with pytest.raises(ConfigurationError, match=message):
        Client(base_url, KEY_ID, SECRET)


def test_base_url_with_a_password_is_refused_without_quoting_it():
    with pytest.raises(ConfigurationError) as caught:
        Client("https://robot:hunter2@site.test/", KEY_ID, SECRET)

    assert str(caught.value) == (
        "base_url must not contain a user name or password: the client "
        "authenticates with the key instead."
    )


# Credentials


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (SECRET[:-1], "it has 41 characters where a secret has 42"),
        (SECRET + "Z", "it has 43 characters where a secret has 42"),
        (SECRET[:-1] + ("A" if SECRET[-1] != "A" else "B"), "its checksum does not"),
        (SECRET.replace("0", "O", 1), "its checksum does not match"),
        (SECRET + "\n", "it has spaces or line breaks around it"),
        (" " + SECRET, "it has spaces or line breaks around it"),
        ("VKS_" + SECRET[4:], "it does not start with 'vks_'"),
        (SECRET[4:], "it does not start with 'vks_'"),
        ("", "it does not start with 'vks_'"),
        (SECRET[:20] + "-" + SECRET[21:], "it has characters other than letters and"),
    ],
)
def test_malformed_secret_is_refused_before_any_request(site, secret, problem):
    with pytest.raises(MalformedCredentials) as caught:
        Client(BASE_URL, KEY_ID, secret)

    message = str(caught.value)
    assert message.startswith(f"The secret looks mistyped or truncated: {problem}")
    assert message.endswith("no request was sent with it.")
    assert len(site.calls) == 0


def test_malformed_secret_error_is_a_value_error():
    with pytest.raises(ValueError, match=r"^The secret looks mistyped or truncated"):
        Client(BASE_URL, KEY_ID, SECRET[:-2])


@pytest.mark.parametrize(
    "key_id", ["vk_short", "vk_ROBOT0123456789abcdeX", "VK_ROBOT0123456789abcde", ""]
)
def test_malformed_key_id_is_refused_and_quoted(key_id):
    with pytest.raises(MalformedCredentials) as caught:
        Client(BASE_URL, key_id, SECRET)

    assert str(caught.value) == (
        f"The key identifier {key_id!r} is not a valet key identifier, which is "
        f"'vk_' followed by 20 letters and digits; copy it again from the site's "
        f"list of keys."
    )


def test_secret_given_as_key_id_is_refused_without_quoting_it():
    with pytest.raises(MalformedCredentials) as caught:
        Client(BASE_URL, SECRET, KEY_ID)

    assert str(caught.value) == (
        "The key identifier looks like a secret (it contains 'vks_'); pass the "
        "identifier, which starts with 'vk_', as key_id and the secret as secret."
    )


# Headers


def test_every_request_presents_the_key_and_names_the_sdk(client, site):
    site.get(f"{BASE_URL}a", body="ok")

    client.get("a")

    headers = site.calls[0].request.headers
    assert headers["Authorization"] == AUTHORIZATION
    assert headers["User-Agent"] == USER_AGENT


def test_user_agent_extra_follows_the_sdk(site):
    site.get(f"{BASE_URL}a", body="ok")

    with Client(BASE_URL, KEY_ID, SECRET, user_agent_extra="stock-robot/2.1") as c:
        c.get("a")

    assert (
        site.calls[0].request.headers["User-Agent"] == f"{USER_AGENT} stock-robot/2.1"
    )


@pytest.mark.parametrize("extra", ["", "  ", "robot\r\nX-Evil: 1", "roböt/1", "a\tb"])
def test_user_agent_extra_must_be_one_printable_ascii_line(extra):
    with pytest.raises(ConfigurationError, match=r"must be printable ASCII on one"):
        Client(BASE_URL, KEY_ID, SECRET, user_agent_extra=extra)


def test_callers_headers_are_added_to_the_clients(client, site):
    site.get(f"{BASE_URL}a", body="ok")

    client.get("a", headers={"Accept": "text/csv", "X-Robot-Run": "42"})

    headers = site.calls[0].request.headers
    assert headers["Accept"] == "text/csv"
    assert headers["X-Robot-Run"] == "42"
    assert headers["Authorization"] == AUTHORIZATION


def test_key_wins_over_an_authorization_header_from_the_caller(client, site):
    site.get(f"{BASE_URL}a", body="ok")

    client.get("a", headers={"Authorization": "Bearer stale"})

    assert site.calls[0].request.headers["Authorization"] == AUTHORIZATION


def test_idempotency_key_is_sent_as_a_header(client, site):
    site.post(f"{BASE_URL}orders/", status=201)

    client.post("orders/", json={}, idempotency_key="order-7")

    assert site.calls[0].request.headers["Idempotency-Key"] == "order-7"


def test_empty_idempotency_key_is_refused(client, site):
    with pytest.raises(ConfigurationError, match=r"^idempotency_key must not be empty"):
        client.post("orders/", json={}, idempotency_key="")

    assert len(site.calls) == 0


# Timeouts


@pytest.mark.parametrize(
    ("client_timeout", "call_timeout", "sent"),
    [
        pytest.param(None, None, (5.0, 30.0), id="default"),
        pytest.param(2.5, None, 2.5, id="client-number"),
        pytest.param((1.0, 9.0), None, (1.0, 9.0), id="client-pair"),
        pytest.param(None, (0.5, 2.0), (0.5, 2.0), id="call-pair"),
        pytest.param(2.5, 7, 7, id="call-over-client"),
    ],
)
def test_every_request_has_a_timeout(site, client_timeout, call_timeout, sent):
    site.get(
        f"{BASE_URL}a",
        body="ok",
        match=[matchers.request_kwargs_matcher({"timeout": sent})],
    )
    options = {} if client_timeout is None else {"timeout": client_timeout}

    with Client(BASE_URL, KEY_ID, SECRET, **options) as client:
        client.get("a", timeout=call_timeout)

    assert site.calls[0].request.req_kwargs["timeout"] == sent


def test_default_timeout_is_five_seconds_to_connect_and_thirty_to_read():
    assert DEFAULT_TIMEOUT == (5.0, 30.0)


@pytest.mark.parametrize(
    "timeout", [0, -1, float("inf"), float("nan"), (1.0,), (1.0, 0), (1, 2, 3), True]
)
def test_unusable_timeouts_are_refused(client, timeout):
    message = r"is not usable: pass a number of seconds above zero"
    with pytest.raises(ConfigurationError, match=message):
        Client(BASE_URL, KEY_ID, SECRET, timeout=timeout)
    with pytest.raises(ConfigurationError, match=message):
        client.get("a", timeout=timeout)


# The environment


@pytest.fixture
def environment(monkeypatch):
    monkeypatch.setenv("VALET_KEYS_URL", "https://env.test/")
    monkeypatch.setenv("VALET_KEY_ID", KEY_ID)
    monkeypatch.setenv("VALET_KEY_SECRET", SECRET)
    return monkeypatch


def test_from_env_reads_the_three_variables(environment):
    client = Client.from_env()

    assert client.base_url == "https://env.test/"
    assert client.key_id == KEY_ID
    assert client.auth == Client(BASE_URL, KEY_ID, SECRET).auth


def test_from_env_ignores_whitespace_around_values(environment):
    environment.setenv("VALET_KEY_SECRET", f"  {SECRET}\n")
    environment.setenv("VALET_KEY_ID", f"{KEY_ID}\n")

    client = Client.from_env()

    assert client.auth == Client(BASE_URL, KEY_ID, SECRET).auth


def test_from_env_explicit_arguments_win_over_the_environment(environment):
    environment.setenv("VALET_KEY_SECRET", "vks_truncat")
    environment.setenv("VALET_KEY_ID", "vk_broken")

    client = Client.from_env(
        base_url="https://explicit.test/api", key_id=KEY_ID, secret=SECRET
    )

    assert client.base_url == "https://explicit.test/api/"
    assert client.key_id == KEY_ID


@pytest.mark.parametrize(
    ("given", "variable"),
    [
        ({"key_id": KEY_ID, "secret": SECRET}, "VALET_KEYS_URL"),
        ({"base_url": BASE_URL, "secret": SECRET}, "VALET_KEY_ID"),
        ({"base_url": BASE_URL, "key_id": KEY_ID}, "VALET_KEY_SECRET"),
    ],
)
def test_from_env_names_the_missing_variable(monkeypatch, given, variable):
    monkeypatch.setenv(variable, "  ")
    argument = {
        "VALET_KEYS_URL": "base_url",
        "VALET_KEY_ID": "key_id",
        "VALET_KEY_SECRET": "secret",
    }[variable]

    with pytest.raises(ConfigurationError) as caught:
        Client.from_env(**given)

    assert str(caught.value) == (
        f"{variable} is not set: set it in the environment, or pass "
        f"{argument}= to Client.from_env()."
    )


def test_from_env_passes_the_other_options(environment, sleeps):
    retries = Retries(total=1, sleep=sleeps.append)

    client = Client.from_env(timeout=3.0, retries=retries, user_agent_extra="r/1")

    assert client.timeout == 3.0
    assert client.retries is retries
    assert client.user_agent == f"{USER_AGENT} r/1"


# Sessions


def test_given_session_is_used_and_left_open(site, monkeypatch):
    session = requests.Session()
    closed = []
    monkeypatch.setattr(session, "close", lambda: closed.append(True))
    site.get(f"{BASE_URL}a", body="ok")

    with Client(BASE_URL, KEY_ID, SECRET, session=session) as client:
        assert client.session is session
        client.get("a")

    assert closed == []


def test_given_session_keeps_its_own_headers_and_auth(site):
    session = requests.Session()
    session.auth = ("someone", "else")
    session.headers["User-Agent"] = "theirs"
    site.get(f"{BASE_URL}a", body="ok")

    with Client(BASE_URL, KEY_ID, SECRET, session=session) as client:
        client.get("a")

    # The client set its headers on its requests, not on their session.
    assert session.headers["User-Agent"] == "theirs"
    assert session.auth == ("someone", "else")
    assert site.calls[0].request.headers["Authorization"] == AUTHORIZATION
    assert site.calls[0].request.headers["User-Agent"] == USER_AGENT


def test_own_session_is_closed_with_the_client(monkeypatch):
    client = Client(BASE_URL, KEY_ID, SECRET)
    closed = []
    monkeypatch.setattr(client.session, "close", lambda: closed.append(True))

    with client as entered:
        assert entered is client

    assert closed == [True]


class CannedAdapter(requests.adapters.BaseAdapter):
    """A transport that answers in-process, as the pytest plugin's does."""

    def __init__(self, statuses: list[int]) -> None:
        super().__init__()
        self.statuses = statuses
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.requests.append(request)
        response = requests.Response()
        response.status_code = self.statuses.pop(0)
        response.url = request.url
        response.request = request
        response._content = b'{"ok": true}'
        response.headers["Content-Type"] = "application/json"
        return response

    def close(self) -> None:
        pass


def test_session_with_a_mounted_transport_is_retried_by_the_client(sleeps):
    adapter = CannedAdapter([503, 200])
    session = requests.Session()
    session.mount("http://testserver/", adapter)
    retries = Retries(total=2, jitter=0, sleep=sleeps.append)

    with Client(
        "http://testserver", KEY_ID, SECRET, session=session, retries=retries
    ) as c:
        response = c.get("/a/")

    assert response.json() == {"ok": True}
    assert [r.headers["Authorization"] for r in adapter.requests] == [AUTHORIZATION] * 2
    assert sleeps == [0.5]


# Methods and bodies


@pytest.mark.parametrize("method", ["get", "delete"])
def test_bodiless_methods_send_params(client, site, method):
    site.add(
        method.upper(),
        f"{BASE_URL}items/",
        body="ok",
        match=[matchers.query_param_matcher({"page": "2", "tag": ["a", "b"]})],
    )

    response = getattr(client, method)("items/", params={"page": 2, "tag": ["a", "b"]})

    assert response.text == "ok"


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_body_methods_send_json(client, site, method):
    site.add(
        method.upper(),
        f"{BASE_URL}items/",
        status=201,
        match=[matchers.json_params_matcher({"name": "bolt", "size": "M8"})],
    )

    response = getattr(client, method)("items/", json={"name": "bolt", "size": "M8"})

    assert response.status_code == 201
    assert site.calls[0].request.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("data", "body"),
    [
        ({"comment": "Nice post"}, "comment=Nice+post"),
        ([("tag", "a"), ("tag", "b")], "tag=a&tag=b"),
        ("raw text", "raw text"),
        (b"\x00bytes", b"\x00bytes"),
    ],
)
def test_body_methods_send_data(client, site, data, body):
    site.post(f"{BASE_URL}items/", status=201)

    client.post("items/", data=data)

    assert site.calls[0].request.body == body


def test_request_takes_any_method_in_any_case(client, site):
    site.add("OPTIONS", f"{BASE_URL}items/", headers={"Allow": "GET, POST"})

    response = client.request("options", "items/")

    assert response.headers["Allow"] == "GET, POST"
    assert site.calls[0].request.method == "OPTIONS"


def test_redirects_are_followed_by_default(client, site):
    site.get(f"{BASE_URL}old/", status=301, headers={"Location": f"{BASE_URL}new/"})
    site.get(f"{BASE_URL}new/", body="moved")

    assert client.get("old/").text == "moved"
    assert site.calls[1].request.headers["Authorization"] == AUTHORIZATION


def test_redirect_to_another_host_drops_the_key(client, site):
    site.get(f"{BASE_URL}old/", status=302, headers={"Location": "http://other.test/"})
    site.get("http://other.test/", body="elsewhere")

    client.get("old/")

    assert "Authorization" not in site.calls[1].request.headers


def test_redirect_is_returned_when_not_followed(client, site):
    site.get(f"{BASE_URL}old/", status=302, headers={"Location": f"{BASE_URL}new/"})

    response = client.get("old/", allow_redirects=False)

    assert response.status_code == 302
    assert response.headers["Location"] == f"{BASE_URL}new/"


def test_repr_shows_the_site_and_the_key_id():
    client = Client("https://site.test", KEY_ID, SECRET)

    assert repr(client) == f"<Client base_url='https://site.test/' key_id='{KEY_ID}'>"


# whoami


def test_whoami_describes_the_key(client, site):
    site.get(f"{BASE_URL}keys/whoami/", json=WHOAMI)

    info = client.whoami()

    assert info == KeyInfo(
        key_id=KEY_ID,
        user="zoë",
        description="Nightly inventory robot",
        created=datetime(2025, 3, 1, 9, 30, 0, 123456, tzinfo=UTC),
        expires_at=None,
    )


def test_whoami_reads_an_expiry_and_an_owner_who_is_gone(client, site):
    site.get(
        f"{BASE_URL}keys/whoami/",
        json={**WHOAMI, "user": None, "expires_at": "2026-01-01T00:00:00Z"},
    )

    info = client.whoami()

    assert info.user is None
    assert info.expires_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_whoami_path_can_be_moved(site):
    site.get("https://site.test/robots/whoami/", json=WHOAMI)

    with Client("https://site.test/", KEY_ID, SECRET) as client:
        assert client.whoami(path="robots/whoami/").key_id == KEY_ID


def test_whoami_with_a_refused_key_raises_unauthorized(client, site):
    site.get(f"{BASE_URL}keys/whoami/", status=401, body="Valet key required.")

    with pytest.raises(Unauthorized) as caught:
        client.whoami()

    assert caught.value.response.text == "Valet key required."


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        ("<html>Welcome</html>", "text/html", r"Expecting value: line 1 column 1"),
        ("[1, 2]", "application/json", r"not a JSON object"),
        (json.dumps({**WHOAMI, "key_id": None}), "application/json", r"'key_id' field"),
        (json.dumps({"key_id": KEY_ID}), "application/json", r"no 'user' field"),
        (
            json.dumps({**WHOAMI, "created": "yesterday"}),
            "application/json",
            r"Invalid",
        ),
    ],
)
def test_whoami_answer_of_another_kind_raises_unexpected_response(
    client, site, body, content_type, reason
):
    site.get(f"{BASE_URL}keys/whoami/", body=body, content_type=content_type)

    with pytest.raises(UnexpectedResponse, match=reason) as caught:
        client.whoami()

    assert str(caught.value).startswith(
        f"GET {BASE_URL}keys/whoami/ answered 200 without the key's description ("
    )
    assert str(caught.value).endswith(
        "check that the client's base_url is the site's root and that the whoami "
        "path is right"
    )
    assert caught.value.response.status_code == 200
    assert isinstance(caught.value, ValueError)
