#!/usr/bin/env python
"""A robot that comments on the demo blog with a valet key.

Start the demo (``make demo``), log in, create a key on the Keys page and
paste the three ``export`` lines it shows into a shell. Then, from the
repository's root::

    .venv/bin/python example/robot.py
    .venv/bin/python example/robot.py --post valet-keys --count 3 "Nice post!"

Each comment shows on the post, signed by the key's owner and marked as a
robot's, and as a ``blog.commented`` action on the key's history page.

The robot needs ``valet_keys_client`` (and requests) but not Django: it
reaches the site only over HTTP, as any robot would.
"""

from __future__ import annotations

import argparse
import sys

from valet_keys_client import Client, ConfigurationError, ValetKeyError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Comment on the demo blog with the valet key in "
        "VALET_KEYS_URL, VALET_KEY_ID and VALET_KEY_SECRET."
    )
    parser.add_argument(
        "comment",
        nargs="?",
        help="what to say (by default, a numbered greeting)",
    )
    parser.add_argument(
        "--post",
        default="welcome",
        metavar="SLUG",
        help="the post to comment on (default: welcome)",
    )
    parser.add_argument(
        "--count",
        type=int,
        default=1,
        help="how many comments to post (default: 1)",
    )
    options = parser.parse_args(argv)
    if options.count < 1:
        parser.error(f"--count must be at least 1; got {options.count}")

    try:
        with Client.from_env(user_agent_extra="demo-robot") as client:
            key = client.whoami()
            print(f"Acting for {key.user} with {key.key_id} ({key.description}).")
            for number in range(1, options.count + 1):
                comment = options.comment or (
                    f"Beep boop. Comment {number} of {options.count}, "
                    "posted by the demo robot."
                )
                client.post(f"posts/{options.post}/comment/", data={"comment": comment})
                print(f"Commented on {options.post!r}: {comment}")
    except ConfigurationError as error:
        print(f"robot.py: {error}", file=sys.stderr)
        print(
            "robot.py: create a key on the demo's Keys page and paste the "
            "export lines it shows into this shell.",
            file=sys.stderr,
        )
        return 1
    except ValetKeyError as error:
        # The SDK's messages say what went wrong and never show the secret.
        print(f"robot.py: {error}", file=sys.stderr)
        return 1

    print(f"See what it did: {client.base_url}keys/{key.key_id}/history/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
