"""The exception tree, and how answers and failures are mapped onto it."""

from __future__ import annotations

import re

import pytest
import requests

import valet_keys_client
from valet_keys_client import (
    BadRequest,
    Client,
    ConfigurationError,
    ConnectError,
    Forbidden,
    HTTPError,
    MalformedCredentials,
    NotFound,
    Retries,
    ServerError,
    Timeout,
    TooManyRequests,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
    ValetKeyError,
    exceptions,
)

from .support import BASE_URL, KEY_ID, SECRET

URL = f"{BASE_URL}items/"


@pytest.mark.parametrize(
    ("error", "parents"),
    [
        (ValetKeyError, [Exception]),
        (ConfigurationError, [ValetKeyError, ValueError]),
        (MalformedCredentials, [ConfigurationError, ValetKeyError, ValueError]),
        (TransportError, [ValetKeyError, requests.RequestException, OSError]),
        (ConnectError, [TransportError, requests.ConnectionError, ConnectionError]),
        (Timeout, [TransportError, requests.Timeout, TimeoutError]),
        (HTTPError, [ValetKeyError, requests.HTTPError, requests.RequestException]),
        (BadRequest, [HTTPError]),
        (Unauthorized, [HTTPError]),
        (Forbidden, [HTTPError]),
        (NotFound, [HTTPError]),
        (TooManyRequests, [HTTPError]),
        (ServerError, [HTTPError]),
        (UnexpectedResponse, [ValetKeyError, ValueError]),
    ],
)
def test_each_error_has_its_place_in_the_tree(error, parents):
    for parent in parents:
        assert issubclass(error, parent)


@pytest.mark.parametrize(
    "error", [HTTPError, TransportError, UnexpectedResponse, ConfigurationError]
)
def test_branches_do_not_overlap(error):
    others = {HTTPError, TransportError, UnexpectedResponse, ConfigurationError}
    others.remove(error)

    assert not any(issubclass(error, other) for other in others)


def test_module_docstring_draws_every_error():
    errors = [
        name
        for name in valet_keys_client.__all__
        if isinstance(getattr(valet_keys_client, name), type)
        and issubclass(getattr(valet_keys_client, name), ValetKeyError)
    ]

    # The root of the drawing, then every branch.
    drawn = re.findall(r"^    (\w+)$|[├└]── (\w+)", exceptions.__doc__, re.MULTILINE)

    assert len(errors) == 14
    assert sorted(root or branch for root, branch in drawn) == sorted(errors)


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (
            400,
            BadRequest,
            "400 Bad Request for GET http://site.test/items/: the response body may "
            "say what the site expected",
        ),
        (
            401,
            Unauthorized,
            "401 Unauthorized for GET http://site.test/items/: check the key "
            "identifier and secret, and that the key is neither disabled nor expired",
        ),
        (
            403,
            Forbidden,
            "403 Forbidden for GET http://site.test/items/: the key's user may lack "
            "the permission, or the view may not be decorated with "
            "@accepts_valet_key, in which case Django's CSRF protection refuses "
            "robots",
        ),
        (
            404,
            NotFound,
            "404 Not Found for GET http://site.test/items/: check the path and the "
            "client's base_url",
        ),
        (405, HTTPError, "405 Method Not Allowed for GET http://site.test/items/"),
        (409, HTTPError, "409 Conflict for GET http://site.test/items/"),
        (
            429,
            TooManyRequests,
            "429 Too Many Requests for GET http://site.test/items/: slow down, or let "
            "the client retry more",
        ),
        (
            500,
            ServerError,
            "500 Internal Server Error for GET http://site.test/items/: the site "
            "failed; retry later, or ask its operators",
        ),
        (503, ServerError, "503 Service Unavailable for GET http://site.test/items/:"),
        (599, ServerError, "599 Unknown Status for GET http://site.test/items/: the"),
        (600, HTTPError, "600 Unknown Status for GET http://site.test/items/"),
    ],
)
def test_each_status_raises_its_error_with_the_response(site, status, error, message):
    site.get(URL, status=status, body="the site's words")

    with (
        Client(BASE_URL, KEY_ID, SECRET, retries=0) as client,
        pytest.raises(HTTPError) as caught,
    ):
        client.get("items/")

    assert type(caught.value) is error
    assert str(caught.value).startswith(message)
    assert caught.value.status_code == status
    assert caught.value.response.status_code == status
    assert caught.value.response.text == "the site's words"
    assert caught.value.request.method == "GET"
    assert caught.value.request.url == URL


@pytest.mark.parametrize("status", [200, 201, 204, 302, 304, 399])
def test_statuses_below_400_are_returned(site, status):
    site.get(URL, status=status)

    with Client(BASE_URL, KEY_ID, SECRET) as client:
        response = client.get("items/", allow_redirects=False)

    assert response.status_code == status


def test_error_message_names_the_method_and_the_final_url(client, site):
    site.post(URL, status=302, headers={"Location": f"{BASE_URL}gone/"})
    site.get(f"{BASE_URL}gone/", status=404)

    with pytest.raises(
        NotFound, match=r"^404 Not Found for GET http://site.test/gone/"
    ):
        client.post("items/")


def test_reason_phrase_from_the_site_is_kept(client, site):
    site.get(URL, status=418, body="")

    with pytest.raises(HTTPError, match=r"^418 I'm a Teapot for GET "):
        client.get("items/")


@pytest.mark.parametrize(
    ("retry_after", "seconds", "hint"),
    [
        ("30", 30.0, "the site asks to wait 30 s"),
        ("0", 0.0, "the site asks to wait 0 s"),
        (None, None, "slow down, or let the client retry more"),
        ("later", None, "slow down, or let the client retry more"),
    ],
)
def test_too_many_requests_says_how_long_to_wait(site, retry_after, seconds, hint):
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    site.get(URL, status=429, headers=headers)

    with (
        Client(BASE_URL, KEY_ID, SECRET, retries=0) as client,
        pytest.raises(TooManyRequests) as caught,
    ):
        client.get("items/")

    assert caught.value.retry_after == seconds
    assert str(caught.value) == (
        f"429 Too Many Requests for GET http://site.test/items/: {hint}"
    )


@pytest.mark.parametrize(
    ("failure", "error", "message"),
    [
        (
            requests.ConnectionError("Connection refused"),
            ConnectError,
            "GET http://site.test/items/ failed: could not connect: Connection refused",
        ),
        (
            requests.exceptions.SSLError("certificate verify failed"),
            ConnectError,
            "GET http://site.test/items/ failed: could not connect: certificate "
            "verify failed",
        ),
        (
            requests.exceptions.ProxyError("proxy said no"),
            ConnectError,
            "GET http://site.test/items/ failed: could not connect: proxy said no",
        ),
        (
            requests.ConnectTimeout("connect timed out"),
            Timeout,
            "GET http://site.test/items/ timed out: no connection within 2 s; check "
            "the base URL and that the site is up",
        ),
        (
            requests.ReadTimeout("read timed out"),
            Timeout,
            "GET http://site.test/items/ timed out: no response within 9.5 s; raise "
            "the read timeout if the site is slow",
        ),
        (
            requests.exceptions.ChunkedEncodingError("connection broken"),
            TransportError,
            "GET http://site.test/items/ failed: connection broken",
        ),
        (
            requests.exceptions.ContentDecodingError("bad gzip"),
            TransportError,
            "GET http://site.test/items/ failed: bad gzip",
        ),
        (
            requests.TooManyRedirects("Exceeded 30 redirects."),
            TransportError,
            "GET http://site.test/items/ failed: Exceeded 30 redirects.",
        ),
    ],
)
def test_transport_failures_raise_transport_errors(site, failure, error, message):
    site.get(URL, body=failure)

    with (
        Client(BASE_URL, KEY_ID, SECRET, timeout=(2, 9.5), retries=0) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.get("items/")

    assert type(caught.value) is error
    assert str(caught.value) == message
    assert caught.value.__cause__ is failure
    assert caught.value.response is None


def test_callers_own_mistakes_are_raised_as_requests_raises_them(client, site):
    with pytest.raises(requests.exceptions.InvalidHeader):
        client.get("items/", headers={"X-Note": "two\nlines"})
    with pytest.raises(requests.exceptions.InvalidJSONError):
        client.post("items/", json={"weight": float("nan")})

    assert len(site.calls) == 0


def test_transport_errors_are_still_caught_as_requests_exceptions(site):
    site.get(URL, body=requests.ConnectionError("refused"))

    with (
        Client(BASE_URL, KEY_ID, SECRET, retries=Retries(total=0)) as client,
        pytest.raises(requests.ConnectionError),
    ):
        client.get("items/")
