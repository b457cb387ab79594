"""An activity chart of a key's recent actions, drawn as SVG by the server."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ActivityChart", "Bar", "activity_chart"]

BUCKETS = 24
WIDTH = 480
HEIGHT = 120
AXIS_HEIGHT = 16


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    start: datetime.datetime
    end: datetime.datetime


@dataclass(frozen=True)
class ActivityChart:
    bars: Sequence[Bar]
    start: datetime.datetime | None
    end: datetime.datetime | None
    total: int
    peak: int
    width: int = WIDTH
    height: int = HEIGHT
    plot_height: int = HEIGHT - AXIS_HEIGHT


def activity_chart(timestamps: Sequence[datetime.datetime]) -> ActivityChart:
    """Count ``timestamps`` into equal spans of time between the oldest and
    the newest, and lay the counts out as bars.
    """
    if not timestamps:
        return ActivityChart(bars=(), start=None, end=None, total=0, peak=0)
    start, end = min(timestamps), max(timestamps)
    # A single instant still gets a visible span, so one bar can be drawn.
    span = max(end - start, datetime.timedelta(seconds=BUCKETS))
    step = span / BUCKETS
    counts = [0] * BUCKETS
    for moment in timestamps:
        index = min(int((moment - start) / step), BUCKETS - 1)
        counts[index] += 1

    peak = max(counts)
    plot_height = HEIGHT - AXIS_HEIGHT
    bar_width = WIDTH / BUCKETS
    bars = []
    for index, count in enumerate(counts):
        height = plot_height * count / peak
        bars.append(
            Bar(
                x=round(index * bar_width + 1, 2),
                y=round(plot_height - height, 2),
                width=round(bar_width - 2, 2),
                height=round(height, 2),
                count=count,
                start=start + step * index,
                end=start + step * (index + 1),
            )
        )
    return ActivityChart(
        bars=bars, start=start, end=start + span, total=len(timestamps), peak=peak
    )
