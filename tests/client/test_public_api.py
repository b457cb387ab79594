"""The SDK's public surface, and that it needs nothing but requests."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import valet_keys
import valet_keys_client


def test_public_names_are_locked():
    assert valet_keys_client.__all__ == [
        "BadRequest",
        "Client",
        "ConfigurationError",
        "ConnectError",
        "Forbidden",
        "HTTPError",
        "KeyInfo",
        "MalformedCredentials",
        "NotFound",
        "Retries",
        "ServerError",
        "Timeout",
        "TooManyRequests",
        "TransportError",
        "Unauthorized",
        "UnexpectedResponse",
        "ValetKeyAuth",
        "ValetKeyError",
        "__version__",
    ]


def test_every_public_name_exists_and_is_documented():
    for name in valet_keys_client.__all__:
        value = getattr(valet_keys_client, name)
        if name != "__version__":
            assert value.__doc__, name


def test_version_is_the_distributions():
    assert valet_keys_client.__version__ == valet_keys.__version__


# The script starts a site of its own on 127.0.0.1, so that the SDK really
# sends a request with Django impossible to import.
WITHOUT_DJANGO = textwrap.dedent(
    """
    import http.server, json, sys, threading

    sys.modules["django"] = None

    import valet_keys_client
    from valet_keys.credentials import generate_key_id, generate_secret

    key_id, secret = generate_key_id(), generate_secret()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({
                "key_id": key_id,
                "user": "robot-owner",
                "description": "no Django here",
                "created": "2025-01-01T00:00:00+00:00",
                "expires_at": None,
                "authorization": self.headers["Authorization"],
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"

    with valet_keys_client.Client(url, key_id, secret) as client:
        info = client.whoami()
        sent = client.get("keys/whoami/").json()["authorization"]
    server.shutdown()

    from valet_keys.credentials import basic_authorization

    assert info.description == "no Django here", info
    assert sent == basic_authorization(key_id, secret)
    import valet_keys_client.cli

    loaded = sorted(name for name in sys.modules if name.split(".")[0] == "django")
    print(loaded, sys.modules["django"])
    """
)


def test_sdk_imports_and_works_without_django():
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_DJANGO],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.stderr == ""
    assert result.stdout == "['django'] None\n"
    assert result.returncode == 0
