"""Flags per agent per day as a stacked bar chart, laid out here and drawn as inline SVG
by the template: no JavaScript, no build step, nothing fetched."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

COLOURS = ("#c0392b", "#2471a3", "#d68910", "#229954", "#7d3c98", "#17a589", "#5d6d7e")
WIDTH, HEIGHT = 900, 220
LEFT, BOTTOM, TOP = 40, 24, 10
MAX_DAYS = 400
"""Longer windows show their last MAX_DAYS days."""


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    legend: list[tuple[str, str]]
    total: int


def days_between(first: dt.date, last: dt.date) -> list[str]:
    """Every day from `first` to `last` inclusive (at most MAX_DAYS, the latest), ISO."""
    first = max(first, last - dt.timedelta(days=MAX_DAYS - 1))
    count = (last - first).days + 1
    return [(first + dt.timedelta(days=i)).isoformat() for i in range(max(count, 0))]


def stacked_bars(flags: dict[str, dict[str, int]], days: list[str]) -> Chart:
    """Lay out one stacked bar per day, one coloured block per agent, agents by name."""
    agents = sorted(flags)
    colour = {a: COLOURS[i % len(COLOURS)] for i, a in enumerate(agents)}
    per_day = [sum(flags[a].get(d, 0) for a in agents) for d in days]
    peak = max(per_day, default=0) or 1
    plot_w = WIDTH - LEFT - 10
    plot_h = HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(days), 1)
    bar_w = max(step * 0.8, 1.0)
    bars: list[Bar] = []
    for i, day in enumerate(days):
        base = float(HEIGHT - BOTTOM)
        for agent in agents:
            n = flags[agent].get(day, 0)
            if not n:
                continue
            h = n / peak * plot_h
            base -= h
            bars.append(Bar(LEFT + i * step, base, bar_w, h, colour[agent], f"{day} {agent}: {n}"))
    every = max(1, len(days) // 8)
    x_ticks = [
        Tick(LEFT + i * step + bar_w / 2, HEIGHT - 6, day[5:])
        for i, day in enumerate(days)
        if i % every == 0
    ]
    y_ticks = [
        Tick(LEFT - 6, HEIGHT - BOTTOM - plot_h * f, str(round(peak * f))) for f in (0.0, 0.5, 1.0)
    ]
    return Chart(
        WIDTH, HEIGHT, bars, x_ticks, y_ticks, [(a, colour[a]) for a in agents], sum(per_day)
    )
