"""Measure a key's history page at a thousand to a million actions.

Run: ``python benchmarks/history_page.py --database postgresql``

Three keys share one table: one with a thousand actions, one with a hundred
thousand and one with a million (with ``--quick``, a thousand, ten thousand
and a hundred thousand). Their actions are interleaved in time, as robots
working side by side would leave them, and bulk-loaded by one INSERT ...
SELECT over ``generate_series``, then vacuumed and analysed as autovacuum
would. Each key's first page and a deep page (``?before=`` an action 90% of
the way back) are requested through the test client by the logged-in
owner, in interleaved rounds.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import harness

BAR = 2.0

# How many actions each key gets, and the moduli that deal rows out to the
# keys in those numbers: row g goes to the smallest key when g is a multiple
# of the first modulus, else to the middle one when a multiple of 11.
SIZES = {
    "full": ((1_000, 100_000, 1_000_000), 1101),
    "quick": ((1_000, 10_000, 100_000), 111),
}

LOAD = """
INSERT INTO {table} (
    key_id, action, content_type_id, object_id, target_repr, target_url, notes,
    created
)
SELECT
    CASE WHEN mod(g, %(small_modulus)s) = 0 THEN %(small)s
         WHEN mod(g, 11) = 0 THEN %(middle)s
         ELSE %(large)s END,
    'bench.action_' || mod(g, 7),
    CASE WHEN mod(g, 3) = 0 THEN %(content_type)s END,
    CASE WHEN mod(g, 3) = 0 THEN mod(g, 1000)::text ELSE '' END,
    CASE WHEN mod(g, 3) = 0 THEN 'Thing ' || mod(g, 1000) ELSE '' END,
    CASE WHEN mod(g, 3) = 0 THEN '/things/' || mod(g, 1000) || '/' ELSE '' END,
    CASE WHEN mod(g, 5) = 0 THEN 'Run ' || g ELSE '' END,
    %(start)s::timestamptz + g * interval '1 second'
FROM generate_series(1, %(total)s) AS g
"""


def label(count: int) -> str:
    return f"{count // 1_000_000}M" if count >= 1_000_000 else f"{count // 1000}k"


def load(keys: list[Any], sizes: tuple[int, ...], small_modulus: int) -> float:
    """Fill the table and return the seconds it took."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from valet_keys.models import KeyAction

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            LOAD.format(table=KeyAction._meta.db_table),
            {
                "small_modulus": small_modulus,
                "small": keys[0].pk,
                "middle": keys[1].pk,
                "large": keys[2].pk,
                "content_type": ContentType.objects.get_for_model(keys[0]).pk,
                "start": timezone.now() - timezone.timedelta(days=400),
                "total": sum(sizes),
            },
        )
        cursor.execute(f"VACUUM ANALYZE {KeyAction._meta.db_table}")
    elapsed = time.perf_counter() - started
    for key, size in zip(keys, sizes, strict=True):
        counted = KeyAction.objects.filter(key=key).count()
        if counted != size:
            sys.exit(f"Loaded {counted} actions for a key meant to have {size}.")
    return elapsed


def deep_cursor(key: Any, size: int) -> int:
    """Return the id of the action 90% of the way back in the key's history."""
    from valet_keys.models import KeyAction

    oldest_first = KeyAction.objects.filter(key=key).order_by("id")
    return int(oldest_first.values_list("id", flat=True)[size // 10])


def table_size() -> str:
    from django.db import connection

    from valet_keys.models import KeyAction

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size(%s))",
            [KeyAction._meta.db_table],
        )
        return str(cursor.fetchone()[0])


def main() -> None:
    args = harness.parser(__doc__.splitlines()[0]).parse_args()
    if args.database != "postgresql":
        sys.exit("The history benchmark runs on PostgreSQL only.")
    harness.start(args.database, "history")

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from valet_keys.models import Key

    sizes, small_modulus = SIZES["quick" if args.quick else "full"]
    owner = get_user_model().objects.create(username="key-owner")
    keys = [Key.objects.mint(owner, f"robot {label(n)}")[0] for n in sizes]
    seconds = load(keys, sizes, small_modulus)

    client = Client()
    client.force_login(owner)
    pages = {}
    for key, size in zip(keys, sizes, strict=True):
        url = f"/keys/{key.key_id}/history/"
        pages[f"{label(size)}, first page"] = url
        pages[f"{label(size)}, deep page"] = f"{url}?before={deep_cursor(key, size)}"
    queries = {}
    for name, url in pages.items():
        response = client.get(url)
        if response.status_code != 200 or b"bench.action_" not in response.content:
            sys.exit(f"{name} answered {response.status_code} without actions.")
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries[name] = len(captured)

    calls = {name: (lambda url=url: client.get(url)) for name, url in pages.items()}
    rounds, per_round = (5, 4) if args.quick else (20, 10)
    samples = harness.interleaved(calls, rounds=rounds, per_round=per_round, warmup=3)
    medians = harness.round_medians(samples)

    small, large = label(sizes[0]), label(sizes[-1])
    report = harness.Report("history_page", args.database, args.quick)
    rows = {}
    for name in pages:
        size_label, page = name.split(", ")
        values = harness.flat(samples[name])
        rows[name] = {
            "actions": sizes[[label(n) for n in sizes].index(size_label)],
            "page": page,
            "median ms": harness.median(values) / 1000,
            "p95 ms": harness.p95(values) / 1000,
            "x smallest": harness.ratio_of_rounds(medians, name, f"{small}, {page}"),
            "queries": queries[name],
        }
    report.data = {
        "pages": rows,
        "load seconds": seconds,
        "table size": table_size(),
        "sizes": list(sizes),
    }
    table = harness.Table(
        "History page of one key, postgresql",
        ["actions of the key", "page", "median ms", "p95 ms", f"x {small}", "queries"],
    )
    for row in rows.values():
        table.rows.append(
            [
                f"{row['actions']:,}",
                row["page"],
                row["median ms"],
                row["p95 ms"],
                row["x smallest"],
                row["queries"],
            ]
        )
    table.notes += [
        f"{sum(sizes):,} actions of three keys in one table "
        f"({report.data['table size']} with indexes), loaded and analysed in "
        f"{seconds:.0f} s; {rounds} interleaved rounds of {per_round} requests "
        "per page.",
        "Each request includes the login session, the key, the page of 50 "
        "actions and the activity chart over the latest 1,000.",
    ]
    report.tables.append(table)
    for page in ("first page", "deep page"):
        report.bars.append(
            harness.Bar(
                f"history {page} at {large} / at {small} actions (postgresql)",
                rows[f"{large}, {page}"]["x smallest"],
                BAR,
            )
        )
    harness.finish(report, args)


if __name__ == "__main__":
    main()
