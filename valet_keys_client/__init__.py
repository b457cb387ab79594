"""Call the views of a Django site that accepts valet keys, as a robot.

A *valet key* lets a robot act on behalf of a site's user. Make a ``Client``
with the site's root URL and the key, or from the environment, and call the
site's views with it::

    from valet_keys_client import Client

    with Client.from_env() as client:
        print(client.whoami().user)
        client.post("api/comments/", json={"text": "Hello"})

Every request has a timeout, busy sites are retried with backoff, and every
failure raises an error derived from ``ValetKeyError``. The secret never
appears in a log record, a ``repr`` or an error message.

This package needs requests and nothing from Django.
"""

from valet_keys import __version__

from .auth import ValetKeyAuth
from .client import Client, KeyInfo
from .exceptions import (
    BadRequest,
    ConfigurationError,
    ConnectError,
    Forbidden,
    HTTPError,
    MalformedCredentials,
    NotFound,
    ServerError,
    Timeout,
    TooManyRequests,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
    ValetKeyError,
)
from .retries import Retries

__all__ = [
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
