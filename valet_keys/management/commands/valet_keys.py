"""``manage.py valet_keys``: create, list, disable and investigate keys."""

from __future__ import annotations

import datetime
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from valet_keys.credentials import KEY_ID_PATTERN, KEY_ID_PREFIX, SECRET_PATTERN
from valet_keys.models import DESCRIPTION_MAX_LENGTH, Key, KeyAction

MAX_HISTORY_LIMIT = 1_000_000


class Command(BaseCommand):
    help = "Create, list, disable and show the history of valet keys."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{create,list,disable,history}"
        )

        create = subcommands.add_parser(
            "create",
            help="Create a key and print its identifier and secret, once.",
        )
        self._add_user_argument(create, required=True)
        create.add_argument(
            "--description", required=True, help="What the robot is and does."
        )
        create.add_argument(
            "--expires",
            metavar="DATETIME",
            help="When the key stops working, as ISO 8601 (2027-01-31T18:00).",
        )

        listing = subcommands.add_parser("list", help="List keys, newest first.")
        self._add_user_argument(listing, required=False)

        disable = subcommands.add_parser("disable", help="Disable a key for good.")
        disable.add_argument("key_id", metavar="KEY_ID")

        history = subcommands.add_parser(
            "history", help="Show a key's actions, newest first."
        )
        history.add_argument("key_id", metavar="KEY_ID")
        history.add_argument(
            "--limit",
            type=int,
            default=50,
            help="How many actions to show (default 50).",
        )

    def _add_user_argument(self, parser: ArgumentParser, *, required: bool) -> None:
        parser.add_argument(
            "--user",
            required=required,
            metavar="USERNAME",
            help="The owner, by the user model's username field.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, "handle_" + options["subcommand"])
        handler(**options)

    def handle_create(
        self, *, user: str, description: str, expires: str | None, **options: Any
    ) -> None:
        owner = self._get_user(user)
        description = description.strip()
        if not description:
            raise CommandError("--description must not be empty.")
        if not _is_storable(description):
            raise CommandError(
                "--description must be UTF-8 text without null characters."
            )
        if len(description) > DESCRIPTION_MAX_LENGTH:
            raise CommandError(
                f"--description is at most {DESCRIPTION_MAX_LENGTH} characters; "
                f"got {len(description)}."
            )
        expires_at = self._parse_expiry(expires) if expires else None
        key, secret = Key.objects.mint(owner, description, expires_at=expires_at)
        self.stdout.write(f"Key identifier: {key.key_id}")
        self.stdout.write(f"Secret:         {secret}")
        self.stdout.write(
            "The secret is shown only this once and cannot be recovered.",
            self.style.WARNING,
        )

    def handle_list(self, *, user: str | None, **options: Any) -> None:
        keys = Key.objects.order_by("-created", "-id")
        if user is not None:
            keys = keys.filter(user=self._get_user(user))
        shown = 0
        for key in keys.iterator():
            shown += 1
            status = "disabled" if key.is_disabled else "active"
            if not key.is_disabled and key.is_expired:
                status = "expired"
            last_used = key.last_used_at.isoformat() if key.last_used_at else "never"
            self.stdout.write(
                f"{key.key_id}\t{status}\t{key.owner_label}\t"
                f"created {key.created.isoformat()}\tlast used {last_used}\t"
                f"{key.description}"
            )
        if not shown:
            self.stdout.write("No keys.")

    def handle_disable(self, *, key_id: str, **options: Any) -> None:
        key = self._get_key(key_id)
        if key.is_disabled:
            assert key.disabled_at is not None
            self.stdout.write(
                f"{key.key_id} was already disabled at {key.disabled_at.isoformat()}."
            )
            return
        key.disable()
        self.stdout.write(f"Disabled {key.key_id}.", self.style.SUCCESS)

    def handle_history(self, *, key_id: str, limit: int, **options: Any) -> None:
        if limit < 1:
            raise CommandError(f"--limit must be at least 1; got {limit}.")
        # Databases refuse a LIMIT beyond 64 bits, some far below.
        if limit > MAX_HISTORY_LIMIT:
            raise CommandError(
                f"--limit must be at most {MAX_HISTORY_LIMIT}; got {limit}."
            )
        key = self._get_key(key_id)
        actions = KeyAction.objects.filter(key=key).order_by("-id")[:limit]
        for action in actions:
            self.stdout.write(
                "\t".join(
                    [
                        action.created.isoformat(),
                        action.action,
                        action.target_repr or "-",
                        action.notes.replace("\n", " "),
                    ]
                )
            )

    def _get_user(self, username: str) -> Any:
        user_model = get_user_model()
        if not _is_storable(username):
            raise CommandError(f"No user named {username!r}.")
        try:
            return user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None

    def _get_key(self, key_id: str) -> Key:
        # A secret given by mistake must not be echoed to the terminal, and
        # from there to scrollback and CI logs.
        if SECRET_PATTERN.search(key_id):
            raise CommandError(
                "KEY_ID is a secret, not a key identifier; identifiers start "
                f"with {KEY_ID_PREFIX!r}. Disable that key if the secret was "
                "exposed."
            )
        if KEY_ID_PATTERN.fullmatch(key_id) is None:
            raise CommandError(f"No key with identifier {key_id!r}.")
        key = Key.objects.filter(key_id=key_id).first()
        # Some databases match text without regard to case; identifiers are
        # exact.
        if key is None or key.key_id != key_id:
            raise CommandError(f"No key with identifier {key_id!r}.")
        return key

    def _parse_expiry(self, value: str) -> datetime.datetime:
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise CommandError(
                f"--expires must be an ISO 8601 date and time, such as "
                f"2027-01-31T18:00; got {value!r}."
            )
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        if parsed <= timezone.now():
            raise CommandError(f"--expires must be in the future; got {value!r}.")
        try:
            # Databases that store UTC convert on the way in; a time at the
            # very end of year 9999 in a zone west of UTC has no UTC value.
            parsed.astimezone(datetime.UTC)
        except OverflowError:
            raise CommandError(
                f"--expires is too far in the future; got {value!r}."
            ) from None
        return parsed


def _is_storable(text: str) -> bool:
    """Tell whether a database can store, or be asked about, ``text``.

    The command line may carry NUL characters and bytes that are not UTF-8
    (which Python decodes as lone surrogates). No database stores either,
    and some refuse to be asked about them rather than find nothing.
    """
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
