"""Laws of a chart's axis: any finite figures give finite ordered ticks and a drawable axis."""

from __future__ import annotations

import itertools
import math
import re
import sys
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import Figure, FigureReported, Ledger
from ledger.present.chart_model import LOG_FLOOR, nice_ticks, topic_chart, value_axis
from ledger.present.svg import topic_svg
from ledger.stores.memory import MemoryStore

MAX = sys.float_info.max
#: Figures hold 64-bit integers (beyond 2**53, where floats skip some).
INTS = st.integers(-(2**63), 2**63 - 1)
#: Every finite float: subnormals, the largest, both zeros.
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
EXTREMES = st.sampled_from(
    [0.0, -0.0, 5e-324, -5e-324, 1e-310, sys.float_info.min, 1e308, -1e308, MAX, -MAX, 2**53 + 1]
)
NUMBERS = st.one_of(FLOATS, INTS, EXTREMES)


def _ordered(ticks: tuple[float, ...], lo: float, hi: float) -> None:
    assert all(math.isfinite(t) for t in ticks)
    assert all(a < b for a, b in itertools.pairwise(ticks))
    assert all(lo <= t <= hi for t in ticks)


@given(st.one_of(FLOATS, EXTREMES), st.one_of(FLOATS, EXTREMES), st.booleans())
def test_nice_ticks_are_finite_ordered_and_inside_for_any_finite_ends(
    a: float, b: float, integers: bool
) -> None:
    lo, hi = min(a, b), max(a, b)
    ticks = nice_ticks(lo, hi, integers=integers)
    _ordered(ticks, lo, hi)
    if lo == hi:
        assert ticks == (lo,)
    elif not integers or math.floor(hi) >= lo:
        assert ticks  # a round value lies between any two floats (a whole one when asked)


@pytest.mark.parametrize(
    ("lo", "hi"),
    [(0, 5e-324), (-1e308, 1e308), (0, 1.7e308), (-MAX, MAX), (-5e-324, 0), (2**60, 2**60 + 512)],
)
def test_nice_ticks_of_extreme_spans(lo: float, hi: float) -> None:
    ticks = nice_ticks(lo, hi)
    _ordered(ticks, lo, hi)
    assert len(ticks) >= 2


def test_nice_ticks_are_the_floats_nearest_round_values() -> None:
    assert nice_ticks(0, 0.3) == (0, 0.1, 0.2, 0.3)  # 0.3, though 3 * 0.1 is 0.30000000000000004
    assert nice_ticks(1e-12, 5e-12) == (1e-12, 2e-12, 3e-12, 4e-12, 5e-12)


def test_nice_ticks_of_ends_that_are_not_finite_or_reversed_are_none() -> None:
    assert nice_ticks(0, math.inf) == ()
    assert nice_ticks(math.nan, 1) == ()
    assert nice_ticks(2, 1) == ()


@given(st.lists(st.one_of(NUMBERS, st.none()), max_size=6), st.booleans(), st.booleans())
def test_any_finite_values_give_an_axis_renderers_can_divide_by(
    values: list[float | None], open_low: bool, open_high: bool
) -> None:
    axis = value_axis(values, open_low, open_high)
    assert math.isfinite(axis.lo)
    assert math.isfinite(axis.hi)
    assert axis.lo < axis.hi
    assert math.isfinite(axis.hi - axis.lo)
    _ordered(axis.ticks, axis.lo, axis.hi)
    assert axis.ticks
    finite = [float(v) for v in values if v is not None]
    if axis.scale == "log":
        assert axis.lo > 0
        covered = [v for v in finite if v >= LOG_FLOOR]
    else:
        assert axis.hi - axis.lo >= 0.99e-300  # 1e-300, but for rounding
        # Only figures wider apart than the largest float cannot all fit.
        covered = finite if not finite or math.isfinite(max(finite) - min(finite)) else []
    assert all(axis.lo <= v <= axis.hi for v in covered)
    for v in [*values, None]:
        for high in (False, True):
            assert axis.lo <= axis.place(v, high=high) <= axis.hi


def _chart_svg(*intervals: tuple[float, float]) -> str:
    lg = Ledger(MemoryStore())
    when = date(2025, 1, 1)
    lg.extend(
        FigureReported(claim_id=f"c{i}", topic="a/b", source=f"s{i}", figure=f, stated_at=when)
        for i, f in enumerate(Figure(low, high, unit="u") for low, high in intervals)
    )
    return topic_svg(topic_chart(lg.topic("a/b")))


@given(st.lists(st.tuples(NUMBERS, NUMBERS).map(sorted), min_size=1, max_size=3))
def test_the_report_svg_of_any_finite_figures_has_only_finite_coordinates(
    intervals: list[list[float]],
) -> None:
    svg = _chart_svg(*((low, high) for low, high in intervals))
    assert not re.search(r"\b(nan|inf)\b", svg)


@pytest.mark.parametrize(
    "interval", [(0, 5e-324), (-1e308, 1e308), (0, 1.7e308), (-MAX, MAX), (0, 0), (5e-324, 5e-324)]
)
def test_the_report_svg_of_extreme_figures_has_only_finite_coordinates(
    interval: tuple[float, float],
) -> None:
    svg = _chart_svg(interval)
    assert not re.search(r"\b(nan|inf)\b", svg)
    assert svg.count('class="tick"') >= 2
