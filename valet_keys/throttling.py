"""Slow down clients that keep presenting credentials that fail.

Two counters are kept in a Django cache, each for a fixed window of time
(``VALET_KEYS["THROTTLE_WINDOW"]``):

- per key identifier, every failed attempt with that identifier, from any
  address; past ``THROTTLE_FAILURES_PER_KEY`` the identifier is refused
  without being checked until the window ends;
- per client address, the number of *different* identifiers that failed
  from it; past ``THROTTLE_FAILED_KEYS_PER_ADDRESS`` the address is refused
  whatever it presents until the window ends.

Counting identifiers rather than attempts per address is what keeps one
key's failures from ever slowing down a robot that uses another key, even
from the same machine: however often one robot fails, it adds one to its
address's count, and that limit is at least two.

A refused attempt costs one cache read and no database query, and tells the
client nothing about its credential. A request whose credential is
well-formed pays that read even when it succeeds; failures also pay a few
writes. Setting both limits to None turns throttling off and the cache is
never touched.

Secrets are long enough that guessing one is hopeless; what this guards is a
secret that leaked in part (a screenshot with a few characters hidden), the
database behind a flood of well-formed credentials, and the logs.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.cache import BaseCache, caches
from django.http import HttpRequest
from django.utils.module_loading import import_string

from .conf import get_setting

__all__ = ["Throttle", "Throttled", "client_address", "throttle_for"]

logger = logging.getLogger("valet_keys")

# Namespaced, so the counters can share a cache with the site's own data.
CACHE_KEY_PREFIX = "valet_keys:throttle"


class Throttled(Exception):
    """Too many failed attempts came with this identifier or address.

    ``retry_after`` is the whole number of seconds until the window ends.
    """

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed attempts; retry after {retry_after} s.")
        self.retry_after = retry_after


def _now() -> float:
    # A function of its own so tests can move the clock between windows.
    return time.time()


def client_address(request: HttpRequest) -> str | None:
    """Return the address that failed attempts are counted against.

    The default is ``REMOTE_ADDR``, which behind a reverse proxy is the
    proxy's address; ``VALET_KEYS["CLIENT_ADDRESS"]`` names a callable that
    picks the real client instead. A None or empty result counts failures
    against the key identifier only.
    """
    configured = get_setting("CLIENT_ADDRESS")
    if configured is None:
        address = request.META.get("REMOTE_ADDR")
    else:
        address = _callable(configured)(request)
    return str(address) if address else None


@functools.cache
def _import_callable(path: str) -> Callable[[HttpRequest], Any]:
    function: Callable[[HttpRequest], Any] = import_string(path)
    return function


def _callable(configured: str | Callable[[HttpRequest], Any]) -> Callable[..., Any]:
    if isinstance(configured, str):
        return _import_callable(configured)
    return configured


def _address_bucket(address: str) -> str:
    """Return the unit an address is counted in.

    One IPv6 host usually holds a whole /64 and can pick any address in it,
    so those 2**64 addresses count as one. An IPv4 address mapped into IPv6
    counts as the IPv4 address. Anything that is not an IP address, which a
    custom ``CLIENT_ADDRESS`` may return, counts as itself.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)


def _hashed(text: str) -> str:
    # Cache keys must stay short and printable whatever the address is
    # (memcached refuses spaces and control characters), and the cache need
    # not hold the addresses themselves.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class Throttle:
    """The counters that apply to one attempt: its identifier and address.

    ``check()`` raises ``Throttled`` when either is over its limit;
    ``record_failure()`` counts the attempt once it has failed. A cache
    that fails is logged at WARNING and lets the attempt through: an outage
    of the cache must not lock every robot out.
    """

    def __init__(
        self,
        cache: BaseCache,
        key_id: str,
        address: str | None,
        *,
        per_key: int | None,
        per_address: int | None,
        window: int,
        now: float,
    ) -> None:
        self.cache = cache
        self.key_id = key_id
        self.per_key = per_key
        self.per_address = per_address
        self.window = window
        bucket = int(now // window)
        self.retry_after = max(1, math.ceil((bucket + 1) * window - now))
        # Everything a window counts carries its number in its name, so a new
        # window starts from zero and the old entries simply expire.
        self.key_counter = f"{CACHE_KEY_PREFIX}:key:{key_id}:{bucket}"
        self.address_counter: str | None = None
        self.address_marker: str | None = None
        if address is not None and per_address is not None:
            counted = _hashed(_address_bucket(address))
            self.address_counter = f"{CACHE_KEY_PREFIX}:address:{counted}:{bucket}"
            self.address_marker = (
                f"{CACHE_KEY_PREFIX}:address:{counted}:{bucket}:{key_id}"
            )
        # Entries outlive their window a little, so a counter read at the
        # very end of one is not already gone.
        self.timeout = window + 60

    def check(self) -> None:
        """Raise ``Throttled`` when the identifier or address is over limit."""
        names = [self.key_counter]
        if self.address_counter is not None:
            names.append(self.address_counter)
        try:
            counts = self.cache.get_many(names)
        except Exception as error:  # Any backend's error: see the class.
            _cache_failed(error)
            return
        key_failures = counts.get(self.key_counter, 0)
        if self.per_key is not None and key_failures >= self.per_key:
            logger.debug("Rejected valet key %s: too many failures", self.key_id)
            raise Throttled(self.retry_after)
        if self.address_counter is not None and self.per_address is not None:
            failed_keys = counts.get(self.address_counter, 0)
            if failed_keys >= self.per_address:
                logger.debug(
                    "Rejected valet key %s: too many failures from its address",
                    self.key_id,
                )
                raise Throttled(self.retry_after)

    def record_failure(self) -> None:
        """Count a failed attempt against the identifier and the address."""
        try:
            if self.per_key is not None:
                self._increment(self.key_counter)
            # The address counts each identifier once per window: the marker
            # is added by the first failure only.
            if (
                self.address_marker is not None
                and self.address_counter is not None
                and self.cache.add(self.address_marker, 1, self.timeout)
            ):
                self._increment(self.address_counter)
        except Exception as error:  # Any backend's error: see the class.
            _cache_failed(error)

    def _increment(self, name: str) -> None:
        if self.cache.add(name, 1, self.timeout):
            return
        try:
            self.cache.incr(name)
        except ValueError:
            # Expired between the two calls: this failure starts it again.
            self.cache.add(name, 1, self.timeout)


def _cache_failed(error: Exception) -> None:
    logger.warning(
        "Valet key throttling skipped: cache %r failed: %s: %s",
        get_setting("THROTTLE_CACHE"),
        type(error).__name__,
        error,
    )


def throttle_for(request: HttpRequest, key_id: str) -> Throttle | None:
    """Return the throttle for an attempt with ``key_id``, or None if off.

    ``key_id`` must already have the shape of an identifier: it becomes part
    of cache keys.
    """
    per_key: int | None = get_setting("THROTTLE_FAILURES_PER_KEY")
    per_address: int | None = get_setting("THROTTLE_FAILED_KEYS_PER_ADDRESS")
    if per_key is None and per_address is None:
        return None
    window: timedelta = get_setting("THROTTLE_WINDOW")
    return Throttle(
        caches[get_setting("THROTTLE_CACHE")],
        key_id,
        client_address(request) if per_address is not None else None,
        per_key=per_key,
        per_address=per_address,
        window=max(1, int(window.total_seconds())),
        now=_now(),
    )
