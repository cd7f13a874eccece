"""Weekly line charts drawn on the server as SVG: pure functions, no browser, no database.

Each partner is a line. Lines differ by colour (Okabe and Ito's colour-blind-safe palette) and
also by dash pattern and marker shape, and each is named by a label at its end, so a chart reads
in black-and-white print and without colour vision. A week without data (`None`) is a gap in
the line, never a zero. The SVG carries no `style` attribute or element: presentation attributes
only, so it renders under a `style-src 'self'` Content-Security-Policy. The numbers behind each
chart are shown beside it as a table by the page, not here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
# A narrower drawing for half an A4 page: its text comes out larger once scaled to fit.
COMPACT_WIDTH = 440
HEIGHT = 210
LEFT, RIGHT, TOP, BOTTOM = 44, 118, 12, 28
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
X_LABEL_SPACING = 58  # SVG units per week label on the horizontal axis
LABEL_GAP = 14  # the least vertical distance between two end labels, in SVG units
LABEL_CHARS = 14
TEXT = "#1f2933"
GRID = "#d9dde3"


@dataclass(frozen=True)
class LineStyle:
    colour: str
    dash: str | None
    marker: str


# Okabe & Ito (2008): blue, vermillion, bluish green, reddish purple.
STYLES = (
    LineStyle("#0072B2", None, "circle"),
    LineStyle("#D55E00", "7 4", "square"),
    LineStyle("#009E73", "2 3", "triangle"),
    LineStyle("#CC79A7", "9 3 2 3", "diamond"),
)


@dataclass(frozen=True)
class Line:
    label: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Axis:
    """The vertical scale: its range, where the grid lines go and how ticks are written."""

    low: float
    high: float
    ticks: tuple[float, ...]
    label: Callable[[float], str]


def count_axis(values: Sequence[float | None]) -> Axis:
    """From 0 to a round number at or above the largest count, in whole steps."""
    largest = max((v for v in values if v is not None), default=0)
    step = _nice_step(max(largest, 1) / 4)
    high = step * max(1, math.ceil(largest / step))
    ticks = tuple(step * i for i in range(int(round(high / step)) + 1))
    return Axis(0, high, ticks, lambda v: f"{v:.0f}")


def rate_axis() -> Axis:
    return Axis(0, 1, (0, 0.25, 0.5, 0.75, 1), lambda v: f"{round(v * 100)}%")


def rating_axis() -> Axis:
    return Axis(1, 5, (1, 2, 3, 4, 5), lambda v: f"{v:.0f}")


def _nice_step(raw: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... at or above `raw`: grid lines on round counts."""
    magnitude = 10 ** max(0, math.floor(math.log10(raw))) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return int(factor * magnitude)
    return int(10 * magnitude)  # pragma: no cover - the loop always returns


def _x(index: int, count: int, plot_width: float) -> float:
    if count <= 1:
        return LEFT + plot_width / 2
    return LEFT + index * plot_width / (count - 1)


def _y(value: float, axis: Axis) -> float:
    span = axis.high - axis.low or 1
    share = min(1.0, max(0.0, (value - axis.low) / span))
    return TOP + PLOT_HEIGHT * (1 - share)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def runs(values: Sequence[float | None]) -> list[list[int]]:
    """The indexes of each unbroken stretch of known values: a `None` breaks the line."""
    found: list[list[int]] = []
    current: list[int] = []
    for index, value in enumerate(values):
        if value is None:
            if current:
                found.append(current)
            current = []
        else:
            current.append(index)
    if current:
        found.append(current)
    return found


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    common = f'fill="{colour}" stroke="#ffffff" stroke-width="1"'
    if shape == "circle":
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3.8" {common}/>'
    if shape == "square":
        return f'<rect x="{_num(x - 3.5)}" y="{_num(y - 3.5)}" width="7" height="7" {common}/>'
    if shape == "triangle":
        corners = [(x, y - 4.5), (x + 4.5, y + 3.5), (x - 4.5, y + 3.5)]
    else:
        corners = [(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)]
    points = " ".join(f"{_num(cx)},{_num(cy)}" for cx, cy in corners)
    return f'<polygon points="{points}" {common}/>'


def _dash(style: LineStyle) -> str:
    return f' stroke-dasharray="{style.dash}"' if style.dash else ""


def _spread(wanted: list[float]) -> list[float]:
    """End-label positions at least LABEL_GAP apart, as near as possible to where wanted."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed = [0.0] * len(wanted)
    floor = TOP + 4
    for i in order:
        placed[i] = max(wanted[i], floor)
        floor = placed[i] + LABEL_GAP
    overflow = max(placed, default=0) - (TOP + PLOT_HEIGHT - 4)
    if overflow > 0:
        placed = [p - overflow for p in placed]
    return placed


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def line_chart(
    *,
    chart_id: str,
    title: str,
    x_labels: Sequence[str],
    lines: Sequence[Line],
    axis: Axis,
    empty_text: str,
    width: int = WIDTH,
) -> Markup:
    """One chart: a line per partner over the weeks in `x_labels`, on `axis`.

    Every line has one value (or None) per label. Text is escaped; `chart_id` names the SVG's
    title for assistive technology and must be unique on the page.
    """
    plot_width = width - LEFT - RIGHT
    count = len(x_labels)
    for line in lines:
        if len(line.values) != count:
            raise ValueError(f"{line.label!r} has {len(line.values)} values for {count} weeks")
    title_id = escape(f"{chart_id}-title")
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {HEIGHT}" '
        f'role="img" aria-labelledby="{title_id}" font-size="11" fill="{TEXT}">',
        f'<title id="{title_id}">{escape(title)}</title>',
    ]
    for tick in axis.ticks:
        y = _num(_y(tick, axis))
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_width}" y1="{y}" y2="{y}" stroke="{GRID}" '
            'stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y}" dy="0.35em" text-anchor="end">'
            f"{escape(axis.label(tick))}</text>"
        )
    step = max(1, math.ceil(count / max(2, plot_width // X_LABEL_SPACING)))
    for index, label in enumerate(x_labels):
        if index % step and index != count - 1:
            continue
        if index != count - 1 and count - 1 - index < step:
            continue  # the last week is always labelled; keep its neighbour from crowding it
        parts.append(
            f'<text x="{_num(_x(index, count, plot_width))}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )

    if not any(v is not None for line in lines for v in line.values):
        parts.append(
            f'<text class="chart-empty" x="{LEFT + plot_width / 2:.0f}" '
            f'y="{TOP + PLOT_HEIGHT / 2:.0f}" text-anchor="middle">{escape(empty_text)}</text>'
        )
        parts.append("</svg>")
        return Markup("".join(parts))

    ends: list[tuple[int, float]] = []
    for number, line in enumerate(lines):
        style = STYLES[number % len(STYLES)]
        points = [
            (_x(i, count, plot_width), _y(v, axis)) if v is not None else None
            for i, v in enumerate(line.values)
        ]
        parts.append(f'<g class="series series-{number}">')
        for run in runs(line.values):
            if len(run) < 2:
                continue
            path = " ".join(
                f"{'M' if k == 0 else 'L'}{_num(points[i][0])},{_num(points[i][1])}"
                for k, i in enumerate(run)
            )
            parts.append(
                f'<path d="{path}" fill="none" stroke="{style.colour}" stroke-width="2.2" '
                f'stroke-linejoin="round"{_dash(style)}/>'
            )
        for point in points:
            if point is not None:
                parts.append(_marker(style.marker, point[0], point[1], style.colour))
        parts.append("</g>")
        last = next((p for p in reversed(points) if p is not None), None)
        if last is not None:
            ends.append((number, last[1]))

    # Direct labels at the right: a swatch of the line's own style, then the partner's name.
    placed = _spread([y for _, y in ends])
    label_x = LEFT + plot_width + 12
    for (number, _), y in zip(ends, placed, strict=True):
        style = STYLES[number % len(STYLES)]
        parts.append(
            f'<g class="label label-{number}">'
            f'<line x1="{label_x}" x2="{label_x + 22}" y1="{_num(y)}" y2="{_num(y)}" '
            f'stroke="{style.colour}" stroke-width="2.2"{_dash(style)}/>'
            f"{_marker(style.marker, label_x + 11, y, style.colour)}"
            f'<text x="{label_x + 28}" y="{_num(y)}" dy="0.35em">'
            f"{escape(_short(lines[number].label))}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def swatch(number: int) -> Markup:
    """A short sample of a line's style (colour, dash and marker), to key a table's column to
    its line."""
    style = STYLES[number % len(STYLES)]
    return Markup(
        '<svg class="swatch" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 28 12" '
        'width="28" height="12" aria-hidden="true">'
        f'<line x1="1" x2="27" y1="6" y2="6" stroke="{style.colour}" stroke-width="2.2"'
        f"{_dash(style)}/>{_marker(style.marker, 14, 6, style.colour)}</svg>"
    )
