"""The model of a topic's chart: bars, bands, camps and an axis, drawn by any renderer.

``topic_chart`` turns a ``TopicView`` into a renderer-free model that both
matplotlib (``ledger.present.charts``, PNG or SVG) and the HTML report's
hand-written SVG draw, so the two pictures always agree: the same colours,
the same stale and camp marks, the same axis.

**The axis** is logarithmic when the figures span more than two orders of
magnitude (``log_scale``): every finite bound and best drawn is at least 0,
one is positive, and the largest over the smallest positive one is more than
``LOG_RATIO`` (100). A bound of 0 cannot be placed on a log axis: the bar
runs to the axis's left edge (its label keeps the true interval), and so do
positive values below ``LOG_FLOOR`` (1e-307), which the ratio counts as that
floor. With a negative value the axis stays linear.

**Any finite figures** give an axis: its ends are finite, ``lo < hi``, and
``hi - lo`` is a finite float too (renderers divide by it), so the arithmetic
is exact (``fractions.Fraction``) where floats would overflow or underflow
(``[-1e308, 1e308]``, ``[0, 5e-324]``). No linear axis is narrower than
1e-300, so that a renderer's pixels per unit stay finite: figures within a
few subnormals of zero sit at its edge. Figures wider apart than the largest
float cannot all fit such an axis: it is centred on them and what lies beyond
runs to its edges, as an unbounded end does; every label keeps the true value.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from fractions import Fraction

import attrs

from ledger.domain.figures import Interval, Number
from ledger.domain.views import Consensus, TopicView
from ledger.present.words import camps_of, fmt_number, fmt_window, words_of

__all__ = [
    "CAMP_COLORS",
    "COLORS",
    "LOG_FLOOR",
    "LOG_RATIO",
    "Axis",
    "Band",
    "Bar",
    "TopicChart",
    "bar_color",
    "camp_color",
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
#: The smallest value a log axis places (a normal float, whose log10 is finite):
#: positive values below it are drawn at the axis's left edge, as zeros are.
LOG_FLOOR = 1e-307


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
    #: In a split, the index of the first camp the source is in (None: in none, or no split).
    camp: int | None = None
    #: Every camp the source is in: a figure may agree with two camps that do not agree.
    camps: tuple[int, ...] = ()


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
    estimate: float | None  # where it is drawn: within the axis
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
    #: The estimate as a number to read (``estimate`` is where it is drawn), or "none".
    estimate_text: str = "none"


def camp_color(camp: int) -> str:
    """The colour of a camp of a split, by its index."""
    return CAMP_COLORS[camp % len(CAMP_COLORS)]


def bar_color(bar: Bar) -> str:
    """A bar's colour: grey when stale, its (first) camp's in a split, else supporter or dissenter.

    A bar in more camps than one carries a stripe of each further camp's colour.
    """
    if bar.stale:
        return COLORS["stale"]
    if bar.camp is not None:
        return camp_color(bar.camp)
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
    left edge. Positive values below LOG_FLOOR count as LOG_FLOOR.
    """
    positive = [v for v in values if v > 0]
    if not positive or min(values) < 0:
        return False
    return max(positive) / max(min(positive), LOG_FLOOR) > LOG_RATIO


_MAX = sys.float_info.max
#: The narrowest linear axis: a renderer's pixels per unit (width / (hi - lo)) stay finite.
_NARROWEST = Fraction(10) ** -300
#: The exponent of the largest power of ten below the largest float.
_TOP_EXP = 308


def _log_axis(values: list[float], open_low: bool, open_high: bool) -> tuple[float, float]:
    placed = [v for v in values if v >= LOG_FLOOR]
    # As log_scale counts them: positive values below the floor as the floor.
    a = math.log10(max(min(v for v in values if v > 0), LOG_FLOOR))
    b = math.log10(max(placed))
    span = b - a
    pad = span * 0.06
    # Room on the left for unbounded lows and for zeros, which no log axis can place.
    room_low = span * 0.2 if open_low or len(placed) < len(values) else 0.0
    lo = max(a - pad - room_low, math.log10(LOG_FLOOR))
    hi = b + pad + (span * 0.2 if open_high else 0.0)
    # 10.0**hi raises OverflowError past the largest float: stop at that float instead.
    return (10.0**lo, 10.0**hi if hi < _TOP_EXP else _MAX)


def _linear_axis(values: list[float], open_low: bool, open_high: bool) -> tuple[float, float]:
    if not values:
        return (0.0, 1.0)
    # Exact: a float span overflows (-1e308 to 1e308) or underflows (5e-324 / 5).
    first, last = Fraction(min(values)), Fraction(max(values))
    lo, hi = first, last
    if lo == hi:
        # One value on its own says little at ±6%: show it against zero, off the edge
        # (a lone zero against 1).
        lo, hi = min(lo, Fraction(0)), max(hi, Fraction(0)) + (abs(hi) * Fraction(2, 5) or 1)
    span = hi - lo
    pad = span * Fraction(3, 50)
    # Unbounded ends need room for their arrow beyond the last finite value.
    new_lo = lo - pad - (span / 5 if open_low else 0)
    new_hi = hi + pad + (span / 5 if open_high else 0)
    if lo >= 0 > new_lo and not open_low:
        new_lo = Fraction(0)  # counts never go below zero; do not draw an axis that does
    return _fit(new_lo, new_hi, first, last)


def _fit(new_lo: Fraction, new_hi: Fraction, lo: Fraction, hi: Fraction) -> tuple[float, float]:
    """new_lo to new_hi (the values lo to hi and their margins) as float ends a float apart."""
    top = Fraction(_MAX)
    if new_hi - new_lo < _NARROWEST:
        # Only values within a few subnormals of zero come here: widen away from zero.
        if lo >= 0:
            new_hi = new_lo + _NARROWEST
        elif hi <= 0:
            new_lo = new_hi - _NARROWEST
        else:
            new_lo, new_hi = (lo + hi - _NARROWEST) / 2, (lo + hi + _NARROWEST) / 2
    new_lo, new_hi = max(new_lo, -top), min(new_hi, top)
    first, last = float(lo), float(hi)
    if math.isinf(last - first):
        # Wider apart than the largest float: centre the axis on them; the rest runs to its edges.
        first = last = first / 2 + last / 2
        new_lo, new_hi = Fraction(first) - top / 2, Fraction(first) + top / 2
    elif new_hi - new_lo > top:
        # Every value fits, not every margin: share what room is left between the two sides.
        room = max(top - (hi - lo), Fraction(0))
        left, right = lo - new_lo, new_hi - hi
        new_lo, new_hi = lo - room * left / (left + right), hi + room * right / (left + right)
    a, b = float(new_lo), float(new_hi)
    # Rounded to floats the ends may be an ulp too far apart: bring in one that is not a value.
    while math.isinf(b - a):
        if a < first:
            a = math.nextafter(a, math.inf)
        else:
            b = math.nextafter(b, -math.inf)
    return (a, b)


def _axis(
    values: list[float], open_low: bool, open_high: bool, *, log: bool = False
) -> tuple[float, float]:
    if log:
        return _log_axis(values, open_low, open_high)
    return _linear_axis(values, open_low, open_high)


def _exponent(value: Fraction) -> int:
    """The e with 10**e <= value < 10**(e + 1), for a positive value."""
    e = math.floor(math.log10(value.numerator) - math.log10(value.denominator))
    while Fraction(10) ** e > value:
        e -= 1
    while Fraction(10) ** (e + 1) <= value:
        e += 1
    return e


def _step(raw: Fraction, integers: bool) -> Fraction:
    magnitude = Fraction(10) ** _exponent(raw)
    # On an axis of whole counts, no tick at 2.5 soldiers.
    return next(
        step
        for step in (m * magnitude for m in (1, 2, Fraction(5, 2), 5, 10))
        if raw <= step and (not integers or step.denominator == 1)
    )


def nice_ticks(
    lo: float, hi: float, target: int = 5, *, integers: bool = False
) -> tuple[float, ...]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) between lo and hi.

    For finite lo < hi the ticks are finite floats, strictly increasing, all
    within [lo, hi], and there is at least one (with ``integers``, at least one
    when a whole number lies between). Each is the float nearest its round
    value (0.3, not 0.30000000000000004). lo == hi gives (lo,); ends that are
    not finite, or lo > hi, give none.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        return ()
    if lo == hi:
        return (lo,)
    # Exact: hi - lo may overflow a float, and a tiny span's steps underflow one.
    a, b = Fraction(lo), Fraction(hi)
    raw = (b - a) / max(target, 1)
    step = _step(max(raw, Fraction(1)) if integers else raw, integers)
    top = Fraction(_MAX)
    ticks: list[float] = []
    # One step beyond each end: a round value just past an end may be the end as a float.
    for i in range(math.ceil(a / step) - 1, math.floor(b / step) + 2):
        exact = i * step
        tick = float(exact) if abs(exact) <= top else math.inf
        # Steps below the floats' resolution give the same float twice: keep one.
        if lo <= tick <= hi and (not ticks or tick > ticks[-1]):
            ticks.append(tick)
    return tuple(ticks)


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
    """An axis for some values: its ends, its ticks and its scale ("linear" or "log").

    From ``value_axis``: lo < hi, both finite, hi - lo finite; the ticks lie
    between them, in order.
    """

    lo: float
    hi: float
    ticks: tuple[float, ...]
    scale: str

    def place(self, value: Number | None, *, high: bool = False) -> float:
        """Where a bound is drawn: the edge when unbounded, the left edge for <= 0 on a log axis.

        Always between lo and hi: a value beyond the axis is drawn at its edge.
        """
        return _place(value, self.hi if high else self.lo, self)


def value_axis(values: Sequence[Number | None], open_low: bool, open_high: bool) -> Axis:
    """The axis for finite values (None ignored); room for unbounded lows or highs."""
    finite = _finite(values)
    log = log_scale(finite)
    lo, hi = _axis(finite, open_low, open_high, log=log)
    if log:
        return Axis(lo, hi, log_ticks(lo, hi), "log")
    ticks = nice_ticks(lo, hi, integers=all(v.is_integer() for v in finite))
    return Axis(lo, hi, ticks, "linear")


def _place(value: Number | None, edge: float, axis: Axis) -> float:
    """Where a bound is drawn: the edge when unbounded; the left edge for <= 0 on a log axis."""
    if value is None:
        return edge
    if axis.scale == "log" and value <= 0:
        return axis.lo
    return min(max(float(value), axis.lo), axis.hi)


def _span(interval: Interval | None, axis: Axis) -> tuple[float, float] | None:
    if interval is None:
        return None
    return (_place(interval.low, axis.lo, axis), _place(interval.high, axis.hi, axis))


def topic_chart(view: TopicView, title: str | None = None) -> TopicChart:
    """The model of a topic's bar chart; the view must have current figures."""
    if not view.figures:
        raise ValueError(f"topic {view.topic!r} has no current figures to draw")
    consensus: Consensus | None = view.consensus
    supporters = set(consensus.supporters) if consensus else set()
    camps = camps_of(consensus)
    in_camps: dict[str, tuple[int, ...]] = {}
    for i, camp in enumerate(camps):
        for source in camp.supporters:
            in_camps[source] = (*in_camps.get(source, ()), i)
    figures = [c.figure for c in view.figures]
    # The best the consensus counts (none for a bound), not a midpoint of its own.
    axis = value_axis(
        [v for c in view.figures for v in (c.figure.low, c.figure.high, c.best)],
        any(f.low is None for f in figures),
        any(f.high is None for f in figures),
    )
    bars = []
    for current in view.figures:
        f = current.figure
        best = current.best
        bars.append(
            Bar(
                source=current.source,
                words=words_of(current),
                text=str(f),
                low=axis.place(f.low),
                high=axis.place(f.high, high=True),
                low_end=_end(f.low, f.low_open),
                high_end=_end(f.high, f.high_open),
                best=None if best is None else axis.place(best),
                # A derived figure's best is the sum of its parts' bests: no source gave it.
                best_given=f.best is not None and not current.derived,
                supporter=current.source in supporters,
                derived=current.derived,
                disputed_by=current.disputed_by,
                stale=current.stale,
                camp=None if current.stale else in_camps.get(current.source, (None,))[0],
                camps=() if current.stale else in_camps.get(current.source, ()),
            )
        )
    bands = []
    for i, camp in enumerate(camps):
        span = _span(camp.interval, axis)
        assert span is not None
        bands.append(
            Band(
                span=span,
                text=str(camp.interval),
                estimate=None if camp.estimate is None else axis.place(camp.estimate),
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
        range=_span(view.range, axis),
        consensus=_span(consensus.interval if consensus else None, axis),
        range_text=str(view.range) if view.range is not None else "none",
        consensus_text=consensus_text,
        estimate=None if estimate is None else axis.place(estimate),
        level=consensus.level if consensus else None,
        lo=axis.lo,
        hi=axis.hi,
        ticks=axis.ticks,
        camps=tuple(bands),
        scale=axis.scale,
        window=fmt_window(view.window),
        estimate_text="none" if estimate is None else fmt_number(estimate),
    )
