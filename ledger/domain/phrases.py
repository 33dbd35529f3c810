"""Words to figures: turn a source's phrase ("more than 3,000") into a Figure.

The default convention is the Wikimpacts 2024 annotation guideline (VUB-HYDR,
"DataTable Annotation Guidelines ImpactDB V1 2024-08-28", rule 14); "strict"
keeps only what the words logically imply. The numbers inside the words ("11 000",
"110k", "twenty-five", "28%") are read by ``ledger.domain.numbers``.
docs/figures.md is the reference.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import NamedTuple

from ledger.domain.figures import Figure, Number
from ledger.domain.numbers import (
    DIGIT_WORDS,
    HYPHENS,
    MULTIPLIERS,
    NUMBER,
    NUMBER_WORDS,
    Written,
    read_number,
)
from ledger.errors import InvalidFigure, UnitMismatch, UnparseableFigure

__all__ = ["CONVENTIONS", "parse_figure", "rules_matching"]

CONVENTIONS = ("wikimpacts-2024", "strict")
# The unit of a percentage ("28%", "28 percent"): words in any other unit raise UnitMismatch.
_PERCENT = "%"

_UNIT_WORDS = {"dozen": 12, "hundred": 100, **MULTIPLIERS}
_ORDERS = {"tens": 10, "dozens": 12, "hundreds": 100}
_ORDERS |= {word + "s": value for word, value in MULTIPLIERS.items()}
# "several hundred thousand", "a couple of dozen": a unit word, then larger multipliers.
_UNITS = r"(?:dozen|hundred|thousand|million|billion)(?: (?:thousand|million|billion))*"
# "tens of thousands": an order word, then "of" and larger orders.
_ORDER_CHAIN = (
    r"(?:tens|dozens|hundreds|thousands|millions|billions)(?: of (?:thousands|millions|billions))*"
)
# Words after the number expression: letters only, so a second figure ("300 dead, 2,700
# injured") or punctuation ("3,000 or so maybe?") never slips through as a trailing noun.
_WORD = r"[^\W\d_]+(?:['’-][^\W\d_]+)*['’]?"
_TRAIL = rf"(?P<trail>(?: {_WORD})*)"
# Trailing words that would change the number they follow ("3,000 or more", "300-odd",
# "2 hundred", "300 at least"): refusing them beats silently reading a different figure.
_REFUSED_WORDS = (
    "and or to plus minus odd ish times upwards above below up over under exceeding greater"
    " lower less fewer more least most minimum maximum about around approximately roughly"
    " nearly almost some estimated few several couple many numerous none tens dozens"
    " hundreds thousands millions billions trillion k m mn bn percent cent pct"
)
# Number words too: "three hundred dead, twenty injured" is two figures, not one.
_REFUSED = frozenset(_REFUSED_WORDS.split()) | NUMBER_WORDS
# "no" with any of these words says there is no figure yet ("no data", "no official
# figure", "no comment"), not that the figure is none: such words are not read as [0, 0].
_NO_NEWS_WORDS = (
    "data answer comment comments count counts detail details doubt estimate estimates"
    " figure figures idea info information number numbers official officials report"
    " reports response statement tally toll total totals update updates word"
)
_NO_NEWS = "|".join(_NO_NEWS_WORDS.split())
_DASH = "-–—‐‑−"
# A phrase is a few words; the cap also keeps numbers far below Python's int-parsing limit.
_MAX_LENGTH = 1_000


class _Bounds(NamedTuple):
    low: Fraction | None
    high: Fraction | None
    low_open: bool = False
    high_open: bool = False
    best: Fraction | None = None


class _NoFigure(Exception):
    """Words that parse but leave no possible figure; reported as InvalidFigure."""


def _number(text: str) -> Written:
    written = read_number(text)
    _check_float(written.value)  # the words' own numbers, not only the bounds
    return written


def _value(text: str) -> Fraction:
    return _number(text).value


def _scale(n: Fraction) -> Fraction:
    """The power of ten of n's last non-zero digit (500 -> 100, 2.75 -> 0.01); 1 for 0."""
    if n == 0:
        return Fraction(1)
    scale = Fraction(1)
    while (n / scale).denominator != 1:
        scale /= 10
    while (n / (scale * 10)).denominator == 1:
        scale *= 10
    return scale


def _step(n: Fraction) -> Fraction:
    # The guideline's "N+1" / "N-1" is one count; a figure written with decimals
    # ("more than 2.5") steps by its own last digit instead, or 2.6 would be skipped.
    return min(Fraction(1), _scale(n))


def _floor(anchor: Fraction) -> Fraction:
    # The guideline's low is never below 1, but the floor may not climb over the
    # value the reading must keep ("less than 1" is 0, "about 0" is 0).
    return Fraction(1) if anchor >= 1 else Fraction(0)


def _units(words: str, table: dict[str, int]) -> int:
    product = 1
    for word in words.split(" "):
        if word != "of":
            product *= table[word]
    return product


_Reader = Callable[[re.Match[str], bool], _Bounds]


def _plain(m: re.Match[str], strict: bool) -> _Bounds:
    n = _value(m["n"])
    return _Bounds(n, n)


def _at_least(m: re.Match[str], strict: bool) -> _Bounds:
    n = _value(m["n"])
    return _Bounds(n, None) if strict else _Bounds(n, n + _scale(n))


def _over(m: re.Match[str], strict: bool) -> _Bounds:
    n = _value(m["n"])
    if strict:
        # DESIGN puts "N+" in the row of "more than N": both exclude N itself.
        return _Bounds(n, None, low_open=True)
    low = n + _step(n)
    return _Bounds(low, low + _scale(n))


def _under(m: re.Match[str], strict: bool) -> _Bounds:
    n = _value(m["n"])
    if n == 0:
        raise _NoFigure("nothing is less than 0")
    if strict:
        return _Bounds(Fraction(0), n, high_open=True)
    high = n - _step(n)
    return _Bounds(max(high - _scale(n), _floor(high)), high)


def _at_most(m: re.Match[str], strict: bool) -> _Bounds:
    n = _value(m["n"])
    low = Fraction(0) if strict else max(n - _scale(n), Fraction(0))
    return _Bounds(low, n)


def _about(m: re.Match[str], strict: bool) -> _Bounds:
    # Strict: one step of the precision the figure was written in, either side,
    # is the widest rounding "about N" can honestly cover; it has no floor of 1.
    n = _value(m["n"])
    floor = Fraction(0) if strict else _floor(n)
    return _Bounds(max(n - _scale(n), floor), n + _scale(n), best=n)


def _same_order(s: int) -> _Bounds:
    # Strictly, "several hundred" stays below the next order word: at ten hundred a
    # speaker says "a thousand". Counts are whole, hence 999 rather than an open 1,000.
    return _Bounds(Fraction(2 * s), Fraction(10 * s - 1))


def _order(m: re.Match[str], strict: bool) -> _Bounds:
    s = _units(m["s"], _ORDERS)
    return _same_order(s) if strict else _Bounds(Fraction(2 * s), Fraction(9 * s))


def _few(m: re.Match[str], strict: bool) -> _Bounds:
    if not strict:
        return _Bounds(Fraction(2), Fraction(6))
    # "A few" and "several" say the number is small; the others only that it is plural.
    return _same_order(1) if m["w"] in ("a few", "several") else _Bounds(Fraction(2), None)


def _few_multiplier(m: re.Match[str], strict: bool) -> _Bounds:
    s = _units(m["s"], _UNIT_WORDS)
    return _same_order(s) if strict else _Bounds(Fraction(2 * s), Fraction(6 * s))


def _couple(m: re.Match[str], strict: bool) -> _Bounds:
    # "A couple" is two, loosely three: the guideline's reading is already the loose one.
    s = _units(m["s"], _UNIT_WORDS) if m["s"] else 1
    return _Bounds(Fraction(2 * s), Fraction(3 * s))


def _many(m: re.Match[str], strict: bool) -> _Bounds:
    # "Many" fixes no scale: strictly it only says "more than one".
    return _Bounds(Fraction(2), None) if strict else _Bounds(Fraction(20), Fraction(60))


def _none(m: re.Match[str], strict: bool) -> _Bounds:
    return _Bounds(Fraction(0), Fraction(0))


def _range(m: re.Match[str], strict: bool) -> _Bounds:
    (a_bare, a_mult, _), (b_bare, b_mult, _) = _number(m["a"]), _number(m["b"])
    # "2-3 million" is 2 to 3 million, but "500 to 2 million" starts at 500.
    if a_mult == 1 and a_bare <= b_bare:
        a_mult = b_mult
    low, high = a_bare * a_mult, b_bare * b_mult
    if low > high:
        raise _NoFigure(f"the range runs backwards: {_out(low)} is above {_out(high)}")
    return _Bounds(low, high)


def _rule(name: str, pattern: str, reader: _Reader) -> tuple[str, str, _Reader]:
    return name, pattern + _TRAIL, reader


_N = rf"(?P<n>{NUMBER})"
# A hyphen between a tens word and a unit word joins one number ("twenty-five"); any
# other dash between two numbers is a range ("20-25", "five-six").
_RANGE_DASH = rf"(?!(?<=ty)[{HYPHENS}](?:{'|'.join(DIGIT_WORDS)})(?![a-z])) ?[{_DASH}] ?"
# Tried in order; the first rule whose pattern matches the whole phrase and whose
# trailing words are all acceptable wins. More specific wordings come first.
# Compiled on first use, and only the rules a phrase may match (``_guards``):
# compiling them all takes a quarter of a second, which every program that
# imports the package, or reads a few words, would pay.
_RULES = (
    _rule("none", rf"(?:none|no(?= )(?!.*\b(?:{_NO_NEWS})\b))", _none),
    _rule("at-least", rf"(?:at least|a minimum of) {_N}", _at_least),
    _rule(
        "over",
        rf"(?:more than|over|greater than|exceeding|upwards of|in excess of) {_N}",
        _over,
    ),
    _rule("over", rf"{_N} ?\+", _over),
    _rule("under", rf"(?:less than|fewer than|under|lower than) {_N}", _under),
    _rule(
        "at-most",
        rf"(?:at most|up to|no more than|a maximum of|as many as|as high as) {_N}",
        _at_most,
    ),
    _rule(
        "about",
        r"(?:(?:about|around|approximately|roughly|nearly|almost|some|an estimated"
        rf"|closer to|nearer to) |~ ?){_N}",
        _about,
    ),
    _rule("range", rf"between (?P<a>{NUMBER}) and (?P<b>{NUMBER})", _range),
    _rule("range", rf"(?:from )?(?P<a>{NUMBER})(?:{_RANGE_DASH}| to )(?P<b>{NUMBER})", _range),
    _rule("few-multiplier", rf"(?:a few|several) (?P<s>{_UNITS})", _few_multiplier),
    _rule("couple", rf"(?:a )?couple(?: of)?(?: (?P<s>{_UNITS}))?", _couple),
    _rule("order-of-magnitude", rf"(?P<s>{_ORDER_CHAIN})(?: of)?", _order),
    _rule("few", r"(?P<w>a few|several|a number of|a group of|numerous)", _few),
    _rule("many", r"many", _many),
    _rule("plain", rf"(?:a mere )?{_N}", _plain),
    # "a 10,000-strong force": the size of a unit, read as the plain number.
    _rule("plain", rf"(?:a )?{_N}[{HYPHENS}]strong", _plain),
)


@functools.cache
def _guards() -> tuple[re.Pattern[str], ...]:
    """Each rule with any non-empty text where a number goes: cheap to compile.

    A phrase the guard does not match, its rule cannot: the number's own
    pattern (spelled-out numbers make it long) is compiled only for the rules
    whose guard a phrase passes, and a process reading "about 300" compiles
    one rule, not all of them (a quarter of a second at every start).
    """
    return tuple(re.compile(pattern.replace(NUMBER, ".+?")) for _, pattern, _ in _RULES)


@functools.cache
def _compiled(index: int) -> re.Pattern[str]:
    return re.compile(_RULES[index][1])


def rules_matching(words: str) -> Iterator[tuple[str, re.Match[str] | None, bool]]:
    """For each rule in order: its name, its full match of words, whether its guard matched.

    For tests of the guards: a rule's full pattern never matches where its
    guard does not.
    """
    for index, (name, pattern, _) in enumerate(_RULES):
        full = re.compile(pattern).fullmatch(words)
        yield name, full, _guards()[index].fullmatch(words) is not None


def _check_float(x: Fraction) -> None:
    # Past ~15 significant digits neighbouring decimals share a float, and "more than N"
    # would come out as N itself: refuse rather than store a bound the words exclude.
    if x.denominator != 1 and Fraction(repr(float(x))) != x:
        raise _NoFigure("a number has more significant digits than a float holds (about 15)")


def _out(x: Fraction) -> Number:
    _check_float(x)
    return x.numerator if x.denominator == 1 else float(x)


def _acceptable(trail: str) -> bool:
    return not any(part in _REFUSED for part in re.split(r"[ '’-]", trail))


def parse_figure(text: str, unit: str, convention: str = "wikimpacts-2024") -> Figure:
    """Read a source's words ("more than 3,000") as a Figure under a named convention."""
    if convention not in CONVENTIONS:
        raise InvalidFigure(
            f"unknown convention {convention!r}; choose one of {', '.join(CONVENTIONS)}",
            field="convention",
        )
    # Typed callers always pass a str; untyped ones may not, and must get a ledger error.
    given: object = text
    if not isinstance(given, str) or len(text) > _MAX_LENGTH:
        raise UnparseableFigure(text, convention)
    words = " ".join(text.split()).lower()
    guards = _guards()
    for index, (name, _, reader) in enumerate(_RULES):
        if guards[index].fullmatch(words) is None:
            continue
        match = _compiled(index).fullmatch(words)
        if match is None or not _acceptable(match["trail"]):
            continue
        try:
            b = reader(match, convention == "strict")
            bounds = [None if x is None else _out(x) for x in (b.low, b.high, b.best)]
        except _NoFigure as e:
            raise InvalidFigure(f"{text!r} under {convention!r}: {e}", field="phrase") from None
        except OverflowError:
            raise InvalidFigure(f"{text!r} is too large for a float", field="phrase") from None
        low, high, best = bounds
        figure = Figure(
            low,
            high,
            b.low_open,
            b.high_open,
            best=best,
            unit=unit,
            phrase=text,
            rule=f"{convention}:{name}",
        )
        if unit != _PERCENT and _is_percentage(match):
            raise _percentage_mismatch(text, unit)
        return figure
    raise UnparseableFigure(text, convention)


def _is_percentage(match: re.Match[str]) -> bool:
    numbers = (match[g] for g in ("n", "a", "b") if g in match.re.groupindex)
    return any(read_number(n).percent for n in numbers if n is not None)


def _percentage_mismatch(text: str, unit: str) -> UnitMismatch:
    error = UnitMismatch(text, unit, _PERCENT)
    # UnitMismatch's own message speaks of a topic's unit; here the words carry the unit.
    error.args = (f"unit: {text!r} is a percentage, so its unit is {_PERCENT!r}, not {unit!r}",)
    return error
