"""Pictures of a topic: one bar per source's figure, and the range and consensus over time.

`topic_chart` builds a renderer-free model (bars, bands, axis and ticks) that
both matplotlib (`plot_topic`, PNG or SVG) and the HTML report's hand-written
SVG draw, so the two pictures always agree. matplotlib is an optional extra
(`claims-ledger[charts]`) imported only when drawing.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import attrs

from ledger.domain.figures import Interval, Number
from ledger.domain.views import Consensus, CurrentFigure, TopicView
from ledger.present.text import CHART_TEXT, chart_text
from ledger.projections.timeline import Step

__all__ = [
    "COLORS",
    "Bar",
    "ChartInfo",
    "MissingMatplotlib",
    "TopicChart",
    "fmt_number",
    "nice_ticks",
    "plot_timeline",
    "plot_topic",
    "topic_chart",
    "words_of",
]

#: One palette for matplotlib and the report: supporters, dissenters, bands.
COLORS = {
    "supporter": "#2b6cb0",
    "dissenter": "#c05621",
    "range": "#a0aec0",
    "consensus": "#d69e2e",
    "best": "#1a202c",
    "estimate": "#744210",
}


class MissingMatplotlib(ImportError):
    """Charts need matplotlib, the optional `charts` extra."""

    def __init__(self) -> None:
        super().__init__(
            "drawing charts needs matplotlib: pip install 'claims-ledger[charts]'",
            name="matplotlib",
        )


def fmt_number(x: Number | None) -> str:
    """A number as the CLI prints it: thousands separators, integers without '.0'."""
    if x is None:
        return "-"
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return f"{x:,}" if isinstance(x, int) else f"{x:,.6g}"


def words_of(current: CurrentFigure) -> str:
    """The source's own words for a figure, or how the figure came about."""
    if current.derived:
        return "derived: the sum of its parts"
    phrase = current.figure.phrase
    return f"“{phrase}”" if phrase else "given as numbers"


@attrs.frozen
class Bar:
    """One source's current figure as drawn: a span, its ends, its best value."""

    source: str
    words: str
    text: str
    low: float
    high: float
    low_end: str  # "closed", "open" or "unbounded"
    high_end: str
    best: float | None
    best_given: bool
    supporter: bool
    derived: bool
    disputed_by: tuple[str, ...]


@attrs.frozen
class TopicChart:
    """Everything a renderer needs to draw one topic."""

    topic: str
    title: str
    unit: str
    bars: tuple[Bar, ...]
    range: tuple[float, float] | None  # clipped to the axis where unbounded
    consensus: tuple[float, float] | None
    range_text: str
    consensus_text: str
    estimate: float | None
    level: str | None
    lo: float
    hi: float
    ticks: tuple[float, ...]


def _end(bound: Number | None, is_open: bool) -> str:
    if bound is None:
        return "unbounded"
    return "open" if is_open else "closed"


def _finite(values: Sequence[Number | None]) -> list[float]:
    return [float(v) for v in values if v is not None]


def _axis(values: list[float], open_low: bool, open_high: bool) -> tuple[float, float]:
    if not values:
        return (0.0, 1.0)
    lo, hi = min(values), max(values)
    if lo == hi:
        # One value on its own says little at ±6%: show it against zero, off the edge.
        lo, hi = min(lo, 0.0), max(hi, 0.0) + abs(hi) * 0.4
    span = (hi - lo) or max(abs(hi), 1.0)
    pad = span * 0.06
    # Unbounded ends need room for their arrow beyond the last finite value.
    new_lo = lo - pad - (span * 0.2 if open_low else 0.0)
    new_hi = hi + pad + (span * 0.2 if open_high else 0.0)
    if lo >= 0 > new_lo and not open_low:
        new_lo = 0.0  # counts never go below zero; do not draw an axis that does
    return (new_lo, new_hi)


def nice_ticks(
    lo: float, hi: float, target: int = 5, *, integers: bool = False
) -> tuple[float, ...]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) between lo and hi."""
    span = hi - lo
    if span <= 0 or not math.isfinite(span):
        return (lo,)
    raw = span / target
    if integers:
        raw = max(raw, 1.0)
    magnitude = 10 ** math.floor(math.log10(raw))
    # On an axis of whole counts, no tick at 2.5 soldiers.
    step = next(
        m * magnitude
        for m in (1, 2, 2.5, 5, 10)
        if raw <= m * magnitude and (not integers or float(m * magnitude).is_integer())
    )
    first = math.ceil(lo / step)
    last = math.floor(hi / step)
    return tuple(round(i * step, 10) for i in range(first, last + 1))


def _span(interval: Interval | None, lo: float, hi: float) -> tuple[float, float] | None:
    if interval is None:
        return None
    left = lo if interval.low is None else float(interval.low)
    right = hi if interval.high is None else float(interval.high)
    return (left, right)


def topic_chart(view: TopicView, title: str | None = None) -> TopicChart:
    """The model of a topic's bar chart; the view must have current figures."""
    if not view.figures:
        raise ValueError(f"topic {view.topic!r} has no current figures to draw")
    consensus: Consensus | None = view.consensus
    supporters = set(consensus.supporters) if consensus else set()
    figures = [c.figure for c in view.figures]
    values = _finite([v for f in figures for v in (f.low, f.high, f.effective_best)])
    lo, hi = _axis(
        values,
        any(f.low is None for f in figures),
        any(f.high is None for f in figures),
    )
    bars = []
    for current in view.figures:
        f = current.figure
        best = f.effective_best
        bars.append(
            Bar(
                source=current.source,
                words=words_of(current),
                text=str(f),
                low=lo if f.low is None else float(f.low),
                high=hi if f.high is None else float(f.high),
                low_end=_end(f.low, f.low_open),
                high_end=_end(f.high, f.high_open),
                best=None if best is None else float(best),
                best_given=f.best is not None,
                supporter=current.source in supporters,
                derived=current.derived,
                disputed_by=current.disputed_by,
            )
        )
    estimate = consensus.estimate if consensus else None
    return TopicChart(
        topic=view.topic,
        title=title or view.topic,
        unit=view.unit or figures[0].unit,
        bars=tuple(bars),
        range=_span(view.range, lo, hi),
        consensus=_span(consensus.interval if consensus else None, lo, hi),
        range_text=str(view.range),
        consensus_text=str(consensus.interval) if consensus and consensus.interval else "none",
        estimate=None if estimate is None else float(estimate),
        level=consensus.level if consensus else None,
        lo=lo,
        hi=hi,
        ticks=nice_ticks(lo, hi, integers=all(float(v).is_integer() for v in values)),
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
    fig, bars = _draw_topic(chart)
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
    fig = _draw_timeline(steps, title=title, unit=unit)
    info = _save(fig, _target(path), dpi, fmt)
    return attrs.evolve(info, bars=len(steps))


# -- matplotlib drawing (called only once matplotlib is known to import) ----


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(bar: Bar) -> str:
    lines = [chart_text(bar.source), _clip(chart_text(bar.words))]
    if bar.disputed_by:
        lines.append(_clip(chart_text("disputed by " + ", ".join(bar.disputed_by))))
    return "\n".join(lines)


def _subtitle(chart: TopicChart) -> str:
    n = len(chart.bars)
    finding = [f"range {chart.range_text}", f"consensus ({chart.level}) {chart.consensus_text}"]
    if chart.estimate is not None:
        finding.append(f"estimate {fmt_number(chart.estimate)} {chart.unit}")
    # Two lines: a single one runs off a 10-inch figure for long topic names.
    return chart_text(f"{chart.topic} · {n} source{'s' if n != 1 else ''}\n{' · '.join(finding)}")


def _legend(chart: TopicChart) -> list[Any]:
    Line2D = _mpl("matplotlib.lines").Line2D
    Patch = _mpl("matplotlib.patches").Patch

    ends = {b.low_end for b in chart.bars} | {b.high_end for b in chart.bars}
    handles: list[Any] = [Patch(color=COLORS["supporter"], label="in the consensus")]
    if any(not b.supporter for b in chart.bars):
        handles.append(Patch(color=COLORS["dissenter"], label="dissents"))
    handles.append(Patch(color=COLORS["range"], alpha=0.3, label="range of all figures"))
    if chart.consensus is not None:
        handles.append(Patch(color=COLORS["consensus"], alpha=0.45, label="consensus"))
    if chart.estimate is not None:
        handles.append(Line2D([], [], color=COLORS["estimate"], ls="--", label="estimate"))
    mark = {"marker": "D", "ls": "", "mec": COLORS["best"]}
    if any(b.best_given for b in chart.bars):
        handles.append(Line2D([], [], mfc=COLORS["best"], label="best value given", **mark))
    if any(b.best is not None and not b.best_given for b in chart.bars):
        handles.append(Line2D([], [], mfc="white", label="midpoint (no best given)", **mark))
    arrow = {"marker": ">", "ls": "", "mec": "#4a5568", "ms": 9}
    if "unbounded" in ends:
        handles.append(Line2D([], [], mfc="#4a5568", label="unbounded", **arrow))
    if "open" in ends:
        handles.append(Line2D([], [], mfc="white", label="open end (excluded)", **arrow))
    return handles


def _draw_topic(chart: TopicChart) -> tuple[Any, int]:
    MplFigure = _mpl("matplotlib.figure").Figure
    n = len(chart.bars)
    fig = MplFigure(figsize=(10, 2.6 + 0.75 * n), layout="constrained")
    ax = fig.add_subplot()
    if chart.range is not None:
        ax.axvspan(*chart.range, color=COLORS["range"], alpha=0.2, lw=0, zorder=0, gid="range")
    if chart.consensus is not None:
        left, right = chart.consensus
        # A consensus on a single value has no width: draw it as a thick line.
        band = {"color": COLORS["consensus"], "zorder": 0.5, "gid": "consensus"}
        if left == right:
            ax.axvline(left, lw=4, alpha=0.6, **band)
        else:
            ax.axvspan(left, right, alpha=0.35, lw=0, **band)
    if chart.estimate is not None:
        ax.axvline(
            chart.estimate, color=COLORS["estimate"], ls="--", lw=1.2, zorder=1, gid="estimate"
        )
    for i, bar in enumerate(chart.bars):
        y = n - 1 - i
        color = COLORS["supporter"] if bar.supporter else COLORS["dissenter"]
        rects = ax.barh(
            y,
            bar.high - bar.low,
            left=bar.low,
            height=0.42,
            color=color,
            alpha=0.9,
            hatch="//" if bar.derived else None,
            edgecolor="white" if bar.derived else color,
            zorder=2,
        )
        rects.patches[0].set_gid(f"bar-{bar.source}")
        if bar.high == bar.low:  # a single value: a bar of no width needs a visible tick
            ax.plot([bar.low], [y], marker="|", ms=16, mew=3, color=color, zorder=3)
        for x, end, marker in ((bar.low, bar.low_end, "<"), (bar.high, bar.high_end, ">")):
            if end != "closed":
                face = color if end == "unbounded" else "white"
                ax.plot(
                    [x],
                    [y],
                    marker=marker,
                    ms=11,
                    mfc=face,
                    mec=color,
                    mew=1.6,
                    zorder=3,
                    clip_on=False,
                )
        if bar.best is not None:
            face = COLORS["best"] if bar.best_given else "white"
            ax.plot([bar.best], [y], marker="D", ms=7, mfc=face, mec=COLORS["best"], zorder=4)
        ax.text(
            bar.low,
            y + 0.26,
            chart_text(bar.text),
            **CHART_TEXT,
            fontsize=8,
            color="#2d3748",
            va="bottom",
            zorder=5,
            # Bands and the estimate line run behind the label, not through it.
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
        )
    # Stored text (sources, words, titles, units) is never mathtext: "$5 and $10" stays dollars.
    ax.set_yticks(range(n), [_label(b) for b in reversed(chart.bars)], fontsize=9, **CHART_TEXT)
    ax.set_ylim(-0.7, n - 0.25)
    ax.set_xlim(chart.lo, chart.hi)
    ax.set_xticks(chart.ticks, [fmt_number(t) for t in chart.ticks])
    ax.set_xlabel(chart_text(chart.unit), **CHART_TEXT)
    ax.grid(axis="x", color="#e2e8f0")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(
        f"{chart_text(chart.title)}\n{_subtitle(chart)}", loc="left", fontsize=11, **CHART_TEXT
    )
    fig.legend(
        handles=_legend(chart), loc="outside lower center", ncol=4, fontsize=8, frameon=False
    )
    return fig, n


def _draw_timeline(steps: Sequence[Step], *, title: str, unit: str | None) -> Any:
    dates = _mpl("matplotlib.dates")
    MplFigure = _mpl("matplotlib.figure").Figure

    xs = [s.stated_at for s in steps if s.stated_at is not None]
    if len(xs) != len(steps):
        raise ValueError("a stated-time timeline needs steps with stated_at")
    extra = max(timedelta(days=1), (xs[-1] - xs[0]) * 0.08)
    edges = [*xs, xs[-1] + extra]
    ranges = [s.range for s in steps]
    bands = [s.consensus.interval if s.consensus else None for s in steps]
    values = _finite([v for i in (*ranges, *bands) if i is not None for v in (i.low, i.high)])
    lo, hi = _axis(
        values,
        any(i is not None and i.low is None for i in ranges),
        any(i is not None and i.high is None for i in ranges),
    )

    def series(intervals: list[Interval | None]) -> tuple[list[float], list[float]]:
        lows = [math.nan if i is None else lo if i.low is None else float(i.low) for i in intervals]
        highs = [
            math.nan if i is None else hi if i.high is None else float(i.high) for i in intervals
        ]
        return [*lows, lows[-1]], [*highs, highs[-1]]

    fig = MplFigure(figsize=(10, 5), layout="constrained")
    ax = fig.add_subplot()
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
        math.nan if s.consensus is None or s.consensus.estimate is None else s.consensus.estimate
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
    ax.set_xlim(edges[0] - extra / 4, edges[-1])
    ax.set_ylim(lo, hi)
    ticks = nice_ticks(lo, hi)
    ax.set_yticks(ticks, [fmt_number(t) for t in ticks])
    ax.set_ylabel(chart_text(unit or ""), **CHART_TEXT)
    ax.set_xlabel("stated (UTC)")
    ax.grid(color="#e2e8f0")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(
        f"{chart_text(title)}\nrange and consensus over stated time",
        loc="left",
        fontsize=11,
        **CHART_TEXT,
    )
    fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig
