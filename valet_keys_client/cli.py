"""The ``valet-keys`` command, for operators of robots.

It checks a key and sends one request with it, reading the site and the key
from the same environment variables as ``Client.from_env``, so an operator
can try by hand what a robot is about to do.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TextIO

import requests

from valet_keys import __version__

from .client import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    DEFAULT_WHOAMI_PATH,
    KEY_ID_VARIABLE,
    SECRET_VARIABLE,
    URL_VARIABLE,
    Client,
    KeyInfo,
)
from .exceptions import (
    ConfigurationError,
    Forbidden,
    HTTPError,
    MalformedCredentials,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
)
from .retries import Retries

__all__ = [
    "EXIT_AUTH",
    "EXIT_HTTP",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TRANSPORT",
    "EXIT_USAGE",
    "main",
]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_HTTP = 4
EXIT_TRANSPORT = 5
# The shell's convention for a command stopped by Ctrl-C.
EXIT_INTERRUPTED = 130

METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")

DESCRIPTION = """\
Check a valet key, or send one request with it, and print the answer.

  valet-keys whoami
  valet-keys GET /api/items/
  valet-keys POST /api/items/ --json '{"name": "bolt"}'
  echo '{"name": "nut"}' | valet-keys POST /api/items/ --json -

Paths are relative to the site's root URL. The body of the answer goes to
standard output, pretty-printed when it is JSON; errors go to standard error.
"""

EPILOG = """\
environment:
  VALET_KEYS_URL     the site's root URL, such as https://example.com/
  VALET_KEY_ID       the key's identifier, which starts with vk_
  VALET_KEY_SECRET   the key's secret, which starts with vks_; it is read
                     only from the environment, never from the command line,
                     where other users of the machine could see it

exit status:
  0  success
  2  usage error: bad arguments, or a variable above missing or unusable
  3  authentication failed: the site answered 401 or 403, or the key
     identifier or secret is malformed (a secret that fails its checksum was
     mistyped or truncated)
  4  any other HTTP error (status 400 or more), or an answer that is not
     what the command expected
  5  no answer: the connection failed or timed out, after any retries
"""

logger = logging.getLogger("valet_keys_client")


class UsageError(Exception):
    """A command line that parses but cannot be carried out."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="valet-keys",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        metavar="COMMAND",
        help=f"whoami, or an HTTP method: {', '.join(METHODS)}",
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        help="the path to request; for whoami, where the site mounted it "
        f"(default: {DEFAULT_WHOAMI_PATH})",
    )
    body = parser.add_mutually_exclusive_group()
    body.add_argument(
        "--json",
        metavar="JSON",
        help="send this JSON as the body; - reads it from standard input",
    )
    body.add_argument(
        "--data",
        metavar="TEXT",
        help="send this text as the body, as it is, as a form (name=value&...) "
        "unless -H sets another Content-Type; - reads it from standard input",
    )
    parser.add_argument(
        "-H",
        "--header",
        metavar="'NAME: VALUE'",
        action="append",
        default=[],
        help="add a header to the request; may be repeated",
    )
    parser.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="send an Idempotency-Key header, which lets a POST or PATCH be retried",
    )
    parser.add_argument(
        "--url",
        help="the site's root URL, instead of VALET_KEYS_URL",
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_seconds,
        help="how long to wait for a connection and for the answer "
        f"(default: {DEFAULT_TIMEOUT[0]:g} to connect, {DEFAULT_TIMEOUT[1]:g} "
        f"to answer)",
    )
    parser.add_argument(
        "--retries",
        metavar="N",
        type=_count,
        help="the most retries after a busy or unreachable site "
        f"(default: {DEFAULT_RETRIES.total})",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="report retries on standard error",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    ``argv`` is the arguments after the program name, ``sys.argv[1:]`` when
    None. Every expected failure is reported on standard error in one line,
    without a traceback, and its kind is told by the exit status.
    """
    try:
        arguments = _parser().parse_args(argv)
    except SystemExit as stop:
        # argparse exits on its own for --help, --version and bad arguments,
        # having printed what it had to.
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE

    # The library configures no logging; the command is an application and
    # may, for as long as it runs.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("valet-keys: %(message)s"))
    level = logger.level
    if arguments.verbose:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        return _run(arguments)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _run(arguments: argparse.Namespace) -> int:
    try:
        # The command line is checked before the environment, so that a typo
        # is reported as such wherever the command runs.
        send = _command(arguments)
        with _client(arguments) as client:
            _print(send(client))
    except UsageError as error:
        return _fail(EXIT_USAGE, f"{error} (see valet-keys --help)")
    except MalformedCredentials as error:
        return _fail(EXIT_AUTH, str(error))
    except ConfigurationError as error:
        return _fail(EXIT_USAGE, str(error))
    except (Unauthorized, Forbidden) as error:
        return _fail(EXIT_AUTH, str(error), error.response)
    except HTTPError as error:
        return _fail(EXIT_HTTP, str(error), error.response)
    except UnexpectedResponse as error:
        return _fail(EXIT_HTTP, str(error))
    except TransportError as error:
        return _fail(EXIT_TRANSPORT, str(error))
    return EXIT_OK


def _command(arguments: argparse.Namespace) -> Callable[[Client], str]:
    """Check the command line, and return what to do with the client."""
    if arguments.command.lower() == "whoami":
        if arguments.json is not None or arguments.data is not None:
            raise UsageError("whoami sends no body; drop --json and --data")
        whoami_path = arguments.path or DEFAULT_WHOAMI_PATH
        return lambda client: json.dumps(
            _as_json(client.whoami(path=whoami_path)), indent=2, ensure_ascii=False
        )

    method = _method(arguments.command)
    path = _path(arguments.path)
    body = _body(arguments)
    headers = _headers(arguments.header)
    # As with curl's --data, text is a form unless said otherwise; a Django
    # view reads it into request.POST.
    if "data" in body and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return lambda client: _describe_body(
        client.request(
            method,
            path,
            headers=headers,
            idempotency_key=arguments.idempotency_key,
            **body,
        )
    )


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds above zero"
        )
    return seconds


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number, 0 or more")
    return int(text)


def _client(arguments: argparse.Namespace) -> Client:
    # Client.from_env would name its keyword arguments, which mean nothing
    # on a command line.
    given = {URL_VARIABLE: arguments.url, KEY_ID_VARIABLE: None, SECRET_VARIABLE: None}
    for variable, value in given.items():
        if value is None and not os.environ.get(variable, "").strip():
            raise UsageError(f"{variable} is not set: set it in the environment")

    options: dict[str, Any] = {}
    if arguments.timeout is not None:
        options["timeout"] = arguments.timeout
    if arguments.retries is not None:
        options["retries"] = Retries(total=arguments.retries)
    return Client.from_env(base_url=arguments.url, **options)


def _method(command: str) -> str:
    method = command.upper()
    if method not in METHODS:
        raise UsageError(
            f"unknown command {command!r}: use whoami or one of {', '.join(METHODS)}"
        )
    return method


def _path(path: str | None) -> str:
    if path is None:
        raise UsageError("give the path to request, such as /api/items/")
    return path


def _headers(lines: list[str]) -> dict[str, str]:
    headers = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise UsageError(f"header {line!r} is not of the form 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers


def _body(arguments: argparse.Namespace) -> dict[str, Any]:
    if arguments.json is not None:
        text = _read_stdin() if arguments.json == "-" else arguments.json
        try:
            return {"json": json.loads(text)}
        except ValueError as error:
            raise UsageError(f"--json is not valid JSON: {error}") from None
    if arguments.data is not None:
        text = _read_stdin() if arguments.data == "-" else arguments.data
        return {"data": text.encode()}
    return {}


def _read_stdin() -> str:
    try:
        return sys.stdin.read()
    except UnicodeDecodeError as error:
        raise UsageError(f"standard input is not text: {error}") from None


def _as_json(info: KeyInfo) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in dataclasses.asdict(info).items()
    }


def _describe_body(response: requests.Response) -> str:
    content_type = response.headers.get("Content-Type", "")
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            return json.dumps(response.json(), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    return response.text


def _print(text: str, *, stream: TextIO | None = None) -> None:
    if not text:
        return
    stream = sys.stdout if stream is None else stream
    stream.write(text if text.endswith("\n") else text + "\n")


def _fail(status: int, message: str, response: requests.Response | None = None) -> int:
    _print(f"valet-keys: {message}", stream=sys.stderr)
    if response is not None:
        _print(_describe_error_body(response), stream=sys.stderr)
    return status


def _describe_error_body(response: requests.Response) -> str:
    # Error pages in HTML, such as Django's debug pages, run to hundreds of
    # lines that bury the message; the site's plain or JSON words are kept.
    content_type = response.headers.get("Content-Type", "")
    if "html" in content_type.lower():
        return f"(an HTML page of {len(response.content)} bytes, not shown)"
    return _describe_body(response)
