"""Intervals over the reals and the figures sources give: pure values."""

from __future__ import annotations

import math
from typing import Any

import attrs

from ledger.errors import InvalidFigure

__all__ = ["Figure", "Interval", "Number", "default_best"]

Number = int | float


def _check_number(name: str, value: Any, *, optional: bool) -> None:
    if value is None:
        if optional:
            return
        raise InvalidFigure("must be a number", field=name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidFigure(f"must be an int or a float, not {type(value).__name__}", field=name)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidFigure(f"must be finite, not {value!r}", field=name)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        # Wider integers do not survive every JSON reader the log is meant for.
        raise InvalidFigure(f"{value} does not fit in 64 bits", field=name)


def _check_bounds(low: Number | None, high: Number | None, low_open: bool, high_open: bool) -> None:
    _check_number("low", low, optional=True)
    _check_number("high", high, optional=True)
    for name, flag in (("low_open", low_open), ("high_open", high_open)):
        if not isinstance(flag, bool):
            raise InvalidFigure("must be a bool", field=name)
    if low is not None and high is not None and low > high:
        raise InvalidFigure(f"low {low!r} is above high {high!r}", field="low")
    if low is None and low_open:
        raise InvalidFigure("an unbounded low cannot be open", field="low_open")
    if high is None and high_open:
        raise InvalidFigure("an unbounded high cannot be open", field="high_open")
    if low is not None and low == high and (low_open or high_open):
        raise InvalidFigure(f"the single point {low!r} cannot have an open end", field="low_open")


def _contains(
    low: Number | None, high: Number | None, low_open: bool, high_open: bool, x: Number
) -> bool:
    if low is not None and (x < low or (low_open and x == low)):
        return False
    return not (high is not None and (x > high or (high_open and x == high)))


@attrs.frozen
class Interval:
    """An interval over the reals; None on a side means unbounded there."""

    low: Number | None
    high: Number | None
    low_open: bool = False
    high_open: bool = False

    def __attrs_post_init__(self) -> None:
        _check_bounds(self.low, self.high, self.low_open, self.high_open)

    def __contains__(self, x: Number) -> bool:
        return _contains(self.low, self.high, self.low_open, self.high_open, x)

    def __str__(self) -> str:
        return _render(self.low, self.high, self.low_open, self.high_open)


@attrs.frozen
class Figure:
    """A figure a source gave: an interval, a best value, a unit and the words."""

    low: Number | None
    high: Number | None
    low_open: bool = False
    high_open: bool = False
    best: Number | None = attrs.field(default=None, kw_only=True)
    unit: str = attrs.field(kw_only=True)
    phrase: str | None = attrs.field(default=None, kw_only=True)
    rule: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _check_bounds(self.low, self.high, self.low_open, self.high_open)
        _check_number("best", self.best, optional=True)
        if self.best is not None and not _contains(
            self.low, self.high, self.low_open, self.high_open, self.best
        ):
            raise InvalidFigure(f"best {self.best!r} lies outside {self.interval}", field="best")
        if not isinstance(self.unit, str) or not self.unit.strip():
            raise InvalidFigure("must be a non-empty string", field="unit")
        for name in ("phrase", "rule"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise InvalidFigure("must be a string or None", field=name)

    @property
    def interval(self) -> Interval:
        """The figure's bounds as an Interval."""
        return Interval(self.low, self.high, self.low_open, self.high_open)

    @property
    def effective_best(self) -> Number | None:
        """The best value, or the default the projections use when none was given."""
        if self.best is not None:
            return self.best
        return default_best(self.low, self.high)

    def __str__(self) -> str:
        return _render(self.low, self.high, self.low_open, self.high_open)


def default_best(low: Number | None, high: Number | None) -> Number | None:
    """The midpoint of two finite bounds, else the finite bound, else None."""
    if low is not None and high is not None:
        if isinstance(low, int) and isinstance(high, int) and (low + high) % 2 == 0:
            return (low + high) // 2
        mid = (low + high) / 2
        # Two floats near the top of the range overflow when added.
        return mid if math.isfinite(mid) else low / 2 + high / 2
    return low if low is not None else high


def _fmt(x: Number) -> str:
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return f"{x:,}" if isinstance(x, int) else f"{x:,.6g}"


def _render(low: Number | None, high: Number | None, low_open: bool, high_open: bool) -> str:
    left = "(-∞" if low is None else ("(" if low_open else "[") + _fmt(low)
    right = "∞)" if high is None else _fmt(high) + (")" if high_open else "]")
    return f"{left}, {right}"
