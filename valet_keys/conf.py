"""The app's settings, read lazily from the ``VALET_KEYS`` dict.

The dict is read on first use rather than at import, and read again after
``override_settings`` or anything else that sends ``setting_changed``, so the
values always follow the current settings. Between changes it is kept, as
the decorator consults it on every request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = ["DEFAULTS", "get_setting"]

DEFAULTS: dict[str, Any] = {
    # The template every page extends; swap it to put the pages in a site's
    # own layout. It must define ``title`` and ``content`` blocks.
    "BASE_TEMPLATE": "valet_keys/base.html",
    # The realm sent with a 401 from ``@accepts_valet_key(required=True)``.
    "REALM": "valet-keys",
    # A key's ``last_used_at`` is written at most once per this interval, so
    # a busy robot does not turn every read into a write.
    "LAST_USED_INTERVAL": timedelta(minutes=1),
    # Actions per page of a key's history.
    "HISTORY_PAGE_SIZE": 50,
    # The longest lifetime a user may choose for a key on the create page,
    # or None for no limit.
    "MAX_EXPIRY": None,
    # Failed attempts are counted in this cache (an alias of CACHES). Use
    # one that all processes share, such as Redis, or each counts alone.
    "THROTTLE_CACHE": "default",
    # The length of a counting window; a throttled client is told to retry
    # when the current window ends.
    "THROTTLE_WINDOW": timedelta(minutes=5),
    # Failed attempts with one key identifier per window, from anywhere,
    # before it is refused unchecked; None turns this counter off.
    "THROTTLE_FAILURES_PER_KEY": 10,
    # Different identifiers that may fail from one client address per
    # window before the address is refused; None turns this counter off.
    "THROTTLE_FAILED_KEYS_PER_ADDRESS": 20,
    # A callable, or the dotted path of one, that takes a request and returns
    # the client's address; None reads REMOTE_ADDR. Behind a reverse proxy,
    # name one that reads the address the proxy passes on.
    "CLIENT_ADDRESS": None,
}


_configured: dict[str, Any] | None = None


def get_setting(name: str) -> Any:
    """Return the setting ``name`` from ``VALET_KEYS``, or its default."""
    global _configured
    if _configured is None:
        value = getattr(settings, "VALET_KEYS", {})
        # A malformed value is reported by the system checks; reading it
        # must not fail before they run.
        _configured = value if isinstance(value, dict) else {}
    if name in _configured:
        return _configured[name]
    return DEFAULTS[name]


@receiver(setting_changed)
def _forget_settings(*, setting: str, **kwargs: Any) -> None:
    global _configured
    if setting == "VALET_KEYS":
        _configured = None
