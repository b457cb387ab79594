"""What every benchmark shares: its database, its timing and its report.

A benchmark script calls ``start(database, name)`` before it imports
anything from Django, measures its variants with ``interleaved``, and ends
with ``finish(report, args)``, which prints the report's tables and, when
asked, writes them as JSON for ``run.py``.

Absolute times on a shared two-core machine are noise. What holds is a ratio
taken between variants measured side by side: each round runs every variant
in turn, the garbage collector runs between rounds rather than inside one,
and a ratio is the median of the ratios of each round.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
ROOT = BENCHMARKS.parent
DATABASES = ("sqlite", "postgresql")

# The checkout's packages come first, so that a benchmark measures this
# working tree and not an installed copy.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --- The database ----------------------------------------------------------


def database_name(name: str) -> str:
    """Return the PostgreSQL database name a benchmark uses for ``name``.

    The process id keeps two runs on one server, or two benchmarks of one
    run, from meeting in the same database.
    """
    return f"bench_vk_{name}_{os.getpid()}"


def _postgres_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1",
        port=os.environ.get("VALET_BENCH_PG_PORT", "5432"),
        user=os.environ.get("VALET_BENCH_PG_USER", "postgres"),
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


def start(database: str, name: str) -> None:
    """Create a fresh database for this process, set Django up and migrate.

    SQLite gets a file in a temporary folder, as a site in production has;
    PostgreSQL gets a database named by ``database_name(name)``. Both are
    removed when the process exits. The environment variables set here are
    inherited by any process started later, such as gunicorn's workers.
    """
    if database == "sqlite":
        folder = tempfile.mkdtemp(prefix="valet-bench-")
        db_name = os.path.join(folder, "bench.sqlite3")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    elif database == "postgresql":
        db_name = database_name(name)
        _postgres_admin(f'DROP DATABASE IF EXISTS "{db_name}"')
        _postgres_admin(f'CREATE DATABASE "{db_name}"')
        atexit.register(_drop_postgres_database, db_name)
    else:
        raise ValueError(f"database must be one of {DATABASES}; got {database!r}.")
    os.environ["VALET_BENCH_DB"] = database
    os.environ["VALET_BENCH_DB_NAME"] = db_name
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchsite.settings"
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _drop_postgres_database(db_name: str) -> None:
    from django.db import connections

    connections.close_all()
    _postgres_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


# --- Timing ----------------------------------------------------------------


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Keep the garbage collector out of a timed block, as timeit does.

    A collection would land on whichever variant happened to be running; it
    runs before the block instead.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


Samples = dict[str, list[list[float]]]


def interleaved(
    variants: Mapping[str, Callable[[], object]],
    *,
    rounds: int,
    per_round: int,
    warmup: int = 20,
    around_round: Callable[[], contextlib.AbstractContextManager[object]] | None = None,
) -> Samples:
    """Time each variant, in µs, in interleaved rounds.

    A round calls each variant ``per_round`` times in a row, then the next
    variant, starting with a different one each round, so that drift in the
    machine's load falls on all of them alike. Calls of one variant are kept
    together because a call pays for some of the work its predecessor left
    behind: alternating variant by variant made whichever variant followed
    a REST framework request look up to twice as expensive. The first call
    of each run still pays it, which the medians ignore.

    ``around_round``, when given, makes a context manager that each round
    runs inside, such as a transaction. Return, for each variant, one list
    of samples per round.
    """
    names = list(variants)
    for name in names:
        for _ in range(warmup):
            variants[name]()
    samples: Samples = {name: [] for name in names}
    clock = time.perf_counter_ns
    for round_number in range(rounds):
        shift = round_number % len(names)
        context = around_round() if around_round else contextlib.nullcontext()
        with context, collector_paused():
            for name in names[shift:] + names[:shift]:
                call = variants[name]
                run = [0.0] * per_round
                for index in range(per_round):
                    started = clock()
                    call()
                    run[index] = (clock() - started) / 1000
                samples[name].append(run)
    return samples


def flat(rounds: Sequence[Sequence[float]]) -> list[float]:
    return [value for values in rounds for value in values]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def round_medians(samples: Samples) -> dict[str, list[float]]:
    """Return each variant's median in each round."""
    return {name: [median(r) for r in rounds] for name, rounds in samples.items()}


def ratio_of_rounds(
    medians: Mapping[str, Sequence[float]],
    numerator: str,
    denominator: str,
    *,
    floor: str | None = None,
    denominator_floor: str | None = None,
) -> float:
    """Return the median over rounds of one variant's cost over another's.

    With ``floor``, each cost is taken above that variant's in the same
    round (``denominator_floor`` overrides it for the denominator), so the
    ratio compares what each adds rather than what each costs.
    """
    base = denominator_floor or floor
    ratios = []
    for index in range(len(medians[numerator])):
        top = medians[numerator][index]
        bottom = medians[denominator][index]
        if floor is not None:
            top -= medians[floor][index]
        if base is not None:
            bottom -= medians[base][index]
        # A round in which noise made the denominator vanish says nothing.
        if bottom > 0:
            ratios.append(top / bottom)
    return median(ratios) if ratios else float("nan")


# --- The report ------------------------------------------------------------


@dataclass
class Table:
    """A table of figures, with a title and notes under it."""

    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Bar:
    """A bar of DESIGN.md, with the figure measured against it."""

    name: str
    value: float
    limit: float
    unit: str = "x"
    at_most: bool = True

    @property
    def met(self) -> bool:
        if self.at_most:
            return self.value <= self.limit
        return self.value >= self.limit


@dataclass
class Report:
    """What one benchmark measured on one database."""

    benchmark: str
    database: str
    quick: bool
    tables: list[Table] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        result = asdict(self)
        for bar, as_dict in zip(self.bars, result["bars"], strict=True):
            as_dict["met"] = bar.met
        return result


def cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN: nothing to show
            return "n/a"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def format_table(table: Table, *, markdown: bool = False) -> str:
    cells = [[cell(value) for value in row] for row in table.rows]
    if markdown:
        lines = [f"**{table.title}**", ""]
        lines.append("| " + " | ".join(table.columns) + " |")
        lines.append("|" + "|".join("---" for _ in table.columns) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        lines += [""] + [f"{note}" for note in table.notes]
        return "\n".join(lines).rstrip() + "\n"
    widths = [
        max([len(column)] + [len(row[i]) for row in cells])
        for i, column in enumerate(table.columns)
    ]

    # The first column names the variant and reads left to right; figures
    # line up on the right.
    def line(values: Sequence[str]) -> str:
        first = values[0].ljust(widths[0])
        rest = [v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    lines = [table.title, line(table.columns)]
    lines.append("  ".join("-" * width for width in widths))
    lines += [line(row) for row in cells]
    lines += [f"  {note}" for note in table.notes]
    return "\n".join(lines) + "\n"


def format_bar(bar: Bar) -> str:
    verdict = "met" if bar.met else "MISSED"
    relation = "<=" if bar.at_most else ">="
    return (
        f"{verdict:>6}  {bar.name}: {cell(bar.value)}{bar.unit} "
        f"(bar {relation} {cell(bar.limit)}{bar.unit})"
    )


def parser(description: str) -> argparse.ArgumentParser:
    """Return the options every benchmark script takes."""
    options = argparse.ArgumentParser(description=description)
    options.add_argument("--database", choices=DATABASES, default="sqlite")
    options.add_argument(
        "--quick", action="store_true", help="fewer rounds, smaller data: a smoke test"
    )
    options.add_argument(
        "--json", type=Path, help="also write the report to this file, for run.py"
    )
    return options


def finish(report: Report, args: argparse.Namespace) -> None:
    """Print the report, and write it as JSON when ``--json`` asks."""
    for table in report.tables:
        print(format_table(table))
    for bar in report.bars:
        print(format_bar(bar))
    if args.json is not None:
        args.json.write_text(json.dumps(report.to_json(), indent=1) + "\n")


# --- The machine -----------------------------------------------------------


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _postgres_version() -> str:
    import psycopg

    try:
        with psycopg.connect(
            host="127.0.0.1",
            port=os.environ.get("VALET_BENCH_PG_PORT", "5432"),
            user=os.environ.get("VALET_BENCH_PG_USER", "postgres"),
            dbname="postgres",
            connect_timeout=3,
        ) as connection:
            row = connection.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return "not reachable"
    return str(row[0]) if row else "unknown"


def environment() -> dict[str, str]:
    """Describe the machine and the versions the figures come from."""
    import sqlite3

    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{_cpu_model()}, {os.cpu_count()} cores, {platform.system()}",
        "load average at start": ", ".join(f"{value:.1f}" for value in load),
        "Python": platform.python_version(),
        "Django": _version("Django"),
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": _postgres_version(),
        "psycopg": _version("psycopg"),
        "djangorestframework": _version("djangorestframework"),
        "djangorestframework-api-key": _version("djangorestframework-api-key"),
        "django-rest-knox": _version("django-rest-knox"),
        "gunicorn": _version("gunicorn"),
        "requests": _version("requests"),
        "valet-keys": _version("valet-keys"),
    }
