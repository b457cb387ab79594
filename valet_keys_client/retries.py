"""Decide whether, and after how long, a failed request is sent again.

The client retries in its own loop rather than through urllib3's ``Retry``
mounted on an adapter. The loop works the same whatever transport the
session has mounted, including the in-process adapter of the pytest plugin,
which urllib3 never sees; it lets the client raise its own errors with the
last response attached; and it sleeps through one function that tests
replace, so they never wait.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ._http import parse_retry_after, url_without_credentials
from .exceptions import ConfigurationError, HTTPError, TransportError, ValetKeyError

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRY_STATUSES",
    "Retries",
]

# Methods that RFC 9110 defines as idempotent, less TRACE, which robots have
# no use for. Sending one of them twice has the effect of sending it once.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# Statuses that say "not now" rather than "not this": the site is busy, or a
# proxy in front of it could not reach it. A 500 is left out, as a bug in the
# view is unlikely to go away by asking again.
RETRY_STATUSES = frozenset({429, 502, 503, 504})

logger = logging.getLogger("valet_keys_client")


@dataclass(frozen=True, kw_only=True)
class Retries:
    """How a ``Client`` retries requests that failed for a passing reason.

    A request is retried when its method is idempotent, or when it carries an
    ``Idempotency-Key`` header, and either it failed in transport or the
    site answered 429, 502, 503 or 504.

    ``total`` is the most retries for one call; zero turns retrying off.
    The n-th retry waits ``backoff * 2 ** (n - 1)`` seconds, at most
    ``backoff_max``, less a random part of up to ``jitter`` of it so that
    robots that failed together do not come back together. A ``Retry-After``
    header replaces that wait; when it asks for more than
    ``retry_after_max`` seconds, the client gives up at once and raises the
    error, whose ``retry_after`` says how long the site wants.

    ``sleep`` is called with each wait in seconds; it is ``time.sleep``,
    looked up at each call, when None. Tests pass a function that records
    the waits instead of sleeping.
    """

    total: int = 3
    backoff: float = 0.5
    backoff_max: float = 10.0
    jitter: float = 0.5
    retry_after_max: float = 60.0
    sleep: Callable[[float], None] | None = field(
        default=None, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if (
            not isinstance(self.total, int)
            or isinstance(self.total, bool)
            or self.total < 0
        ):
            raise ConfigurationError(
                f"Retries(total={self.total!r}) must be a whole number of "
                f"retries, zero or more."
            )
        for name in ("backoff", "backoff_max", "retry_after_max"):
            # Written so that NaN fails too.
            if not getattr(self, name) >= 0:
                raise ConfigurationError(
                    f"Retries({name}={getattr(self, name)!r}) must be a number "
                    f"of seconds, zero or more."
                )
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError(
                f"Retries(jitter={self.jitter!r}) must be a fraction between 0 and 1."
            )

    def backoff_delay(self, retry: int) -> float:
        """Return the seconds to wait before the ``retry``-th retry.

        ``retry`` counts from 1. The wait doubles with each retry up to
        ``backoff_max``, then loses a random part of up to ``jitter`` of it.
        """
        # The exponent stops growing long before a float would overflow.
        doubling = 2.0 ** min(retry - 1, 64)
        delay = min(self.backoff_max, self.backoff * doubling)
        return delay * (1 - self.jitter * random.random())

    def delay(self, retry: int, error: ValetKeyError) -> float | None:
        """Return the seconds to wait before retrying after ``error``.

        ``retry`` is the number of the retry to come, counting from 1.
        Return None when the request should not be sent again: the retries
        are spent, the error will not pass by itself, or the site asks for a
        longer wait than ``retry_after_max``. The caller decides beforehand
        whether the request may be sent twice at all.
        """
        if retry > self.total:
            return None
        if isinstance(error, TransportError):
            return self.backoff_delay(retry)
        if not isinstance(error, HTTPError) or error.status_code not in RETRY_STATUSES:
            return None

        retry_after = parse_retry_after(error.response.headers.get("Retry-After"))
        if retry_after is None:
            return self.backoff_delay(retry)
        if retry_after > self.retry_after_max:
            # Coming back sooner than asked would likely be refused again,
            # and waiting that long is for the caller to decide: give up,
            # and let the error's retry_after say how long the site wants.
            logger.debug(
                "Not retrying %s %s: Retry-After asks for %g s, more than "
                "retry_after_max of %g s",
                error.response.request.method,
                url_without_credentials(error.response.url),
                retry_after,
                self.retry_after_max,
            )
            return None
        return retry_after

    def wait(self, seconds: float) -> None:
        """Sleep for ``seconds`` with the configured ``sleep`` function."""
        sleep = time.sleep if self.sleep is None else self.sleep
        sleep(seconds)
