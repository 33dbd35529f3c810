"""Words to figures: every row of the vocabulary table, under both conventions."""

from __future__ import annotations

import pytest

from ledger.domain.figures import Figure
from ledger.domain.phrases import CONVENTIONS, parse_figure
from ledger.errors import InvalidFigure, UnitMismatch, UnparseableFigure

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
    ("no homes destroyed", 0, 0, None, "none"),
    ("none reported", 0, 0, None, "none"),
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


# phrase, rule name, wikimpacts (low, high, best), strict (low, high, low_open, high_open, best):
# the rows and number forms that real stories use, beyond the guideline's own examples.
NEW_WORDS = [
    # at most / up to / no more than / a maximum of / as many as / as high as
    ("a maximum of 500", "at-most", (400, 500, None), (0, 500, False, False, None)),
    ("as many as 40", "at-most", (30, 40, None), (0, 40, False, False, None)),
    ("as high as 3,000 dead", "at-most", (2000, 3000, None), (0, 3000, False, False, None)),
    # more than … / upwards of / in excess of
    ("upwards of 300", "over", (301, 401, None), (300, None, True, False, None)),
    ("in excess of 2,000", "over", (2001, 3001, None), (2000, None, True, False, None)),
    # about … / closer to / nearer to
    ("closer to 500", "about", (400, 600, 500), (400, 600, False, False, 500)),
    ("nearer to 60", "about", (50, 70, 60), (50, 70, False, False, 60)),
    ("nearer to 1", "about", (1, 2, 1), (0, 2, False, False, 1)),
    # plain N, a mere N, N-strong
    ("a mere 300", "plain", (300, 300, None), (300, 300, False, False, None)),
    ("10,000-strong", "plain", (10000, 10000, None), (10000, 10000, False, False, None)),
    ("a 10,000-strong force", "plain", (10000, 10000, None), (10000, 10000, False, False, None)),
    ("a 300\u2011strong unit", "plain", (300, 300, None), (300, 300, False, False, None)),
    # numbers in words, plain
    ("nine", "plain", (9, 9, None), (9, 9, False, False, None)),
    ("seventeen soldiers", "plain", (17, 17, None), (17, 17, False, False, None)),
    ("twenty-five", "plain", (25, 25, None), (25, 25, False, False, None)),
    ("twenty five", "plain", (25, 25, None), (25, 25, False, False, None)),
    ("a hundred", "plain", (100, 100, None), (100, 100, False, False, None)),
    ("three hundred", "plain", (300, 300, None), (300, 300, False, False, None)),
    ("one hundred and fifty", "plain", (150, 150, None), (150, 150, False, False, None)),
    ("two thousand", "plain", (2000, 2000, None), (2000, 2000, False, False, None)),
    ("a thousand and one", "plain", (1001, 1001, None), (1001, 1001, False, False, None)),
    ("twenty-five thousand", "plain", (25000, 25000, None), (25000, 25000, False, False, None)),
    ("a million", "plain", (10**6, 10**6, None), (10**6, 10**6, False, False, None)),
    (
        "three million",
        "plain",
        (3 * 10**6, 3 * 10**6, None),
        (3 * 10**6, 3 * 10**6, False, False, None),
    ),
    ("half a million", "plain", (500_000, 500_000, None), (500_000, 500_000, False, False, None)),
    (
        "two million three hundred thousand",
        "plain",
        (2_300_000, 2_300_000, None),
        (2_300_000, 2_300_000, False, False, None),
    ),
    ("a dozen", "plain", (12, 12, None), (12, 12, False, False, None)),
    ("half a dozen", "plain", (6, 6, None), (6, 6, False, False, None)),
    ("zero", "plain", (0, 0, None), (0, 0, False, False, None)),
    # numbers in words in every row that takes N; their scale is that of their digits
    ("more than nine", "over", (10, 11, None), (9, None, True, False, None)),
    ("nine+", "over", (10, 11, None), (9, None, True, False, None)),
    ("at least twenty", "at-least", (20, 30, None), (20, None, False, False, None)),
    ("fewer than twelve", "under", (10, 11, None), (0, 12, False, True, None)),
    ("up to half a million", "at-most", (400_000, 500_000, None), (0, 500_000, False, False, None)),
    ("about a hundred", "about", (1, 200, 100), (0, 200, False, False, 100)),
    (
        "about three million",
        "about",
        (2_000_000, 4_000_000, 3_000_000),
        (2_000_000, 4_000_000, False, False, 3_000_000),
    ),
    ("between five and ten", "range", (5, 10, None), (5, 10, False, False, None)),
    ("five-six", "range", (5, 6, None), (5, 6, False, False, None)),
    ("twenty-five-thirty", "range", (25, 30, None), (25, 30, False, False, None)),
    ("from a dozen to twenty", "range", (12, 20, None), (12, 20, False, False, None)),
    ("two to three hundred", "range", (200, 300, None), (200, 300, False, False, None)),
    (
        "between two and three million",
        "range",
        (2_000_000, 3_000_000, None),
        (2_000_000, 3_000_000, False, False, None),
    ),
    ("between one and a hundred", "range", (1, 100, None), (1, 100, False, False, None)),
    # k / m / bn glued to the digits
    ("110k", "plain", (110_000, 110_000, None), (110_000, 110_000, False, False, None)),
    ("3.5m", "plain", (3_500_000, 3_500_000, None), (3_500_000, 3_500_000, False, False, None)),
    ("1.2M", "plain", (1_200_000, 1_200_000, None), (1_200_000, 1_200_000, False, False, None)),
    (
        "1.5bn",
        "plain",
        (15 * 10**8, 15 * 10**8, None),
        (15 * 10**8, 15 * 10**8, False, False, None),
    ),
    ("300K+", "over", (300_001, 400_001, None), (300_000, None, True, False, None)),
    (
        "about 1.2m",
        "about",
        (1_100_000, 1_300_000, 1_200_000),
        (1_100_000, 1_300_000, False, False, 1_200_000),
    ),
    ("110k to 150k", "range", (110_000, 150_000, None), (110_000, 150_000, False, False, None)),
    ("110 to 150k", "range", (110_000, 150_000, None), (110_000, 150_000, False, False, None)),
    # thousands separated by a space, a no-break space or a narrow no-break space
    ("3 000", "plain", (3000, 3000, None), (3000, 3000, False, False, None)),
    ("11\u00a0000", "plain", (11000, 11000, None), (11000, 11000, False, False, None)),
    ("11\u202f000 troops", "plain", (11000, 11000, None), (11000, 11000, False, False, None)),
    (
        "1 250 000",
        "plain",
        (1_250_000, 1_250_000, None),
        (1_250_000, 1_250_000, False, False, None),
    ),
    ("more than 3 000", "over", (3001, 4001, None), (3000, None, True, False, None)),
    (
        "about 1 250 000",
        "about",
        (1_240_000, 1_260_000, 1_250_000),
        (1_240_000, 1_260_000, False, False, 1_250_000),
    ),
    ("between 3 000 and 4 000", "range", (3000, 4000, None), (3000, 4000, False, False, None)),
    ("3 000–4 000", "range", (3000, 4000, None), (3000, 4000, False, False, None)),
    ("3 000 - 4 000", "range", (3000, 4000, None), (3000, 4000, False, False, None)),
]


@pytest.mark.parametrize(("phrase", "rule", "wikimpacts", "strict"), NEW_WORDS)
def test_reads_the_words_real_stories_use_under_both_conventions(
    phrase: str,
    rule: str,
    wikimpacts: tuple[int | None, ...],
    strict: tuple[int | bool | None, ...],
) -> None:
    low, high, best = wikimpacts
    figure = parse_figure(phrase, "soldiers")
    assert (bounds(figure), figure.rule) == ((low, high, False, False, best), f"{W}:{rule}")
    figure = parse_figure(phrase, "soldiers", "strict")
    assert (bounds(figure), figure.rule) == (strict, f"strict:{rule}")


# phrase, rule name, wikimpacts (low, high, best), strict (low, high, low_open, high_open, best).
PERCENTAGES = [
    ("28%", "plain", (28, 28, None), (28, 28, False, False, None)),
    ("28 %", "plain", (28, 28, None), (28, 28, False, False, None)),
    ("28 percent", "plain", (28, 28, None), (28, 28, False, False, None)),
    ("28 per cent of voters", "plain", (28, 28, None), (28, 28, False, False, None)),
    ("28 pct", "plain", (28, 28, None), (28, 28, False, False, None)),
    ("28", "plain", (28, 28, None), (28, 28, False, False, None)),  # the sign is not required
    ("12.5%", "plain", (12.5, 12.5, None), (12.5, 12.5, False, False, None)),
    ("twenty percent", "plain", (20, 20, None), (20, 20, False, False, None)),
    ("about 28%", "about", (27, 29, 28), (27, 29, False, False, 28)),
    ("more than 28 percent", "over", (29, 30, None), (28, None, True, False, None)),
    ("less than 30%", "under", (19, 29, None), (0, 30, False, True, None)),
    ("28%+", "over", (29, 30, None), (28, None, True, False, None)),
    ("between 20 and 30 percent", "range", (20, 30, None), (20, 30, False, False, None)),
    ("20-30%", "range", (20, 30, None), (20, 30, False, False, None)),
    ("20% to 30%", "range", (20, 30, None), (20, 30, False, False, None)),
]


@pytest.mark.parametrize(("phrase", "rule", "wikimpacts", "strict"), PERCENTAGES)
def test_reads_a_percentage_like_a_number_when_the_unit_is_percent(
    phrase: str,
    rule: str,
    wikimpacts: tuple[float | None, ...],
    strict: tuple[float | bool | None, ...],
) -> None:
    low, high, best = wikimpacts
    figure = parse_figure(phrase, "%")
    assert (bounds(figure), figure.rule, figure.unit) == (
        (low, high, False, False, best),
        f"{W}:{rule}",
        "%",
    )
    figure = parse_figure(phrase, "%", "strict")
    assert (bounds(figure), figure.rule) == (strict, f"strict:{rule}")


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize(
    "phrase",
    ["28%", "about 28 percent", "more than 28 per cent", "20-30%", "between 20 and 30 pct"],
)
def test_a_percentage_in_another_unit_is_a_unit_mismatch(phrase: str, convention: str) -> None:
    with pytest.raises(UnitMismatch) as caught:
        parse_figure(phrase, "soldiers", convention)
    assert (caught.value.topic, caught.value.expected, caught.value.got) == (
        phrase,
        "soldiers",
        "%",
    )


def test_the_unit_mismatch_message_names_the_phrase_and_both_units() -> None:
    with pytest.raises(UnitMismatch) as caught:
        parse_figure("about 28%", "soldiers")
    message = str(caught.value)
    assert "'about 28%'" in message
    assert "'soldiers'" in message
    assert "'%'" in message


@pytest.mark.parametrize(
    ("phrase", "low", "high"),
    [
        ("two to three hundred", 200, 300),  # a count and scale words lend them to a bare start
        ("ten to twenty thousand", 10_000, 20_000),
        ("two to three dozen", 24, 36),
        ("between ninety and a hundred", 90, 100),  # "a hundred" is one whole: nothing to lend
        ("between five and three hundred", 5, 300),  # as "500 to 2 million" starts at 500
        ("between twenty and half a million", 20, 500_000),
        ("between 2 and 3 thousand", 2000, 3000),  # the digits' own rule, for comparison
    ],
)
def test_a_range_s_bare_start_takes_the_scale_words_of_its_end_as_digits_do(
    phrase: str, low: int, high: int
) -> None:
    figure = parse_figure(phrase, "soldiers")
    assert (figure.low, figure.high) == (low, high)


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
        "300 at least",
        "300 dead, 2,700 injured",  # two figures
        "300 dead and 2,700 injured",
        "about 300.",  # punctuation is never a trailing word
        "11,00",  # a malformed separator
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
        # numbers the new forms must not misread
        "300 2,700",  # two numbers, not one glued by a space
        "3 00",  # a space separator takes exactly three digits
        "3000 000",  # and a first group of one to three
        "1,250 000",  # separators all alike
        "300 m",  # metres: a suffix is glued to its digits
        "3.5 m",
        "300km",
        "2b",  # "b" is not a suffix; "bn" is
        "5mn",
        "3k thousand",
        "nine nine",
        "hundred",
        "a a hundred",
        "two thousand million",  # scale words descend
        "one and a half million",
        "nine soldiers five",  # a number word after the figure is a second figure
        "three hundred dead, twenty injured",
        "more than 3,000 in one week",
        "28% 30%",
        "28 soldiers percent",
        # "no" that says the figure is unknown, not that it is none
        "no data",
        "no official figure",
        "no comment",
        "no estimate available",
        "no reliable figures yet",
        "no doubt",
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
