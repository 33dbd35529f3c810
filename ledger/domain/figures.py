"""Intervals over the reals and the figures sources give: pure values.

Also the field rules they and the events declare. A ``Rule`` is declared once
and is the field's attrs validator; the codec builds its fast decoders from
the same objects (``ledger.codec.fast``), so no rule is written twice.
"""

from __future__ import annotations

import math
import numbers
import operator
import re
from collections.abc import Callable
from typing import Any

import attrs

from ledger.errors import InvalidEvent, InvalidFigure, brief

__all__ = [
    "OPTIONAL_TEXT",
    "REPEATS",
    "TEXT",
    "Figure",
    "Interval",
    "Number",
    "Rule",
    "check_bounds",
    "default_best",
    "format_number",
    "known_interval",
    "plain_number",
    "surrogate_in",
]

Number = int | float

#: A field metadata key: the field's values repeat across the log (names,
#: units), so a decoder may check each distinct value once and keep one copy.
REPEATS = "repeats"


@attrs.frozen
class Rule:
    """A field's rule, declared once: its attrs validator and its codec fast-path check.

    A value keeps the rule when it is an instance of ``kind`` (exactly, with
    ``exact``), each item keeps ``item`` (for tuples), and ``test`` is truthy
    on it; None keeps it when ``optional``. ``why`` says, for a value that
    breaks it, what is wrong; the error (``error``) names the field.
    """

    kind: type | tuple[type, ...]
    why: Callable[[Any], str]
    test: Callable[[Any], object] | None = None
    optional: bool = False
    exact: bool = False
    item: Rule | None = None
    error: type[InvalidEvent] = InvalidEvent
    #: ``kind`` as a tuple.
    kinds: tuple[type, ...] = attrs.field(init=False, repr=False, eq=False)
    #: keeps(value): whether value keeps the rule.
    keeps: Callable[[object], bool] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        object.__setattr__(self, "kinds", kinds)
        object.__setattr__(self, "keeps", _keeper(self, kinds))

    def __call__(self, inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not self.keeps(value):
            raise self.error(self.why(value), field=attribute.name)


def _keeper(rule: Rule, kinds: tuple[type, ...]) -> Callable[[object], bool]:
    # Written out per shape: validators run on every event the API builds.
    test, optional, item = rule.test, rule.optional, rule.item
    if item is not None:
        each = item.keeps

        def keeps_items(value: Any) -> bool:
            if value is None:
                return optional
            if not isinstance(value, kinds) or not all(map(each, value)):  # type: ignore[call-overload]
                return False
            return test is None or bool(test(value))

        return keeps_items
    if test is None:
        if rule.exact:
            return lambda value: type(value) in kinds or (optional and value is None)
        return lambda value: isinstance(value, kinds) or (optional and value is None)
    if rule.exact:
        return lambda value: (
            bool(test(value)) if type(value) in kinds else optional and value is None
        )
    return lambda value: (
        bool(test(value)) if isinstance(value, kinds) else optional and value is None
    )


# -- text ---------------------------------------------------------------------

# A lone surrogate (a byte that was not UTF-8, passed through surrogateescape)
# is not text: it cannot be written as UTF-8, so the log could not hold it.
_SURROGATE = re.compile("[\ud800-\udfff]").search


def _is_utf8(text: str) -> bool:
    return text.isascii() or _SURROGATE(text) is None


def _is_text(text: str) -> bool:
    return bool(text) and not text.isspace() and _is_utf8(text)


def surrogate_in(value: object) -> str | None:
    """What is wrong with a string holding a lone surrogate; None for anything else."""
    found = _SURROGATE(value) if isinstance(value, str) else None
    if found is None:
        return None
    return f"holds {found.group()!r} at index {found.start()}, which is not text (not UTF-8)"


def _why_text(value: object) -> str:
    if isinstance(value, str) and value and value.isspace():
        return "must be text, not only whitespace"
    return surrogate_in(value) or "must be a non-empty string"


def _why_optional_text(value: object) -> str:
    return surrogate_in(value) or "must be a string or None"


#: A non-empty, non-blank string of UTF-8 text.
TEXT = Rule(str, _why_text, _is_text)
#: A string of UTF-8 text, or None.
OPTIONAL_TEXT = Rule(str, _why_optional_text, _is_utf8, optional=True)


# -- numbers ------------------------------------------------------------------

_INT_MIN, _INT_MAX = -(2**63), 2**63


def _fits(value: Number) -> bool:
    # Wider integers do not survive every JSON reader the log is meant for.
    return _INT_MIN <= value < _INT_MAX if type(value) is int else math.isfinite(value)


def _why_number(value: object) -> str:
    if type(value) not in (int, float):
        return f"must be an int or a float, not {type(value).__name__}"
    if type(value) is float:
        return f"must be finite, not {value!r}"
    return f"{brief(value)} does not fit in 64 bits"


def plain_number(value: Number | None) -> Number | None:
    """A number as a plain int or float, by value; anything else unchanged, for the rule to refuse.

    int and float subclasses (numpy.float64, IntEnum members) and other
    integers (numpy.int64: anything ``operator.index`` takes) become a plain
    int or float of the same value. bool is not a number here; other reals
    (Decimal, Fraction, numpy.float32) stay as given, and the rule refuses them.
    """
    given: object = value  # what callers pass, whatever the annotation says
    kind = type(given)
    if kind is int or kind is float or given is None or isinstance(given, bool):
        return value
    if isinstance(given, float):
        return float(given)
    if isinstance(given, numbers.Integral):
        try:
            return operator.index(given)
        except TypeError:
            return value
    return value


_NUMBER = Rule((int, float), _why_number, _fits, optional=True, exact=True, error=InvalidFigure)
_FLAG = Rule(bool, lambda _: "must be a bool", exact=True, error=InvalidFigure)


# -- intervals and figures ----------------------------------------------------


def _contains(
    low: Number | None, high: Number | None, low_open: bool, high_open: bool, x: Number
) -> bool:
    if low is not None and (x < low or (low_open and x == low)):
        return False
    return not (high is not None and (x > high or (high_open and x == high)))


def check_bounds(
    low: Number | None,
    high: Number | None,
    low_open: bool,
    high_open: bool,
    best: Number | None = None,
) -> None:
    """The invariants across an interval's fields, and a best inside it (InvalidFigure)."""
    if low is not None and high is not None and low > high:
        raise InvalidFigure(f"low {low!r} is above high {high!r}", field="low")
    if low is None and low_open:
        raise InvalidFigure("an unbounded low cannot be open", field="low_open")
    if high is None and high_open:
        raise InvalidFigure("an unbounded high cannot be open", field="high_open")
    if low is not None and low == high and (low_open or high_open):
        field = "low_open" if low_open else "high_open"
        raise InvalidFigure(f"the single point {low!r} cannot have an open end", field=field)
    if best is not None and not _contains(low, high, low_open, high_open, best):
        shown = _render(low, high, low_open, high_open)
        raise InvalidFigure(f"best {best!r} lies outside {shown}", field="best")


@attrs.frozen
class Interval:
    """An interval over the reals; None on a side means unbounded there."""

    low: Number | None = attrs.field(converter=plain_number, validator=_NUMBER)
    high: Number | None = attrs.field(converter=plain_number, validator=_NUMBER)
    low_open: bool = attrs.field(default=False, validator=_FLAG)
    high_open: bool = attrs.field(default=False, validator=_FLAG)

    def __attrs_post_init__(self) -> None:
        check_bounds(self.low, self.high, self.low_open, self.high_open)

    def __contains__(self, x: Number) -> bool:
        return _contains(self.low, self.high, self.low_open, self.high_open, x)

    def __str__(self) -> str:
        return _render(self.low, self.high, self.low_open, self.high_open)


_set = object.__setattr__


def known_interval(
    low: Number | None, high: Number | None, low_open: bool, high_open: bool
) -> Interval:
    """An Interval of bounds known to hold its invariants (taken from valid figures), unchecked.

    The range and consensus are made of the bounds of valid figures; checking
    them again costs a tenth of rendering a topic.
    """
    made: Interval = object.__new__(Interval)
    _set(made, "low", low)
    _set(made, "high", high)
    _set(made, "low_open", low_open)
    _set(made, "high_open", high_open)
    return made


@attrs.frozen
class Figure:
    """A figure a source gave: an interval, a best value, a unit and the words."""

    low: Number | None = attrs.field(converter=plain_number, validator=_NUMBER)
    high: Number | None = attrs.field(converter=plain_number, validator=_NUMBER)
    low_open: bool = attrs.field(default=False, validator=_FLAG)
    high_open: bool = attrs.field(default=False, validator=_FLAG)
    best: Number | None = attrs.field(
        default=None, kw_only=True, converter=plain_number, validator=_NUMBER
    )
    # Units and rule names repeat on every figure: a decoder may keep one copy of each.
    unit: str = attrs.field(
        kw_only=True, validator=attrs.evolve(TEXT, error=InvalidFigure), metadata={REPEATS: True}
    )
    phrase: str | None = attrs.field(
        default=None, kw_only=True, validator=attrs.evolve(OPTIONAL_TEXT, error=InvalidFigure)
    )
    rule: str | None = attrs.field(
        default=None,
        kw_only=True,
        validator=attrs.evolve(OPTIONAL_TEXT, error=InvalidFigure),
        metadata={REPEATS: True},
    )

    def __attrs_post_init__(self) -> None:
        check_bounds(self.low, self.high, self.low_open, self.high_open, self.best)

    @property
    def interval(self) -> Interval:
        """The figure's bounds as an Interval."""
        return known_interval(self.low, self.high, self.low_open, self.high_open)

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


#: Whole floats below this are printed as the ints they are.
_PLAIN_FLOATS = 1e16


def format_number(x: Number) -> str:
    """A number as people read it: thousands separators, whole floats without '.0'.

    A whole float from 1e16 up (1e308) is printed as a float is, not as its
    309 digits; other floats keep fifteen significant digits: enough that two
    figures people wrote differently (1,234,567.4 and 1,234,567.6) never print
    alike, few enough that float arithmetic's last digit (0.1 + 0.2) does not show.
    """
    if isinstance(x, float) and x.is_integer() and abs(x) < _PLAIN_FLOATS:
        x = int(x)
    return f"{x:,}" if isinstance(x, int) else f"{x:,.15g}"


def _render(low: Number | None, high: Number | None, low_open: bool, high_open: bool) -> str:
    left = "(-∞" if low is None else ("(" if low_open else "[") + format_number(low)
    right = "∞)" if high is None else format_number(high) + (")" if high_open else "]")
    return f"{left}, {right}"
