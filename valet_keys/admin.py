"""Admin pages to look into keys and their actions.

Neither shows a secret or its digest. Keys cannot be added here (a secret
must be shown to its owner once, which the create page and the management
command do) nor deleted (history is never erased); they can be disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Key, KeyAction

# ModelAdmin is generic only in the type stubs; at run time it cannot be
# subscripted.
if TYPE_CHECKING:
    KeyModelAdmin = admin.ModelAdmin[Key]
    KeyActionModelAdmin = admin.ModelAdmin[KeyAction]
else:
    KeyModelAdmin = KeyActionModelAdmin = admin.ModelAdmin

# Everything is shown read-only: a key's secret digest is left out, and
# nothing but the description was ever chosen by a person.
KEY_FIELDS = (
    "key_id",
    "user",
    "owner_label",
    "description",
    "created",
    "last_used_at",
    "expires_at",
    "is_disabled",
    "disabled_at",
)
ACTION_FIELDS = (
    "created",
    "key",
    "action",
    "content_type",
    "object_id",
    "target_repr",
    "target_url",
    "notes",
)


@admin.register(Key)
class KeyAdmin(KeyModelAdmin):
    list_display = [
        "key_id",
        "user",
        "description",
        "created",
        "last_used_at",
        "expires_at",
        "is_disabled",
    ]
    list_filter = ["is_disabled", "created", "last_used_at"]
    search_fields = ["key_id", "description", "owner_label"]
    list_select_related = ["user"]
    date_hierarchy = "created"
    fields = KEY_FIELDS
    readonly_fields = KEY_FIELDS
    actions = ["disable_keys"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Disable selected keys"), permissions=["change"])
    def disable_keys(self, request: HttpRequest, queryset: QuerySet[Key]) -> None:
        disabled = 0
        for key in queryset.filter(is_disabled=False):
            key.disable()
            disabled += 1
        self.message_user(
            request,
            ngettext("Disabled %d key.", "Disabled %d keys.", disabled) % disabled,
            messages.SUCCESS,
        )


@admin.register(KeyAction)
class KeyActionAdmin(KeyActionModelAdmin):
    list_display = ["created", "key", "action", "target_repr", "notes"]
    list_filter = ["action", "created"]
    search_fields = ["key__key_id", "action", "target_repr", "notes"]
    list_select_related = ["key"]
    date_hierarchy = "created"
    # Tables of actions grow large; counting them all for the paginator
    # would make every page as slow as the table is big.
    show_full_result_count = False
    fields = ACTION_FIELDS
    readonly_fields = ACTION_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
