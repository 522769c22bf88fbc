"""Two small hand-written SVG charts: scaling lines (log-log) and horizontal bars.

No plotting library: the charts are a few dozen elements each, and plain SVG keeps the
site's build free of matplotlib. Every value drawn is passed in; nothing is computed here
but the geometry.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939",
)  # fmt: skip

_FONT = 'font-family="system-ui, sans-serif" font-size="12"'
_TITLE = 'font-family="system-ui, sans-serif" font-size="14" font-weight="bold"'


@dataclass(frozen=True)
class Bar:
    """One bar: a label, a value and its spread (drawn as a whisker)."""

    label: str
    value: float
    low: float
    high: float
    group: str = ""


@dataclass(frozen=True)
class Series:
    """One line of a scaling chart: ``points`` are (x, y) pairs.

    Series with the same ``color_key`` share a color; ``dash`` is an SVG dash pattern
    (empty: solid), so one row on three loops reads as one color, three strokes.
    """

    label: str
    points: Sequence[tuple[float, float]]
    color_key: str = ""
    dash: str = ""


def _nice(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


CHAR_W = 7.2
"""A generous width per character at font-size 12, so that no label is clipped."""


def text_width(text: str) -> float:
    """How wide ``text`` may be drawn at the charts' font size (an upper estimate)."""
    return CHAR_W * len(text)


def bars(title: str, unit: str, items: Sequence[Bar], legend: dict[str, str] | None = None) -> str:
    """Horizontal bars, one per item, in the order given, with an IQR whisker each.

    Bars are coloured by ``group``; ``legend`` names each group (group -> text), drawn
    under the axis so that every colour is explained.
    """
    if not items:
        raise ValueError(f"bars({title!r}): nothing to draw")
    groups = list(dict.fromkeys(b.group for b in items))
    legend = legend or {}
    label_w = max(120.0, max(text_width(b.label) for b in items) + 16)
    bar_w, row_h, top = 430, 22, 40
    width = max(label_w + bar_w + 90, text_width(title) * 1.2 + 20)
    height = top + row_h * len(items) + 30 + (18 * len(groups) + 8 if legend else 0)
    top_value = max(max(b.high, b.value) for b in items) or 1.0
    scale = bar_w / top_value
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="22" {_TITLE}>{escape(title)}</text>',
    ]
    for i, b in enumerate(items):
        y = top + i * row_h
        color = PALETTE[groups.index(b.group) % len(PALETTE)]
        w = max(b.value, 0.0) * scale
        out.append(
            f'<text x="{label_w - 6}" y="{y + 15}" {_FONT} text-anchor="end">'
            f"{escape(b.label)}</text>"
        )
        out.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{color}"><title>{escape(b.label)}: {_nice(b.value)} {escape(unit)}</title>'
            "</rect>"
        )
        lo, hi = label_w + max(b.low, 0.0) * scale, label_w + max(b.high, 0.0) * scale
        mid = y + row_h / 2
        out.append(
            f'<path d="M{lo:.1f} {mid}H{hi:.1f}M{lo:.1f} {mid - 4}v8M{hi:.1f} {mid - 4}v8" '
            'stroke="black" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{max(w, hi - label_w) + label_w + 6:.1f}" y="{y + 15}" {_FONT}>'
            f"{_nice(b.value)}</text>"
        )
    axis_y = top + row_h * len(items) + 4
    out.append(f'<path d="M{label_w} {top}V{axis_y}" stroke="#444"/>')
    out.append(
        f'<text x="{label_w}" y="{axis_y + 18}" {_FONT} fill="#444">{escape(unit)} '
        "(whisker: spread)</text>"
    )
    if legend:
        for i, g in enumerate(groups):
            ly = axis_y + 38 + 18 * i
            color = PALETTE[i % len(PALETTE)]
            out.append(f'<rect x="{label_w}" y="{ly - 10}" width="14" height="12" fill="{color}"/>')
            text = escape(legend.get(g, g or "other"))
            out.append(f'<text x="{label_w + 20}" y="{ly}" {_FONT}>{text}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _log_ticks(lo: float, hi: float) -> list[float]:
    return [10.0**k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)]


def lines(title: str, xlabel: str, ylabel: str, series: Sequence[Series]) -> str:
    """A log-log chart of ``series``, with a legend to the right."""
    points = [p for s in series for p in s.points if p[0] > 0 and p[1] > 0]
    if not points:
        raise ValueError(f"lines({title!r}): no positive points to draw")
    left, top, plot_w, plot_h = 70, 40, 480, 320
    legend_w = 50 + max(text_width(s.label) for s in series)
    width = max(left + plot_w + legend_w, text_width(title) * 1.2 + 20)
    height = max(top + plot_h + 50, top + 18 * len(series) + 20)
    xs = _log_ticks(min(p[0] for p in points), max(p[0] for p in points))
    ys = _log_ticks(min(p[1] for p in points), max(p[1] for p in points))
    if len(xs) < 2:
        xs = [xs[0], xs[0] * 10]
    if len(ys) < 2:
        ys = [ys[0], ys[0] * 10]

    def px(x: float) -> float:
        return left + (math.log10(x) - math.log10(xs[0])) / math.log10(xs[-1] / xs[0]) * plot_w

    def py(y: float) -> float:
        return (
            top + plot_h - (math.log10(y) - math.log10(ys[0])) / math.log10(ys[-1] / ys[0]) * plot_h
        )

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="22" {_TITLE}>{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#444"/>',
    ]
    for x in xs:
        out.append(f'<path d="M{px(x):.1f} {top}V{top + plot_h}" stroke="#ddd"/>')
        out.append(
            f'<text x="{px(x):.1f}" y="{top + plot_h + 16}" {_FONT} text-anchor="middle">'
            f"{_nice(x)}</text>"
        )
    for y in ys:
        out.append(f'<path d="M{left} {py(y):.1f}H{left + plot_w}" stroke="#ddd"/>')
        out.append(
            f'<text x="{left - 6}" y="{py(y) + 4:.1f}" {_FONT} text-anchor="end">{_nice(y)}</text>'
        )
    out.append(
        f'<text x="{left + plot_w / 2}" y="{top + plot_h + 36}" {_FONT} text-anchor="middle">'
        f"{escape(xlabel)}</text>"
    )
    out.append(
        f'<text transform="translate(16 {top + plot_h / 2}) rotate(-90)" {_FONT} '
        f'text-anchor="middle">{escape(ylabel)}</text>'
    )
    keys = list(dict.fromkeys(s.color_key or s.label for s in series))
    for i, s in enumerate(series):
        color = PALETTE[keys.index(s.color_key or s.label) % len(PALETTE)]
        pts = sorted(p for p in s.points if p[0] > 0 and p[1] > 0)
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        path = " ".join(
            f"{'M' if j == 0 else 'L'}{px(x):.1f} {py(y):.1f}" for j, (x, y) in enumerate(pts)
        )
        out.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for x, y in pts:
            out.append(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}">'
                f"<title>{escape(s.label)}: {_nice(y)} at {_nice(x)}</title></circle>"
            )
        ly = top + 18 * i + 6
        lx = left + plot_w + 16
        out.append(f'<path d="M{lx} {ly}h22" stroke="{color}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{lx + 28}" y="{ly + 4}" {_FONT}>{escape(s.label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
