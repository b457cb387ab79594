"""The valet-keys command, run in-process against a stand-in site."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from importlib.metadata import entry_points

import pytest
import requests
from responses import matchers

import valet_keys
from valet_keys_client.cli import main

from .support import AUTHORIZATION, BASE_URL, KEY_ID, SECRET, WHOAMI

URL = f"{BASE_URL}api/items/"


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    monkeypatch.setenv("VALET_KEYS_URL", BASE_URL)
    monkeypatch.setenv("VALET_KEY_ID", KEY_ID)
    monkeypatch.setenv("VALET_KEY_SECRET", SECRET)
    return monkeypatch


@pytest.fixture(autouse=True)
def no_sleeping(monkeypatch):
    """Record the command's waits instead of sleeping through them."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


def test_whoami_prints_the_key_description(site, capsys):
    site.get(f"{BASE_URL}keys/whoami/", json=WHOAMI)

    status = main(["whoami"])

    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert out == (
        "{\n"
        f'  "key_id": "{KEY_ID}",\n'
        '  "user": "zoë",\n'
        '  "description": "Nightly inventory robot",\n'
        '  "created": "2025-03-01T09:30:00.123456+00:00",\n'
        '  "expires_at": null\n'
        "}\n"
    )
    assert site.calls[0].request.headers["Authorization"] == AUTHORIZATION


def test_whoami_at_another_path(site, capsys):
    site.get(f"{BASE_URL}robots/whoami/", json=WHOAMI)

    assert main(["whoami", "/robots/whoami/"]) == 0
    assert json.loads(capsys.readouterr().out)["key_id"] == KEY_ID


def test_get_prints_json_pretty(site, capsys):
    site.get(URL, json={"items": [{"name": "bolt", "size": "M8"}]})

    status = main(["GET", "/api/items/"])

    assert status == 0
    assert capsys.readouterr() == (
        '{\n  "items": [\n    {\n      "name": "bolt",\n      "size": "M8"\n'
        "    }\n  ]\n}\n",
        "",
    )


@pytest.mark.parametrize(
    ("body", "content_type", "out"),
    [
        ("plain words", "text/plain", "plain words\n"),
        ("ends with a newline\n", "text/plain", "ends with a newline\n"),
        ("{not json", "application/json", "{not json\n"),
        ('{"a": 1}', "application/problem+json; charset=utf-8", '{\n  "a": 1\n}\n'),
        ("", "text/plain", ""),
    ],
)
def test_bodies_are_printed_as_they_are_unless_json(
    site, capsys, body, content_type, out
):
    site.get(URL, body=body, content_type=content_type)

    assert main(["get", "api/items/"]) == 0
    assert capsys.readouterr() == (out, "")


def test_post_sends_json_from_the_command_line(site, capsys):
    site.post(
        URL,
        status=201,
        json={"id": 7},
        match=[matchers.json_params_matcher({"name": "bolt"})],
    )

    status = main(["POST", "/api/items/", "--json", '{"name": "bolt"}'])

    assert (status, capsys.readouterr().out) == (0, '{\n  "id": 7\n}\n')
    assert site.calls[0].request.headers["Content-Type"] == "application/json"


def test_post_sends_json_from_standard_input(site, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"name": "nut"}\n'))
    site.post(URL, status=201, match=[matchers.json_params_matcher({"name": "nut"})])

    assert main(["POST", "/api/items/", "--json", "-"]) == 0


@pytest.mark.parametrize(
    ("argument", "stdin", "body"),
    [("name=bolt", "", b"name=bolt"), ("-", "raw text\n", b"raw text\n")],
)
def test_put_sends_data_as_it_is_as_a_form(site, monkeypatch, argument, stdin, body):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    site.put(URL)

    assert main(["PUT", "/api/items/", "--data", argument]) == 0
    assert site.calls[0].request.body == body
    assert site.calls[0].request.headers["Content-Type"] == (
        "application/x-www-form-urlencoded"
    )


def test_data_keeps_a_content_type_given_as_a_header(site):
    site.put(URL)

    argv = ["PUT", "/api/items/", "--data", "a,b", "-H", "content-type: text/csv"]
    assert main(argv) == 0
    assert site.calls[0].request.headers["Content-Type"] == "text/csv"


def test_headers_and_idempotency_key_are_sent(site):
    site.post(URL, status=201)

    status = main(
        [
            "POST",
            "/api/items/",
            "-H",
            "Accept: text/csv",
            "--header",
            "X-Run:  42 ",
            "--idempotency-key",
            "run-42",
        ]
    )

    headers = site.calls[0].request.headers
    assert status == 0
    assert (headers["Accept"], headers["X-Run"]) == ("text/csv", "42")
    assert headers["Idempotency-Key"] == "run-42"


def test_url_option_wins_over_the_environment(site):
    site.get("https://other.test/api/items/")

    assert main(["GET", "/api/items/", "--url", "https://other.test"]) == 0


def test_timeout_option_is_passed_to_the_transport(site):
    site.get(URL, match=[matchers.request_kwargs_matcher({"timeout": 2.5})])

    assert main(["GET", "/api/items/", "--timeout", "2.5"]) == 0


def test_retries_option_and_verbose_report_each_retry(site, capsys, no_sleeping):
    site.get(URL, status=503)
    site.get(URL, status=503)
    site.get(URL, body="ok")

    status = main(["GET", "/api/items/", "--retries", "2", "-v"])

    out, err = capsys.readouterr()
    assert (status, out) == (0, "ok\n")
    assert err.splitlines() == [
        "valet-keys: Retrying GET http://site.test/api/items/ in "
        f"{no_sleeping[0]:.2f} s after status 503 (retry 1 of 2)",
        "valet-keys: Retrying GET http://site.test/api/items/ in "
        f"{no_sleeping[1]:.2f} s after status 503 (retry 2 of 2)",
    ]


def test_retries_are_quiet_without_verbose(site, capsys, no_sleeping):
    site.get(URL, status=503)
    site.get(URL, body="ok")

    assert main(["GET", "/api/items/"]) == 0
    assert capsys.readouterr() == ("ok\n", "")
    assert len(no_sleeping) == 1


@pytest.mark.parametrize(
    ("status", "exit_status", "message"),
    [
        (
            401,
            3,
            "valet-keys: 401 Unauthorized for GET http://site.test/api/items/: check "
            "the key identifier and secret, and that the key is neither disabled nor "
            "expired\n",
        ),
        (403, 3, "valet-keys: 403 Forbidden for GET http://site.test/api/items/: "),
        (400, 4, "valet-keys: 400 Bad Request for GET http://site.test/api/items/: "),
        (404, 4, "valet-keys: 404 Not Found for GET http://site.test/api/items/: "),
        (405, 4, "valet-keys: 405 Method Not Allowed for GET http://site.test/api/"),
        (500, 4, "valet-keys: 500 Internal Server Error for GET http://site.test/"),
    ],
)
def test_http_errors_exit_with_their_status_and_the_sites_words(
    site, capsys, status, exit_status, message
):
    site.get(URL, status=status, body="The site's own words.")

    assert main(["GET", "/api/items/"]) == exit_status
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(message)
    assert err.endswith("\nThe site's own words.\n")


def test_http_error_with_an_html_page_does_not_print_it(site, capsys):
    page = "<html>" + "<p>debug</p>" * 1000 + "</html>"
    site.get(URL, status=500, body=page, content_type="text/html")

    assert main(["GET", "/api/items/"]) == 4
    assert capsys.readouterr().err.splitlines()[1] == (
        "(an HTML page of 12013 bytes, not shown)"
    )


def test_whoami_on_a_page_of_another_kind_exits_4(site, capsys):
    site.get(f"{BASE_URL}keys/whoami/", body="<html>hello</html>")

    assert main(["whoami"]) == 4
    assert capsys.readouterr().err.startswith(
        "valet-keys: GET http://site.test/keys/whoami/ answered 200 without the "
        "key's description"
    )


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (
            requests.ConnectionError("refused"),
            "valet-keys: GET http://site.test/api/items/ failed: could not connect: "
            "refused\n",
        ),
        (
            requests.ReadTimeout("slow"),
            "valet-keys: GET http://site.test/api/items/ timed out: no response within "
            "30 s; raise the read timeout if the site is slow\n",
        ),
    ],
)
def test_transport_errors_exit_5_after_retries(
    site, capsys, no_sleeping, failure, message
):
    for _ in range(4):
        site.get(URL, body=failure)

    assert main(["GET", "/api/items/"]) == 5
    assert capsys.readouterr() == ("", message)
    assert len(no_sleeping) == 3


def test_connection_refused_on_a_real_port_exits_5(capsys, closed_port):
    status = main(
        ["GET", "/", "--url", f"http://127.0.0.1:{closed_port}", "--retries", "0"]
    )

    assert status == 5
    assert capsys.readouterr().err == (
        f"valet-keys: GET http://127.0.0.1:{closed_port}/ failed: could not connect: "
        f"Connection refused\n"
    )


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (SECRET[:-1], "it has 41 characters where a secret has 42"),
        (SECRET[:-1] + "?", "it has characters other than letters and digits"),
    ],
)
def test_malformed_secret_exits_3_without_a_request(
    site, capsys, environment, secret, message
):
    environment.setenv("VALET_KEY_SECRET", secret)

    assert main(["whoami"]) == 3
    assert capsys.readouterr() == (
        "",
        f"valet-keys: The secret looks mistyped or truncated: {message}. Copy it "
        f"again from where it was shown when the key was made, or make a new key; "
        f"no request was sent with it.\n",
    )
    assert len(site.calls) == 0


@pytest.mark.parametrize(
    "variable", ["VALET_KEYS_URL", "VALET_KEY_ID", "VALET_KEY_SECRET"]
)
def test_missing_variable_exits_2(capsys, environment, variable):
    environment.delenv(variable)

    assert main(["whoami"]) == 2
    assert capsys.readouterr() == (
        "",
        f"valet-keys: {variable} is not set: set it in the environment (see "
        f"valet-keys --help)\n",
    )


def test_url_option_makes_the_url_variable_unneeded(site, environment):
    environment.delenv("VALET_KEYS_URL")
    site.get("https://other.test/keys/whoami/", json=WHOAMI)

    assert main(["whoami", "--url", "https://other.test"]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["FETCH", "/x"],
            "valet-keys: unknown command 'FETCH': use whoami or one of GET, HEAD, "
            "OPTIONS, POST, PUT, PATCH, DELETE (see valet-keys --help)\n",
        ),
        (
            ["GET"],
            "valet-keys: give the path to request, such as /api/items/ (see "
            "valet-keys --help)\n",
        ),
        (
            ["POST", "/x", "--json", "{'single': 'quotes'}"],
            "valet-keys: --json is not valid JSON: Expecting property name enclosed "
            "in double quotes: line 1 column 2 (char 1) (see valet-keys --help)\n",
        ),
        (
            ["GET", "/x", "-H", "no colon"],
            "valet-keys: header 'no colon' is not of the form 'Name: value' (see "
            "valet-keys --help)\n",
        ),
        (
            ["whoami", "--json", "{}"],
            "valet-keys: whoami sends no body; drop --json and --data (see "
            "valet-keys --help)\n",
        ),
        (
            ["GET", "http://elsewhere.test/"],
            "valet-keys: 'http://elsewhere.test/' is not a path: the client sends its "
            "key only to http://site.test/; pass a path relative to it, such as "
            "'api/items/'.\n",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(site, capsys, argv, message):
    assert main(argv) == 2
    assert capsys.readouterr() == ("", message)
    assert len(site.calls) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "error: the following arguments are required: COMMAND"),
        (["GET", "/x", "--json", "{}", "--data", "x"], "error: argument --data: not "),
        (
            ["GET", "/x", "--retries", "-1"],
            "error: argument --retries: '-1' is not a whole number, 0 or more",
        ),
        (
            ["GET", "/x", "--timeout", "0"],
            "error: argument --timeout: '0' is not a number of seconds above zero",
        ),
        (
            ["GET", "/x", "--timeout", "soon"],
            "error: argument --timeout: 'soon' is not a number of seconds above zero",
        ),
        (["GET", "/x", "--bogus"], "error: unrecognized arguments: --bogus"),
    ],
)
def test_argument_errors_exit_2_with_the_usage(capsys, argv, message):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: valet-keys ")
    assert message in err


def test_help_documents_the_environment_and_exit_statuses(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "VALET_KEYS_URL     the site's root URL" in out
    assert "VALET_KEY_ID       the key's identifier" in out
    assert "VALET_KEY_SECRET   the key's secret" in out
    for line in [
        "  0  success",
        "  2  usage error: bad arguments, or a variable above missing or unusable",
        "  3  authentication failed: the site answered 401 or 403, or the key",
        "  4  any other HTTP error (status 400 or more), or an answer that is not",
        "  5  no answer: the connection failed or timed out, after any retries",
    ]:
        assert line in out.splitlines()


def test_version_is_the_distributions(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"valet-keys {valet_keys.__version__}\n"


def test_interrupt_exits_130_without_a_traceback(site, capsys, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(requests.Session, "request", interrupt)

    assert main(["GET", "/x"]) == 130
    assert capsys.readouterr() == ("", "")


def test_python_m_runs_the_command(environment):
    environment.delenv("VALET_KEY_SECRET")

    result = subprocess.run(
        [sys.executable, "-m", "valet_keys_client", "whoami"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "valet-keys: VALET_KEY_SECRET is not set: set it in the environment (see "
        "valet-keys --help)\n"
    )


def test_standard_input_that_is_not_text_exits_2(site, capsys, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b'{"name": "\xff"}'), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)

    assert main(["POST", "/api/items/", "--json", "-"]) == 2
    assert capsys.readouterr().err.startswith(
        "valet-keys: standard input is not text: 'utf-8' codec can't decode byte 0xff"
    )


def test_console_script_runs_main():
    (script,) = [
        entry_point
        for entry_point in entry_points(group="console_scripts")
        if entry_point.name == "valet-keys"
    ]

    assert script.value == "valet_keys_client.cli:main"
    assert script.load() is main


def test_command_line_is_checked_before_the_environment(capsys, environment):
    environment.delenv("VALET_KEYS_URL")

    assert main(["FETCH", "/x"]) == 2
    assert capsys.readouterr().err.startswith("valet-keys: unknown command 'FETCH'")
