"""Count the CPU instructions each variant adds to a request, under valgrind.

Run: ``python benchmarks/instructions.py`` (needs ``valgrind``; about five
minutes; not part of ``run.py``).

Timings on a shared machine move with its load; instruction counts do not.
Each variant runs in its own process under ``valgrind --tool=cachegrind``,
once with a warm-up only and once with a few hundred more requests through
the test client on SQLite; the difference, divided by the number of
requests, is what one request executes. An instruction count ignores cache
misses and memory stalls, which favour a shorter path still, so it is a
lower bound on what a lookup with more code costs over one with less; read
it beside the timed figures, not instead of them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import harness

VARIANTS = {
    "no auth": "/plain/no-auth/",
    "hand-written SELECT": "/plain/hand-select/",
    "@accepts_valet_key": "/plain/valet-key/",
    "  the same without throttling": "/plain/valet-key-unthrottled/",
    "  its authenticate_request() alone": "/plain/authenticate-only/",
    "  its key lookup alone": "/plain/lookup-only/",
}
REQUESTS = 300


def child(path: str, requests: int) -> None:
    """Serve ``requests`` requests after a warm-up; valgrind counts."""
    harness.start("sqlite", "instructions")
    from django.test import Client
    from request_cost import authorizations

    client = Client(HTTP_AUTHORIZATION=authorizations()["valet"])
    for _ in range(50):
        if client.get(path).status_code != 200:
            sys.exit(f"{path} did not answer 200.")
    for _ in range(requests):
        client.get(path)


def count(path: str, requests: int) -> int:
    environment = dict(os.environ, PYTHONHASHSEED="0")
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        path,
        str(requests),
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, env=environment, check=True
    )
    match = re.search(r"I\s+refs:\s+([\d,]+)", completed.stderr)
    if match is None:
        sys.exit(f"No instruction count in valgrind's output:\n{completed.stderr}")
    return int(match.group(1).replace(",", ""))


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--child", nargs=2, metavar=("PATH", "REQUESTS"))
    options.add_argument("--json", type=harness.Path)
    args = options.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("This benchmark needs valgrind on PATH.")

    jobs = [(path, n) for path in VARIANTS.values() for n in (0, REQUESTS)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = dict(zip(jobs, pool.map(lambda job: count(*job), jobs), strict=True))
    per_request = {
        name: (counts[(path, REQUESTS)] - counts[(path, 0)]) / REQUESTS
        for name, path in VARIANTS.items()
    }
    floor = per_request["no auth"]
    limit = per_request["hand-written SELECT"] - floor
    table = harness.Table(
        "Instructions per request through the test client, sqlite",
        ["variant", "instructions", "added", "added / SELECT's"],
    )
    for name, instructions in per_request.items():
        added = instructions - floor
        table.rows.append(
            [
                name,
                f"{instructions:,.0f}",
                "" if name == "no auth" else f"{added:,.0f}",
                "" if name == "no auth" else added / limit,
            ]
        )
    table.notes.append(
        f"valgrind --tool=cachegrind, {REQUESTS} requests after a warm-up of 50."
    )
    report = harness.Report("instructions", "sqlite", quick=False, tables=[table])
    report.data = {"per request": per_request}
    harness.finish(report, args)


if __name__ == "__main__":
    main()
