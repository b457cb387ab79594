"""A robot that comments on a blog post with a valet key.

It is the robot of the original documentation's ``comment`` view, written
as a robot's author would, and tested against ``fake_valet_site`` in
``test_example_robot.py``. It reads the site and its key from
``VALET_KEYS_URL``, ``VALET_KEY_ID`` and ``VALET_KEY_SECRET``::

    python -m tests.plugin.comment_robot hello-world "Great post!"
"""

from __future__ import annotations

import sys
import uuid

from valet_keys_client import Client, TooManyRequests, Unauthorized


def post_comment(client: Client, slug: str, text: str) -> str:
    """Post ``text`` as a comment on the post ``slug``; return the answer.

    The idempotency key lets the client retry the POST when the site is
    busy, without risk of commenting twice.
    """
    response = client.post(
        f"posts/{slug}/comment/",
        data={"comment": text},
        idempotency_key=str(uuid.uuid4()),
    )
    return response.text


def main(argv: list[str] | None = None) -> int:
    """Comment as the command line says; return the exit status."""
    slug, text = sys.argv[1:] if argv is None else argv
    try:
        with Client.from_env(user_agent_extra="comment-robot/1.0") as client:
            print(post_comment(client, slug, text))
    except Unauthorized:
        print(
            "The site refused the key; it may be disabled or expired.",
            file=sys.stderr,
        )
        return 2
    except TooManyRequests as error:
        wait = "later" if error.retry_after is None else f"in {error.retry_after:g} s"
        print(f"The site is busy; try again {wait}.", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
