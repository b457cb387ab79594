"""Compare tests written with the plugin's fixtures to hand-written ones.

Two generated test modules, run side by side:

- *plugin*: each test uses ``valet_key`` and makes one request through
  ``robot`` (the real SDK client, routed in-process into Django);
- *baseline*: each test creates a user and makes one request through
  Django's test client.

Each round is one pytest run of both modules, their tests interleaved one
by one, so that both meet the same load on a shared machine. Each test is
timed from its setup to its teardown, by the wall clock and by the CPU time
of the test process; the first and last two tests are left out, as they
carry the creation and destruction of the test database. A round's ratio
is that of the two modules' totals, and the figure is the median of the
rounds' ratios. The bar is a ratio of at most 2.

Run from the project's root::

    python benchmarks/plugin_fixtures.py [--tests 1000] [--rounds 3]

``VALET_KEYS_TEST_DB`` picks the database, as for the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAR = 2.0

CONFTEST = """
import json
import os
import time

import pytest

durations = []


def pytest_collection_modifyitems(items):
    plugin = [item for item in items if item.module.__name__ == "test_plugin"]
    baseline = [item for item in items if item.module.__name__ == "test_baseline"]
    items[:] = [item for pair in zip(plugin, baseline) for item in pair]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        return (yield)
    finally:
        wall = time.perf_counter() - start
        cpu = time.process_time() - start_cpu
        durations.append((item.module.__name__, wall, cpu))


def pytest_sessionfinish(session):
    with open(os.environ["BENCHMARK_OUTPUT"], "w") as output:
        json.dump(durations[2:-2], output)
"""

PLUGIN_TESTS = """
import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("number", range({tests}))
def test_robot_request(valet_key, robot, number):
    assert robot.get("hello/").status_code == 200
"""

BASELINE_TESTS = """
import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("number", range({tests}))
def test_client_request(client, django_user_model, number):
    django_user_model.objects.create_user(username=f"user{{number}}")
    assert client.get("/hello/").status_code == 200
"""

INI = """
[pytest]
DJANGO_SETTINGS_MODULE = tests.settings
django_find_project = false
pythonpath = {root}
addopts = -q -p no:cacheprovider -p no:hypothesispytest
"""


def run(directory: Path) -> dict[str, tuple[float, float, int]]:
    """Run both modules once; return each one's wall and CPU time and count."""
    output = directory / "durations.json"
    environment = {**os.environ, "BENCHMARK_OUTPUT": str(output)}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "test_plugin.py", "test_baseline.py"],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"The benchmark failed:\n{completed.stdout}\n{completed.stderr}")
    totals: dict[str, tuple[float, float, int]] = {}
    for module, wall, cpu in json.loads(output.read_text()):
        total_wall, total_cpu, count = totals.get(module, (0.0, 0.0, 0))
        totals[module] = (total_wall + wall, total_cpu + cpu, count + 1)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="plugin-bench-") as name:
        directory = Path(name)
        (directory / "conftest.py").write_text(textwrap.dedent(CONFTEST))
        (directory / "pytest.ini").write_text(INI.format(root=ROOT))
        (directory / "test_plugin.py").write_text(
            PLUGIN_TESTS.format(tests=options.tests)
        )
        (directory / "test_baseline.py").write_text(
            BASELINE_TESTS.format(tests=options.tests)
        )

        ratios, cpu_ratios = [], []
        for round_number in range(1, options.rounds + 1):
            totals = run(directory)
            for module, (wall, cpu, count) in totals.items():
                print(
                    f"round {round_number}  {module:<13}  {count} tests  "
                    f"{wall:6.2f} s  (CPU {cpu:6.2f} s)"
                )
            plugin, baseline = totals["test_plugin"], totals["test_baseline"]
            ratios.append(plugin[0] / baseline[0])
            cpu_ratios.append(plugin[1] / baseline[1])
            print(
                f"round {round_number}  ratio {ratios[-1]:.2f}  "
                f"(CPU {cpu_ratios[-1]:.2f})"
            )

    database = os.environ.get("VALET_KEYS_TEST_DB", "sqlite")
    command = " ".join(["python", "benchmarks/plugin_fixtures.py", *sys.argv[1:]])
    print()
    print(f"database: {database}; {options.tests} tests per module")
    print(
        f"ratio of valet_key + robot request to user + test-client request: "
        f"{statistics.median(ratios):.2f} (median of {len(ratios)} rounds, "
        f"{min(ratios):.2f} to {max(ratios):.2f}; bar: at most {BAR:g})"
    )
    # On a shared machine the wall clock counts other processes' work too;
    # the CPU time of the test process does not, but misses the time a
    # database server spends, so it is a cross-check only on SQLite.
    print(
        f"CPU time of the test process: {statistics.median(cpu_ratios):.2f} "
        f"(median; {min(cpu_ratios):.2f} to {max(cpu_ratios):.2f})"
    )
    print(f"command: {command}")


if __name__ == "__main__":
    main()
