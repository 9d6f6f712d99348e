"""Geometry for the campaign charts: open and click rates over time, and the list's sparklines.

Only numbers and labels are computed here; `templates/campaigns/_chart.html` and
`_sparkline.html` draw the SVG, so every piece of text goes through Jinja's autoescape.
Rates are fractions (0.42 = 42 %); time runs left to right in UTC.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

WIDTH, HEIGHT = 560, 300
LEFT, RIGHT, TOP, BOTTOM = 70, 24, 44, 56  # room for axis labels and the legend
MARKER_LIMIT = 40  # beyond this many points, markers would only blur the lines
STEPS = (0.02, 0.05, 0.1, 0.2)  # y-axis tick steps: 2 %, 5 %, 10 %, 20 %
MIN_SCALE = 0.1  # an all-zero history still gets a readable 0 to 10 % axis
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 100, 28, 3


class Reading(Protocol):
    taken_at: datetime
    open_rate: float
    click_rate: float


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    rate: float
    taken_at: datetime


@dataclass(frozen=True, slots=True)
class Series:
    key: str  # "open" | "click"
    label: str
    points: tuple[Point, ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str
    anchor: str = "middle"


@dataclass(frozen=True, slots=True)
class RateChart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    series: tuple[Series, Series]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    count: int
    markers: bool
    summary: str

    @property
    def lines(self) -> bool:
        return self.count > 1


def percent(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def _label(moment: datetime, *, with_time: bool, with_year: bool = True) -> str:
    moment = moment.astimezone(UTC)
    if with_time:
        return moment.strftime("%-d %b %H:%M")
    return moment.strftime("%-d %b %Y" if with_year else "%-d %b")


def _moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%-d %b %Y, %H:%M")


def y_scale(highest: float) -> tuple[float, float]:
    """(top of the axis, tick step): at most five steps, never below MIN_SCALE."""
    highest = max(highest, MIN_SCALE)
    for step in STEPS:
        steps = math.ceil(round(highest / step, 9))
        if steps <= 5:
            return steps * step, step
    step = STEPS[-1]
    return math.ceil(round(highest / step, 9)) * step, step


def _summary(readings: Sequence[Reading]) -> str:
    first, last = readings[0], readings[-1]
    if len(readings) == 1:
        return (
            f"One refresh, on {_moment(first.taken_at)} UTC: "
            f"open rate {percent(first.open_rate)}, click rate {percent(first.click_rate)}."
        )
    return (
        f"{len(readings)} refreshes from {_moment(first.taken_at)} to "
        f"{_moment(last.taken_at)} UTC. Open rate went from "
        f"{percent(first.open_rate)} to {percent(last.open_rate)}; click rate from "
        f"{percent(first.click_rate)} to {percent(last.click_rate)}."
    )


def rate_chart(readings: Sequence[Reading]) -> RateChart | None:
    """The chart for these readings (oldest first), or None when there is no history yet."""
    if not readings:
        return None
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    start, end = readings[0].taken_at, readings[-1].taken_at
    span = (end - start).total_seconds()
    y_max, step = y_scale(max(max(r.open_rate, r.click_rate) for r in readings))

    def x_of(moment: datetime) -> float:
        if span <= 0:
            return (left + right) / 2
        return left + (moment - start).total_seconds() / span * (right - left)

    def y_of(rate: float) -> float:
        return bottom - min(max(rate, 0.0), y_max) / y_max * (bottom - top)

    def series(key: str, label: str) -> Series:
        points = tuple(
            Point(
                x_of(r.taken_at),
                y_of(getattr(r, f"{key}_rate")),
                getattr(r, f"{key}_rate"),
                r.taken_at,
            )
            for r in readings
        )
        return Series(key, label, points)

    count = round(y_max / step)
    y_ticks = tuple(Tick(y_of(i * step), f"{i * step * 100:g} %", "end") for i in range(count + 1))
    with_time = span < 2 * 86400
    with_year = start.astimezone(UTC).year != end.astimezone(UTC).year
    if span <= 0:
        x_ticks = (Tick((left + right) / 2, _label(start, with_time=True)),)
    else:
        x_ticks = tuple(
            Tick(
                left + fraction * (right - left),
                _label(
                    datetime.fromtimestamp(start.timestamp() + fraction * span, UTC),
                    with_time=with_time,
                    with_year=with_year,
                ),
                anchor,
            )
            for fraction, anchor in ((0, "start"), (1 / 3, "middle"), (2 / 3, "middle"), (1, "end"))
        )
    return RateChart(
        width=WIDTH,
        height=HEIGHT,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        series=(series("open", "Open rate"), series("click", "Click rate")),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        count=len(readings),
        markers=len(readings) <= MARKER_LIMIT,
        summary=_summary(readings),
    )


@dataclass(frozen=True, slots=True)
class Sparkline:
    width: int
    height: int
    points: tuple[tuple[float, float], ...]
    label: str

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


def sparkline(readings: Sequence[Reading]) -> Sparkline | None:
    """Open rate over the last few refreshes (oldest first), scaled to the campaign's own best."""
    if not readings:
        return None
    highest = max(max(r.open_rate for r in readings), 0.05)
    inner_w, inner_h = SPARK_WIDTH - 2 * SPARK_PAD, SPARK_HEIGHT - 2 * SPARK_PAD
    last = len(readings) - 1
    points = tuple(
        (
            SPARK_PAD + (i / last * inner_w if last else inner_w / 2),
            SPARK_PAD + inner_h - min(r.open_rate, highest) / highest * inner_h,
        )
        for i, r in enumerate(readings)
    )
    first_rate, last_rate = readings[0].open_rate, readings[-1].open_rate
    if len(readings) == 1:
        label = f"Open rate at its only refresh: {percent(last_rate)}"
    else:
        label = (
            f"Open rate over the last {len(readings)} refreshes: "
            f"from {percent(first_rate)} to {percent(last_rate)}"
        )
    return Sparkline(SPARK_WIDTH, SPARK_HEIGHT, points, label)
