"""Pictures of a topic with matplotlib: one bar per source's figure, and the topic over time.

``plot_topic`` draws the renderer-free model of ``ledger.present.chart_model``
(which the HTML report's SVG draws too) to a PNG or SVG file; ``plot_timeline``
draws a topic's range and consensus over stated time. matplotlib is an
optional extra (``claims-ledger[charts]``) imported only when drawing. Every
text made from stored text is drawn with ``CHART_TEXT`` (no mathtext, no TeX).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import attrs

from ledger.domain.figures import Interval
from ledger.present.chart_model import (
    CAMP_COLORS,
    COLORS,
    LOG_RATIO,
    Band,
    Bar,
    TopicChart,
    bar_color,
    camp_color,
    log_scale,
    log_ticks,
    nice_ticks,
    topic_chart,
    value_axis,
)
from ledger.present.text import CHART_TEXT, chart_text, clipped, clipped_middle
from ledger.present.words import fmt_number, words_of
from ledger.projections.timeline import Step

__all__ = [
    "CAMP_COLORS",
    "COLORS",
    "LOG_RATIO",
    "Band",
    "Bar",
    "ChartInfo",
    "MissingMatplotlib",
    "TopicChart",
    "bar_color",
    "draw_timeline",
    "draw_topic",
    "fmt_number",
    "log_scale",
    "log_ticks",
    "nice_ticks",
    "plot_timeline",
    "plot_topic",
    "topic_chart",
    "words_of",
]


class MissingMatplotlib(ImportError):
    """Charts need matplotlib, the optional `charts` extra."""

    def __init__(self) -> None:
        super().__init__(
            "drawing charts needs matplotlib: pip install 'claims-ledger[charts]'",
            name="matplotlib",
        )


@attrs.frozen
class ChartInfo:
    """What a drawing wrote: the file, how many bars (or steps), and its pixel size."""

    path: Path
    bars: int
    width: int
    height: int


def _mpl(module: str = "matplotlib") -> Any:
    # Through importlib the module is Any to mypy: matplotlib's own stubs are
    # stricter than its documented behaviour (datetimes as x, style dicts).
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("matplotlib"):
            raise
        raise MissingMatplotlib() from None


def _save(fig: Any, target: Path | IO[bytes], dpi: int, fmt: str | None) -> ChartInfo:
    matplotlib = _mpl()
    _mpl("matplotlib.backends.backend_agg").FigureCanvasAgg(
        fig
    )  # the Agg canvas: no display, no GUI toolkit
    name = getattr(target, "name", None)
    path = target if isinstance(target, Path) else Path(name if isinstance(name, str) else "")
    suffix = (fmt or path.suffix).lower().lstrip(".")
    if suffix not in ("png", "svg"):
        raise ValueError(f"{path}: write a .png or .svg file")
    # Text stays text in SVG, and ids are stable, so the output can be searched and diffed.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "claims-ledger"}):
        meta = {"Date": None} if suffix == "svg" else {"Software": None}
        fig.savefig(target, format=suffix, dpi=dpi, metadata=meta)
    width, height = fig.get_size_inches()
    return ChartInfo(path, 0, round(width * dpi), round(height * dpi))


def _target(path: str | Path | IO[bytes]) -> Path | IO[bytes]:
    return Path(path) if isinstance(path, str | Path) else path


def plot_topic(
    chart: TopicChart, path: str | Path | IO[bytes], *, dpi: int = 120, fmt: str | None = None
) -> ChartInfo:
    """Draw a topic's bars to a .png or .svg file: one bar per source's current figure.

    ``path`` may be a binary file, with ``fmt`` ("png" or "svg") naming the format.
    """
    fig, bars = draw_topic(chart)
    info = _save(fig, _target(path), dpi, fmt)
    return attrs.evolve(info, bars=bars)


def plot_timeline(
    steps: Sequence[Step],
    path: str | Path | IO[bytes],
    *,
    title: str,
    unit: str | None,
    dpi: int = 120,
    fmt: str | None = None,
) -> ChartInfo:
    """Draw a topic's range and consensus over stated time to a .png or .svg file."""
    if not steps:
        raise ValueError(f"{title}: no figures yet, so no timeline to draw")
    fig = draw_timeline(steps, title=title, unit=unit)
    info = _save(fig, _target(path), dpi, fmt)
    return attrs.evolve(info, bars=len(steps))


# -- matplotlib drawing (called only once matplotlib is known to import) ----


#: The characters of one line of a bar's label: more would squeeze the plot.
_LABEL = 40


#: About the characters a line of the title holds across the 10-inch figure: a
#: longer one (a title, or 1e308 written out in a range) would squeeze the axes to nothing.
_LINE = 110


def _lines(text: str, limit: int = _LINE) -> str:
    return "\n".join(clipped(line, limit) for line in text.split("\n"))


def _label(bar: Bar) -> str:
    lines = [clipped_middle(chart_text(bar.source), _LABEL), clipped(chart_text(bar.words), _LABEL)]
    if bar.stale:
        lines.append("stale: left out")
    if bar.disputed_by:
        lines.append(clipped(chart_text("disputed by " + ", ".join(bar.disputed_by)), _LABEL))
    return "\n".join(lines)


def _subtitle(chart: TopicChart) -> str:
    n = len(chart.bars)
    if chart.camps:
        consensus = f"consensus {chart.consensus_text}"
    elif chart.level == "none":
        consensus = "no consensus"  # not "consensus (none) none"
    else:
        consensus = f"consensus ({chart.level}) {chart.consensus_text}"
    finding = [f"range {chart.range_text}", consensus]
    if chart.estimate is not None:
        finding.append(f"estimate {chart.estimate_text} {chart.unit}")
    stale = sum(b.stale for b in chart.bars)
    counted = f" · {stale} stale (window {chart.window})" if stale else ""
    # Two lines: a single one runs off a 10-inch figure for long topic names.
    return chart_text(
        f"{chart.topic} · {n} source{'s' if n != 1 else ''}{counted}\n{' · '.join(finding)}"
    )


def _legend(chart: TopicChart) -> list[Any]:
    Line2D = _mpl("matplotlib.lines").Line2D
    Patch = _mpl("matplotlib.patches").Patch

    ends = {b.low_end for b in chart.bars} | {b.high_end for b in chart.bars}
    handles: list[Any] = []
    fresh = [b for b in chart.bars if not b.stale]
    if any(b.supporter for b in fresh):
        handles.append(Patch(color=COLORS["supporter"], label="in the consensus"))
    for i, band in enumerate(chart.camps, 1):
        label = clipped(chart_text(f"camp {i} {band.text}"), _LINE // 2)
        handles.append(Patch(color=band.color, alpha=0.8, label=label))
    if any(not b.supporter and b.camp is None for b in fresh):
        handles.append(Patch(color=COLORS["dissenter"], label="dissents"))
    if len(fresh) < len(chart.bars):
        handles.append(
            Patch(
                facecolor=COLORS["stale"],
                alpha=0.5,
                hatch="..",
                label=f"stale (older than the window, {chart.window}): left out",
            )
        )
    handles.append(Patch(color=COLORS["range"], alpha=0.3, label="range of the fresh figures"))
    if chart.consensus is not None:
        handles.append(Patch(color=COLORS["consensus"], alpha=0.45, label="consensus"))
    if chart.estimate is not None or any(b.estimate is not None for b in chart.camps):
        handles.append(Line2D([], [], color=COLORS["estimate"], ls="--", label="estimate"))
    mark = {"marker": "D", "ls": "", "mec": COLORS["best"]}
    if any(b.best_given for b in chart.bars):
        handles.append(Line2D([], [], mfc=COLORS["best"], label="best value given", **mark))
    hollow = [b for b in chart.bars if b.best is not None and not b.best_given]
    if any(not b.derived for b in hollow):
        handles.append(Line2D([], [], mfc="white", label="midpoint (no best given)", **mark))
    if any(b.derived for b in hollow):
        handles.append(Line2D([], [], mfc="white", label="sum of the parts' bests", **mark))
    arrow = {"marker": ">", "ls": "", "mec": "#4a5568", "ms": 9}
    if "unbounded" in ends:
        handles.append(Line2D([], [], mfc="#4a5568", label="unbounded", **arrow))
    if "open" in ends:
        handles.append(Line2D([], [], mfc="white", label="open end (excluded)", **arrow))
    return handles


def _band(ax: Any, span: tuple[float, float], color: str, gid: str) -> None:
    left, right = span
    # A band on a single value has no width: draw it as a thick line.
    if left == right:
        ax.axvline(left, lw=4, alpha=0.6, color=color, zorder=0.5, gid=gid)
    else:
        ax.axvspan(left, right, alpha=0.35, lw=0, color=color, zorder=0.5, gid=gid)


def _draw_bar(ax: Any, bar: Bar, y: int) -> None:
    color = bar_color(bar)
    hatch = ".." if bar.stale else "//" if bar.derived else None
    rects = ax.barh(
        y,
        bar.high - bar.low,
        left=bar.low,
        height=0.42,
        color=color,
        alpha=0.45 if bar.stale else 0.9,
        hatch=hatch,
        edgecolor="white" if hatch else color,
        zorder=2,
    )
    rects.patches[0].set_gid(f"bar-{bar.source}")
    for k, other in enumerate(bar.camps[1:]):
        # A figure in several camps: a stripe of each further camp's colour under its bar.
        ax.barh(
            y - 0.27 - 0.09 * k,
            bar.high - bar.low,
            left=bar.low,
            height=0.07,
            color=camp_color(other),
            zorder=2,
        )
    if bar.high == bar.low:  # a single value: a bar of no width needs a visible tick
        ax.plot([bar.low], [y], marker="|", ms=16, mew=3, color=color, zorder=3)
    for x, end, marker in ((bar.low, bar.low_end, "<"), (bar.high, bar.high_end, ">")):
        if end != "closed":
            face = color if end == "unbounded" else "white"
            ax.plot(
                [x], [y], marker=marker, ms=11, mfc=face, mec=color, mew=1.6, zorder=3,
                clip_on=False,
            )  # fmt: skip
    if bar.best is not None:
        face = COLORS["best"] if bar.best_given else "white"
        ax.plot([bar.best], [y], marker="D", ms=7, mfc=face, mec=COLORS["best"], zorder=4)
    # A label starts at the bar's low end, and ends at its high end when the
    # bar sits in the right half, so that it never runs off the chart's right edge.
    right = _axis_fraction(ax, bar.low) > 0.5
    ax.text(
        bar.high if right else bar.low,
        y + 0.26,
        chart_text(bar.text),
        **CHART_TEXT,
        fontsize=8,
        color="#718096" if bar.stale else "#2d3748",
        ha="right" if right else "left",
        va="bottom",
        zorder=5,
        # Bands and the estimate line run behind the label, not through it.
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
        # A label wider than the figure (1e308 written out) runs off it, not squeezing the axes.
        in_layout=False,
    )


def _axis_fraction(ax: Any, x: float) -> float:
    """Where x falls along the x axis, from 0 (its left end) to 1 (its right); 0 if unknown."""
    fraction = float((ax.transScale + ax.transLimits).transform((x, 0.0))[0])
    return fraction if math.isfinite(fraction) else 0.0


#: Axis ends matplotlib draws as they are; beyond them its transforms overflow
#: (1e308 times a scale is inf) or it widens the axis it calls singular (5e-324).
_DRAWN = (1e-100, 1e100)


def _exponent(lo: float, hi: float, scale: str) -> int:
    """The power of two a linear axis's values are divided by to be drawn: 0 for everyday ones.

    Dividing by a power of two is exact, so the bars keep their places; the
    tick labels are formatted from the true values.
    """
    far = max(abs(lo), abs(hi))
    if scale == "log" or _DRAWN[0] <= far <= _DRAWN[1]:
        return 0
    return math.frexp(far)[1]


def _scaled(chart: TopicChart, e: int) -> TopicChart:
    """The chart with every position divided by 2**e (labels are made from the original)."""
    if e == 0:
        return chart

    def at(v: float) -> float:
        return math.ldexp(v, -e)

    def span(s: tuple[float, float] | None) -> tuple[float, float] | None:
        return None if s is None else (at(s[0]), at(s[1]))

    return attrs.evolve(
        chart,
        bars=tuple(
            attrs.evolve(
                b, low=at(b.low), high=at(b.high), best=None if b.best is None else at(b.best)
            )
            for b in chart.bars
        ),
        range=span(chart.range),
        consensus=span(chart.consensus),
        estimate=None if chart.estimate is None else at(chart.estimate),
        camps=tuple(
            attrs.evolve(
                c,
                span=(at(c.span[0]), at(c.span[1])),
                estimate=None if c.estimate is None else at(c.estimate),
            )
            for c in chart.camps
        ),
        lo=at(chart.lo),
        hi=at(chart.hi),
        ticks=tuple(at(t) for t in chart.ticks),
    )


def _tick_text(value: float) -> str:
    """A tick label: as the CLI prints numbers, but 1e+308 rather than its 309 digits."""
    return fmt_number(value) if abs(value) < 1e16 else f"{value:.6g}"


def _log_axis(axis: Any, ticks: Sequence[float]) -> None:
    """Ticks of a log axis labelled as the CLI prints numbers; no minor labels."""
    ticker = _mpl("matplotlib.ticker")
    axis.set_major_locator(ticker.FixedLocator(list(ticks)))
    axis.set_major_formatter(ticker.FixedFormatter([_tick_text(t) for t in ticks]))
    axis.set_minor_formatter(ticker.NullFormatter())


def draw_topic(chart: TopicChart) -> tuple[Any, int]:
    MplFigure = _mpl("matplotlib.figure").Figure
    labels = chart  # texts and tick labels: the true values
    chart = _scaled(chart, _exponent(chart.lo, chart.hi, chart.scale))
    n = len(chart.bars)
    fig = MplFigure(figsize=(10, 2.6 + 0.75 * n), layout="constrained")
    ax = fig.add_subplot()
    if chart.scale == "log":
        ax.set_xscale("log")
    # Fixed before anything is drawn: autoscaling to figures near the largest float overflows.
    ax.set_xlim(chart.lo, chart.hi)
    if chart.range is not None:
        ax.axvspan(*chart.range, color=COLORS["range"], alpha=0.2, lw=0, zorder=0, gid="range")
    if chart.consensus is not None:
        _band(ax, chart.consensus, COLORS["consensus"], "consensus")
    for i, band in enumerate(chart.camps, 1):
        _band(ax, band.span, band.color, f"camp-{i}")
    # Drawn before the bars, so that it never runs through a label.
    if chart.estimate is not None:
        ax.axvline(
            chart.estimate, color=COLORS["estimate"], ls="--", lw=1.2, zorder=1, gid="estimate"
        )
    for i, band in enumerate(chart.camps, 1):
        if band.estimate is not None:
            ax.axvline(band.estimate, color=band.color, ls="--", lw=1.2, zorder=1,
                       gid=f"camp-{i}-estimate")  # fmt: skip
    for i, bar in enumerate(chart.bars):
        _draw_bar(ax, bar, n - 1 - i)
    # Stored text (sources, words, titles, units) is never mathtext: "$5 and $10" stays dollars.
    ax.set_yticks(range(n), [_label(b) for b in reversed(chart.bars)], fontsize=9, **CHART_TEXT)
    ax.set_ylim(-0.7, n - 0.25)
    if chart.scale == "log":
        _log_axis(ax.xaxis, chart.ticks)
    else:
        ax.set_xticks(chart.ticks, [_tick_text(t) for t in labels.ticks])
    scale = " (log scale)" if chart.scale == "log" else ""
    ax.set_xlabel(clipped(chart_text(chart.unit), _LINE) + scale, **CHART_TEXT)
    ax.grid(axis="x", color="#e2e8f0")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(
        _lines(f"{chart_text(chart.title)}\n{_subtitle(labels)}"),
        loc="left",
        fontsize=11,
        **CHART_TEXT,
    )
    fig.legend(
        handles=_legend(chart), loc="outside lower center", ncol=4, fontsize=8, frameon=False
    )
    return fig, n


#: The last moment a timeline's axis reaches: matplotlib ticks no date past 9999.
_LAST_DRAWN = datetime(9998, 1, 1, tzinfo=UTC)


def draw_timeline(steps: Sequence[Step], *, title: str, unit: str | None) -> Any:
    dates = _mpl("matplotlib.dates")
    MplFigure = _mpl("matplotlib.figure").Figure

    xs = [s.stated_at for s in steps if s.stated_at is not None]
    if len(xs) != len(steps):
        raise ValueError("a stated-time timeline needs steps with stated_at")
    extra = max(timedelta(days=1), (xs[-1] - xs[0]) * 0.08)
    # The calendar starts in year 1, and matplotlib's date ticks end before 10000:
    # the margins stop there (a statement past _LAST_DRAWN cannot be drawn at all).
    first = datetime.min.replace(tzinfo=UTC)
    if xs[-1] > _LAST_DRAWN:
        raise ValueError(
            f"a timeline is drawn up to {_LAST_DRAWN:%Y-%m-%d}; a figure is stated "
            f"{xs[-1]:%Y-%m-%d}"
        )
    edges = [*xs, xs[-1] + min(extra, _LAST_DRAWN - xs[-1])]
    ranges = [s.range for s in steps]
    bands = [s.consensus.interval if s.consensus else None for s in steps]
    axis = value_axis(
        [v for i in (*ranges, *bands) if i is not None for v in (i.low, i.high)],
        any(i is not None and i.low is None for i in ranges),
        any(i is not None and i.high is None for i in ranges),
    )

    e = _exponent(axis.lo, axis.hi, axis.scale)

    def at(v: float) -> float:
        return math.ldexp(v, -e)  # exact: see _exponent

    def series(intervals: list[Interval | None]) -> tuple[list[float], list[float]]:
        lows = [math.nan if i is None else at(axis.place(i.low)) for i in intervals]
        highs = [math.nan if i is None else at(axis.place(i.high, high=True)) for i in intervals]
        return [*lows, lows[-1]], [*highs, highs[-1]]

    fig = MplFigure(figsize=(10, 5), layout="constrained")
    ax = fig.add_subplot()
    if axis.scale == "log":
        ax.set_yscale("log")
    # Fixed before anything is drawn: autoscaling to figures near the largest float overflows.
    ax.set_ylim(at(axis.lo), at(axis.hi))
    low, high = series(ranges)
    ax.fill_between(
        edges,
        low,
        high,
        step="post",
        color=COLORS["range"],
        alpha=0.35,
        lw=0,
        label="range",
        gid="range",
    )
    low, high = series(bands)
    ax.fill_between(
        edges,
        low,
        high,
        step="post",
        color=COLORS["consensus"],
        alpha=0.55,
        lw=0,
        label="consensus",
        gid="consensus",
    )
    # Edges too, so that a consensus on a single value (no height) still shows.
    for edge in (low, high):
        ax.step(edges, edge, where="post", color=COLORS["consensus"], lw=1.5)
    estimates = [
        math.nan
        if s.consensus is None or s.consensus.estimate is None
        else at(axis.place(s.consensus.estimate))
        for s in steps
    ]
    ax.step(
        edges,
        [*estimates, estimates[-1]],
        where="post",
        color=COLORS["estimate"],
        ls="--",
        label="estimate",
        gid="estimate",
    )
    ax.plot(xs, estimates, "o", color=COLORS["estimate"], ms=5)
    locator = dates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    ax.set_xlim(edges[0] - min(extra / 4, edges[0] - first), edges[-1])
    if axis.scale == "log":
        _log_axis(ax.yaxis, axis.ticks)
    else:
        ax.set_yticks([at(t) for t in axis.ticks], [_tick_text(t) for t in axis.ticks])
    scale = " (log scale)" if axis.scale == "log" else ""
    ax.set_ylabel(clipped(chart_text(unit or ""), _LINE // 2) + scale, **CHART_TEXT)
    ax.set_xlabel("stated (UTC)")
    ax.grid(color="#e2e8f0")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(
        _lines(f"{chart_text(title)}\nrange and consensus over stated time"),
        loc="left",
        fontsize=11,
        **CHART_TEXT,
    )
    fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig
