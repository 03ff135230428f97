"""Charts as plain SVG, drawn on the server: bar, stacked bar and line.

Every chart has an accessible ``<title>`` and ``<desc>`` (the figures in words), axis labels, a ``<title>`` on
each bar or point for a hover tooltip, and the numbers written on the bars when they fit. No script, no
stylesheet: colours are presentation attributes, so the page's content security policy needs nothing extra.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH = 640
HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 58, 16, 34, 64
PALETTE = ("#b42318", "#dc6803", "#1f6feb", "#12805c", "#7a4cc2", "#5c6670")
MAX_LABELS = 13
MAX_LABEL_CHARS = 16
NO_VALUE = "\u2013"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    colour: str = ""


@dataclass(frozen=True)
class Frame:
    """The plotting area and its vertical scale."""

    top: float
    step: float
    ticks: int

    @property
    def left(self) -> float:
        return LEFT

    @property
    def right(self) -> float:
        return WIDTH - RIGHT

    @property
    def y0(self) -> float:
        return TOP

    @property
    def y1(self) -> float:
        return HEIGHT - BOTTOM

    def y(self, value: float) -> float:
        return self.y1 - (self.y1 - self.y0) * (value / self.top)

    def slot(self, count: int) -> float:
        return (self.right - self.left) / max(count, 1)


def number(value: float | None) -> str:
    """1 → "1", 1.5 → "1.5", 0.333… → "0.33", nothing → a dash."""
    if value is None:
        return NO_VALUE
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def nice_scale(largest: float) -> tuple[float, float, int]:
    """An axis top, step and tick count covering ``largest`` with about four round steps."""
    if largest <= 0 or math.isnan(largest):
        return 1.0, 0.25, 4
    raw = largest / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = max(1, math.ceil(largest / step - 1e-9))
    return step * ticks, step, ticks


def _text(x: float, y: float, body: str, *, anchor: str = "middle", size: int = 11, fill: str = "#3d4650",
          extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}"'
            f' font-family="system-ui, sans-serif"{extra}>{escape(body)}</text>')


def _short(label: str) -> str:
    """An axis label that fits its slot: a week's date as MM-DD (the caption and CSV carry the year)."""
    if ISO_DATE.fullmatch(label):
        return label[5:]
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def _open(title: str, description: str, key: str) -> list[str]:
    ident = "chart-" + "".join(c if c.isalnum() or c == "_" else "-" for c in key)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img"'
        f' aria-labelledby="{ident}-title {ident}-desc" class="chart" id={quoteattr(ident)}>',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]


def _axes(frame: Frame, x_label: str, y_label: str) -> list[str]:
    parts = []
    for index in range(frame.ticks + 1):
        value = frame.step * index
        y = frame.y(value)
        parts.append(f'<line x1="{frame.left}" y1="{y:.1f}" x2="{frame.right}" y2="{y:.1f}" stroke="#d9dee3"'
                     ' stroke-width="1"/>')
        parts.append(_text(frame.left - 6, y + 4, number(value), anchor="end", size=10))
    parts.append(f'<line x1="{frame.left}" y1="{frame.y1}" x2="{frame.right}" y2="{frame.y1}" stroke="#5c6670"/>')
    parts.append(f'<line x1="{frame.left}" y1="{frame.y0}" x2="{frame.left}" y2="{frame.y1}" stroke="#5c6670"/>')
    parts.append(_text((frame.left + frame.right) / 2, HEIGHT - 6, x_label, size=11))
    middle = (frame.y0 + frame.y1) / 2
    parts.append(_text(14, middle, y_label, size=11, extra=f' transform="rotate(-90 14 {middle:.1f})"'))
    return parts


def _x_labels(frame: Frame, categories: Sequence[str], *, slanted: bool) -> list[str]:
    parts = []
    slot = frame.slot(len(categories))
    every = max(1, math.ceil(len(categories) / MAX_LABELS))
    for index, label in enumerate(categories):
        if index % every:
            continue
        x = frame.left + slot * (index + 0.5)
        y = frame.y1 + 16
        if slanted:
            parts.append(_text(x, y, _short(label), anchor="end", size=10,
                               extra=f' transform="rotate(-30 {x:.1f} {y:.1f})"'))
        else:
            parts.append(_text(x, y, _short(label), size=10))
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    if len(series) < 2:
        return []
    parts = []
    x = float(WIDTH - RIGHT)
    for index in reversed(range(len(series))):
        item = series[index]
        width = 26 + 7 * len(item.name)
        x -= width
        parts.append(f'<rect x="{x:.1f}" y="10" width="10" height="10" fill="{_colour(series, index)}"/>')
        parts.append(_text(x + 14, 19, item.name, anchor="start", size=11))
    return parts


def _colour(series: Sequence[Series], index: int) -> str:
    return series[index].colour or PALETTE[index % len(PALETTE)]


def _describe(categories: Sequence[str], series: Sequence[Series], unit: str) -> str:
    if not categories:
        return "No data."
    suffix = f" {unit}" if unit else ""
    lines = []
    for index, category in enumerate(categories):
        figures = ", ".join(f"{s.name} {number(s.values[index])}" for s in series) if len(series) > 1 \
            else number(series[0].values[index]) if series else ""
        lines.append(f"{category}: {figures}{suffix}")
    return "; ".join(lines) + "."


def _finish(parts: list[str]) -> str:
    parts.append("</svg>")
    return "\n".join(parts)


def _empty(parts: list[str], frame: Frame) -> str:
    parts.append(_text((frame.left + frame.right) / 2, (frame.y0 + frame.y1) / 2, "No data in this window",
                       size=13, fill="#5c6670"))
    return _finish(parts)


def bar_chart(*, key: str, title: str, categories: Sequence[str], series: Series, x_label: str, y_label: str,
              unit: str = "", slanted: bool = False) -> str:
    """One bar per category; an empty value (nothing to measure) draws no bar and says a dash."""
    values = [v for v in series.values if v is not None]
    frame = Frame(*nice_scale(max(values, default=0.0)))
    parts = _open(title, _describe(categories, [series], unit), key) + _axes(frame, x_label, y_label)
    if not categories:
        return _empty(parts, frame)
    slot = frame.slot(len(categories))
    width = slot * 0.7
    colour = series.colour or PALETTE[2]
    show_values = len(categories) <= 26
    for index, (category, value) in enumerate(zip(categories, series.values, strict=True)):
        x = frame.left + slot * index + (slot - width) / 2
        tip = f"{category}: {number(value)}{' ' + unit if unit else ''}"
        if value is not None:
            y = frame.y(value)
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{frame.y1 - y:.1f}"'
                         f' fill="{colour}"><title>{escape(tip)}</title></rect>')
        if show_values:
            top = frame.y(value) if value is not None else frame.y1
            parts.append(_text(x + width / 2, top - 4, number(value), size=10))
    parts += _x_labels(frame, categories, slanted=slanted)
    return _finish(parts)


def stacked_bar_chart(*, key: str, title: str, categories: Sequence[str], series: Sequence[Series], x_label: str,
                      y_label: str, unit: str = "") -> str:
    """Bars of several series stacked per category, the total written on top."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    frame = Frame(*nice_scale(max(totals, default=0.0)))
    parts = _open(title, _describe(categories, series, unit), key) + _axes(frame, x_label, y_label)
    parts += _legend(series)
    if not categories:
        return _empty(parts, frame)
    slot = frame.slot(len(categories))
    width = slot * 0.7
    for index, category in enumerate(categories):
        x = frame.left + slot * index + (slot - width) / 2
        base = 0.0
        for position, item in enumerate(series):
            value = item.values[index] or 0
            if value <= 0:
                continue
            y_top, y_base = frame.y(base + value), frame.y(base)
            tip = f"{category}: {item.name} {number(value)}{' ' + unit if unit else ''}"
            parts.append(f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{width:.1f}" height="{y_base - y_top:.1f}"'
                         f' fill="{_colour(series, position)}"><title>{escape(tip)}</title></rect>')
            base += value
        if len(categories) <= 26:
            parts.append(_text(x + width / 2, frame.y(totals[index]) - 4, number(totals[index]), size=10))
    parts += _x_labels(frame, categories, slanted=False)
    return _finish(parts)


def line_chart(*, key: str, title: str, categories: Sequence[str], series: Sequence[Series], x_label: str,
               y_label: str, unit: str = "") -> str:
    """A line per series; an empty value breaks the line (nothing was measured that week)."""
    values = [v for s in series for v in s.values if v is not None]
    frame = Frame(*nice_scale(max(values, default=0.0)))
    parts = _open(title, _describe(categories, series, unit), key) + _axes(frame, x_label, y_label)
    parts += _legend(series)
    if not values:
        return _empty(parts, frame)
    slot = frame.slot(len(categories))
    for position, item in enumerate(series):
        colour = _colour(series, position)
        run: list[str] = []
        for index, value in enumerate([*item.values, None]):
            if value is None:
                if len(run) > 1:
                    parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}"'
                                 ' stroke-width="2"/>')
                run = []
                continue
            x, y = frame.left + slot * (index + 0.5), frame.y(value)
            run.append(f"{x:.1f},{y:.1f}")
            tip = f"{categories[index]}: {item.name} {number(value)}{' ' + unit if unit else ''}"
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                         f'<title>{escape(tip)}</title></circle>')
    parts += _x_labels(frame, categories, slanted=False)
    return _finish(parts)
