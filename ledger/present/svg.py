"""A topic's chart as inline SVG for the HTML report, drawn from the same model as the PNGs.

Hand-written, so that the report needs no matplotlib. It draws
``ledger.present.chart_model.TopicChart``: one bar per source (stale bars faded
and dashed, camps of a split in their own colours), the range shaded, the
consensus or each camp banded, on a linear or logarithmic axis. Stored text
goes through ``ledger.present.text`` (escaped, controls visible, bidi isolated),
so every SVG is well-formed XML.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ledger.present.chart_model import COLORS, Bar, TopicChart, bar_color, camp_color
from ledger.present.text import clipped, clipped_middle, html_text, svg_inline
from ledger.present.words import fmt_number

__all__ = ["topic_svg"]

_W = 400  # the SVG's own width; it scales to the column, so text stays readable on phones
_L, _R = 14, _W - 14  # room for the arrowheads of unbounded ends
_ROW = 46
_CHAR = 7.0  # average width of a 13px sans-serif character, to keep labels on one line


def _e(value: object) -> str:
    return html_text(value)


def _triangle(x: float, y: float, pointing: int, filled: bool, color: str) -> str:
    tip = x + 9 * pointing
    fill = color if filled else "#fff"
    return (
        f'<path class="end {"unbounded" if filled else "open"}" '
        f'd="M{x:.1f} {y - 6:.1f}L{tip:.1f} {y:.1f}L{x:.1f} {y + 6:.1f}Z" '
        f'fill="{fill}" stroke="{color}" stroke-width="1.5"/>'
    )


def _scaler(chart: TopicChart) -> tuple[float, float, bool]:
    """The axis as (left, width) in the units drawn, linear or log10."""
    log = chart.scale == "log"
    lo, hi = (math.log10(chart.lo), math.log10(chart.hi)) if log else (chart.lo, chart.hi)
    return lo, (hi - lo) or 1.0, log


def topic_svg(chart: TopicChart) -> str:
    """An inline SVG of a topic: one bar per source, range shaded, consensus or camps banded."""
    n = len(chart.bars)
    bottom = 8 + n * _ROW
    height = bottom + 26
    start, width, log = _scaler(chart)
    scale = (_R - _L) / width

    def x(v: float) -> float:
        at = math.log10(max(v, chart.lo)) if log else v
        return _L + (at - start) * scale

    out = [
        f'<svg class="chart" viewBox="0 0 {_W} {height}" role="img" '
        f'aria-label="{_e(chart.title)}" data-scale="{chart.scale}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_e(chart.title)}: one bar per source{' (log scale)' if log else ''}</title>",
    ]
    for t in chart.ticks:
        label = fmt_number(t)
        half = len(label) * _CHAR / 2
        # Labels at the edges are anchored inside the picture rather than cut off.
        anchor = "start" if x(t) - half < 0 else "end" if x(t) + half > _W else "middle"
        out.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="8" y2="{bottom}" stroke="#e2e8f0"/>'
            f'<text class="tick" x="{x(t):.1f}" y="{bottom + 17}" font-size="12" '
            f'fill="#4a5568" text-anchor="{anchor}">{_e(label)}</text>'
        )
    if chart.range is not None:
        a, b = chart.range
        out.append(
            f'<rect class="range" x="{x(a):.1f}" y="8" width="{x(b) - x(a):.1f}" '
            f'height="{bottom - 8}" fill="{COLORS["range"]}" fill-opacity="0.2"/>'
        )
    bands = [("consensus", chart.consensus, COLORS["consensus"], chart.estimate, "")]
    bands += [
        ("camp", band.span, band.color, band.estimate, f' data-camp="{i}"')
        for i, band in enumerate(chart.camps, 1)
    ]
    for cls, span, color, _, extra in bands:
        if span is not None:
            a, b = span
            out.append(
                f'<rect class="{cls}"{extra} x="{x(a) - (1.5 if a == b else 0):.1f}" y="8" '
                f'width="{max(x(b) - x(a), 3):.1f}" height="{bottom - 8}" '
                f'fill="{color}" fill-opacity="0.35"/>'
            )
    # Drawn before the bars, so that they never run through a label.
    for _, _, color, estimate, extra in bands:
        if estimate is not None:
            ex = x(estimate)
            stroke = COLORS["estimate"] if not extra else color
            out.append(
                f'<line class="estimate"{extra} x1="{ex:.1f}" x2="{ex:.1f}" y1="8" '
                f'y2="{bottom}" stroke="{stroke}" stroke-width="1.5" stroke-dasharray="5 3"/>'
            )
    for i, bar in enumerate(chart.bars):
        out += _svg_bar(bar, 8 + i * _ROW, x)
    out.append("</svg>")
    return "".join(out)


def _numbered(camps: tuple[int, ...]) -> str:
    shown = [str(c + 1) for c in camps]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _role(bar: Bar) -> str:
    if bar.stale:
        return "stale"
    if bar.camp is not None:
        return "camp"
    return "supporter" if bar.supporter else "dissenter"


def _svg_bar(bar: Bar, top: int, x: Callable[[float], float]) -> list[str]:
    mid = top + 29
    color = bar_color(bar)
    text = f"{bar.text} stale" if bar.stale else bar.text
    room = int(((_R - _L) - len(text) * _CHAR - 10) / _CHAR)
    # A long slug keeps its start and end in half the room; the words get the rest.
    source = clipped_middle(bar.source, max(room // 2, 12))
    out = [
        f'<text x="{_L}" y="{top + 15}" font-size="13" fill="#1a202c">'
        + svg_inline(source, 'font-weight="600"')
        + " "
        + svg_inline(clipped(bar.words, max(room - len(source) - 1, 6)), 'fill="#4a5568"')
        + "</text>"
        f'<text x="{_R}" y="{top + 15}" font-size="12" fill="#4a5568" '
        f'text-anchor="end">{_e(text)}</text>'
    ]
    left, width = x(bar.low), max(x(bar.high) - x(bar.low), 3.0)
    pattern = ' stroke="#fff" stroke-dasharray="4 3"' if bar.derived or bar.stale else ""
    faded = ' fill-opacity="0.5"' if bar.stale else ""
    camp = f' data-camp="{" ".join(str(c + 1) for c in bar.camps)}"' if bar.camps else ""
    shared = f" (in camps {_numbered(bar.camps)})" if len(bar.camps) > 1 else ""
    why = " (stale: left out of the range and consensus)" if bar.stale else ""
    out.append(
        f'<rect class="bar {_role(bar)}" data-source="{_e(bar.source)}"{camp} '
        f'x="{left - (1.5 if width == 3.0 else 0):.1f}" y="{mid - 7}" width="{width:.1f}" '
        f'height="14" rx="2" fill="{color}"{faded}{pattern}>'
        f"<title>{_e(bar.source)}: {_e(bar.text)} {_e(bar.words)}{why}{shared}</title></rect>"
    )
    for k, other in enumerate(bar.camps[1:]):
        # A figure in several camps: a stripe of each further camp's colour under its bar.
        out.append(
            f'<rect class="camp-stripe" data-camp="{other + 1}" x="{left:.1f}" '
            f'y="{mid + 8 + 3 * k}" width="{width:.1f}" height="3" fill="{camp_color(other)}"/>'
        )
    for end, at, pointing in ((bar.low_end, bar.low, -1), (bar.high_end, bar.high, 1)):
        if end != "closed":
            out.append(_triangle(x(at), mid, pointing, end == "unbounded", color))
    if bar.best is not None:
        bx = x(bar.best)
        fill = COLORS["best"] if bar.best_given else "#fff"
        out.append(
            f'<path class="best" d="M{bx:.1f} {mid - 6}L{bx + 5:.1f} {mid}L{bx:.1f} '
            f'{mid + 6}L{bx - 5:.1f} {mid}Z" fill="{fill}" stroke="{COLORS["best"]}" '
            f'stroke-width="1.3"/>'
        )
    return out
