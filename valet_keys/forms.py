from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .conf import get_setting
from .models import DESCRIPTION_MAX_LENGTH

__all__ = ["NewKeyForm"]


class NewKeyForm(forms.Form):
    """What a person chooses about a new key: its description and expiry."""

    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        help_text=_("What the robot is and what it does, to recognise it later."),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        help_text=_("Optional. After this time the key stops working."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean_description(self) -> str:
        description: str = self.cleaned_data["description"].strip()
        if not description:
            raise forms.ValidationError(_("Describe the robot that will use the key."))
        return description

    def clean_expires_at(self) -> datetime.datetime | None:
        expires_at: datetime.datetime | None = self.cleaned_data["expires_at"]
        if expires_at is None:
            return None
        now = timezone.now()
        if expires_at <= now:
            raise forms.ValidationError(_("Choose a time in the future."))
        try:
            # Databases that store UTC convert on the way in; a time at the
            # very end of year 9999 in a zone west of UTC has no UTC value.
            expires_at.astimezone(datetime.UTC)
        except OverflowError:
            raise forms.ValidationError(_("Choose an earlier time.")) from None
        max_expiry: datetime.timedelta | None = get_setting("MAX_EXPIRY")
        if max_expiry is not None and expires_at > now + max_expiry:
            raise forms.ValidationError(
                _("Keys on this site may live at most %(days)d days."),
                params={"days": max_expiry.days},
            )
        return expires_at

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        must_expire = get_setting("MAX_EXPIRY") is not None
        if (
            must_expire
            and not cleaned.get("expires_at")
            and "expires_at" not in self.errors
        ):
            self.add_error("expires_at", _("Keys on this site must expire."))
        return cleaned
