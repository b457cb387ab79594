"""Draw the figures of the performance page from a run's JSON reports.

Run: ``python benchmarks/plots.py [RESULTS_FOLDER]`` (``run.py`` calls it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import harness

VALET_COLOUR = "#1f6f43"
LIMIT_COLOUR = "#6b6b6b"
PEER_COLOUR = "#8fa9c7"
OTHER_COLOUR = "#c8c8c8"


def _save(figure: Any, path: Path) -> None:
    """Write a PNG small enough to keep in the repository."""
    from PIL import Image

    figure.savefig(path, dpi=110)
    # A chart has a few dozen colours; a palette holds them in a third of
    # the bytes of full colour.
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=64).save(path, optimize=True)


def _load(folder: Path, name: str) -> dict[str, Any] | None:
    path = folder / f"{name}.json"
    if not path.exists():
        return None
    result: dict[str, Any] = json.loads(path.read_text())
    return result


def per_request(folder: Path) -> Path | None:
    """Plot what each variant adds to a request, one panel per database."""
    import matplotlib.pyplot as plt

    reports = {
        database: report
        for database in harness.DATABASES
        if (report := _load(folder, f"request_cost-{database}")) is not None
    }
    if not reports:
        return None
    figure, axes = plt.subplots(
        1, len(reports), figsize=(6.4 * len(reports), 3.8), squeeze=False
    )
    for axis, (database, report) in zip(axes[0], reports.items(), strict=True):
        rows = report["data"]["variants"]
        floors = {row["floor"] for row in rows.values()}
        # The decorator's layers (indented names) are in the table, not here.
        names = [
            name for name in rows if name not in floors and not name.startswith(" ")
        ]
        # Cheapest at the top, so the eye reads from the limit downwards.
        names.sort(key=lambda name: rows[name]["added"], reverse=True)
        added = [rows[name]["added"] for name in names]
        colours = [
            VALET_COLOUR
            if "valet" in name.lower()
            else LIMIT_COLOUR
            if "hand-written" in name
            else OTHER_COLOUR
            if "ORM" in name
            else PEER_COLOUR
            for name in names
        ]
        bars = axis.barh(names, added, color=colours)
        limit = [rows[name]["added"] for name in names if "hand-written" in name]
        if limit:
            axis.axvline(
                1.25 * limit[0],
                color="#b5452b",
                linewidth=1,
                linestyle=":",
                label="bar: 1.25x the hand-written SELECT",
            )
            axis.legend(frameon=False, loc="upper right", fontsize=8)
        axis.bar_label(bars, labels=[f"{value:,.0f}" for value in added], padding=3)
        axis.set_title(f"{database}: added to a request (median µs)")
        axis.set_xlim(0, max(added) * 1.18)
        axis.spines[["top", "right"]].set_visible(False)
        axis.tick_params(axis="y", length=0)
    figure.text(
        0.01,
        0.01,
        "Through the test client and all middleware; REST framework variants "
        "above a REST framework view without authentication.",
        fontsize=8,
        color=LIMIT_COLOUR,
    )
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    path = folder / "per-request.png"
    _save(figure, path)
    plt.close(figure)
    return path


def history(folder: Path) -> Path | None:
    """Plot the history page's time against the number of actions."""
    import matplotlib.pyplot as plt

    report = _load(folder, "history_page-postgresql")
    if report is None:
        return None
    rows = report["data"]["pages"].values()
    figure, axis = plt.subplots(figsize=(6.4, 3.8))
    for page, style in (("first page", "o-"), ("deep page", "s--")):
        points = sorted(
            (row["actions"], row["median ms"]) for row in rows if row["page"] == page
        )
        axis.plot(
            [count for count, _ in points],
            [ms for _, ms in points],
            style,
            label=page,
            color=VALET_COLOUR if page == "first page" else LIMIT_COLOUR,
        )
    smallest = min(row["median ms"] for row in rows if row["page"] == "first page")
    axis.axhline(
        2 * smallest,
        color="#b5452b",
        linewidth=1,
        linestyle=":",
        label="bar: 2x the first page at the fewest",
    )
    axis.set_xscale("log")
    axis.set_ylim(0, 2.4 * smallest)
    axis.set_xlabel("actions of the key (log scale)")
    axis.set_ylabel("median ms per page")
    axis.set_title("History page on PostgreSQL, through the test client")
    axis.spines[["top", "right"]].set_visible(False)
    axis.legend(frameon=False)
    figure.tight_layout()
    path = folder / "history.png"
    _save(figure, path)
    plt.close(figure)
    return path


def draw(folder: Path) -> list[Path]:
    import matplotlib

    # No display is needed, or wanted, to write a PNG.
    matplotlib.use("Agg")
    return [path for path in (per_request(folder), history(folder)) if path]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else harness.BENCHMARKS / "results"
    for drawn in draw(target):
        print(drawn)
