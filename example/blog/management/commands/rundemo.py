"""Prepare the demo site and serve it on 127.0.0.1."""

import os
import secrets
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from blog.models import Post

POSTS = [
    (
        "welcome",
        "Welcome to the robot-friendly blog",
        "People comment here, and so do the robots they trust.",
    ),
    (
        "valet-keys",
        "Why robots get valet keys",
        "A valet key opens the door and starts the engine, not the glovebox.\n\n"
        "Every key's history shows what its robot did.",
    ),
]

ROBOT = Path(__file__).resolve().parents[3] / "robot.py"


class Command(BaseCommand):
    help = "Migrate, create the demo user and posts, and serve the demo site."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Prepare the database and print the login, but do not serve.",
        )

    def handle(self, *args: Any, port: int, no_serve: bool, **options: Any) -> None:
        call_command("migrate", verbosity=0)
        for slug, title, body in POSTS:
            Post.objects.get_or_create(
                slug=slug, defaults={"title": title, "body": body}
            )

        # A new password on every start, so a demo left running somewhere
        # never has a password anyone could guess from this file.
        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username="demo")
        user.set_password(password)
        user.save()

        url = f"http://127.0.0.1:{port}/"
        run_robot = f"{_shown(sys.executable)} {_shown(ROBOT)}"
        self.stdout.write(
            self.style.SUCCESS("The valet-keys demo site is ready.")
            + f"\n\n  Open     {url}"
            + f"\n  Log in   user name: demo   password: {password}"
            + f"\n  Keys     {url}keys/"
            + f"\n  Database {settings.DATABASES['default']['NAME']}"
            + "\n\nTo watch a robot at work: create a key on the Keys page, paste"
            + "\nthe three export lines it shows into another shell, and run"
            + f"\n\n  {run_robot}"
            + "\n\nthen open the key's history.\n"
        )
        if not no_serve:
            self.stdout.write("Press Ctrl+C to stop.\n")
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)


def _shown(path: str | Path) -> str:
    """Return ``path`` relative to the current folder when it is inside it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative
