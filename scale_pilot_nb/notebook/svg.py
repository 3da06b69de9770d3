"""A small line chart as inline SVG text, so live plots need no plotting library.

matplotlib is not a dependency, and a notebook widget only needs a few polylines: an SVG
string goes straight into a ``widgets.HTML`` and renders the same in JupyterLab, nbconvert and
GitHub. Like :mod:`._markup`, the output depends only on the input (fixed palette, fixed number
formatting, no ids, no clock), so the same samples always give the same bytes, and every label
is escaped here, so callers cannot forget to.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

__all__ = ["PALETTE", "Series", "line_chart"]

#: Line colours, in legend order (distinguishable, also for common colour blindness).
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

# Plot area inside the canvas: room for y tick labels on the left, the legend on the right.
_LEFT, _TOP, _RIGHT, _BOTTOM = 72, 12, 170, 40
_FONT = 'font-family="sans-serif" font-size="11"'
_TEXT_COLOUR = "var(--jp-content-font-color1,#000)"
_GRID_COLOUR = "var(--jp-border-color2,#ccc)"


class Series(NamedTuple):
    """One line: its legend label and its values, oldest first."""

    label: str
    values: Sequence[float]


def line_chart(
    series: Sequence[Series],
    *,
    slots: int,
    y_label: str,
    x_label: str,
    format_value: Callable[[float], str] = "{:g}".format,
    width: int = 640,
    height: int = 240,
) -> str:
    """An ``<svg>`` with one polyline per series, a legend, and labelled axes.

    Series are right-aligned on ``slots`` positions (the newest value at the right edge), so
    the x scale stays put while a window fills up. The y axis runs from 0 (or the lowest
    value, if negative) to the highest value; non-finite values count as 0.

    Args:
        series: the lines, drawn and listed in this order (colours cycle through
            :data:`PALETTE`).
        slots: x positions, at least as many as the longest series has values.
        y_label: what the values are (the vertical axis title).
        x_label: what the positions are (the horizontal axis title).
        format_value: renders a value for the y ticks and the legend's latest values.
        width: canvas width in pixels.
        height: canvas height in pixels.

    Raises:
        ValueError: ``slots`` is smaller than a series, or less than 1.
    """
    longest = max((len(s.values) for s in series), default=0)
    if slots < max(1, longest):
        raise ValueError(f"slots must be at least 1 and at least {longest}, not {slots}")
    x0, y0 = _LEFT, _TOP
    x1, y1 = max(x0 + 1, width - _RIGHT), max(y0 + 1, height - _BOTTOM)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sp-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" {_FONT} fill="{_TEXT_COLOUR}">',
        f'<path d="M{x0} {y0}V{y1}H{x1}" fill="none" stroke="{_GRID_COLOUR}"/>',
        _text((x0 + x1) / 2, height - 6, x_label, anchor="middle"),
        _text(14, (y0 + y1) / 2, y_label, anchor="middle", rotate=True),
    ]
    values = [_finite(v) for s in series for v in s.values]
    if not values:
        parts.append(_text((x0 + x1) / 2, (y0 + y1) / 2, "no samples yet", anchor="middle"))
        return "".join(parts) + "</svg>"
    low, high = min(0.0, *values), max(values)
    if high <= low:
        high = low + 1.0
    step = (x1 - x0) / (slots - 1) if slots > 1 else 0.0

    def point(index: int, count: int, value: float) -> tuple[str, str]:
        x = x1 - (count - 1 - index) * step
        y = y1 - (_finite(value) - low) / (high - low) * (y1 - y0)
        return f"{x:.1f}", f"{y:.1f}"

    for value, y in ((high, y0), (low, y1)):
        parts.append(_text(x0 - 4, y + 4, format_value(value), anchor="end"))
    for index, line in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        count = len(line.values)
        points = [point(i, count, v) for i, v in enumerate(line.values)]
        if points:
            coords = " ".join(f"{x},{y}" for x, y in points)
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
                f'<circle cx="{points[-1][0]}" cy="{points[-1][1]}" r="2.5" fill="{colour}"/>'
            )
        legend_y = y0 + 6 + 16 * index
        latest = format_value(_finite(line.values[-1])) if count else "—"
        parts.append(
            f'<rect x="{x1 + 10}" y="{legend_y - 8}" width="10" height="10" fill="{colour}"/>'
            + _text(x1 + 24, legend_y + 1, f"{line.label} ({latest})")
        )
    return "".join(parts) + "</svg>"


def _finite(value: float) -> float:
    value = float(value)
    return value if math.isfinite(value) else 0.0


def _text(x: float, y: float, label: str, *, anchor: str = "start", rotate: bool = False) -> str:
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{turn}>{html.escape(label)}</text>'
