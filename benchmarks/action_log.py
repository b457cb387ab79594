"""Measure ``key.log()``: its statements, its speed, and concurrent writers.

Run: ``python benchmarks/action_log.py [--database sqlite|postgresql]``

Each call is committed on its own, as a view that logs in autocommit does.
``key.log()`` is timed beside a bare INSERT of an action's row, in
interleaved rounds. On PostgreSQL, several processes then log on one key at
once for a bounded time; afterwards the rows are counted and compared with
the calls that returned, so that a lost or duplicated action shows.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from typing import Any

import harness

ACTION = "bench.logged"
BARE = "bare INSERT of an action's row"
LOG = "key.log(action)"
LOG_TARGET = "key.log(action, target)"


def variants(key: Any, target: Any) -> dict[str, Callable[[], object]]:
    from django.db import connection
    from django.utils import timezone

    from valet_keys.models import KeyAction

    columns = [f.column for f in KeyAction._meta.concrete_fields if not f.primary_key]
    insert = (
        f"INSERT INTO {KeyAction._meta.db_table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    created = connection.ops.adapt_datetimefield_value(timezone.now())
    row = [key.pk, ACTION, None, "", "", "", "", created]

    def bare_insert() -> None:
        with connection.cursor() as cursor:
            cursor.execute(insert, row)

    return {
        BARE: bare_insert,
        LOG: lambda: key.log(ACTION),
        LOG_TARGET: lambda: key.log(ACTION, target, notes="with a target"),
    }


def count_statements(key: Any, target: Any) -> dict[str, int]:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as captured:
        key.log(ACTION, target)
    counts["key.log(action, target), first of its model"] = len(captured)
    for name, call in (
        (LOG, lambda: key.log(ACTION)),
        (LOG_TARGET, lambda: key.log(ACTION, target)),
    ):
        with CaptureQueriesContext(connection) as captured:
            call()
        counts[name] = len(captured)
    return counts


# --- Concurrent writers ----------------------------------------------------


def writer(
    number: int,
    key_pk: int,
    seconds: float,
    ready: Any,
    start: Any,
    results: Any,
) -> None:
    """Log actions on one key until the time is up, and report the count.

    Runs in its own process, with the settings its parent left in the
    environment.
    """
    import django

    django.setup()
    from django.db import connection

    from valet_keys.models import Key

    key = Key.objects.get(pk=key_pk)
    connection.ensure_connection()
    ready.release()
    start.wait()
    logged = errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            key.log("bench.concurrent", notes=f"{number}:{logged}")
        except Exception:
            errors += 1
        else:
            logged += 1
    connection.close()
    results.put((number, logged, errors))


def concurrent_writers(key: Any, processes: int, seconds: float) -> dict[str, Any]:
    from django.db import connection

    from valet_keys.models import KeyAction

    # Writers must not inherit the parent's connection, so they are spawned.
    context = multiprocessing.get_context("spawn")
    ready = context.Semaphore(0)
    start = context.Event()
    results = context.Queue()
    workers = [
        context.Process(target=writer, args=(n, key.pk, seconds, ready, start, results))
        for n in range(processes)
    ]
    before = KeyAction.objects.filter(key=key).count()
    connection.close()
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.acquire()
    started = time.perf_counter()
    start.set()
    reports = [results.get() for _ in workers]
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()

    logged = sum(count for _, count, _ in reports)
    errors = sum(failed for _, _, failed in reports)
    rows = KeyAction.objects.filter(key=key, action="bench.concurrent")
    counted = rows.count()
    distinct = rows.values("notes").distinct().count()
    assert before == KeyAction.objects.filter(key=key).count() - counted
    return {
        "processes": processes,
        "seconds": round(elapsed, 1),
        "calls returned": logged,
        "errors": errors,
        "rows counted": counted,
        "distinct rows": distinct,
        "lost": logged - counted,
        "actions per second": logged / elapsed,
    }


def main() -> None:
    args = harness.parser(__doc__.splitlines()[0]).parse_args()
    harness.start(args.database, "log")

    from django.contrib.auth import get_user_model

    from valet_keys.models import Key

    owner = get_user_model().objects.create(username="key-owner")
    target = get_user_model().objects.create(username="a-target")
    key, _ = Key.objects.mint(owner, "benchmark robot")

    statements = count_statements(key, target)
    rounds, per_round = (4, 20) if args.quick else (15, 40)
    samples = harness.interleaved(
        variants(key, target), rounds=rounds, per_round=per_round
    )
    medians = harness.round_medians(samples)

    report = harness.Report("action_log", args.database, args.quick)
    speed = {}
    for name, per_round_samples in samples.items():
        values = harness.flat(per_round_samples)
        speed[name] = {
            "median": harness.median(values),
            "p95": harness.p95(values),
            "per second": len(values) / (sum(values) / 1e6),
            "x bare": harness.ratio_of_rounds(medians, name, BARE),
            "statements": statements.get(name, 1),
        }
    report.data = {"speed": speed, "statements": statements}
    table = harness.Table(
        f"key.log(), each call committed, {args.database}",
        ["variant", "median µs", "p95 µs", "calls/s", "x bare INSERT", "statements"],
    )
    for name, row in speed.items():
        table.rows.append(
            [
                name,
                row["median"],
                row["p95"],
                row["per second"],
                row["x bare"],
                row["statements"],
            ]
        )
    first = statements["key.log(action, target), first of its model"]
    table.notes += [
        f"{rounds} interleaved rounds of {per_round} calls per variant, one process.",
        f"The first action on a model of a new kind costs {first} statements: "
        "its content type is read once, then cached.",
    ]
    report.tables.append(table)
    report.bars.append(
        harness.Bar(
            f"statements per key.log() ({args.database})", statements[LOG], 1, unit=""
        )
    )

    if args.database == "postgresql":
        processes = 4 if args.quick else 8
        seconds = 3.0 if args.quick else 10.0
        result = concurrent_writers(key, processes, seconds)
        report.data["concurrent"] = result
        report.tables.append(
            harness.Table(
                "Concurrent writers on one key, postgresql",
                list(result),
                [list(result.values())],
                [
                    f"{processes} processes on {os.cpu_count()} cores, each "
                    "logging in a loop until the time is up."
                ],
            )
        )
        report.bars.append(
            harness.Bar(
                "actions lost under concurrent writers (postgresql)",
                result["lost"] + result["errors"],
                0,
                unit="",
            )
        )
    harness.finish(report, args)


if __name__ == "__main__":
    main()
