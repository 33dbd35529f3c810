"""Laws of the projections (DESIGN.md §4) over generated figures and valid logs.

The consensus is checked against a brute-force oracle that tries every subset
of up to eight figures, intersects it exactly (Fractions, no rounding) and
applies the tie-breaks literally.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from fractions import Fraction
from itertools import combinations
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from ledger import Consensus, Figure, Interval, Ledger, LedgerView, TopicDefined
from ledger.domain.consensus import find_consensus, hull
from ledger.domain.events import Event
from ledger.domain.figures import Number
from ledger.projections.state import LedgerState
from tests.property.strategies import (
    definitions,
    event_sequences,
    interleavings,
    numbers,
    small_numbers,
    source_figures,
    stated_of,
)

# Wide but moderate numbers: midpoints and sums of these never overflow a float.
wide_numbers = st.integers(-(2**62), 2**62) | st.floats(-1e15, 1e15)


# -- interval arithmetic, written independently of ledger.domain.consensus -----------


def subset(inner: Interval, outer: Figure | Interval) -> bool:
    """Whether every point of inner lies in outer."""
    if outer.low is not None:
        if inner.low is None or inner.low < outer.low:
            return False
        if inner.low == outer.low and outer.low_open and not inner.low_open:
            return False
    if outer.high is not None:
        if inner.high is None or inner.high > outer.high:
            return False
        if inner.high == outer.high and outer.high_open and not inner.high_open:
            return False
    return True


def intersect(figures: Sequence[Figure]) -> Interval | None:
    """The common intersection, or None when it is empty."""
    lows = [f.low for f in figures if f.low is not None]
    highs = [f.high for f in figures if f.high is not None]
    low = max(lows) if lows else None
    high = min(highs) if highs else None
    low_open = low is not None and any(f.low_open for f in figures if f.low == low)
    high_open = high is not None and any(f.high_open for f in figures if f.high == high)
    if (
        low is not None
        and high is not None
        and (low > high or (low == high and (low_open or high_open)))
    ):
        return None
    return Interval(low, high, low_open, high_open)


def rank(i: Interval) -> tuple[Any, ...]:
    """DESIGN.md's order: narrowest, then lowest low, then lowest high."""
    width: Fraction | float = (
        Fraction(i.high) - Fraction(i.low)
        if i.low is not None and i.high is not None
        else float("inf")
    )
    # Unbounded below first; closed before open.
    low = (0,) if i.low is None else (1, Fraction(i.low), 1 if i.low_open else 0)
    # Open before closed; unbounded above last.
    high = (2,) if i.high is None else (1, Fraction(i.high), 0 if i.high_open else 1)
    return (width, low, high)


def default_best(f: Figure) -> Fraction | None:
    if f.best is not None:
        return Fraction(f.best)
    if f.low is not None and f.high is not None:
        return (Fraction(f.low) + Fraction(f.high)) / 2
    return None if f.low is None and f.high is None else Fraction(f.low or f.high or 0)


def oracle(pairs: Sequence[tuple[str, Figure]]) -> Consensus:
    """The consensus, by trying every subset from the largest down."""
    n = len(pairs)
    for size in range(n, 0, -1):
        found = []
        for combo in combinations(range(n), size):
            meet = intersect([pairs[i][1] for i in combo])
            if meet is not None:
                found.append((rank(meet), combo, meet))
        if found:
            break
    best_rank, combo, meet = min(found)
    # The tie-breaks must leave exactly one set.
    assert [r for r, _, _ in found].count(best_rank) == 1
    sources = sorted(s for s, _ in pairs)
    if n >= 2 and size == 1:
        return Consensus(None, (), tuple(sources), None, "none")
    supporters = tuple(sorted(pairs[i][0] for i in combo))
    dissenters = tuple(s for s in sources if s not in supporters)
    if n == 1:
        level = "single"
    elif size == n:
        level = "unanimous"
    elif size > n / 2:
        level = "majority"
    else:
        level = "plurality"
    # The estimate, exactly: the ledger computes in ints and floats.
    bests = [b for b in (default_best(pairs[i][1]) for i in combo) if b is not None]
    estimate: Fraction | None = None
    if bests:
        estimate = statistics.median(bests)
        if meet.low is not None:
            estimate = max(estimate, Fraction(meet.low))
        if meet.high is not None:
            estimate = min(estimate, Fraction(meet.high))
    return Consensus(meet, supporters, dissenters, estimate, level)  # type: ignore[arg-type]


# -- range and consensus over generated figures ---------------------------------


def check_range(figures: Sequence[Figure]) -> None:
    found = hull(figures)
    assert found is not None
    for f in figures:
        assert subset(f.interval, found)
    # And it is the smallest: each finite end is some figure's end.
    if found.low is not None:
        assert any(f.low == found.low and f.low_open == found.low_open for f in figures)
    if found.high is not None:
        assert any(f.high == found.high and f.high_open == found.high_open for f in figures)


def check_consensus(pairs: Sequence[tuple[str, Figure]]) -> None:
    found = find_consensus(pairs)
    assert found is not None
    by_source = dict(pairs)
    if found.interval is not None:
        for source in found.supporters:
            assert subset(found.interval, by_source[source])
        for source in found.dissenters:
            assert not subset(found.interval, by_source[source])
    assert sorted(found.supporters + found.dissenters) == sorted(by_source)
    expected = oracle(pairs)
    assert attrs.evolve(found, estimate=None) == attrs.evolve(expected, estimate=None)
    assert close(found.estimate, expected.estimate)


def close(found: Number | None, exact: Fraction | None) -> bool:
    """Equal, up to the rounding of a midpoint and a mean in floating point."""
    if found is None or exact is None:
        return found is exact
    if isinstance(found, int) or (exact.denominator == 1 and abs(exact) < 2**53):
        return Fraction(found) == exact
    return abs(Fraction(found) - exact) <= abs(exact) * Fraction(1, 2**50)


@given(pairs=source_figures(8, numbers))
def test_the_range_holds_every_figure_and_no_more(pairs: list[tuple[str, Figure]]) -> None:
    check_range([f for _, f in pairs])


@given(pairs=source_figures(8, small_numbers))
def test_consensus_on_a_coarse_grid_matches_the_brute_force_oracle(
    pairs: list[tuple[str, Figure]],
) -> None:
    check_consensus(pairs)


@given(pairs=source_figures(8, wide_numbers))
def test_consensus_over_wide_numbers_matches_the_brute_force_oracle(
    pairs: list[tuple[str, Figure]],
) -> None:
    check_consensus(pairs)


@given(pairs=source_figures(8, small_numbers), order=st.randoms(use_true_random=False))
def test_the_order_figures_come_in_does_not_change_the_consensus(
    pairs: list[tuple[str, Figure]], order: Any
) -> None:
    shuffled = list(pairs)
    order.shuffle(shuffled)
    assert find_consensus(shuffled) == find_consensus(pairs)
    assert hull([f for _, f in shuffled]) == hull([f for _, f in pairs])


# -- laws of the fold over generated logs -----------------------------------------


def views(view: LedgerView | LedgerState) -> tuple[Any, ...]:
    if isinstance(view, LedgerState):
        view = LedgerView(view)
    return (view.topics(), view.propositions())


def fold(events: Sequence[Event], positions: Sequence[int] | None = None) -> LedgerState:
    state = LedgerState()
    for position, event in zip(positions or range(1, len(events) + 1), events, strict=True):
        state.apply(position, event)
    return state


@given(events=event_sequences(max_size=20))
def test_every_topic_s_range_and_consensus_obey_their_laws(events: list[Event]) -> None:
    lg = Ledger.open("memory://")
    lg.extend(events)
    for view in lg.topics():
        if not view.figures:
            assert (view.range, view.consensus) == (None, None)
            continue
        check_range([f.figure for f in view.figures])
        assert view.range == hull([f.figure for f in view.figures])
        check_consensus([(f.source, f.figure) for f in view.figures])


@given(events=event_sequences(max_size=12, values=numbers))
def test_views_of_a_valid_log_with_extreme_numbers_never_fail(events: list[Event]) -> None:
    lg = Ledger.open("memory://")
    lg.extend(events)
    for view in lg.topics():
        if view.figures:
            check_range([f.figure for f in view.figures])
            assert view.consensus is not None
            if view.consensus.interval is not None and view.consensus.estimate is not None:
                assert view.consensus.estimate in closure(view.consensus.interval)


def closure(i: Interval) -> Interval:
    return Interval(i.low, i.high)


@given(data=st.data(), events=event_sequences(max_size=20, distinct_stated=True))
def test_reordering_events_of_different_sources_leaves_every_view_unchanged(
    data: st.DataObject, events: list[Event]
) -> None:
    # Topic definitions carry no stated_at and stay first.
    head, stated = events[: len(definitions())], events[len(definitions()) :]
    assert all(isinstance(e, TopicDefined) for e in head)
    reordered = data.draw(interleavings(stated))
    assert views(fold(head + reordered)) == views(fold(events))


@given(events=event_sequences(max_size=12))
def test_as_of_a_position_equals_a_fresh_ledger_fed_that_many_events(
    events: list[Event],
) -> None:
    lg = Ledger.open("memory://")
    lg.extend(events)
    for k in range(len(events) + 1):
        fresh = Ledger.open("memory://")
        fresh.extend(events[:k])
        assert views(lg.as_of(position=k)) == views(fresh)


@given(data=st.data(), events=event_sequences(max_size=16))
def test_as_of_a_time_equals_a_fold_of_what_was_stated_by_then(
    data: st.DataObject, events: list[Event]
) -> None:
    lg = Ledger.open("memory://")
    lg.extend(events)
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


@given(events=event_sequences(max_size=20))
def test_views_kept_up_after_every_append_equal_a_replay_from_scratch(
    events: list[Event],
) -> None:
    lg = Ledger.open("memory://")
    for i, event in enumerate(events, 1):
        lg.append(event)
        assert views(lg) == views(fold(events[:i]))
