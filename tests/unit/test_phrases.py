"""Words to figures: every row of the vocabulary table, under both conventions."""

from __future__ import annotations

import pytest

from ledger.domain.figures import Figure
from ledger.domain.phrases import CONVENTIONS, parse_figure
from ledger.errors import InvalidFigure, UnparseableFigure

W = "wikimpacts-2024"


def bounds(figure: Figure) -> tuple[object, ...]:
    return (figure.low, figure.high, figure.low_open, figure.high_open, figure.best)


# phrase, low, high, best, rule name: the default convention.
WIKIMPACTS = [
    # plain N
    ("2,700", 2700, 2700, None, "plain"),
    ("543", 543, 543, None, "plain"),
    ("0", 0, 0, None, "plain"),
    ("300 dead", 300, 300, None, "plain"),
    # at least / a minimum of
    ("at least 60", 60, 70, None, "at-least"),
    ("a minimum of 500", 500, 600, None, "at-least"),
    ("at least 3,000 soldiers", 3000, 4000, None, "at-least"),
    # more than / over / greater than / exceeding / N+
    ("more than 3,000", 3001, 4001, None, "over"),
    ("over 2,000", 2001, 3001, None, "over"),
    ("greater than 560", 561, 571, None, "over"),
    ("exceeding 543", 544, 545, None, "over"),
    ("3,000+", 3001, 4001, None, "over"),
    ("200,000 + people", 200001, 300001, None, "over"),
    ("more than 3,000 North Korean soldiers", 3001, 4001, None, "over"),
    # less than / fewer than / under / lower than (floor of 1)
    ("less than 500", 399, 499, None, "under"),
    ("fewer than 560", 549, 559, None, "under"),
    ("under 3,000", 1999, 2999, None, "under"),
    ("lower than 543", 541, 542, None, "under"),
    ("less than 10", 1, 9, None, "under"),
    ("fewer than 2", 1, 1, None, "under"),
    ("under 1", 0, 0, None, "under"),
    # at most / up to / no more than
    ("at most 500", 400, 500, None, "at-most"),
    ("up to 12", 11, 12, None, "at-most"),
    ("no more than 1,634", 1633, 1634, None, "at-most"),
    ("at most 0", 0, 0, None, "at-most"),
    # about & co (floor of 1, best = N)
    ("about 300", 200, 400, 300, "about"),
    ("around 560", 550, 570, 560, "about"),
    ("approximately 233", 232, 234, 233, "about"),
    ("roughly 3,000", 2000, 4000, 3000, "about"),
    ("nearly 100", 1, 200, 100, "about"),
    ("almost 543", 542, 544, 543, "about"),
    ("some 11,000", 10000, 12000, 11000, "about"),
    ("an estimated 2,000", 1000, 3000, 2000, "about"),
    ("~4234", 4233, 4235, 4234, "about"),
    ("~ 300", 200, 400, 300, "about"),
    ("about 3", 2, 4, 3, "about"),
    ("about 1", 1, 2, 1, "about"),
    ("about 0", 0, 1, 0, "about"),
    # tens / dozens / hundreds / thousands / millions of
    ("tens of", 20, 90, None, "order-of-magnitude"),
    ("dozens of soldiers", 24, 108, None, "order-of-magnitude"),
    ("hundreds of people", 200, 900, None, "order-of-magnitude"),
    ("thousands", 2000, 9000, None, "order-of-magnitude"),
    ("millions of dollars", 2_000_000, 9_000_000, None, "order-of-magnitude"),
    ("tens of thousands of civilians", 20_000, 90_000, None, "order-of-magnitude"),
    ("hundreds of thousands", 200_000, 900_000, None, "order-of-magnitude"),
    # a few / several / a number of / a group of / numerous
    ("a few", 2, 6, None, "few"),
    ("several casualties", 2, 6, None, "few"),
    ("a number of troops", 2, 6, None, "few"),
    ("a group of soldiers", 2, 6, None, "few"),
    ("numerous", 2, 6, None, "few"),
    # a few / several hundred (thousand, million), a few dozen
    ("several hundred", 200, 600, None, "few-multiplier"),
    ("a few hundred casualties", 200, 600, None, "few-multiplier"),
    ("several thousand", 2000, 6000, None, "few-multiplier"),
    ("a few million", 2_000_000, 6_000_000, None, "few-multiplier"),
    ("several hundred thousand", 200_000, 600_000, None, "few-multiplier"),
    ("a few dozen", 24, 72, None, "few-multiplier"),
    ("several dozen", 24, 72, None, "few-multiplier"),
    # a couple (of) / a couple hundred…
    ("a couple", 2, 3, None, "couple"),
    ("a couple of soldiers", 2, 3, None, "couple"),
    ("a couple hundred", 200, 300, None, "couple"),
    ("a couple of hundred", 200, 300, None, "couple"),
    ("a couple thousand", 2000, 3000, None, "couple"),
    ("a couple dozen", 24, 36, None, "couple"),
    # many
    ("many", 20, 60, None, "many"),
    ("many soldiers", 20, 60, None, "many"),
    # none / no casualties
    ("none", 0, 0, None, "none"),
    ("no casualties", 0, 0, None, "none"),
    ("no deaths", 0, 0, None, "none"),
    # between A and B, A–B, A to B
    ("between 300 and 400", 300, 400, None, "range"),
    ("300-400", 300, 400, None, "range"),
    ("300 – 400", 300, 400, None, "range"),
    ("300–400 people", 300, 400, None, "range"),
    ("9 to 66", 9, 66, None, "range"),
    ("from 2,000 to 3,000", 2000, 3000, None, "range"),
    ("between 5 and 5", 5, 5, None, "range"),
    ("between 2 and 3 million", 2_000_000, 3_000_000, None, "range"),
    ("2-3 million", 2_000_000, 3_000_000, None, "range"),
    ("500 to 2 million", 500, 2_000_000, None, "range"),
    ("1.5 million to 2 million", 1_500_000, 2_000_000, None, "range"),
]


@pytest.mark.parametrize(("phrase", "low", "high", "best", "rule"), WIKIMPACTS)
def test_reads_each_row_of_the_guideline(
    phrase: str, low: int, high: int, best: int | None, rule: str
) -> None:
    figure = parse_figure(phrase, "soldiers")
    assert bounds(figure) == (low, high, False, False, best)
    assert figure.rule == f"wikimpacts-2024:{rule}"


# phrase, low, high, low_open, high_open, best, rule name: the strict convention.
STRICT = [
    ("2,700", 2700, 2700, False, False, None, "plain"),
    ("at least 60", 60, None, False, False, None, "at-least"),
    ("a minimum of 500", 500, None, False, False, None, "at-least"),
    ("more than 3,000", 3000, None, True, False, None, "over"),
    ("exceeding 543", 543, None, True, False, None, "over"),
    ("3,000+", 3000, None, True, False, None, "over"),
    ("less than 500", 0, 500, False, True, None, "under"),
    ("under 1", 0, 1, False, True, None, "under"),
    ("at most 500", 0, 500, False, False, None, "at-most"),
    ("up to 12", 0, 12, False, False, None, "at-most"),
    ("about 300", 200, 400, False, False, 300, "about"),
    ("some 11,000", 10000, 12000, False, False, 11000, "about"),
    ("about 1", 0, 2, False, False, 1, "about"),
    ("hundreds of", 200, 999, False, False, None, "order-of-magnitude"),
    ("dozens of", 24, 119, False, False, None, "order-of-magnitude"),
    ("tens of thousands", 20_000, 99_999, False, False, None, "order-of-magnitude"),
    ("a few", 2, 9, False, False, None, "few"),
    ("several", 2, 9, False, False, None, "few"),
    ("a number of", 2, None, False, False, None, "few"),
    ("numerous", 2, None, False, False, None, "few"),
    ("several hundred", 200, 999, False, False, None, "few-multiplier"),
    ("a few dozen", 24, 119, False, False, None, "few-multiplier"),
    ("several million", 2_000_000, 9_999_999, False, False, None, "few-multiplier"),
    ("a couple hundred", 200, 300, False, False, None, "couple"),
    ("many", 2, None, False, False, None, "many"),
    ("none", 0, 0, False, False, None, "none"),
    ("between 300 and 400", 300, 400, False, False, None, "range"),
]


@pytest.mark.parametrize(("phrase", "low", "high", "low_open", "high_open", "best", "rule"), STRICT)
def test_strict_keeps_only_what_the_words_imply(
    phrase: str,
    low: int,
    high: int | None,
    low_open: bool,
    high_open: bool,
    best: int | None,
    rule: str,
) -> None:
    figure = parse_figure(phrase, "soldiers", "strict")
    assert bounds(figure) == (low, high, low_open, high_open, best)
    assert figure.rule == f"strict:{rule}"


@pytest.mark.parametrize(
    ("phrase", "low", "high"),
    [
        ("about 500", 400, 600),  # scale 100
        ("about 560", 550, 570),  # scale 10
        ("about 543", 542, 544),  # scale 1
        ("about 3,000", 2000, 4000),  # scale 1,000
        ("about 2.7 million", 2_600_000, 2_800_000),  # scale 100,000, on the resulting number
        ("about 2.75", 2.74, 2.76),  # scale 0.01
        ("about 0", 0, 1),  # 0 has scale 1
    ],
)
def test_scale_is_the_power_of_ten_of_the_last_non_zero_digit(
    phrase: str, low: float, high: float
) -> None:
    figure = parse_figure(phrase, "soldiers")
    assert (figure.low, figure.high) == (low, high)


@pytest.mark.parametrize(
    ("phrase", "value", "kind"),
    [
        ("11,000", 11000, int),
        ("1,234,567", 1234567, int),
        ("2.7 million", 2_700_000, int),
        ("3 thousand", 3000, int),
        ("1.25 billion", 1_250_000_000, int),
        ("2.0", 2, int),
        ("2.5", 2.5, float),
        ("0.75", 0.75, float),
        ("1.5 thousand", 1500, int),
    ],
)
def test_numbers_keep_int_when_integral(phrase: str, value: float, kind: type) -> None:
    figure = parse_figure(phrase, "soldiers")
    assert figure.low == figure.high == value
    assert type(figure.low) is kind


@pytest.mark.parametrize(
    ("phrase", "low", "high"),
    [
        ("more than 2.5", 2.6, 2.7),  # a decimal steps by its own last digit, not by 1
        ("less than 1.5", 1.3, 1.4),
        ("less than 0.5", 0.3, 0.4),  # below 1 the floor is 0, not 1
        ("more than 2.7 million", 2_700_001, 2_800_001),
    ],
)
def test_decimal_figures_step_by_their_last_digit(phrase: str, low: float, high: float) -> None:
    figure = parse_figure(phrase, "km2")
    assert (figure.low, figure.high) == (low, high)


@pytest.mark.parametrize(
    "phrase",
    [
        "More than 3,000",
        "MORE THAN 3,000",
        "  More   than 3,000 ",
        "more\tthan\n3,000",
        "more than 3,000",
    ],
)
def test_case_and_whitespace_do_not_matter(phrase: str) -> None:
    figure = parse_figure(phrase, "soldiers")
    assert bounds(figure) == (3001, 4001, False, False, None)


def test_keeps_the_words_exactly_as_given_and_the_unit() -> None:
    figure = parse_figure("  Some 11,000 troops ", "soldiers")
    assert figure.phrase == "  Some 11,000 troops "
    assert figure.unit == "soldiers"
    assert figure.rule == "wikimpacts-2024:about"


@pytest.mark.parametrize(
    ("phrase", "low", "high", "best", "rule"),
    [
        ("more than 3,000", 3001, 4001, None, "over"),
        ("several hundred", 200, 600, None, "few-multiplier"),
        ("about 300", 200, 400, 300, "about"),
        ("2,700", 2700, 2700, None, "plain"),
        ("some 11,000", 10000, 12000, 11000, "about"),
    ],
)
def test_reads_the_kursk_article(
    phrase: str, low: int, high: int, best: int | None, rule: str
) -> None:
    figure = parse_figure(phrase, "soldiers")
    assert (figure.low, figure.high, figure.best, figure.rule) == (low, high, best, f"{W}:{rule}")


@pytest.mark.parametrize(
    "phrase",
    [
        "",
        "   ",
        "abc",
        "lots",
        "3,000 or so maybe?",
        "3,000 or more",  # a modifier after the number would change the figure
        "300 soldiers or fewer",
        "300-odd",
        "3 hundred",
        "2.7m",
        "300 at least",
        "300 dead, 2,700 injured",  # two figures
        "300 dead and 2,700 injured",
        "about 300.",  # punctuation is never a trailing word
        "11,00",  # a malformed separator
        "3 000",
        ".5",
        "no",
        "few",
        "some soldiers",
        "more than",
        "between 300 and",
        "about 2-3 million",
        "-5",
        "٣٠٠",  # digits other than ASCII
        "1" * 1001,
    ],
)
@pytest.mark.parametrize("convention", CONVENTIONS)
def test_refuses_words_that_name_no_figure(phrase: str, convention: str) -> None:
    with pytest.raises(UnparseableFigure) as caught:
        parse_figure(phrase, "soldiers", convention)
    assert caught.value.text == phrase
    assert caught.value.convention == convention


@pytest.mark.parametrize("text", [None, 3000, 3.5, b"300", ["300"]])
def test_refuses_text_that_is_not_a_string(text: object) -> None:
    with pytest.raises(UnparseableFigure) as caught:
        parse_figure(text, "soldiers")  # type: ignore[arg-type]
    assert caught.value.text is text


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("phrase", ["between 500 and 300", "400-300", "2 million to 3"])
def test_a_backwards_range_is_an_invalid_figure(phrase: str, convention: str) -> None:
    with pytest.raises(InvalidFigure, match="runs backwards") as caught:
        parse_figure(phrase, "soldiers", convention)
    assert caught.value.field == "phrase"


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_nothing_is_less_than_zero(convention: str) -> None:
    with pytest.raises(InvalidFigure, match="less than 0") as caught:
        parse_figure("less than 0", "soldiers", convention)
    assert caught.value.field == "phrase"


def test_an_unknown_convention_is_named() -> None:
    with pytest.raises(InvalidFigure, match="'ucdp'") as caught:
        parse_figure("300", "soldiers", "ucdp")
    assert caught.value.field == "convention"
    assert not isinstance(caught.value, UnparseableFigure)


@pytest.mark.parametrize("unit", ["", "   "])
def test_the_figure_checks_the_unit(unit: str) -> None:
    with pytest.raises(InvalidFigure) as caught:
        parse_figure("300", unit)
    assert caught.value.field == "unit"


def test_a_decimal_too_large_for_a_float_is_refused() -> None:
    with pytest.raises(InvalidFigure, match="too large") as caught:
        parse_figure("1" + "0" * 400 + ".5", "soldiers")
    assert caught.value.field == "phrase"


def test_a_whole_number_beyond_64_bits_is_refused_by_the_figure() -> None:
    with pytest.raises(InvalidFigure, match="64 bits") as caught:
        parse_figure("more than 9,223,372,036 billion", "soldiers")
    assert caught.value.field == "high"


def test_a_whole_number_within_64_bits_stays_an_int() -> None:
    figure = parse_figure("9,000,000,000 billion", "soldiers")
    assert figure.low == figure.high == 9 * 10**18
    assert isinstance(figure.low, int)


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_a_decimal_with_more_digits_than_a_float_holds_is_refused(convention: str) -> None:
    # As floats, 70368744177664.01 and .02 are the same number: "more than" would include N.
    with pytest.raises(InvalidFigure, match="significant digits") as caught:
        parse_figure("more than 70368744177664.01", "soldiers", convention)
    assert caught.value.field == "phrase"
