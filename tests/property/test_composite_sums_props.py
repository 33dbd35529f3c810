"""A composite's derived figure exists for any valid part figures (DESIGN §4 sums).

The parts' lows and highs are summed as Python sums them, left to right.
Sums in floats round: an int beyond 2**53 beside a fraction can make the
rounded low sum pass the rounded high sum. Then the derived figure holds the
exact sums, rounded outward; reading the composite never raises.
"""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from ledger import Figure, FigureReported, Ledger, TopicDefined
from ledger.domain.figures import Number
from ledger.testing.strategies import figures, numbers

T = datetime(2024, 3, 1, tzinfo=UTC)
PARTS = ("war/a", "war/b", "war/c")
# Wide ints beside fractions and large floats: where float sums round.
values: st.SearchStrategy[Number] = (
    numbers
    | st.integers(2**53 - 3, 2**53 + 3)
    | st.sampled_from([0.25, 0.5, 1e16, 1e300, -1e300, 2.0**62])
)


def exact(values: list[Number | None]) -> Fraction | None:
    return None if any(v is None for v in values) else sum(Fraction(v) for v in values)  # type: ignore[arg-type]


def summed(values: list[Number | None]) -> Number | None:
    total: Number = 0
    for v in values:
        if v is None:
            return None
        total += v
    return total


# Where the float sums cross: a wide int point beside a fractional high.
crossing = st.tuples(
    st.floats(0.01, 0.99).map(lambda f: Figure(0, f, unit="people")),
    st.integers(2**53 + 1, 2**62).map(lambda n: Figure(n, n, unit="people")),
).map(list)


@given(st.lists(figures(values, units=st.just("people")), min_size=2, max_size=3) | crossing)
def test_a_derived_figure_exists_and_sums_the_parts(parts: list[Figure]) -> None:
    topics = PARTS[: len(parts)]
    lg = Ledger.open("memory://")
    lg.append(TopicDefined(topic="war/total", title="Total", unit="people", parts=topics))
    lg.extend(
        FigureReported(claim_id=f"c{i}", topic=t, source="src/b", figure=f, stated_at=T)
        for i, (t, f) in enumerate(zip(topics, parts, strict=True))
    )
    (derived,) = lg.topic("war/total").figures
    assert derived.derived
    figure = derived.figure
    low, high = summed([p.low for p in parts]), summed([p.high for p in parts])
    if low is None or high is None or low <= high:
        # As summed, unless a sum is past what a figure holds (then unbounded).
        assert figure.low in (low, None)
        assert figure.high in (high, None)
        return
    # Rounded past each other: the exact sums, rounded outward.
    exact_low, exact_high = exact([p.low for p in parts]), exact([p.high for p in parts])
    assert figure.low is not None
    assert figure.high is not None
    assert exact_low is not None
    assert exact_high is not None
    assert Fraction(figure.low) <= exact_low
    assert Fraction(figure.high) >= exact_high


def test_an_int_beyond_2_53_beside_a_fraction_gives_a_figure() -> None:
    lg = Ledger.open("memory://")
    lg.extend(
        [
            TopicDefined(topic="war/total", title="Total", unit="people", parts=PARTS[:2]),
            FigureReported(
                claim_id="c0", topic="war/a", source="src/b",
                figure=Figure(0, 0.25, unit="people"), stated_at=T,
            ),
            FigureReported(
                claim_id="c1", topic="war/b", source="src/b",
                figure=Figure(2**53 + 1, 2**53 + 1, unit="people"), stated_at=T,
            ),
        ]
    )  # fmt: skip
    (derived,) = lg.topic("war/total").figures
    assert (derived.figure.low, derived.figure.high) == (2**53 + 1, 2.0**53 + 2)
    assert [v.topic for v in lg.topics()] == ["war/a", "war/b", "war/total"]
