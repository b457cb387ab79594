from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.signals import setting_changed
from django.db.models.signals import pre_delete
from django.utils.translation import gettext_lazy as _


class ValetKeysConfig(AppConfig):
    name = "valet_keys"
    verbose_name = _("Valet keys")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .models import disable_keys_of_deleted_user

        setting_changed.connect(_forget_built_queries, dispatch_uid="valet_keys")
        pre_delete.connect(
            disable_keys_of_deleted_user,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="valet_keys_disable_keys_of_deleted_user",
        )


def _forget_built_queries(setting: str, **kwargs: Any) -> None:
    # The hand-written key lookup is built from the user model and the
    # database backend; a test that swaps either must get a fresh one.
    if setting in {"AUTH_USER_MODEL", "DATABASES"}:
        from .authentication import clear_query_cache

        clear_query_cache()
