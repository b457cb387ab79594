"""Load a real server with robots: gunicorn, PostgreSQL and the SDK.

Run: ``python benchmarks/http_load.py --database postgresql``

gunicorn serves the benchmark site on 127.0.0.1 with several sync workers
against PostgreSQL. Robot processes, each with its own key and a
``valet_keys_client.Client`` that never retries (so that every failure is
counted), call one endpoint as fast as they can for a bounded time:

- ``no auth``: a view with no authentication, the floor;
- ``valet key``: the same view behind ``@accepts_valet_key(required=True)``;
- ``valet key + log``: a POST that authenticates and calls ``key.log()``.

The endpoints take turns in interleaved rounds. Afterwards the logged
actions are counted and compared with the logging requests that succeeded.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import harness

ENDPOINTS = {
    "no auth": ("GET", "plain/no-auth/"),
    "valet key": ("GET", "robot/read/"),
    "valet key + log": ("POST", "robot/log/"),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(harness.BENCHMARKS), str(harness.ROOT), environment.get("PYTHONPATH", "")]
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            "benchsite.wsgi:application",
        ],
        cwd=harness.BENCHMARKS,
        env=environment,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with status {server.returncode}.")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start listening within 60 s.")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def robot(base_url: str, key_id: str, secret: str, orders: Any, results: Any) -> None:
    """Call endpoints as ordered until told to stop, reporting each run.

    Runs in its own process; it needs only the SDK, not Django.
    """
    from valet_keys_client import Client
    from valet_keys_client.exceptions import ValetKeyError

    with Client(base_url, key_id, secret, retries=0) as client:
        # One request first, so that a run does not time the connection
        # pool's setup or the first import of anything.
        client.get(ENDPOINTS["no auth"][1])
        results.put("ready")
        while (order := orders.get()) is not None:
            name, start_at, seconds = order
            method, path = ENDPOINTS[name]
            latencies: list[float] = []
            errors = 0
            time.sleep(max(0.0, start_at - time.time()))
            deadline = time.perf_counter() + seconds
            while (started := time.perf_counter()) < deadline:
                try:
                    client.request(method, path)
                except ValetKeyError:
                    errors += 1
                else:
                    latencies.append((time.perf_counter() - started) * 1000)
            results.put((name, latencies, errors))


def main() -> None:
    args = harness.parser(__doc__.splitlines()[0]).parse_args()
    if args.database != "postgresql":
        sys.exit("The load test runs on PostgreSQL only.")
    harness.start(args.database, "http")

    from django.contrib.auth import get_user_model
    from django.db import connections

    from valet_keys.models import Key, KeyAction

    robots = 4
    workers = 2 * (os.cpu_count() or 1)
    rounds, seconds = (1, 2.0) if args.quick else (4, 5.0)

    owner = get_user_model().objects.create(username="robot-owner")
    credentials = []
    for number in range(robots):
        key, secret = Key.objects.mint(owner, f"load robot {number}")
        credentials.append((key.key_id, secret))
    connections.close_all()

    port = free_port()
    base_url = f"http://127.0.0.1:{port}/"
    server = start_server(port, workers)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    orders = [context.Queue() for _ in range(robots)]
    processes = [
        context.Process(
            target=robot, args=(base_url, key_id, secret, orders[n], results)
        )
        for n, (key_id, secret) in enumerate(credentials)
    ]
    latencies: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
    errors = dict.fromkeys(ENDPOINTS, 0)
    elapsed = dict.fromkeys(ENDPOINTS, 0.0)
    per_round: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
    warmup_logged = 0
    try:
        for process in processes:
            process.start()
        for _ in processes:
            if results.get(timeout=120) != "ready":
                sys.exit("A robot did not start.")
        names = list(ENDPOINTS)

        def run(name: str, seconds: float) -> tuple[list[float], int]:
            start_at = time.time() + 0.5
            for queue in orders:
                queue.put((name, start_at, seconds))
            run_latencies: list[float] = []
            run_errors = 0
            for _ in processes:
                _, robot_latencies, robot_errors = results.get(timeout=seconds + 120)
                run_latencies += robot_latencies
                run_errors += robot_errors
            return run_latencies, run_errors

        # Every worker opens its database connection and imports its views
        # during a first, untimed second on each endpoint.
        for name in names:
            warmup_latencies, warmup_errors = run(name, 1.0)
            if name == "valet key + log":
                warmup_logged = len(warmup_latencies)
            errors[name] += warmup_errors
        for round_number in range(rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                run_latencies, run_errors = run(name, seconds)
                latencies[name] += run_latencies
                errors[name] += run_errors
                elapsed[name] += seconds
                per_round[name].append((len(run_latencies) + run_errors) / seconds)
        for queue in orders:
            queue.put(None)
        for process in processes:
            process.join(timeout=60)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        stop_server(server)

    logged = KeyAction.objects.filter(action="bench.pinged").count()
    logging_requests = len(latencies["valet key + log"]) + warmup_logged
    report = harness.Report("http_load", args.database, args.quick)
    rows = {}
    for name in ENDPOINTS:
        values = sorted(latencies[name])
        ratios = [
            mine / floor
            for mine, floor in zip(per_round[name], per_round["no auth"], strict=True)
        ]
        rows[name] = {
            "requests": len(values),
            "per second": len(values) / elapsed[name],
            "p50 ms": harness.median(values) if values else float("nan"),
            "p99 ms": values[int(len(values) * 0.99)] if values else float("nan"),
            "errors": errors[name],
            "x no auth": harness.median(ratios),
        }
    report.data = {
        "endpoints": rows,
        "logged": logged,
        "logging requests": logging_requests,
        "robots": robots,
        "workers": workers,
    }
    table = harness.Table(
        "Real HTTP: gunicorn and PostgreSQL, robots using the SDK",
        [
            "endpoint",
            "requests",
            "requests/s",
            "x no auth",
            "p50 ms",
            "p99 ms",
            "errors",
        ],
    )
    for name, row in rows.items():
        table.rows.append(
            [
                name,
                row["requests"],
                row["per second"],
                row["x no auth"],
                row["p50 ms"],
                row["p99 ms"],
                row["errors"],
            ]
        )
    table.notes += [
        f"gunicorn with {workers} sync workers on 127.0.0.1, {robots} robot "
        f"processes, all on the same {os.cpu_count()} cores as PostgreSQL; "
        f"{rounds} interleaved rounds of {seconds:.0f} s per endpoint.",
        f"Actions logged: {logged:,}; logging requests that succeeded: "
        f"{logging_requests:,}, of which {warmup_logged} in the untimed "
        "warm-up.",
    ]
    report.tables.append(table)
    report.bars.append(
        harness.Bar(
            "errors under load (postgresql)",
            sum(errors.values()),
            0,
            unit="",
        )
    )
    report.bars.append(
        harness.Bar(
            "logged actions missing after the load (postgresql)",
            abs(logging_requests - logged),
            0,
            unit="",
        )
    )
    harness.finish(report, args)


if __name__ == "__main__":
    main()
