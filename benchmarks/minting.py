"""Measure what minting a key costs, beside a bare INSERT and the peers.

Run: ``python benchmarks/minting.py [--database sqlite|postgresql]``

Each variant creates one credential per call. The bare INSERT is one
hand-written statement that stores a key's row from values prepared in
advance: what storing a key costs with nothing generated, hashed or built.
The peers create their own tokens: Django REST framework's ``Token``,
djangorestframework-api-key's ``APIKey`` and django-rest-knox's
``AuthToken``.

Two ways, both in interleaved rounds: each creation committed on its own,
as a page that mints a key does it; and every creation of a round inside
one transaction that is rolled back, which leaves the commit out and so
shows the work done before it.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import harness

MINT_BAR = 1.5
BARE = "bare INSERT of a key's row"
MINT = "Key.objects.mint()"
TOKEN = "DRF Token.objects.create()"
API_KEY = "drf-api-key APIKey.objects.create_key()"
KNOX = "knox AuthToken.objects.create()"


class UserPool:
    """Hand out users made in advance, one per REST framework token.

    A ``Token`` belongs to one user, so each needs its own; making them
    inside the timed call would measure user creation too.
    """

    def __init__(self, users: list[Any]) -> None:
        self.users = users
        self.index = 0

    def take(self) -> Any:
        user = self.users[self.index]
        self.index += 1
        return user


def creators(pool: UserPool) -> dict[str, Callable[[], object]]:
    """Return one function per variant, each creating one credential."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone
    from knox.models import AuthToken
    from rest_framework.authtoken.models import Token
    from rest_framework_api_key.models import APIKey

    from valet_keys.credentials import digest_secret, generate_secret
    from valet_keys.models import Key

    owner = get_user_model().objects.create(username="key-owner")
    columns = [f.column for f in Key._meta.concrete_fields if not f.primary_key]
    insert = (
        f"INSERT INTO {Key._meta.db_table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    created = connection.ops.adapt_datetimefield_value(timezone.now())
    digest = digest_secret(generate_secret())
    numbers = itertools.count()

    def bare_insert() -> None:
        # Every value is ready; only the identifier differs, as it must.
        key_id = f"vk_{next(numbers):020d}"
        row = [owner.pk, "key-owner", key_id, digest, "robot", created]
        row += [False, None, None, None]
        with connection.cursor() as cursor:
            cursor.execute(insert, row)

    def mint() -> None:
        Key.objects.mint(owner, "benchmark robot")

    def token() -> None:
        Token.objects.create(user=pool.take())

    def api_key() -> None:
        APIKey.objects.create_key(name="benchmark robot")

    def knox() -> None:
        AuthToken.objects.create(owner)

    return {BARE: bare_insert, MINT: mint, TOKEN: token, API_KEY: api_key, KNOX: knox}


def main() -> None:
    args = harness.parser(__doc__.splitlines()[0]).parse_args()
    harness.start(args.database, "mint")

    from django.contrib.auth import get_user_model
    from django.db import transaction

    warmup = 5
    committed_rounds, committed_per_round = (3, 10) if args.quick else (12, 25)
    rolled_rounds, rolled_per_round = (4, 25) if args.quick else (20, 50)

    user_model = get_user_model()
    needed = warmup + committed_rounds * committed_per_round + rolled_per_round
    users = user_model.objects.bulk_create(
        [user_model(username=f"robot{n}") for n in range(needed)]
    )
    pool = UserPool(users)
    variants = creators(pool)

    committed = harness.interleaved(
        variants,
        rounds=committed_rounds,
        per_round=committed_per_round,
        warmup=warmup,
    )

    @contextlib.contextmanager
    def rolled_back() -> Iterator[None]:
        # The round's tokens vanish with the rollback, so the next round
        # can hand the same users out again.
        start = pool.index
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
        pool.index = start

    in_transaction = harness.interleaved(
        variants,
        rounds=rolled_rounds,
        per_round=rolled_per_round,
        warmup=0,
        around_round=rolled_back,
    )

    report = harness.Report("minting", args.database, args.quick)
    report.data = {
        "committed": summarise(committed),
        "rolled back": summarise(in_transaction),
    }
    report.tables.append(
        table(
            report.data,
            f"Creating a credential, {args.database}",
            f"committed: {committed_rounds} rounds of {committed_per_round} per "
            f"variant, each committed on its own; rolled back: {rolled_rounds} "
            f"rounds of {rolled_per_round}, each round one transaction.",
        )
    )
    report.bars.append(
        harness.Bar(
            f"{MINT} / bare INSERT, each committed ({args.database})",
            report.data["committed"][MINT]["x bare"],
            MINT_BAR,
        )
    )
    report.bars.append(
        harness.Bar(
            f"{MINT} / bare INSERT, inside a transaction ({args.database})",
            report.data["rolled back"][MINT]["x bare"],
            MINT_BAR,
        )
    )
    harness.finish(report, args)


def summarise(samples: harness.Samples) -> dict[str, dict[str, float]]:
    medians = harness.round_medians(samples)
    result = {}
    for name, rounds in samples.items():
        values = harness.flat(rounds)
        result[name] = {
            "median": harness.median(values),
            "p95": harness.p95(values),
            "x bare": harness.ratio_of_rounds(medians, name, BARE),
        }
    return result


def table(data: dict[str, Any], title: str, note: str) -> harness.Table:
    result = harness.Table(
        title,
        [
            "variant",
            "committed median µs",
            "p95 µs",
            "x bare INSERT",
            "in a transaction median µs",
            "x bare INSERT",
        ],
    )
    for name, row in data["committed"].items():
        inner = data["rolled back"][name]
        result.rows.append(
            [
                name,
                row["median"],
                row["p95"],
                row["x bare"],
                inner["median"],
                inner["x bare"],
            ]
        )
    result.notes.append(note)
    return result


if __name__ == "__main__":
    main()
