"""The secret appears in no log record, repr, or error message.

Every scenario runs with every logger at DEBUG, so that requests' and
urllib3's own logging is searched too; and a leak of the header token, which
is the secret in base64, or of a mistyped secret, counts as a leak.
"""

from __future__ import annotations

import logging
import traceback

import pytest
import requests

from valet_keys_client import Client, Retries, ValetKeyAuth, ValetKeyError

from .support import AUTHORIZATION_TOKEN, BASE_URL, KEY_ID, SECRET, Answer

URL = f"{BASE_URL}items/"


def _secret_forms(secret: str) -> list[str]:
    # The whole secret, its random part alone, and the header token.
    return [secret, secret[4:-6], AUTHORIZATION_TOKEN]


def _texts_of(error: BaseException) -> list[str]:
    # The formatted traceback holds the messages of every chained cause.
    return [str(error), repr(error), "".join(traceback.format_exception(error))]


def _client(url: str = BASE_URL) -> Client:
    return Client(url, KEY_ID, SECRET, retries=Retries(total=2, sleep=_no_sleep))


def _no_sleep(seconds: float) -> None:
    pass


def _ok(site, serve, closed_port):
    site.get(URL, body="fine")
    _client().get("items/")


def _retried_then_failed(site, serve, closed_port):
    for _ in range(3):
        site.get(URL, status=503)
    _client().get("items/")


def _refused_by_the_site(site, serve, closed_port):
    site.get(URL, status=401, body="Valet key required.")
    _client().get("items/")


def _forbidden(site, serve, closed_port):
    site.post(URL, status=403, body="CSRF verification failed.")
    _client().post("items/", json={"secret": "not this one"})


def _busy_beyond_the_cap(site, serve, closed_port):
    site.get(URL, status=429, headers={"Retry-After": "3600"})
    _client().get("items/")


def _broken_connection(site, serve, closed_port):
    for _ in range(3):
        site.get(URL, body=requests.ConnectionError("reset by peer"))
    _client().get("items/")


def _timed_out(site, serve, closed_port):
    site.get(URL, body=requests.ReadTimeout("read timed out"))
    Client(BASE_URL, KEY_ID, SECRET, retries=0).get("items/")


def _not_a_key_description(site, serve, closed_port):
    site.get(f"{BASE_URL}keys/whoami/", body="<html>Welcome</html>")
    _client().whoami()


def _real_site_refuses(site, serve, closed_port):
    site.add_passthru("http://127.0.0.1")
    url, _ = serve(lambda request: Answer(401, b"Valet key required."))
    _client(url).get("items/")


def _real_site_is_down(site, serve, closed_port):
    site.add_passthru("http://127.0.0.1")
    _client(f"http://127.0.0.1:{closed_port}/").get("items/")


def _truncated_secret(site, serve, closed_port):
    Client(BASE_URL, KEY_ID, SECRET[:-1])


def _mistyped_secret(site, serve, closed_port):
    Client(BASE_URL, KEY_ID, SECRET[:10] + "x" + SECRET[11:])


def _secret_with_a_newline(site, serve, closed_port):
    Client(BASE_URL, KEY_ID, SECRET + "\n")


def _halves_swapped(site, serve, closed_port):
    Client(BASE_URL, SECRET, KEY_ID)


def _secret_in_the_key_id_with_a_space(site, serve, closed_port):
    Client(BASE_URL, " " + SECRET, SECRET)


def _secret_in_the_base_url(site, serve, closed_port):
    Client(f"https://{KEY_ID}:{SECRET}@site.test/", KEY_ID, SECRET)


SCENARIOS = [
    _ok,
    _retried_then_failed,
    _refused_by_the_site,
    _forbidden,
    _busy_beyond_the_cap,
    _broken_connection,
    _timed_out,
    _not_a_key_description,
    _real_site_refuses,
    _real_site_is_down,
    _truncated_secret,
    _mistyped_secret,
    _secret_with_a_newline,
    _halves_swapped,
    _secret_in_the_key_id_with_a_space,
    _secret_in_the_base_url,
]


@pytest.mark.parametrize(
    "scenario", SCENARIOS, ids=[s.__name__.strip("_") for s in SCENARIOS]
)
def test_secret_is_in_no_error_or_log_record(
    scenario, site, serve, closed_port, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    site.assert_all_requests_are_fired = False

    texts = []
    try:
        scenario(site, serve, closed_port)
    except ValetKeyError as error:
        texts += _texts_of(error)

    texts += [record.getMessage() for record in caplog.records]
    texts.append(caplog.text)
    texts += capsys.readouterr()
    for text in texts:
        for form in _secret_forms(SECRET):
            assert form not in text
        assert "Authorization" not in text


def test_scenarios_that_fail_do_fail_and_retries_are_logged(
    site, serve, closed_port, caplog
):
    # Guard the table above against scenarios that stop failing, and so stop
    # producing messages to search.
    caplog.set_level(logging.DEBUG)
    site.assert_all_requests_are_fired = False

    raised = []
    for scenario in SCENARIOS:
        try:
            scenario(site, serve, closed_port)
        except ValetKeyError as error:
            raised.append(type(error).__name__)

    assert raised == [
        "ServerError",
        "Unauthorized",
        "Forbidden",
        "TooManyRequests",
        "ConnectError",
        "Timeout",
        "UnexpectedResponse",
        "Unauthorized",
        "ConnectError",
        "MalformedCredentials",
        "MalformedCredentials",
        "MalformedCredentials",
        "MalformedCredentials",
        "MalformedCredentials",
        "ConfigurationError",
    ]
    assert any(message.startswith("Retrying GET") for message in caplog.messages)


def test_reprs_show_no_secret():
    client = Client(BASE_URL, KEY_ID, SECRET, retries=Retries(sleep=_no_sleep))
    objects = [client, client.auth, client.retries, ValetKeyAuth(KEY_ID, SECRET)]

    for text in [repr(thing) for thing in objects] + [str(thing) for thing in objects]:
        for form in _secret_forms(SECRET):
            assert form not in text
