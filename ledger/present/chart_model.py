"""The model of a topic's chart: bars, bands, camps and an axis, drawn by any renderer.

``topic_chart`` turns a ``TopicView`` into a renderer-free model that both
matplotlib (``ledger.present.charts``, PNG or SVG) and the HTML report's
hand-written SVG draw, so the two pictures always agree: the same colours,
the same stale and camp marks, the same axis.

**The axis** is logarithmic when the figures span more than two orders of
magnitude (``log_scale``): every finite bound and best drawn is at least 0,
one is positive, and the largest over the smallest positive one is more than
``LOG_RATIO`` (100). A bound of 0 cannot be placed on a log axis: the bar
runs to the axis's left edge (its label keeps the true interval). With a
negative value the axis stays linear.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs

from ledger.domain.figures import Interval, Number
from ledger.domain.views import Consensus, TopicView
from ledger.present.words import camps_of, fmt_window, words_of

__all__ = [
    "CAMP_COLORS",
    "COLORS",
    "LOG_RATIO",
    "Axis",
    "Band",
    "Bar",
    "TopicChart",
    "bar_color",
    "log_scale",
    "log_ticks",
    "nice_ticks",
    "topic_chart",
    "value_axis",
]

#: One palette for matplotlib and the report: supporters, dissenters, bands.
COLORS = {
    "supporter": "#2b6cb0",
    "dissenter": "#c05621",
    "range": "#a0aec0",
    "consensus": "#d69e2e",
    "best": "#1a202c",
    "estimate": "#744210",
    "stale": "#a0aec0",
}
#: Each camp of a split in its own colour, in camp order (then round again).
CAMP_COLORS = ("#2f855a", "#6b46c1", "#b83280", "#2c7a7b", "#975a16")
#: An axis is logarithmic when its figures span more than this factor (two orders of
#: magnitude): the largest finite value over the smallest positive one (see log_scale).
LOG_RATIO = 100


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
    #: Older than the window allows: left out of the range and consensus, drawn faded.
    stale: bool = False
    #: In a split, the index of the camp the source is in (None: in none, or no split).
    camp: int | None = None


@attrs.frozen
class Band:
    """One camp of a split as drawn: where it agrees, its estimate, who is in it, its colour."""

    span: tuple[float, float]
    text: str
    estimate: float | None
    supporters: tuple[str, ...]
    color: str


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
    #: The camps of a split, each drawn as its own band (the consensus is then None).
    camps: tuple[Band, ...] = ()
    #: "linear", or "log" when the figures span more than LOG_RATIO (log_scale).
    scale: str = "linear"
    #: The window in force, as people type it ("3d"), or "none".
    window: str = "none"


def bar_color(bar: Bar) -> str:
    """A bar's colour: grey when stale, its camp's in a split, else supporter or dissenter."""
    if bar.stale:
        return COLORS["stale"]
    if bar.camp is not None:
        return CAMP_COLORS[bar.camp % len(CAMP_COLORS)]
    return COLORS["supporter"] if bar.supporter else COLORS["dissenter"]


def _end(bound: Number | None, is_open: bool) -> str:
    if bound is None:
        return "unbounded"
    return "open" if is_open else "closed"


def _finite(values: Sequence[Number | None]) -> list[float]:
    return [float(v) for v in values if v is not None]


def log_scale(values: Sequence[float]) -> bool:
    """Whether values (the finite bounds and bests drawn) want a logarithmic axis.

    Yes when none is negative (a log axis would hide the sign), at least one
    is positive, and the largest over the smallest positive one exceeds
    LOG_RATIO. Zeros do not count in the ratio; they are drawn at the axis's
    left edge.
    """
    positive = [v for v in values if v > 0]
    if not positive or min(values) < 0:
        return False
    return max(positive) / min(positive) > LOG_RATIO


#: The exponents a log axis stays within, so that 10**x is a finite float.
_EXP = (-307.0, 308.0)


def _log_axis(values: list[float], open_low: bool, open_high: bool) -> tuple[float, float]:
    positive = [v for v in values if v > 0]
    a, b = math.log10(min(positive)), math.log10(max(positive))
    span = b - a
    pad = span * 0.06
    # Room on the left for unbounded lows and for zeros, which no log axis can place.
    room_low = span * 0.2 if open_low or len(positive) < len(values) else 0.0
    lo = max(a - pad - room_low, _EXP[0])
    hi = min(b + pad + (span * 0.2 if open_high else 0.0), _EXP[1])
    return (10.0**lo, 10.0**hi)


def _axis(
    values: list[float], open_low: bool, open_high: bool, *, log: bool = False
) -> tuple[float, float]:
    if log:
        return _log_axis(values, open_low, open_high)
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


def log_ticks(lo: float, hi: float) -> tuple[float, ...]:
    """Ticks of a log axis: the powers of ten between lo and hi (and 2 and 5 times them
    when there are fewer than four), thinned to about six."""
    first, last = math.ceil(math.log10(lo)), math.floor(math.log10(hi))
    powers = [float(f"{10.0**e:.12g}") for e in range(first, last + 1)]
    if len(powers) > 7:
        powers = powers[:: math.ceil(len(powers) / 6)]
    if len(powers) >= 4:
        return tuple(powers)
    base = [float(f"{10.0**e:.12g}") for e in range(first - 1, last + 1)]
    found = {float(f"{m * p:.12g}") for p in base for m in (1, 2, 5)}
    return tuple(sorted(t for t in found if lo <= t <= hi))


@attrs.frozen
class Axis:
    """An axis for some values: its ends, its ticks and its scale ("linear" or "log")."""

    lo: float
    hi: float
    ticks: tuple[float, ...]
    scale: str

    def place(self, value: Number | None, *, high: bool = False) -> float:
        """Where a bound is drawn: the edge when unbounded, the left edge for <= 0 on a log axis."""
        return _place(value, self.hi if high else self.lo, self.lo, self.scale == "log")


def value_axis(values: Sequence[Number | None], open_low: bool, open_high: bool) -> Axis:
    """The axis for finite values (None ignored); room for unbounded lows or highs."""
    finite = _finite(values)
    log = log_scale(finite)
    lo, hi = _axis(finite, open_low, open_high, log=log)
    if log:
        return Axis(lo, hi, log_ticks(lo, hi), "log")
    ticks = nice_ticks(lo, hi, integers=all(v.is_integer() for v in finite))
    return Axis(lo, hi, ticks, "linear")


def _place(value: Number | None, edge: float, lo: float, log: bool) -> float:
    """Where a bound is drawn: the edge when unbounded; the left edge for <= 0 on a log axis."""
    if value is None:
        return edge
    if log and value <= 0:
        return lo
    return float(value)


def _span(interval: Interval | None, lo: float, hi: float, log: bool) -> tuple[float, float] | None:
    if interval is None:
        return None
    return (_place(interval.low, lo, lo, log), _place(interval.high, hi, lo, log))


def topic_chart(view: TopicView, title: str | None = None) -> TopicChart:
    """The model of a topic's bar chart; the view must have current figures."""
    if not view.figures:
        raise ValueError(f"topic {view.topic!r} has no current figures to draw")
    consensus: Consensus | None = view.consensus
    supporters = set(consensus.supporters) if consensus else set()
    camps = camps_of(consensus)
    camp_of = {source: i for i, camp in enumerate(camps) for source in camp.supporters}
    figures = [c.figure for c in view.figures]
    # The best the consensus counts (none for a bound), not a midpoint of its own.
    axis = value_axis(
        [v for c in view.figures for v in (c.figure.low, c.figure.high, c.best)],
        any(f.low is None for f in figures),
        any(f.high is None for f in figures),
    )
    lo, hi, log = axis.lo, axis.hi, axis.scale == "log"
    bars = []
    for current in view.figures:
        f = current.figure
        best = current.best
        bars.append(
            Bar(
                source=current.source,
                words=words_of(current),
                text=str(f),
                low=_place(f.low, lo, lo, log),
                high=_place(f.high, hi, lo, log),
                low_end=_end(f.low, f.low_open),
                high_end=_end(f.high, f.high_open),
                best=None if best is None else _place(best, lo, lo, log),
                best_given=f.best is not None,
                supporter=current.source in supporters,
                derived=current.derived,
                disputed_by=current.disputed_by,
                stale=current.stale,
                camp=None if current.stale else camp_of.get(current.source),
            )
        )
    bands = []
    for i, camp in enumerate(camps):
        span = _span(camp.interval, lo, hi, log)
        assert span is not None
        bands.append(
            Band(
                span=span,
                text=str(camp.interval),
                estimate=None if camp.estimate is None else float(camp.estimate),
                supporters=camp.supporters,
                color=CAMP_COLORS[i % len(CAMP_COLORS)],
            )
        )
    estimate = consensus.estimate if consensus else None
    if camps:
        consensus_text = f"split into {len(camps)} camps"
    else:
        consensus_text = str(consensus.interval) if consensus and consensus.interval else "none"
    return TopicChart(
        topic=view.topic,
        title=title or view.topic,
        unit=view.unit or figures[0].unit,
        bars=tuple(bars),
        range=_span(view.range, lo, hi, log),
        consensus=_span(consensus.interval if consensus else None, lo, hi, log),
        range_text=str(view.range) if view.range is not None else "none",
        consensus_text=consensus_text,
        estimate=None if estimate is None else float(estimate),
        level=consensus.level if consensus else None,
        lo=lo,
        hi=hi,
        ticks=axis.ticks,
        camps=tuple(bands),
        scale=axis.scale,
        window=fmt_window(view.window),
    )
