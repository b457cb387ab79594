"""System checks for a misconfigured installation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse

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
