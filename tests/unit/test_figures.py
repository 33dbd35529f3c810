"""Interval and Figure (DESIGN.md §2): their invariants, and every way to break one."""

from __future__ import annotations

import math
import numbers
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import (
    FigureReported,
    InvalidEvent,
    InvalidFigure,
    Ledger,
    TopicDefined,
    ValidationError,
)
from ledger.codec import make_codec
from ledger.domain.figures import Figure, Interval, default_best


def fig(*args: Any, **kwargs: Any) -> Figure:
    kwargs.setdefault("unit", "people")
    return Figure(*args, **kwargs)


class Reading(float):
    """A float subclass, as numpy.float64 is one."""


class Count(int):
    """An int subclass, as IntEnum members are."""


class Tally:
    """An integer type that is not an int (numpy.int64 is one): it has __index__."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


numbers.Integral.register(Tally)


def test_an_interval_defaults_to_closed_ends() -> None:
    interval = Interval(1, 2)
    assert (interval.low_open, interval.high_open) == (False, False)


def test_a_figure_keeps_the_type_of_each_number() -> None:
    figure = fig(3000, 3500.0, best=3200)
    assert type(figure.low) is int
    assert type(figure.high) is float
    assert type(figure.best) is int


def test_a_figure_keeps_its_phrase_and_rule() -> None:
    figure = fig(3001, 4001, phrase="more than 3,000", rule="wikimpacts-2024:over")
    assert figure.phrase == "more than 3,000"
    assert figure.rule == "wikimpacts-2024:over"


def test_none_means_unbounded_on_that_side() -> None:
    assert 10**12 in Interval(0, None)
    assert -(10**12) in Interval(None, 0)
    assert 0 in Interval(None, None)
    assert -1 not in Interval(0, None)


def test_open_and_closed_ends_are_honoured_by_membership() -> None:
    assert 3000 in Interval(1, 3000)
    assert 3000 not in Interval(1, 3000, high_open=True)
    assert 3000 not in Interval(3000, 4000, low_open=True)
    assert 3000.5 in Interval(3000, 4000, low_open=True)


def test_a_single_closed_point_is_a_valid_figure() -> None:
    assert fig(5, 5).interval == Interval(5, 5)


def test_the_figure_interval_carries_the_four_bound_fields() -> None:
    assert fig(1, None, True, False).interval == Interval(1, None, True, False)


def test_the_widest_64_bit_ints_are_valid_bounds() -> None:
    assert fig(-(2**63), 2**63 - 1).interval == Interval(-(2**63), 2**63 - 1)


def test_a_figure_and_an_interval_are_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fig(1, 2).low = 0  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Interval(1, 2).high = 3  # type: ignore[misc]


def test_the_best_may_sit_on_a_closed_end() -> None:
    assert fig(1, 2, best=2).best == 2


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (2, 4, 3),
        (1, 2, 1.5),
        (1.0, 3.0, 2.0),
        (5, None, 5),
        (None, 7, 7),
        (None, None, None),
    ],
)
def test_the_default_best_is_the_midpoint_else_the_finite_bound(
    low: int | None, high: int | None, expected: float | None
) -> None:
    assert default_best(low, high) == expected
    assert fig(low, high).effective_best == expected


def test_the_default_best_of_two_huge_floats_is_their_midpoint_not_infinity() -> None:
    assert fig(1e308, 1.5e308).effective_best == 1.25e308


def test_a_given_best_wins_over_the_default() -> None:
    assert fig(0, 10, best=1).effective_best == 1


def test_the_default_best_of_two_ints_with_an_even_sum_stays_an_int() -> None:
    assert type(default_best(2, 4)) is int


# Each row: the constructor arguments and the field the error must name.
BAD_BOUNDS: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("nan low", (math.nan, 1), {}, "low"),
    ("nan high", (1, math.nan), {}, "high"),
    ("inf high", (1, math.inf), {}, "high"),
    ("-inf low", (-math.inf, 1), {}, "low"),
    ("low above high", (5, 4), {}, "low"),
    ("open flag on an unbounded low", (None, 4, True, False), {}, "low_open"),
    ("open flag on an unbounded high", (4, None, False, True), {}, "high_open"),
    ("a single point open at the low", (3, 3, True, False), {}, "low_open"),
    ("a single point open at the high", (3, 3, False, True), {}, "high_open"),
    ("bool as a low", (True, 3), {}, "low"),
    ("bool as a high", (0, False), {}, "high"),
    ("str as a low", ("1", 3), {}, "low"),
    ("str as a high", (1, "3"), {}, "high"),
    ("non-bool open flag", (1, 3, 1, False), {}, "low_open"),
    ("int low beyond 64 bits", (-(2**63) - 1, 3), {}, "low"),
    ("int high beyond 64 bits", (0, 2**63), {}, "high"),
]


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [pytest.param(a, k, f, id=name) for name, a, k, f in BAD_BOUNDS],
)
def test_an_interval_breaking_an_invariant_raises_invalid_figure_naming_the_field(
    args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidFigure) as caught:
        Interval(*args, **kwargs)
    assert caught.value.field == field
    assert field in str(caught.value)


BAD_FIGURES: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    *BAD_BOUNDS,
    ("best below the low", (1, 3), {"best": 0}, "best"),
    ("best above the high", (1, 3), {"best": 4}, "best"),
    ("best on an open low", (1, 3, True, False), {"best": 1}, "best"),
    ("best on an open high", (1, 3, False, True), {"best": 3}, "best"),
    ("best below an unbounded-above figure", (1, None), {"best": 0}, "best"),
    ("nan best", (1, 3), {"best": math.nan}, "best"),
    ("bool best", (0, 3), {"best": True}, "best"),
    ("str best", (0, 3), {"best": "2"}, "best"),
    ("empty unit", (1, 3), {"unit": ""}, "unit"),
    ("blank unit", (1, 3), {"unit": "   "}, "unit"),
    ("non-str unit", (1, 3), {"unit": 5}, "unit"),
    ("non-str phrase", (1, 3), {"phrase": 5}, "phrase"),
    ("non-str rule", (1, 3), {"rule": b"x"}, "rule"),
    ("a lone surrogate in the unit", (1, 3), {"unit": "people\udcff"}, "unit"),
    ("a lone surrogate in the phrase", (1, 3), {"phrase": "\ud800 3,000"}, "phrase"),
    ("a lone surrogate in the rule", (1, 3), {"rule": "x:\udfff"}, "rule"),
    ("a Fraction", (Fraction(1, 3), 3), {}, "low"),
    ("a Decimal", (1, Decimal("2.5")), {}, "high"),
    ("a float subclass that is not finite", (1, 3), {"best": Reading("nan")}, "best"),
]


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [pytest.param(a, k, f, id=name) for name, a, k, f in BAD_FIGURES],
)
def test_a_figure_breaking_an_invariant_is_refused_and_nothing_is_written(
    args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    lg = Ledger.open("memory://")

    def report() -> None:
        lg.append(
            FigureReported(
                claim_id="c1",
                topic="t",
                source="s",
                figure=fig(*args, **kwargs),
                stated_at=date(2024, 1, 1),
            )
        )

    with pytest.raises(InvalidFigure) as caught:
        report()
    assert caught.value.field == field
    assert lg.head == 0
    assert lg.topics() == []


def test_a_figure_reported_without_a_figure_object_is_an_invalid_event() -> None:
    with pytest.raises(InvalidEvent) as caught:
        FigureReported(
            claim_id="c1",
            topic="t",
            source="s",
            figure=(1, 2),  # type: ignore[arg-type]
            stated_at=date(2024, 1, 1),
        )
    assert caught.value.field == "figure"
    assert not isinstance(caught.value, InvalidFigure)


@given(low=st.floats(allow_nan=False, allow_infinity=False), width=st.integers(0, 10**6))
def test_a_float_subclass_is_kept_by_value_as_a_plain_float(low: float, width: int) -> None:
    high = low + width
    figure = fig(Reading(low), Reading(high), best=Reading(low))
    assert (type(figure.low), type(figure.high), type(figure.best)) == (float, float, float)
    assert figure == fig(low, high, best=low)
    assert Interval(Reading(low), high) == Interval(low, high)


@given(low=st.integers(-(2**62), 2**62), width=st.integers(0, 2**62 - 1))
def test_an_int_subclass_or_integer_type_is_kept_by_value_as_a_plain_int(
    low: int, width: int
) -> None:
    figure = fig(Count(low), Tally(low + width), best=Count(low))  # type: ignore[arg-type]
    assert (type(figure.low), type(figure.high), type(figure.best)) == (int, int, int)
    assert figure == fig(low, low + width, best=low)


def test_a_figure_of_subclasses_is_written_as_the_plain_figure_is() -> None:
    codec = make_codec()
    plain = FigureReported(
        claim_id="c", topic="t", source="s", figure=fig(1.5, 3), stated_at=date(2024, 1, 1)
    )
    sub = attrs.evolve(plain, figure=fig(Reading(1.5), Count(3)))
    assert codec.event_data(sub) == codec.event_data(plain)


def test_a_bool_is_not_a_number_even_as_an_int_subclass() -> None:
    with pytest.raises(InvalidFigure) as caught:
        fig(True, 3)
    assert caught.value.field == "low"


def test_invalid_figure_is_an_invalid_event_and_a_validation_error() -> None:
    assert issubclass(InvalidFigure, InvalidEvent)
    assert issubclass(InvalidFigure, ValidationError)


@pytest.mark.parametrize("unit", [" ", "\t", "\u00a0\n"])
def test_a_unit_of_only_whitespace_is_refused_saying_so(unit: str) -> None:
    with pytest.raises(InvalidFigure, match="not only whitespace") as caught:
        Figure(1, 2, unit=unit)
    assert caught.value.field == "unit"
    with pytest.raises(InvalidEvent, match="not only whitespace") as refused:
        TopicDefined(topic="t/a", title="A", unit=unit)
    assert refused.value.field == "unit"


def test_figures_people_wrote_differently_never_print_alike() -> None:
    a = Figure(1234567.4, 1234567.6, unit="people")
    b = Figure(1234567.9, 1234568.4, unit="people")
    assert str(a) == "[1,234,567.4, 1,234,567.6]"
    assert str(b) == "[1,234,567.9, 1,234,568.4]"
    assert str(Figure(100000.5, 100001.0, unit="people")) == "[100,000.5, 100,001]"
    # ...and float arithmetic's last digit does not show.
    assert str(Figure(0.1 + 0.2, 1.0, unit="people")) == "[0.3, 1]"
