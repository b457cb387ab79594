"""System checks for a misconfigured installation."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from .conf import DEFAULTS


@register(Tags.compatibility)
def check_required_apps(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for app in ("django.contrib.auth", "django.contrib.contenttypes"):
        if not apps.is_installed(app):
            errors.append(
                Error(
                    f"valet_keys needs {app!r} in INSTALLED_APPS.",
                    id="valet_keys.E001",
                )
            )
    return errors


@register(Tags.compatibility)
def check_settings(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    configured = getattr(settings, "VALET_KEYS", {})
    if not isinstance(configured, dict):
        return [
            Error(
                "The VALET_KEYS setting must be a dict.",
                hint=f"It is a {type(configured).__name__}.",
                id="valet_keys.E002",
            )
        ]
    errors: list[CheckMessage] = []
    for name in sorted(set(configured) - set(DEFAULTS)):
        errors.append(
            Error(
                f"VALET_KEYS has an unknown setting {name!r}.",
                hint="Known settings: " + ", ".join(sorted(DEFAULTS)) + ".",
                id="valet_keys.E003",
            )
        )
    page_size = configured.get("HISTORY_PAGE_SIZE", DEFAULTS["HISTORY_PAGE_SIZE"])
    if not isinstance(page_size, int) or not 1 <= page_size <= 1000:
        errors.append(
            Error(
                "VALET_KEYS['HISTORY_PAGE_SIZE'] must be a whole number "
                "from 1 to 1000.",
                hint=f"It is {page_size!r}.",
                id="valet_keys.E004",
            )
        )
    return errors


@register(Tags.templates)
def check_base_template(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    configured = getattr(settings, "VALET_KEYS", {})
    if not isinstance(configured, dict):
        return []  # Reported by check_settings.
    name = configured.get("BASE_TEMPLATE", DEFAULTS["BASE_TEMPLATE"])
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return [
            Error(
                f"VALET_KEYS['BASE_TEMPLATE'] names {name!r}, which was not found.",
                hint="Name a template your TEMPLATES settings can load.",
                id="valet_keys.E005",
            )
        ]
    return []


@register(Tags.urls)
def check_urls_included(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    try:
        reverse("valet_keys:list")
    except NoReverseMatch:
        return [
            Warning(
                "The valet_keys pages are not mounted.",
                hint='Add path("keys/", include("valet_keys.urls")) to your URLconf.',
                id="valet_keys.W001",
            )
        ]
    return []


@register(Tags.security, Tags.caches)
def check_throttling(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    configured = getattr(settings, "VALET_KEYS", {})
    if not isinstance(configured, dict):
        return []  # Reported by check_settings.

    def value(name: str) -> Any:
        return configured.get(name, DEFAULTS[name])

    errors: list[CheckMessage] = []
    window = value("THROTTLE_WINDOW")
    if not isinstance(window, datetime.timedelta) or window.total_seconds() < 1:
        errors.append(
            Error(
                "VALET_KEYS['THROTTLE_WINDOW'] must be a timedelta of at least "
                "one second.",
                hint=f"It is {window!r}.",
                id="valet_keys.E006",
            )
        )
    limits = [
        ("THROTTLE_FAILURES_PER_KEY", 1, "valet_keys.E007"),
        # One robot that keeps failing adds one to its address's count; a
        # limit of one would let it lock out every other key at that address.
        ("THROTTLE_FAILED_KEYS_PER_ADDRESS", 2, "valet_keys.E008"),
    ]
    for name, minimum, check_id in limits:
        limit = value(name)
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < minimum
        ):
            errors.append(
                Error(
                    f"VALET_KEYS[{name!r}] must be None or a whole number of at "
                    f"least {minimum}.",
                    hint=f"It is {limit!r}.",
                    id=check_id,
                )
            )

    address = value("CLIENT_ADDRESS")
    if isinstance(address, str):
        try:
            address = import_string(address)
        except ImportError as error:
            errors.append(
                Error(
                    f"VALET_KEYS['CLIENT_ADDRESS'] names {value('CLIENT_ADDRESS')!r}, "
                    "which cannot be imported.",
                    hint=str(error),
                    id="valet_keys.E009",
                )
            )
            address = None
    if address is not None and not callable(address):
        errors.append(
            Error(
                "VALET_KEYS['CLIENT_ADDRESS'] must be None, a callable, or the "
                "dotted path of one.",
                hint=f"It is {address!r}.",
                id="valet_keys.E009",
            )
        )

    throttled = (
        value("THROTTLE_FAILURES_PER_KEY") is not None
        or value("THROTTLE_FAILED_KEYS_PER_ADDRESS") is not None
    )
    alias = value("THROTTLE_CACHE")
    if throttled:
        try:
            cache = caches[alias]
        except InvalidCacheBackendError:
            errors.append(
                Error(
                    f"VALET_KEYS['THROTTLE_CACHE'] names the cache {alias!r}, "
                    "which is not in CACHES.",
                    hint="Name a cache alias of CACHES, or set both throttle "
                    "limits to None to turn throttling off.",
                    id="valet_keys.E010",
                )
            )
        else:
            if isinstance(cache, DummyCache):
                errors.append(
                    Warning(
                        f"The cache {alias!r} that valet key throttling uses "
                        "stores nothing, so failed attempts are never throttled.",
                        hint="Point VALET_KEYS['THROTTLE_CACHE'] at a real cache, "
                        "or set both throttle limits to None to say so.",
                        id="valet_keys.W002",
                    )
                )
    return errors
