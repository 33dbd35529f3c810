"""Laws of the projections (DESIGN.md §4) over generated figures and valid logs.

The heart of this file is an oracle written from DESIGN §4's words alone,
with nothing of the implementation: it tries every subset of a topic's fresh
figures (up to eight), intersects them exactly (Fractions), tests agreement
as §4 words it, takes the maximum (g, |S|), reads the level table row by
row, orders the camps, and computes the estimate from bests with the
whole-number rounding. A second part replays whole logs the same way
(current figures, retractions, composite derivation, voices, reference
times, the window in force, staleness, each topic's history) and compares
every topic of a ledger, and of its ``as_of`` views, with it. Then one test
per law.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from itertools import combinations, pairwise
from typing import Any

import attrs
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Consensus,
    CurrentFigure,
    Figure,
    FigureReported,
    Interval,
    Ledger,
    LedgerView,
    SourceDescribed,
    TopicDefined,
    TopicView,
)
from ledger.domain.consensus import find_consensus, hull
from ledger.domain.events import Event
from ledger.domain.figures import Number
from ledger.domain.freshness import assess
from ledger.projections.protocol import LedgerProjection
from ledger.testing.strategies import (
    BASE_TIME,
    COMPOSITE,
    MORE_SOURCES,
    NESTED,
    UNIT,
    current_figures,
    definitions,
    event_sequences,
    interleavings,
    numbers,
    small_numbers,
    spread_figures,
    stated_of,
    states_a_limit,
    windows,
)

# Wide but moderate numbers: midpoints and sums of these never overflow a float.
wide_numbers = st.integers(-(2**62), 2**62) | st.floats(-1e15, 1e15)
# Ints and quarters on a coarse grid: figures touch and nest often, and every
# sum, midpoint and mean of two midpoints is exact in binary.
grid = small_numbers
INF = float("inf")
#: The oracle over one topic's figures is cheap enough for more examples than the profile's.
many = settings(max_examples=max(200, settings().max_examples))


# == the contract, from scratch =====================================================


@attrs.frozen
class Span:
    """An interval with exact ends (None: unbounded)."""

    low: Fraction | None
    high: Fraction | None
    low_open: bool = False
    high_open: bool = False

    def is_point(self) -> bool:
        return self.low is not None and self.low == self.high


def span_of(f: Figure | Interval) -> Span:
    low = None if f.low is None else Fraction(f.low)
    high = None if f.high is None else Fraction(f.high)
    return Span(low, high, f.low_open, f.high_open)


def meet(spans: Iterable[Span]) -> Span | None:
    """The common intersection, or None when it is empty."""
    low: Fraction | None = None
    high: Fraction | None = None
    low_open = high_open = False
    for s in spans:
        if s.low is not None:
            if low is None or s.low > low:
                low, low_open = s.low, s.low_open
            elif s.low == low:
                low_open = low_open or s.low_open  # at a shared end the open one bounds
        if s.high is not None:
            if high is None or s.high < high:
                high, high_open = s.high, s.high_open
            elif s.high == high:
                high_open = high_open or s.high_open
    if low is None or high is None:
        return Span(low, high, low_open, high_open)
    if low > high or (low == high and (low_open or high_open)):
        return None
    return Span(low, high, low_open, high_open)


def hull_of(spans: Sequence[Span]) -> Span | None:
    """DESIGN's range: lowest low, highest high; an end open only if every figure there is."""
    if not spans:
        return None
    low = None if any(s.low is None for s in spans) else min(s.low for s in spans)  # type: ignore[type-var]
    high = None if any(s.high is None for s in spans) else max(s.high for s in spans)  # type: ignore[type-var]
    low_open = low is not None and all(s.low_open for s in spans if s.low == low)
    high_open = high is not None and all(s.high_open for s in spans if s.high == high)
    return Span(low, high, low_open, high_open)


def order(s: Span) -> tuple[Any, ...]:
    """Narrowest first (unbounded: infinitely wide), lowest low, lowest high."""
    width = INF if s.low is None or s.high is None else s.high - s.low
    # Unbounded below first; at one value closed before open.
    low = (0,) if s.low is None else (1, s.low, 1 if s.low_open else 0)
    # At one value open before closed; unbounded above last.
    high = (2,) if s.high is None else (1, s.high, 0 if s.high_open else 1)
    return (width, low, high)


@attrs.frozen
class Said:
    """What the consensus needs of one fresh figure."""

    source: str
    span: Span
    best: Fraction | None  # given, else None for a bound, else the midpoint
    voice: str
    whole: bool  # every finite bound an int


def said(c: CurrentFigure) -> Said:
    """A current figure as the oracle reads it (its bound flag is an input, like its voice)."""
    f = c.figure
    best: Fraction | None
    if f.best is not None:
        best = Fraction(f.best)
    elif c.bound or f.low is None or f.high is None:
        best = None
    else:
        best = (Fraction(f.low) + Fraction(f.high)) / 2
    whole = all(type(v) is int for v in (f.low, f.high) if v is not None)
    return Said(c.source, span_of(f), best, c.voice, whole)


def agreement(members: Sequence[Said]) -> Span | None:
    """The common intersection when the set agrees, else None."""
    common = meet(m.span for m in members)
    if common is None:
        return None
    if common.low is None or common.high is None or common.low < common.high:
        return common
    # One value: agreement only when a figure of the set states it as a point.
    if any(m.span.is_point() and m.span.low == common.low for m in members):
        return common
    return None


def estimate_of(members: Sequence[Said], common: Span) -> Fraction | int | None:
    bests = sorted(m.best for m in members if m.best is not None)
    if not bests:
        return None
    k = len(bests)
    mid = bests[k // 2] if k % 2 else (bests[k // 2 - 1] + bests[k // 2]) / 2
    if common.low is not None and mid < common.low:
        mid = common.low
    if common.high is not None and mid > common.high:
        mid = common.high
    if all(m.whole for m in members):
        return round(mid)  # Fraction rounds halves to even
    return mid


@attrs.frozen
class ExpectedCamp:
    span: Span
    supporters: tuple[str, ...]
    estimate: Fraction | int | None


@attrs.frozen
class Expected:
    """The consensus as DESIGN §4 defines it, exactly."""

    span: Span | None
    supporters: tuple[str, ...]
    dissenters: tuple[str, ...]
    estimate: Fraction | int | None
    level: str
    camps: tuple[ExpectedCamp, ...]
    top: tuple[int, int]  # the maximum (g, |S|)
    voices: int  # V


Agreeing = list[tuple[tuple[int, int], tuple[int, ...], Span]]


def every_subset(fresh: Sequence[Said]) -> Agreeing:
    """Every agreeing set of the figures, (voices, size), members and intersection: 2**n tries."""
    agreeing: Agreeing = []
    for size in range(1, len(fresh) + 1):
        for combo in combinations(range(len(fresh)), size):
            members = [fresh[i] for i in combo]
            common = agreement(members)
            if common is not None:
                agreeing.append(((len({m.voice for m in members}), size), combo, common))
    return agreeing


def contains(span: Span, x: Fraction) -> bool:
    above = span.low is None or span.low < x or (span.low == x and not span.low_open)
    below = span.high is None or x < span.high or (x == span.high and not span.high_open)
    return above and below


def covers_of_candidate_points(fresh: Sequence[Said]) -> Agreeing:
    """The sets covering each point strictly between neighbouring endpoint values, beyond
    them all, or stated as a point: the maximal agreeing sets among them, for any n.

    Every set attaining the maximum is one of these (checked against
    ``every_subset`` where trying every subset is affordable); each must agree.
    """
    values = sorted({v for f in fresh for v in (f.span.low, f.span.high) if v is not None})
    points = [(a + b) / 2 for a, b in pairwise(values)]
    points += [f.span.low for f in fresh if f.span.is_point() and f.span.low is not None]
    points += [values[0] - 1, values[-1] + 1] if values else [Fraction(0)]
    agreeing: Agreeing = []
    for combo in sorted(
        {tuple(i for i, f in enumerate(fresh) if contains(f.span, p)) for p in points}
    ):
        if not combo:
            continue
        members = [fresh[i] for i in combo]
        common = agreement(members)
        assert common is not None, members
        agreeing.append(((len({m.voice for m in members}), len(combo)), combo, common))
    return agreeing


def oracle(
    fresh: Sequence[Said], sets: Callable[[Sequence[Said]], Agreeing] = every_subset
) -> Expected | None:
    """The consensus of the fresh figures, from their agreeing sets (every subset tried)."""
    if not fresh:
        return None
    n = len(fresh)
    voices = len({f.voice for f in fresh})
    agreeing = sets(fresh)
    top = max(key for key, _, _ in agreeing)
    tied = sorted(
        ((order(common), combo, common) for key, combo, common in agreeing if key == top),
        key=lambda t: t[0],
    )
    # No two sets attaining the maximum have the same place in the order.
    assert len({key for key, _, _ in tied}) == len(tied)
    everyone = tuple(sorted(f.source for f in fresh))

    def sources(combo: Sequence[int]) -> tuple[str, ...]:
        return tuple(sorted(fresh[i].source for i in combo))

    level: str
    if voices == 1:
        level = "single"
    elif top[0] == 1:
        level = "none"
    elif len(tied) > 1:
        level = "split"
    elif top[1] == n:
        level = "unanimous"
    elif 2 * top[0] > voices:
        level = "majority"
    else:
        level = "plurality"
    if level in ("none", "split"):
        camps = ()
        if level == "split":
            camps = tuple(
                ExpectedCamp(common, sources(combo), estimate_of([fresh[i] for i in combo], common))
                for _, combo, common in tied
            )
        return Expected(None, (), everyone, None, level, camps, top, voices)
    _, combo, common = tied[0]
    supporters = sources(combo)
    dissenters = tuple(s for s in everyone if s not in supporters)
    members = [fresh[i] for i in combo]
    return Expected(
        common, supporters, dissenters, estimate_of(members, common), level, (), top, voices
    )


def within(estimate: Number | None, span: Span | None) -> bool:
    """Whether an estimate lies in the closure of the interval, exactly."""
    if estimate is None or span is None:
        return True
    x = Fraction(estimate)
    return (span.low is None or x >= span.low) and (span.high is None or x <= span.high)


def inside_or_nearest(estimate: Number | None, span: Span | None) -> bool:
    """In the closure of the interval or, when no float lies there, the float nearest it.

    Between two int ends beyond 2**53 there may be no float at all; a float
    estimate is then the nearest float on either side (the one above on a tie).
    """
    if within(estimate, span):
        return True
    if type(estimate) is not float or span is None or span.low is None or span.high is None:
        return False
    x = Fraction(estimate)
    if x > span.high:
        below = Fraction(math.nextafter(estimate, -math.inf))
        return below < span.low and x - span.high <= span.low - below
    above = Fraction(math.nextafter(estimate, math.inf))
    return above > span.high and span.low - x < above - span.high


def same_kind(found: Number | None, exact: Fraction | int | None) -> bool:
    """An int exactly when the whole-number rule made the exact estimate one."""
    return found is None or (type(found) is int) == isinstance(exact, int)


#: The gap between 0 and the smallest float: what a float midpoint of tiny values may lose.
TINIEST = Fraction(2) ** -1074


def close(found: Number | None, exact: Fraction | int | None) -> bool:
    """Equal; a float estimate may differ from the exact one by the rounding of a mean."""
    if found is None or exact is None:
        return found is None and exact is None
    if isinstance(exact, int) or (exact.denominator == 1 and abs(exact) < 2**53):
        return Fraction(found) == exact
    return abs(Fraction(found) - exact) <= max(abs(exact) * Fraction(1, 2**50), TINIEST)


def check_consensus(found: Consensus | None, expected: Expected | None) -> None:
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert found.level == expected.level
    assert found.supporters == expected.supporters
    assert found.dissenters == expected.dissenters
    assert (None if found.interval is None else span_of(found.interval)) == expected.span
    assert close(found.estimate, expected.estimate), (found.estimate, expected.estimate)
    assert same_kind(found.estimate, expected.estimate), (found.estimate, expected.estimate)
    assert inside_or_nearest(found.estimate, expected.span)
    assert len(found.camps) == len(expected.camps)
    for camp, want in zip(found.camps, expected.camps, strict=True):
        assert span_of(camp.interval) == want.span
        assert camp.supporters == want.supporters
        assert close(camp.estimate, want.estimate), (camp.estimate, want.estimate)
        assert same_kind(camp.estimate, want.estimate), (camp.estimate, want.estimate)
        assert inside_or_nearest(camp.estimate, want.span)


# -- freshness, from scratch -----------------------------------------------------------

EPOCH = datetime(1, 1, 1, tzinfo=UTC)


def micros(x: datetime | timedelta) -> int:
    """A time or a span in whole microseconds: Python ints, so nothing overflows."""
    if isinstance(x, datetime):
        x = x - EPOCH
    return x // timedelta(microseconds=1)


def is_stale(reference: datetime, latest: datetime, window: timedelta | None) -> bool:
    """Earlier than latest − w; with no window nothing is stale."""
    if window is None:
        return False
    return micros(reference) < micros(latest) - micros(window)


def check_assessed(view: TopicView, window: timedelta | None) -> None:
    """A TopicView of current figures under a window against the oracle."""
    times = [f.reference_time for f in view.figures]
    assert all(t is not None for t in times)
    latest = max(times) if times else None  # type: ignore[type-var]
    assert view.latest == latest
    assert view.window == window
    for f in view.figures:
        assert f.reference_time is not None
        assert latest is not None
        assert f.stale == is_stale(f.reference_time, latest, window)
    fresh = [said(f) for f in view.figures if not f.stale]
    assert (None if view.range is None else span_of(view.range)) == hull_of([f.span for f in fresh])
    check_consensus(view.consensus, oracle(fresh))


# -- a whole log, from scratch -----------------------------------------------------------


@attrs.frozen
class Current:
    """A current figure as the replay below derives it."""

    source: str
    span: Span
    ints: tuple[bool, bool]  # each end an int (True when unbounded)
    given: Fraction | None  # the figure's best field (for a derived figure, the sum)
    bound: bool
    reference_time: datetime
    voice: str
    derived: bool
    claim_id: str | None
    disputed_by: tuple[str, ...]

    @property
    def best(self) -> Fraction | None:
        if self.given is not None:
            return self.given
        if self.bound:
            return None
        assert self.span.low is not None
        assert self.span.high is not None
        return (self.span.low + self.span.high) / 2

    def said(self) -> Said:
        return Said(self.source, self.span, self.best, self.voice, all(self.ints))


@attrs.frozen
class Shown:
    """A topic as the replay says the ledger must show it."""

    topic: str
    unit: str | None
    figures: tuple[tuple[Current, bool], ...]  # (figure, stale), sorted by source
    range: Span | None
    consensus: Expected | None
    latest: datetime | None
    window: timedelta | None
    #: (position, claim_id, source, retracted, current) of every figure reported on it.
    history: tuple[tuple[int, str, str, bool, bool], ...]


def replay(entries: Sequence[tuple[int, Event]], window: timedelta | None) -> dict[str, Shown]:
    """Every mentioned topic of the events (position, event), under a query window."""
    reports: dict[tuple[str, str], list[tuple[datetime, int, FigureReported]]] = {}
    first_unit: dict[str, str] = {}
    owner: dict[str, str] = {}  # claim_id -> source, for the claims in view
    mentioned: set[str] = set()
    described: dict[str, SourceDescribed] = {}
    defined: dict[str, TopicDefined] = {}
    retractions: list[tuple[str, str]] = []
    disputes: list[tuple[str, str]] = []
    for position, e in sorted(entries, key=lambda pe: pe[0]):
        if isinstance(e, FigureReported):
            reports.setdefault((e.topic, e.source), []).append((e.stated_at, position, e))
            first_unit.setdefault(e.topic, e.figure.unit)
            owner[e.claim_id] = e.source
            mentioned.add(e.topic)
        elif isinstance(e, TopicDefined):
            defined[e.topic] = e
            mentioned.add(e.topic)
        elif isinstance(e, SourceDescribed):
            described[e.source] = e
        elif isinstance(e, ClaimMade):
            owner[e.claim_id] = e.source
            mentioned.add(e.topic)
        elif isinstance(e, ClaimRetracted):
            retractions.append((e.target, e.source))
        else:
            assert isinstance(e, ClaimDisputed)
            disputes.append((e.target, e.source))
    retracted = {t for t, s in retractions if owner.get(t) == s}
    disputers: dict[str, set[str]] = {}
    for target, source in disputes:
        if target in owner and owner[target] != source:
            disputers.setdefault(target, set()).add(source)

    def voice(source: str) -> str:
        d = described.get(source)
        return d.affiliation if d is not None and d.affiliation is not None else source

    def direct(topic: str) -> dict[str, Current | None]:
        found: dict[str, Current | None] = {}
        for (t, source), made in reports.items():
            if t != topic:
                continue
            _, _, e = max(made, key=lambda m: (m[0], m[1]))
            if e.claim_id in retracted:
                found[source] = None
                continue
            f = e.figure
            found[source] = Current(
                source=source,
                span=span_of(f),
                ints=(f.low is None or type(f.low) is int, f.high is None or type(f.high) is int),
                given=None if f.best is None else Fraction(f.best),
                bound=states_a_limit(f),
                reference_time=e.as_of,
                voice=voice(source),
                derived=False,
                claim_id=e.claim_id,
                disputed_by=tuple(sorted(disputers.get(e.claim_id, ()))),
            )
        return found

    def latest_of(e: FigureReported) -> bool:
        """Whether e is its source's most recent figure on its topic (by stated_at, position)."""
        return max(reports[(e.topic, e.source)], key=lambda m: (m[0], m[1]))[2] is e

    memo: dict[str, dict[str, Current]] = {}

    def current(topic: str) -> dict[str, Current]:
        if topic in memo:
            return memo[topic]
        if topic not in mentioned:
            return {}
        own = direct(topic)
        found = {s: c for s, c in own.items() if c is not None}
        parts = defined[topic].parts if topic in defined else ()
        if parts:
            by_part = [current(p) for p in parts]
            for source in set.intersection(*(set(p) for p in by_part)):
                if source not in found:
                    found[source] = derive(source, [p[source] for p in by_part])
        memo[topic] = found
        return found

    def derive(source: str, parts: list[Current]) -> Current:
        lows = [p.span.low for p in parts]
        highs = [p.span.high for p in parts]
        low = None if None in lows else sum(lows, Fraction(0))  # type: ignore[arg-type]
        high = None if None in highs else sum(highs, Fraction(0))  # type: ignore[arg-type]
        bests = [p.best for p in parts]
        return Current(
            source=source,
            span=Span(
                low,
                high,
                low is not None and any(p.span.low_open for p in parts),
                high is not None and any(p.span.high_open for p in parts),
            ),
            # An unbounded end is no finite bound: it cannot make the figure less whole.
            ints=(
                low is None or all(p.ints[0] for p in parts),
                high is None or all(p.ints[1] for p in parts),
            ),
            given=None if None in bests else sum(bests, Fraction(0)),  # type: ignore[arg-type]
            bound=any(p.bound for p in parts),
            reference_time=min(p.reference_time for p in parts),
            voice=voice(source),
            derived=True,
            claim_id=None,
            disputed_by=tuple(sorted({s for p in parts for s in p.disputed_by})),
        )

    shown: dict[str, Shown] = {}
    for topic in sorted(mentioned):
        figs = sorted(current(topic).values(), key=lambda c: c.source)
        in_force = window if window is not None else getattr(defined.get(topic), "window", None)
        latest = max((c.reference_time for c in figs), default=None)
        marked = tuple(
            (c, latest is not None and is_stale(c.reference_time, latest, in_force)) for c in figs
        )
        fresh = [c for c, stale in marked if not stale]
        unit = getattr(defined.get(topic), "unit", None) or first_unit.get(topic)
        if unit is None and figs:
            unit = UNIT  # a composite with derived figures only: its parts' unit
        made = sorted(
            (m for (t, _), ms in reports.items() if t == topic for m in ms),
            key=lambda m: (m[0], m[1]),
        )
        history = tuple(
            (
                p,
                e.claim_id,
                e.source,
                e.claim_id in retracted,
                latest_of(e) and e.claim_id not in retracted,
            )
            for _, p, e in made
        )
        shown[topic] = Shown(
            topic=topic,
            unit=unit,
            figures=marked,
            range=hull_of([c.span for c in fresh]),
            consensus=oracle([c.said() for c in fresh]),
            latest=latest,
            window=in_force,
            history=history,
        )
    return shown


def check_view(found: TopicView, want: Shown) -> None:
    assert (found.topic, found.unit) == (want.topic, want.unit)
    assert (found.latest, found.window) == (want.latest, want.window)
    assert [f.source for f in found.figures] == [c.source for c, _ in want.figures]
    for f, (c, stale) in zip(found.figures, want.figures, strict=True):
        assert (f.claim_id, f.derived, f.disputed_by) == (c.claim_id, c.derived, c.disputed_by)
        assert (f.voice, f.stale, f.reference_time, f.bound) == (
            c.voice,
            stale,
            c.reference_time,
            c.bound,
        )
        assert span_of(f.figure) == c.span
        assert close(f.figure.best, c.given)
        for value, is_int in zip((f.figure.low, f.figure.high), c.ints, strict=True):
            assert value is None or (type(value) is int) == is_int
    assert (None if found.range is None else span_of(found.range)) == want.range
    check_consensus(found.consensus, want.consensus)


def check_ledger(view: LedgerView, entries: Sequence[tuple[int, Event]], window: Any) -> None:
    """Every topic of a ledger (or an as_of view) under a query window, against the replay."""
    shown = replay(entries, window)
    topics = view.topics(window=window)
    assert [t.topic for t in topics] == sorted(shown)
    for found in topics:
        check_view(found, shown[found.topic])
        assert view.topic(found.topic, window=window) == found
        trail = view.history(found.topic)
        got = tuple((h.position, h.claim_id, h.source, h.retracted, h.current) for h in trail)
        assert got == shown[found.topic].history
        by_position = dict(entries)
        for h in trail:
            e = by_position[h.position]
            assert isinstance(e, FigureReported)
            assert (h.figure, h.stated_at, h.reference_time) == (e.figure, e.stated_at, e.as_of)


def numbered(events: Sequence[Event]) -> list[tuple[int, Event]]:
    return list(enumerate(events, 1))


def opened(events: Sequence[Event]) -> Ledger:
    lg = Ledger.open("memory://")
    lg.extend(events)
    return lg


rich_logs = event_sequences(
    max_size=32,
    affiliations=True,
    as_of=True,
    bounds=True,
    topic_windows=True,
    spread=True,
    sources=MORE_SOURCES,
)


# == the oracle against find_consensus, assess and whole ledgers ==========================


@many
@given(figures=current_figures(8, grid))
def test_consensus_on_a_coarse_grid_matches_the_brute_force_oracle(
    figures: list[CurrentFigure],
) -> None:
    check_consensus(find_consensus(figures), oracle([said(f) for f in figures]))


@many
@given(figures=current_figures(8, grid, voices=False))
def test_consensus_of_independent_sources_matches_the_brute_force_oracle(
    figures: list[CurrentFigure],
) -> None:
    check_consensus(find_consensus(figures), oracle([said(f) for f in figures]))


@many
@given(figures=current_figures(8, grid))
def test_the_candidate_points_give_the_sets_trying_every_subset_gives(
    figures: list[CurrentFigure],
) -> None:
    fresh = [said(f) for f in figures]
    assert oracle(fresh, covers_of_candidate_points) == oracle(fresh)


# More figures than trying every subset affords, and than the consensus counts point by
# point: the sweep over sorted ends (voices shared) and the count by bisection (every
# source its own voice), on a grid where ends touch and over wide numbers.
def many_figures_of(values: st.SearchStrategy[Number]) -> st.SearchStrategy[list[CurrentFigure]]:
    """13 to 40 figures over values, sharing voices or each its own."""
    return st.booleans().flatmap(
        lambda voices: current_figures(40, values, voices=voices, min_size=13)
    )


many_figures = many_figures_of(grid) | many_figures_of(wide_numbers)


@settings(max_examples=2 * settings().max_examples)
@given(figures=many_figures)
def test_consensus_of_many_figures_matches_the_oracle_of_candidate_points(
    figures: list[CurrentFigure],
) -> None:
    expected = oracle([said(f) for f in figures], covers_of_candidate_points)
    check_consensus(find_consensus(figures), expected)


@given(figures=current_figures(8, wide_numbers, spread=False))
def test_consensus_over_wide_numbers_of_any_shape_matches_the_brute_force_oracle(
    figures: list[CurrentFigure],
) -> None:
    check_consensus(find_consensus(figures), oracle([said(f) for f in figures]))


@given(figures=current_figures(8, wide_numbers))
def test_consensus_over_wide_numbers_matches_the_brute_force_oracle(
    figures: list[CurrentFigure],
) -> None:
    check_consensus(find_consensus(figures), oracle([said(f) for f in figures]))


# Every finite float, from the subnormals to the largest: midpoints whose float sum
# rounds, overflows, or loses its last bit when halved, beside ones that are exact.
every_float = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [5e-324, -5e-324, 1.5e-323, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 0.3]
)


@st.composite
def agreeing_float_figures(draw: st.DrawFn) -> list[CurrentFigure]:
    """Two to six figures around one float, each its own source, no best given.

    Their midpoints are the estimate's inputs, their float sums rarely exact.
    """
    scale = draw(st.sampled_from([8 * 5e-324, 2.0**-1060, 1e-301, 1.0, 3e5, 1e300]))
    found = []
    for i in range(draw(st.integers(2, 6))):
        low = scale * draw(st.floats(0.5, 1.0))
        high = scale * draw(st.floats(1.0, 1.5))
        figure = Figure(low, high, unit=UNIT)
        found.append(CurrentFigure(f"s{i}", figure, f"c/s{i}", voice=f"s{i}", bound=False))
    return found


@many
@given(
    figures=current_figures(8, every_float, spread=False)
    | many_figures_of(every_float)
    | agreeing_float_figures()
)
def test_float_figures_give_the_float_nearest_the_exact_estimate(
    figures: list[CurrentFigure],
) -> None:
    # Every end a float, so the interval's ends are floats and the nearest
    # float to the exact clamped median lies inside it: nothing may round twice.
    expected = oracle([said(f) for f in figures], covers_of_candidate_points)
    found = find_consensus(figures)
    check_consensus(found, expected)
    assert found is not None
    assert expected is not None
    if expected.estimate is not None:
        assert found.estimate == float(expected.estimate), (found.estimate, expected.estimate)
    for camp, want in zip(found.camps, expected.camps, strict=True):
        if want.estimate is not None:
            assert camp.estimate == float(want.estimate), (camp.estimate, want.estimate)


@many
@given(figures=current_figures(8, grid), window=windows)
def test_assess_matches_the_oracle_of_freshness_range_and_consensus(
    figures: list[CurrentFigure], window: timedelta | None
) -> None:
    check_assessed(assess("t", UNIT, figures, window), window)


@given(events=rich_logs, window=windows)
def test_every_topic_of_a_ledger_matches_a_replay_of_the_contract(
    events: list[Event], window: timedelta | None
) -> None:
    lg = opened(events)
    check_ledger(lg, numbered(events), None)
    check_ledger(lg, numbered(events), window)


@given(data=st.data(), events=rich_logs, window=windows)
def test_as_of_views_honour_the_topic_s_window_as_of_then_and_a_query_window(
    data: st.DataObject, events: list[Event], window: timedelta | None
) -> None:
    lg = opened(events)
    entries = numbered(events)
    k = data.draw(st.integers(0, len(events)), label="position")
    check_ledger(lg.as_of(position=k), entries[:k], None)
    check_ledger(lg.as_of(position=k), entries[:k], window)
    times = sorted({t for e in events if (t := stated_of(e)) is not None})
    if times:
        cutoff = data.draw(st.sampled_from(times), label="stated")
        kept = [(p, e) for p, e in entries if (t := stated_of(e)) is None or t <= cutoff]
        check_ledger(lg.as_of(stated=cutoff), kept, None)
        check_ledger(lg.as_of(stated=cutoff), kept, window)
        both = [(p, e) for p, e in kept if p <= k]
        check_ledger(lg.as_of(position=k, stated=cutoff), both, window)


# == one test per law ===================================================================


@given(figures=current_figures(8, grid))
def test_a_window_of_none_or_timedelta_max_marks_nothing_stale_and_changes_nothing(
    figures: list[CurrentFigure],
) -> None:
    for window in (None, timedelta.max):
        view = assess("t", UNIT, figures, window)
        assert not any(f.stale for f in view.figures)
        assert view.range == hull([f.figure for f in figures])
        assert view.consensus == find_consensus(figures)


@given(events=rich_logs)
def test_a_query_window_of_timedelta_max_counts_every_current_figure(
    events: list[Event],
) -> None:
    lg = opened(events)
    for view in lg.topics(window=timedelta.max):
        assert view.window == timedelta.max
        assert not any(f.stale for f in view.figures)
        assert view.range == hull([f.figure for f in view.figures])
        assert view.consensus == find_consensus(list(view.figures))


@given(data=st.data(), figures=current_figures(8, grid), window=windows)
def test_stale_figures_never_affect_range_or_consensus(
    data: st.DataObject, figures: list[CurrentFigure], window: timedelta | None
) -> None:
    view = assess("t", UNIT, figures, window)
    changed = []
    for f in figures:
        if view.figure_of(f.source).stale:  # type: ignore[union-attr]
            other = data.draw(st_figure)
            f = attrs.evolve(f, figure=other, bound=states_a_limit(other))
        changed.append(f)
    again = assess("t", UNIT, changed, window)
    assert [f.stale for f in again.figures] == [f.stale for f in view.figures]
    assert (again.range, again.consensus) == (view.range, view.consensus)


st_figure = spread_figures(grid)


@given(figures=current_figures(8, grid), window=windows)
def test_a_figure_is_stale_exactly_when_its_reference_time_is_before_latest_minus_the_window(
    figures: list[CurrentFigure], window: timedelta | None
) -> None:
    view = assess("t", UNIT, figures, window)
    latest = max(f.reference_time for f in figures if f.reference_time is not None)
    assert view.latest == latest
    for f in view.figures:
        assert f.reference_time is not None
        expected = window is not None and micros(f.reference_time) < micros(latest) - micros(window)
        assert f.stale == expected


@given(events=rich_logs, window=windows)
def test_a_derived_figure_s_reference_time_is_the_earliest_of_its_parts(
    events: list[Event], window: timedelta | None
) -> None:
    lg = opened(events)
    for topic in (COMPOSITE, NESTED):
        parts = lg.definition(topic).parts  # type: ignore[union-attr]
        for f in lg.topic(topic, window=window).figures:
            if not f.derived:
                continue
            # Derivation ignores staleness: the parts' stale figures count too.
            found = [lg.topic(p, window=window).figure_of(f.source) for p in parts]
            assert all(p is not None for p in found)
            assert f.reference_time == min(p.reference_time for p in found)  # type: ignore[union-attr, type-var]


# -- the previous rule stands where nothing new applies ---------------------------------


@st.composite
def plain_independent_figures(draw: st.DrawFn) -> list[CurrentFigure]:
    """Independent sources; no bounds, no points, no endpoint shared by two figures."""
    n = draw(st.integers(1, 8))
    ends = draw(st.lists(grid, min_size=2 * n, max_size=2 * n, unique=True))
    out = []
    for i in range(n):
        low, high = sorted(ends[2 * i : 2 * i + 2])
        low_open, high_open = draw(st.booleans()), draw(st.booleans())
        interval = Interval(low, high, low_open, high_open)
        inside = [b for b in (low, high, (low + high) / 2) if b in interval]
        best = draw(st.none() | st.sampled_from(inside)) if inside else None
        figure = Figure(low, high, low_open, high_open, best=best, unit=UNIT)
        out.append(CurrentFigure(f"s{i}", figure, f"c{i}", bound=False))
    return out


def previous_rule(
    figures: Sequence[CurrentFigure],
) -> tuple[list[tuple[Span, tuple[int, ...]]], str, Fraction | None]:
    """The rule before this round: the largest sets with a common intersection.

    Returns those sets in the old tie-break order (narrowest, lowest low,
    lowest high), the old level and the old estimate of the first (the
    median of effective bests, clamped, not rounded).
    """
    spans = [span_of(f.figure) for f in figures]
    n = len(figures)
    for size in range(n, 0, -1):
        found = sorted(
            (order(common), combo, common)
            for combo in combinations(range(n), size)
            if (common := meet(spans[i] for i in combo)) is not None
        )
        if found:
            break
    largest = [(common, combo) for _, combo, common in found]
    if n == 1:
        level = "single"
    elif size == 1:
        return largest, "none", None
    elif size == n:
        level = "unanimous"
    elif size > n / 2:
        level = "majority"
    else:
        level = "plurality"
    common, combo = largest[0]
    bests = sorted(
        Fraction(f.figure.best)
        if f.figure.best is not None
        else (Fraction(f.figure.low) + Fraction(f.figure.high)) / 2  # type: ignore[arg-type]
        for f in (figures[i] for i in combo)
    )
    k = len(bests)
    mid = bests[k // 2] if k % 2 else (bests[k // 2 - 1] + bests[k // 2]) / 2
    assert common.low is not None
    assert common.high is not None
    return largest, level, min(max(mid, common.low), common.high)


@given(figures=plain_independent_figures())
def test_with_independent_sources_and_no_ties_touching_ends_or_bounds_the_old_results_stand(
    figures: list[CurrentFigure],
) -> None:
    found = find_consensus(figures)
    assert found is not None
    largest, level, old_estimate = previous_rule(figures)
    sources = [tuple(sorted(figures[i].source for i in combo)) for _, combo in largest]
    if level != "none" and len(largest) > 1:
        # A tie: the old rule picked the first; now each is a camp, in the same order.
        assert found.level == "split"
        assert [c.supporters for c in found.camps] == sources
        assert [span_of(c.interval) for c in found.camps] == [s for s, _ in largest]
        return
    assert found.level == level
    if level == "none":
        assert (found.interval, found.supporters) == (None, ())
        return
    assert found.interval is not None
    assert span_of(found.interval) == largest[0][0]
    assert found.supporters == sources[0]
    whole = all(
        type(v) is int
        for f in figures
        if f.source in found.supporters
        for v in (f.figure.low, f.figure.high)
    )
    assert old_estimate is not None
    assert close(found.estimate, round(old_estimate) if whole else old_estimate)


# -- voices -------------------------------------------------------------------------------


def largest_voice_count(found: Consensus, figures: Sequence[CurrentFigure]) -> int:
    """g of the consensus set (or of a camp): what the level was decided on."""
    voice = {f.source: f.voice for f in figures}
    if found.level in ("none", "single"):
        return 1
    supporters = found.camps[0].supporters if found.level == "split" else found.supporters
    return len({voice[s] for s in supporters})


def merge(figures: Sequence[CurrentFigure], a: str, b: str, into: str) -> list[CurrentFigure]:
    """The figures with voices a and b made one voice."""
    return [attrs.evolve(f, voice=into) if f.voice in (a, b) else f for f in figures]


@given(data=st.data(), figures=current_figures(8, grid, min_size=2))
def test_giving_two_voices_one_affiliation_never_raises_the_largest_voice_count(
    data: st.DataObject, figures: list[CurrentFigure]
) -> None:
    voices = sorted({f.voice for f in figures})
    assume(len(voices) >= 2)
    a, b = data.draw(st.lists(st.sampled_from(voices), min_size=2, max_size=2, unique=True))
    before = find_consensus(figures)
    merged = merge(figures, a, b, "aff/merged")
    after = find_consensus(merged)
    assert before is not None
    assert after is not None
    assert largest_voice_count(after, merged) <= largest_voice_count(before, figures)


RANK = {"none": 0, "plurality": 1, "majority": 2, "unanimous": 3}


@given(data=st.data(), figures=current_figures(8, grid, voices=False, min_size=2))
def test_giving_two_independent_supporters_one_affiliation_never_raises_the_level(
    data: st.DataObject, figures: list[CurrentFigure]
) -> None:
    before = find_consensus(figures)
    assert before is not None
    assume(before.level in RANK and len(before.supporters) >= 2)
    a, b = data.draw(
        st.lists(st.sampled_from(before.supporters), min_size=2, max_size=2, unique=True)
    )
    after = find_consensus(merge(figures, a, b, "aff/merged"))
    assert after is not None
    if len(figures) == 2:
        assert after.level == "single"  # one voice is left
        return
    assert after.level in RANK
    assert RANK[after.level] <= RANK[before.level]
    # The same set still wins: it lost one voice, every other set at most one.
    assert after.supporters == before.supporters or after.level == "none"


@given(data=st.data(), events=rich_logs, window=windows)
def test_adding_a_source_to_an_existing_voice_never_changes_the_number_of_voices(
    data: st.DataObject, events: list[Event], window: timedelta | None
) -> None:
    lg = opened(events)
    views = [v for v in lg.topics(window=window) if v.fresh]
    assume(views)
    view = data.draw(st.sampled_from(views))
    voice = data.draw(st.sampled_from(sorted(view.voices())))
    assert view.latest is not None
    lg.extend(
        [
            SourceDescribed(source="src/new", name="New", affiliation=voice),
            FigureReported(
                claim_id="c/new",
                topic=view.topic,
                source="src/new",
                figure=data.draw(st_figure),
                stated_at=BASE_TIME,
                as_of=view.latest,  # no newer than the newest: nothing turns stale
            ),
        ]
    )
    again = lg.topic(view.topic, window=window)
    assert again.voices().keys() == view.voices().keys()
    assert again.voices()[voice] == tuple(sorted((*view.voices()[voice], "src/new")))


# -- split camps ---------------------------------------------------------------------------


@given(figures=current_figures(8, grid))
def test_a_split_s_camps_share_at_most_a_touching_end_and_each_attains_the_maximum(
    figures: list[CurrentFigure],
) -> None:
    found = find_consensus(figures)
    assert found is not None
    if found.level != "split":
        assert found.camps == ()
        return
    expected = oracle([said(f) for f in figures])
    assert expected is not None
    by_source = {f.source: f for f in figures}
    assert len(found.camps) >= 2
    for camp in found.camps:
        members = [said(by_source[s]) for s in camp.supporters]
        assert agreement(members) == span_of(camp.interval)
        assert (len({m.voice for m in members}), len(members)) == expected.top
    for one, other in combinations(found.camps, 2):
        common = meet([span_of(one.interval), span_of(other.interval)])
        assert common is None or common.is_point()


# -- estimates -------------------------------------------------------------------------------

mixed_numbers = st.integers(0, 40) | st.integers(0, 160).map(lambda q: q / 4)


@given(figures=current_figures(6, mixed_numbers))
def test_an_estimate_is_an_int_exactly_when_every_finite_bound_of_its_supporters_is_an_int(
    figures: list[CurrentFigure],
) -> None:
    found = find_consensus(figures)
    assert found is not None
    by_source = {f.source: f.figure for f in figures}

    def whole(supporters: Sequence[str]) -> bool:
        return all(
            type(v) is int
            for s in supporters
            for v in (by_source[s].low, by_source[s].high)
            if v is not None
        )

    answers = [(found.estimate, found.supporters)] + [
        (c.estimate, c.supporters) for c in found.camps
    ]
    for estimate, supporters in answers:
        if estimate is not None:
            assert (type(estimate) is int) == whole(supporters), (estimate, supporters)


# == laws of the fold over generated logs (kept from the previous round) =====================


@given(figures=current_figures(8, grid), order_=st.randoms(use_true_random=False))
def test_the_order_figures_come_in_does_not_change_the_consensus(
    figures: list[CurrentFigure], order_: Any
) -> None:
    shuffled = list(figures)
    order_.shuffle(shuffled)
    assert find_consensus(shuffled) == find_consensus(figures)
    assert hull([f.figure for f in shuffled]) == hull([f.figure for f in figures])


@given(figures=current_figures(8, numbers, spread=False))
def test_the_range_holds_every_figure_and_no_more(figures: list[CurrentFigure]) -> None:
    found = hull([f.figure for f in figures])
    assert found is not None
    assert span_of(found) == hull_of([span_of(f.figure) for f in figures])
    for f in figures:
        assert meet([span_of(f.figure), span_of(found)]) == span_of(f.figure)


def views(view: LedgerView) -> tuple[Any, ...]:
    return (view.topics(), view.propositions())


def fold(events: Sequence[Event], positions: Sequence[int] | None = None) -> LedgerView:
    """The views of events folded from scratch, at the given positions (1, 2, … by default)."""
    reader = LedgerProjection().initial()
    for position, event in zip(positions or range(1, len(events) + 1), events, strict=True):
        reader.facts.apply(position, event)
    return LedgerView(reader)


@given(events=event_sequences(max_size=12, values=numbers, affiliations=True, bounds=True))
def test_views_of_a_valid_log_with_extreme_numbers_never_fail(events: list[Event]) -> None:
    lg = opened(events)
    for view in lg.topics():
        if view.figures:
            assert view.consensus is not None
            answers = [(view.consensus.interval, view.consensus.estimate)]
            answers += [(c.interval, c.estimate) for c in view.consensus.camps]
            for interval, estimate in answers:
                if interval is not None and estimate is not None:
                    assert estimate in Interval(interval.low, interval.high)


@given(
    data=st.data(),
    events=event_sequences(
        max_size=20, distinct_stated=True, affiliations=True, as_of=True, topic_windows=True
    ),
)
def test_reordering_events_of_different_sources_leaves_every_view_unchanged(
    data: st.DataObject, events: list[Event]
) -> None:
    # Topic definitions carry no stated_at and stay first.
    head, stated = events[: len(definitions())], events[len(definitions()) :]
    assert all(isinstance(e, TopicDefined) for e in head)
    reordered = data.draw(interleavings(stated))
    assert views(fold(head + reordered)) == views(fold(events))


@given(events=event_sequences(max_size=12, affiliations=True, as_of=True, topic_windows=True))
def test_as_of_a_position_equals_a_fresh_ledger_fed_that_many_events(
    events: list[Event],
) -> None:
    lg = opened(events)
    for k in range(len(events) + 1):
        assert views(lg.as_of(position=k)) == views(opened(events[:k]))


@given(data=st.data(), events=rich_logs)
def test_as_of_a_time_equals_a_fold_of_what_was_stated_by_then(
    data: st.DataObject, events: list[Event]
) -> None:
    lg = opened(events)
    times = sorted({t for e in events if (t := stated_of(e)) is not None})
    if not times:
        return
    cutoff = data.draw(st.sampled_from(times))
    kept = [
        (position, e)
        for position, e in enumerate(events, 1)
        if (t := stated_of(e)) is None or t <= cutoff
    ]
    expected = fold([e for _, e in kept], [p for p, _ in kept])
    assert views(lg.as_of(stated=cutoff)) == views(expected)


@given(events=rich_logs, window=windows)
def test_views_kept_up_after_every_append_equal_a_replay_from_scratch(
    events: list[Event], window: timedelta | None
) -> None:
    lg = Ledger.open("memory://")
    for i, event in enumerate(events, 1):
        lg.append(event)
        assert views(lg) == views(fold(events[:i]))
        assert lg.topics(window=window) == fold(events[:i]).topics(window=window)
