"""Read the Retry-After header, and keep credentials out of URLs shown."""

from __future__ import annotations

import email.utils
import re
import urllib.parse
from datetime import UTC, datetime

__all__ = ["parse_retry_after", "url_without_credentials"]

_DELAY_SECONDS = re.compile(r"\d+")


def parse_retry_after(
    value: str | None, *, now: datetime | None = None
) -> float | None:
    """Return the seconds to wait that a ``Retry-After`` header asks for.

    The header holds either a number of seconds or an HTTP date; a date in
    the past means no wait. ``now`` is the time to count from, the current
    time by default. Return None when the header is absent or unreadable.
    """
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are always in GMT.
        when = when.replace(tzinfo=UTC)
    now = datetime.now(UTC) if now is None else now
    return max(0.0, (when - now).total_seconds())


def url_without_credentials(url: str) -> str:
    """Return ``url`` without the user name and password it may carry."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
