"""Run every benchmark in one go, print the tables and the bars, draw plots.

Run: ``python benchmarks/run.py [--quick] [--only NAME,...]``

Each benchmark runs in a process of its own, on a fresh database of its own
(SQLite in a temporary file, PostgreSQL at 127.0.0.1:5432 under a
``bench_vk_*`` name), and removes it when done. The tables are printed as
they come; at the end come the bars of DESIGN.md with the figure measured
against each, and the results are written to ``benchmarks/results/``: one
JSON file per benchmark, ``summary.md`` with every table, and the plots.

``--quick`` runs fewer rounds on smaller data and takes about a minute and
a half: a smoke test, whose figures are too noisy to quote. Benchmarks never
fail a build on a figure; the exit status is non-zero only when one could
not run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import harness

# name, script, databases
BENCHMARKS = [
    ("request", "request_cost.py", ("sqlite", "postgresql")),
    ("mint", "minting.py", ("sqlite", "postgresql")),
    ("log", "action_log.py", ("sqlite", "postgresql")),
    ("history", "history_page.py", ("postgresql",)),
    ("http", "http_load.py", ("postgresql",)),
]
PLUGIN_SCRIPT = harness.BENCHMARKS / "plugin_fixtures.py"


def run_benchmark(script: str, database: str, quick: bool, output: Path) -> bool:
    command = [sys.executable, str(harness.BENCHMARKS / script)]
    command += ["--database", database, "--json", str(output)]
    if quick:
        command.append("--quick")
    print(f"$ python benchmarks/{script} --database {database}", flush=True)
    started = time.perf_counter()
    completed = subprocess.run(command, check=False)
    print(f"({time.perf_counter() - started:.0f} s)\n", flush=True)
    return completed.returncode == 0


def run_plugin_benchmark(quick: bool, output: Path) -> bool:
    """Run the plugin's fixture-cost benchmark, which keeps its own format."""
    command = [sys.executable, str(PLUGIN_SCRIPT)]
    if quick:
        command.append("--quick")
    print(f"$ python benchmarks/{PLUGIN_SCRIPT.name}", flush=True)
    completed = subprocess.run(
        command, check=False, capture_output=True, text=True, cwd=harness.ROOT
    )
    print(completed.stdout, end="")
    print(completed.stderr, end="", file=sys.stderr)
    output.write_text(completed.stdout)
    return completed.returncode == 0


def summary(reports: list[dict[str, object]], plugin_output: str | None) -> str:
    """Return every table and bar as Markdown, with the machine on top."""
    lines = ["# Benchmark results", ""]
    lines += [f"- {name}: {value}" for name, value in harness.environment().items()]
    lines.append("")
    for report in reports:
        for table in report["tables"]:  # type: ignore[attr-defined]
            lines.append(harness.format_table(harness.Table(**table), markdown=True))
    if plugin_output:
        lines += ["**Plugin fixtures**", "", "```", plugin_output.rstrip(), "```", ""]
    lines += ["**Bars**", ""]
    for report in reports:
        for bar in report["bars"]:  # type: ignore[attr-defined]
            met = "met" if bar["met"] else "**missed**"
            relation = "<=" if bar["at_most"] else ">="
            value = harness.cell(bar["value"]) + bar["unit"]
            limit = harness.cell(bar["limit"]) + bar["unit"]
            lines.append(f"- {met}: {bar['name']}: {value} (bar {relation} {limit})")
    return "\n".join(lines) + "\n"


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--quick", action="store_true", help="a smoke test")
    options.add_argument(
        "--only",
        help="comma-separated benchmarks to run, of: "
        + ", ".join([name for name, _, _ in BENCHMARKS] + ["plugin"]),
    )
    options.add_argument(
        "--databases",
        default=",".join(harness.DATABASES),
        help="comma-separated databases to run on (default: all)",
    )
    options.add_argument(
        "--output",
        type=Path,
        default=harness.BENCHMARKS / "results",
        help="where to write results and plots (default: benchmarks/results)",
    )
    args = options.parse_args()
    selected = set(args.only.split(",")) if args.only else None
    databases = set(args.databases.split(","))
    args.output.mkdir(parents=True, exist_ok=True)

    print(
        "valet-keys benchmarks" + (" (quick: figures too noisy to quote)" * args.quick)
    )
    for name, value in harness.environment().items():
        print(f"  {name}: {value}")
    print(flush=True)

    started = time.perf_counter()
    failed = []
    reports = []
    for name, script, script_databases in BENCHMARKS:
        if selected is not None and name not in selected:
            continue
        for database in script_databases:
            if database not in databases:
                continue
            output = args.output / f"{Path(script).stem}-{database}.json"
            output.unlink(missing_ok=True)
            if run_benchmark(script, database, args.quick, output) and output.exists():
                reports.append(json.loads(output.read_text()))
            else:
                failed.append(f"{script} on {database}")

    plugin_output = None
    if selected is None or "plugin" in selected:
        if PLUGIN_SCRIPT.exists():
            output = args.output / "plugin_fixtures.txt"
            if run_plugin_benchmark(args.quick, output):
                plugin_output = output.read_text()
            else:
                failed.append(PLUGIN_SCRIPT.name)
        else:
            print(f"({PLUGIN_SCRIPT.name} is not in this checkout yet)\n")

    print("Bars of DESIGN.md")
    for report in reports:
        for bar in report["bars"]:
            print(
                harness.format_bar(
                    harness.Bar(**{k: bar[k] for k in bar if k != "met"})
                )
            )
    (args.output / "summary.md").write_text(summary(reports, plugin_output))

    import plots

    drawn = plots.draw(args.output)
    print(f"\nResults in {args.output}: summary.md, JSON per benchmark")
    for path in drawn:
        print(f"  plot: {path}")
    print(f"Done in {time.perf_counter() - started:.0f} s.")
    if failed:
        print("Could not run: " + "; ".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
