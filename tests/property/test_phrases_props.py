"""Laws of words to figures: plain numbers are exact, strict readings contain the guideline's."""

from __future__ import annotations

from fractions import Fraction
from random import Random

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.figures import Interval
from ledger.domain.phrases import parse_figure
from ledger.errors import InvalidFigure

MULTIPLIERS = {"": 1, " thousand": 10**3, " million": 10**6, " billion": 10**9}


@st.composite
def numbers(draw: st.DrawFn, *, words: bool = True) -> tuple[str, Fraction]:
    """A number as a source writes it (separators, decimals, a multiplier word) and its value."""
    word = draw(st.sampled_from(sorted(MULTIPLIERS))) if words else ""
    # Figures hold 64-bit integers; stay well inside so every reading of N fits.
    whole = draw(st.integers(min_value=0, max_value=10**15 // MULTIPLIERS[word]))
    text = draw(st.sampled_from([str(whole), f"{whole:,}"]))
    value = Fraction(whole)
    # A float holds ~15 significant digits; keep decimals to numbers that fit in them.
    if whole < 10**10 and draw(st.booleans()):
        decimals = draw(st.text("0123456789", min_size=1, max_size=4))
        text += "." + decimals
        value += Fraction(int(decimals), 10 ** len(decimals))
    return text + word, value * MULTIPLIERS[word]


def as_number(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)


TEMPLATES = [
    "{n}",
    "{n}+",
    "{n} soldiers",
    "at least {n}",
    "a minimum of {n}",
    "more than {n}",
    "over {n}",
    "greater than {n}",
    "exceeding {n} casualties",
    "less than {n}",
    "fewer than {n}",
    "under {n}",
    "lower than {n}",
    "at most {n}",
    "up to {n}",
    "no more than {n}",
    "about {n}",
    "around {n}",
    "approximately {n}",
    "roughly {n}",
    "nearly {n}",
    "almost {n}",
    "some {n}",
    "an estimated {n} dead",
    "~{n}",
    "between {a} and {b}",
    "{a}-{b}",
    "{a} – {b}",
    "{a} to {b}",
    "from {a} to {b} people",
]
WORDS = [
    "tens of",
    "dozens of",
    "hundreds of people",
    "thousands",
    "millions of",
    "tens of thousands of",
    "hundreds of thousands",
    "a few",
    "several",
    "a number of",
    "a group of",
    "numerous",
    "a few hundred",
    "several hundred casualties",
    "several thousand",
    "a few million",
    "several hundred thousand",
    "a few dozen",
    "a couple",
    "a couple of",
    "a couple hundred",
    "a couple thousand",
    "a couple dozen",
    "many",
    "none",
    "no casualties",
]


@st.composite
def phrases(draw: st.DrawFn) -> str:
    """A phrase from any template of the vocabulary, with random numbers."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(WORDS))
    template = draw(st.sampled_from(TEMPLATES))
    n, _ = draw(numbers())
    # No multiplier words in ranges: a bare A takes B's word, which may reverse them.
    (a, va), (b, vb) = draw(numbers(words=False)), draw(numbers(words=False))
    if va > vb:
        a, b = b, a
    return template.format(n=n, a=a, b=b)


def contains(outer: Interval, inner: Interval) -> bool:
    """Whether every point of inner lies in outer, open and closed ends honoured."""
    low_ok = outer.low is None or (
        inner.low is not None
        and (
            inner.low > outer.low
            or (inner.low == outer.low and (inner.low_open or not outer.low_open))
        )
    )
    high_ok = outer.high is None or (
        inner.high is not None
        and (
            inner.high < outer.high
            or (inner.high == outer.high and (inner.high_open or not outer.high_open))
        )
    )
    return low_ok and high_ok


@given(numbers())
def test_a_plain_number_is_exact(number: tuple[str, Fraction]) -> None:
    text, value = number
    figure = parse_figure(text, "soldiers")
    assert figure.low == figure.high == as_number(value)
    assert figure.rule == "wikimpacts-2024:plain"


@given(numbers(), st.sampled_from(["wikimpacts-2024", "strict"]))
def test_about_n_contains_n_and_has_best_n(number: tuple[str, Fraction], convention: str) -> None:
    text, value = number
    figure = parse_figure(f"about {text}", "soldiers", convention)
    assert as_number(value) in figure.interval
    assert figure.best == as_number(value)


@given(numbers(), st.sampled_from(["more than", "over", "greater than", "exceeding"]))
def test_more_than_n_lies_entirely_above_n(number: tuple[str, Fraction], words: str) -> None:
    text, value = number
    wikimpacts = parse_figure(f"{words} {text}", "soldiers")
    assert wikimpacts.low is not None
    assert wikimpacts.low > value
    strict = parse_figure(f"{words} {text}", "soldiers", "strict")
    assert (strict.low, strict.low_open) == (as_number(value), True)
    assert as_number(value) not in strict.interval


@given(phrases())
def test_the_strict_reading_contains_the_guideline_reading(phrase: str) -> None:
    try:
        wikimpacts = parse_figure(phrase, "soldiers")
    except InvalidFigure:
        # Words the guideline cannot read ("less than 0") are refused by strict too.
        with pytest.raises(InvalidFigure):
            parse_figure(phrase, "soldiers", "strict")
        return
    strict = parse_figure(phrase, "soldiers", "strict")
    assert contains(strict.interval, wikimpacts.interval), (strict, wikimpacts)
    assert strict.rule is not None
    assert wikimpacts.rule is not None
    assert strict.rule.split(":")[1] == wikimpacts.rule.split(":")[1]


@given(phrases(), st.randoms(use_true_random=False), st.sampled_from(["wikimpacts-2024", "strict"]))
def test_parsing_ignores_case(phrase: str, rng: Random, convention: str) -> None:
    shouted = "".join(c.upper() if rng.random() < 0.5 else c for c in phrase)
    try:
        expected = parse_figure(phrase, "soldiers", convention)
    except InvalidFigure as e:
        with pytest.raises(type(e)):
            parse_figure(shouted, "soldiers", convention)
        return
    assert parse_figure(shouted, "soldiers", convention) == attrs.evolve(expected, phrase=shouted)


GAPS = st.text(" \t\n\u00a0", min_size=1, max_size=3)


@given(phrases(), st.data())
def test_parsing_ignores_extra_whitespace(phrase: str, data: st.DataObject) -> None:
    words = phrase.split(" ")
    gaps = data.draw(st.lists(GAPS, min_size=len(words) + 1, max_size=len(words) + 1))
    spaced = gaps[0] + "".join(word + gap for word, gap in zip(words, gaps[1:], strict=True))
    try:
        expected = parse_figure(phrase, "soldiers", "strict")
    except InvalidFigure:
        return
    assert parse_figure(spaced, "soldiers", "strict") == attrs.evolve(expected, phrase=spaced)


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        (Interval(3000, None, low_open=True), Interval(3001, 4001), True),
        (Interval(3000, None, low_open=True), Interval(3000, 4000), False),
        (Interval(0, 500, high_open=True), Interval(399, 499), True),
        (Interval(0, 500, high_open=True), Interval(400, 500), False),
        (Interval(200, 999), Interval(200, 600), True),
        (Interval(200, 999), Interval(200, None), False),
        (Interval(None, None), Interval(1, 2), True),
    ],
)
def test_containment_honours_open_ends(outer: Interval, inner: Interval, expected: bool) -> None:
    assert contains(outer, inner) is expected
