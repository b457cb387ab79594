"""fake_valet_site: a site that accepts valet keys, faked with responses."""

import base64
import datetime
import re

import pytest
import requests

from pytest_valet_keys import FakeValetSite
from valet_keys_client import (
    NotFound,
    Retries,
    ServerError,
    TooManyRequests,
    Unauthorized,
)

URL = "https://valet-site.example/"
YESTERDAY = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
TOMORROW = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)


def get(path, **options):
    return requests.get(URL + path, timeout=5, **options)


# Keys and the 401 of @accepts_valet_key(required=True).


def test_whoami_describes_the_key_presented(fake_valet_site):
    key = fake_valet_site.add_key(
        user="ada", description="Nightly backup", expires_at=TOMORROW
    )

    info = fake_valet_site.client(key).whoami()

    assert (info.key_id, info.user, info.description) == (
        key.key_id,
        "ada",
        "Nightly backup",
    )
    assert (info.created, info.expires_at) == (key.created, TOMORROW)


def test_the_site_starts_with_a_key_it_accepts(fake_valet_site):
    info = fake_valet_site.client().whoami()

    assert info.key_id == fake_valet_site.key.key_id
    assert (info.user, info.description) == ("robot-owner", "Test robot")


def _wrong_secret(site):
    return (site.key.key_id, site.add_key().secret)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda site: {}, id="no-header"),
        pytest.param(lambda site: {"Authorization": "Bearer abc"}, id="other-scheme"),
        pytest.param(lambda site: {"Authorization": "Basic !!!"}, id="bad-base64"),
        pytest.param(
            lambda site: {"Authorization": "Basic " + base64.b64encode(b"x").decode()},
            id="no-colon",
        ),
        pytest.param(
            lambda site: {"Authorization": _basic("vk_unknown", site.key.secret)},
            id="malformed-identifier",
        ),
        pytest.param(
            lambda site: {"Authorization": _basic(*_wrong_secret(site))},
            id="wrong-secret",
        ),
        pytest.param(
            lambda site: {"Authorization": site.add_key(disabled=True).authorization},
            id="disabled",
        ),
        pytest.param(
            lambda site: {
                "Authorization": site.add_key(expires_at=YESTERDAY).authorization
            },
            id="expired",
        ),
    ],
)
def test_any_unusable_key_gets_the_apps_401(fake_valet_site, headers):
    fake_valet_site.add("GET", "api/items/", json=[])

    response = get("api/items/", headers=headers(fake_valet_site))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        'Basic realm="valet-keys", charset="UTF-8"'
    )
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == "A valid valet key is required.\n"


def _basic(key_id, secret):
    return "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()


def test_a_key_disabled_during_the_test_is_refused_from_then_on(fake_valet_site):
    client = fake_valet_site.client()
    client.whoami()

    fake_valet_site.key.disable()

    with pytest.raises(Unauthorized):
        client.whoami()


def test_the_realm_can_be_chosen():
    with FakeValetSite(realm='Blog "robots"') as site:
        response = get("keys/whoami/")

    assert site.realm == 'Blog "robots"'
    assert response.headers["WWW-Authenticate"] == (
        'Basic realm="Blog \\"robots\\"", charset="UTF-8"'
    )


def test_a_fake_key_keeps_its_secret_out_of_its_repr(fake_valet_site):
    assert fake_valet_site.key.secret not in repr(fake_valet_site.key)
    assert fake_valet_site.key.key_id in repr(fake_valet_site.key)


def test_an_expiry_must_be_aware(fake_valet_site):
    with pytest.raises(ValueError, match=r"^expires_at must be an aware datetime"):
        fake_valet_site.add_key(expires_at=datetime.datetime(2030, 1, 1))


# Endpoints.


def test_an_endpoint_answers_with_json(fake_valet_site):
    fake_valet_site.add("GET", "/api/items/", json=[{"id": 1}])

    response = fake_valet_site.client().get("api/items/")

    assert response.json() == [{"id": 1}]
    assert response.headers["Content-Type"] == "application/json"


def test_an_endpoint_answers_with_a_body_a_status_and_headers(fake_valet_site):
    fake_valet_site.add(
        "PUT",
        "api/items/1/",
        status=202,
        body="Queued.",
        headers={"Location": "/api/jobs/9/"},
    )

    response = fake_valet_site.client().put("api/items/1/", json={"name": "x"})

    assert (response.status_code, response.text) == (202, "Queued.")
    assert response.headers["Location"] == "/api/jobs/9/"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_registering_the_same_endpoint_again_replaces_it(fake_valet_site):
    fake_valet_site.add("GET", "api/items/", json=["old"])
    fake_valet_site.add("GET", "api/items/", json=["new"])

    assert fake_valet_site.client().get("api/items/").json() == ["new"]


def test_a_callback_answers_from_the_request(fake_valet_site):
    def double(sent):
        return 200, {"Content-Type": "text/plain"}, str(2 * sent.json()["n"])

    fake_valet_site.add("POST", "api/double/", callback=double)

    response = fake_valet_site.client().post("api/double/", json={"n": 21})

    assert response.text == "42"


def test_a_pattern_matches_a_family_of_paths(fake_valet_site):
    fake_valet_site.add("GET", re.compile(r"api/items/\d+/"), json={"found": True})

    client = fake_valet_site.client()

    assert client.get("api/items/12/").json() == {"found": True}
    with pytest.raises(NotFound):
        client.get("api/items/twelve/")


def test_an_endpoint_may_let_requests_without_a_key_through(fake_valet_site):
    fake_valet_site.add("GET", "api/public/", body="Hello", key_required=False)

    response = get("api/public/")

    assert response.text == "Hello"
    assert fake_valet_site.requests[0].key is None


def test_only_one_of_json_body_and_callback(fake_valet_site):
    with pytest.raises(ValueError, match=r"^Give at most one of json, body and"):
        fake_valet_site.add("GET", "api/", json={}, body="")


def test_an_unknown_path_gets_a_404_that_says_how_to_register_it(fake_valet_site):
    response = get("api/nowhere/", auth=fake_valet_site.key.auth)

    assert response.status_code == 404
    assert response.text == (
        "The fake site has no endpoint for GET api/nowhere/; register one with add().\n"
    )


def test_a_known_path_with_another_method_gets_a_405(fake_valet_site):
    fake_valet_site.add("GET", "api/items/", json=[])
    fake_valet_site.add("POST", "api/items/", status=201)

    response = requests.delete(URL + "api/items/", timeout=5)

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


def test_whoami_only_answers_get(fake_valet_site):
    response = requests.post(URL + "keys/whoami/", timeout=5)

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"


def test_other_addresses_are_refused_rather_than_reached(fake_valet_site):
    with pytest.raises(requests.ConnectionError):
        requests.get("https://example.com/", timeout=5)


def test_other_addresses_can_be_faked_on_the_same_mock(fake_valet_site):
    fake_valet_site.mock.get("https://upstream.example/feed", body="feed")

    assert requests.get("https://upstream.example/feed", timeout=5).text == "feed"


def test_a_site_under_a_path_takes_paths_relative_to_it():
    with FakeValetSite("https://example.test/blog") as site:
        site.add("GET", "api/items/", json=[])
        site.client().get("api/items/")

    assert site.url == "https://example.test/blog/"
    assert site.requests[0].path == "api/items/"


def test_the_site_needs_an_http_url():
    with pytest.raises(ValueError, match=r"^FakeValetSite needs an http or https URL"):
        FakeValetSite("ftp://example.test/")


# Failures on demand.


def test_a_failure_answers_the_next_requests_then_stops(fake_valet_site):
    fake_valet_site.add("GET", "api/items/", json=[])
    fake_valet_site.fail("GET", "api/items/", 503, times=2, retry_after=1)

    statuses = [get("api/items/", auth=fake_valet_site.key.auth) for _ in range(3)]

    assert [response.status_code for response in statuses] == [503, 503, 200]
    assert statuses[0].headers["Retry-After"] == "1"


def test_the_client_retries_through_failures_without_sleeping(fake_valet_site):
    fake_valet_site.add("GET", "api/items/", json=["ok"])
    fake_valet_site.fail("GET", "api/items/", 502)
    fake_valet_site.throttle("GET", "api/items/", retry_after=5)

    response = fake_valet_site.client().get("api/items/")

    assert response.json() == ["ok"]
    assert [sent.status for sent in fake_valet_site.requests] == [502, 429, 200]
    assert len(fake_valet_site.sleeps) == 2
    assert fake_valet_site.sleeps[1] == 5.0


def test_a_throttled_post_without_idempotency_key_is_not_retried(fake_valet_site):
    fake_valet_site.add("POST", "api/items/", status=201)
    fake_valet_site.throttle("POST", "api/items/", retry_after=30)

    with pytest.raises(TooManyRequests) as caught:
        fake_valet_site.client().post("api/items/")

    assert caught.value.retry_after == 30
    assert fake_valet_site.sleeps == []


def test_a_lasting_failure_reaches_the_robot(fake_valet_site):
    fake_valet_site.fail("GET", "api/items/", 500, times=10, body="Oops")

    with pytest.raises(ServerError) as caught:
        fake_valet_site.client(retries=Retries(total=0)).get("api/items/")

    assert caught.value.response.text == "Oops"


def test_a_failure_needs_an_error_status(fake_valet_site):
    with pytest.raises(ValueError, match=r"^A failure needs a status from 400 to 599"):
        fake_valet_site.fail("GET", "api/", 200)


# What the robot sent.


def test_each_request_is_recorded_with_what_the_site_saw(fake_valet_site):
    fake_valet_site.add("POST", "api/notes/", status=201)
    client = fake_valet_site.client(user_agent_extra="notes/2.0")

    client.post("api/notes/", params={"draft": "1"}, data={"text": "Hi"})

    [sent] = fake_valet_site.requests
    assert (sent.method, sent.path, sent.status) == ("POST", "api/notes/", 201)
    assert sent.url == URL + "api/notes/?draft=1"
    assert sent.query == {"draft": ["1"]}
    assert sent.form == {"text": ["Hi"]}
    assert sent.text == "text=Hi"
    assert sent.key_id == fake_valet_site.key.key_id
    assert sent.key is fake_valet_site.key
    assert sent.headers["User-Agent"].endswith(" notes/2.0")


def test_a_refused_request_records_the_identifier_it_presented(fake_valet_site):
    key = fake_valet_site.add_key(disabled=True)

    get("keys/whoami/", auth=key.auth)

    [sent] = fake_valet_site.requests
    assert (sent.key_id, sent.key, sent.status) == (key.key_id, None, 401)


def test_requests_to_filters_by_method_and_path(fake_valet_site):
    fake_valet_site.add("GET", "api/a/")
    fake_valet_site.add("GET", "api/b/")
    client = fake_valet_site.client()

    for path in ["api/a/", "api/b/", "api/a/"]:
        client.get(path)

    assert len(fake_valet_site.requests_to("GET", "/api/a/")) == 2


def test_environ_configures_a_client_from_the_environment(fake_valet_site):
    key = fake_valet_site.add_key()

    assert fake_valet_site.environ(key) == {
        "VALET_KEYS_URL": URL,
        "VALET_KEY_ID": key.key_id,
        "VALET_KEY_SECRET": key.secret,
    }


def test_the_site_stops_intercepting_when_it_stops():
    real_send = requests.adapters.HTTPAdapter.send
    site = FakeValetSite()

    site.start()
    intercepting = requests.adapters.HTTPAdapter.send is not real_send
    site.stop()

    assert intercepting
    assert requests.adapters.HTTPAdapter.send is real_send
