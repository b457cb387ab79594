"""Keys that robots present, and the actions they record.

Keys are never deleted, only disabled, so the history of a robot stays
available for investigation. Only a digest of each secret is stored.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models, router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from . import signals
from .credentials import digest_secret, generate_key_id, generate_secret

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

__all__ = ["Key", "KeyAction", "KeyManager"]

# Long enough for any description a person writes about a robot, short enough
# to show in a list.
DESCRIPTION_MAX_LENGTH = 200
ACTION_MAX_LENGTH = 100
TARGET_REPR_MAX_LENGTH = 200
TARGET_URL_MAX_LENGTH = 500
OBJECT_ID_MAX_LENGTH = 255


class KeyManager(models.Manager["Key"]):
    # Kept out of DEBUG pages and mailed error reports if the INSERT fails.
    @sensitive_variables("secret")
    def mint(
        self,
        user: AbstractBaseUser,
        description: str,
        *,
        expires_at: datetime.datetime | None = None,
    ) -> tuple[Key, str]:
        """Create a key for ``user`` and return it with its plaintext secret.

        This is the only place the plaintext secret exists: it is returned
        to be shown once and is not stored. ``expires_at`` is an optional
        aware datetime after which the key stops working.
        """
        secret = generate_secret()
        key = self.create(
            # The stubs type the field with whichever user model the checking
            # settings name; any AUTH_USER_MODEL instance is right here.
            user=cast("Any", user),
            owner_label=str(user)[: Key.OWNER_LABEL_MAX_LENGTH],
            key_id=generate_key_id(),
            secret_digest=digest_secret(secret),
            description=description,
            expires_at=expires_at,
        )
        signals.key_created.send(sender=Key, key=key)
        return key, secret


class Key(models.Model):
    """A credential a user has handed to a robot."""

    OWNER_LABEL_MAX_LENGTH = 150

    # Deleting a user keeps their keys and every action: the key loses its
    # owner (and so can no longer authenticate) but keeps a label naming who
    # it belonged to. A cascade would erase the history the app exists to
    # keep; PROTECT would make such a user impossible to delete at all.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="valet_keys",
    )
    owner_label = models.CharField(
        _("owner"),
        max_length=OWNER_LABEL_MAX_LENGTH,
        editable=False,
        help_text=_("The owner's name when the key was created."),
    )
    key_id = models.CharField(
        _("key identifier"), max_length=40, unique=True, editable=False
    )
    secret_digest = models.CharField(_("secret digest"), max_length=64, editable=False)
    description = models.CharField(_("description"), max_length=DESCRIPTION_MAX_LENGTH)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    is_disabled = models.BooleanField(_("disabled"), default=False, editable=False)
    disabled_at = models.DateTimeField(
        _("disabled at"), null=True, blank=True, editable=False
    )
    last_used_at = models.DateTimeField(
        _("last used"), null=True, blank=True, editable=False
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    objects: ClassVar[KeyManager] = KeyManager()

    class Meta:
        verbose_name = _("valet key")
        verbose_name_plural = _("valet keys")
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["user", "-created"], name="valet_keys_user_created"),
        ]

    def __str__(self) -> str:
        return self.key_id

    def __repr__(self) -> str:
        return f"<Key {self.key_id} of user {self.user_id}>"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        """Tell whether the key would authenticate a request right now."""
        return not self.is_disabled and not self.is_expired and self.user_id is not None

    def disable(self) -> None:
        """Disable the key for good; calling it again changes nothing.

        The update is conditional, so two concurrent calls record one time
        and send one signal.
        """
        now = timezone.now()
        updated = (
            Key.objects.using(self._state.db)
            .filter(pk=self.pk, is_disabled=False)
            .update(is_disabled=True, disabled_at=now)
        )
        if updated:
            self.is_disabled = True
            self.disabled_at = now
            signals.key_disabled.send(sender=Key, key=self)
        else:
            self.refresh_from_db(fields=["is_disabled", "disabled_at"])

    def log(
        self,
        action: str,
        content_object: models.Model | None = None,
        notes: str | None = None,
    ) -> KeyAction:
        """Record that the robot did ``action``, optionally to an object.

        ``action`` is a free string, best prefixed with an app name, such as
        ``"blog.commented"``. ``content_object`` may be any saved model
        instance, whatever the type of its primary key; a readable snapshot
        of it is kept so the history stays meaningful after it is deleted.
        ``notes`` is free text. Raise ``ValueError`` for an empty action or
        an unsaved object. Costs one INSERT.
        """
        if not action:
            raise ValueError("An action needs a name, such as 'blog.commented'.")
        if len(action) > ACTION_MAX_LENGTH:
            raise ValueError(
                f"Action names are at most {ACTION_MAX_LENGTH} characters; "
                f"got {len(action)}."
            )
        entry = KeyAction(key=self, action=action, notes=notes or "")
        if content_object is not None:
            if content_object.pk is None:
                model_name = type(content_object).__name__
                raise ValueError(f"Cannot log an action on an unsaved {model_name}.")
            entry.content_type = ContentType.objects.get_for_model(content_object)
            entry.object_id = str(content_object.pk)
            entry.target_repr = str(content_object)[:TARGET_REPR_MAX_LENGTH]
            get_absolute_url = getattr(content_object, "get_absolute_url", None)
            if get_absolute_url is not None:
                entry.target_url = str(get_absolute_url())[:TARGET_URL_MAX_LENGTH]
        entry.save(force_insert=True, using=self._state.db)
        signals.action_logged.send(sender=KeyAction, action=entry)
        return entry


class KeyAction(models.Model):
    """One thing a robot did with a key, as the robot recorded it."""

    # History outlives everything else: a key with actions cannot be deleted
    # by accident, and the snapshot below survives the target's deletion.
    key = models.ForeignKey(
        Key, verbose_name=_("key"), on_delete=models.PROTECT, related_name="actions"
    )
    action = models.CharField(_("action"), max_length=ACTION_MAX_LENGTH)
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("target type"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # Text holds integer, UUID and string primary keys alike.
    object_id = models.CharField(
        _("target id"), max_length=OBJECT_ID_MAX_LENGTH, blank=True
    )
    content_object = GenericForeignKey("content_type", "object_id")
    target_repr = models.CharField(
        _("target"), max_length=TARGET_REPR_MAX_LENGTH, blank=True
    )
    target_url = models.CharField(
        _("target URL"), max_length=TARGET_URL_MAX_LENGTH, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("key action")
        verbose_name_plural = _("key actions")
        # Identifiers grow with time, so they order actions as they were
        # recorded and give the history page an exact cursor.
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["key", "-id"], name="valet_keys_action_key_id"),
            models.Index(
                fields=["content_type", "object_id"], name="valet_keys_action_target"
            ),
        ]

    def __str__(self) -> str:
        if self.target_repr:
            return f"{self.action} {self.target_repr}"
        return self.action

    def __repr__(self) -> str:
        return f"<KeyAction {self.action!r} by key {self.key_id}>"

    @property
    def has_target(self) -> bool:
        return bool(self.object_id)


def disable_keys_of_deleted_user(
    sender: type[models.Model], instance: models.Model, **kwargs: object
) -> None:
    """Disable a user's keys as the user is deleted.

    The keys and their history stay; the key loses its owner through
    ``SET_NULL`` and could not authenticate anyway, but marking it disabled
    records when it stopped working and shows it plainly in lists.
    """
    using = kwargs.get("using") or router.db_for_write(Key)
    keys = Key.objects.using(str(using)).filter(user=instance.pk, is_disabled=False)
    for key in keys:
        key.disable()
