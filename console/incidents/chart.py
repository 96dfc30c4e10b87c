"""Geometry of the server-rendered SVG bar chart of monthly availability (no JavaScript needed)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from console.incidents.availability import TARGET, Availability

WIDTH, HEIGHT = 720, 220
LEFT, BOTTOM, TOP = 48, 28, 12
FLOOR = 99.0   # the axis starts at 99 % so that 99.8 % is readable; a worse month shows as an empty bar with its value


@dataclass(frozen=True)
class Bar:
    month: date
    percent: float
    x: float
    y: float
    width: float
    height: float
    met: bool

    @property
    def below_axis(self) -> bool:
        return self.percent < FLOOR


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    plot_bottom: float
    target_y: float
    bars: list[Bar]
    ticks: list[tuple[float, float]]   # (y, percent): the template writes the percent in the reader's locale


def _y(percent: float) -> float:
    share = min(1.0, max(0.0, (percent - FLOOR) / (100.0 - FLOOR)))
    return TOP + (1 - share) * (HEIGHT - TOP - BOTTOM)


def monthly_chart(months: list[tuple[date, Availability]]) -> Chart:
    slot = (WIDTH - LEFT) / max(1, len(months))
    plot_bottom = HEIGHT - BOTTOM
    bars = []
    for i, (month, result) in enumerate(months):
        y = _y(result.percent)
        bars.append(Bar(month, result.percent, LEFT + i * slot + slot * 0.15, y, slot * 0.7, plot_bottom - y,
                        result.met))
    ticks = [(_y(p), p) for p in (FLOOR, 99.5, TARGET * 100, 100.0)]
    return Chart(WIDTH, HEIGHT, LEFT, plot_bottom, _y(TARGET * 100), bars, ticks)
