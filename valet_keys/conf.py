"""The app's settings, read from the ``VALET_KEYS`` dict on every access.

Reading on access, rather than once at import, keeps the values in step with
``override_settings`` in tests and with settings changed at start-up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings

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
}


def get_setting(name: str) -> Any:
    """Return the setting ``name`` from ``VALET_KEYS``, or its default."""
    configured = getattr(settings, "VALET_KEYS", {})
    if name in configured:
        return configured[name]
    return DEFAULTS[name]
