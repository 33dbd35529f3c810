"""Range, voices, agreement and consensus (DESIGN.md §4), case by case.

Every case builds ``CurrentFigure``s directly and asks ``find_consensus`` (or
``hull``, ``assess``) for the answer the contract words. Whether a figure is
a *bound* is read here from the contract, independently of
``ledger.domain.consensus.is_bound`` (which has its own cases below).

Three of the tie-breaks DESIGN.md lists cannot decide between two sets that
both attain the maximum: such sets share at most a touching end, so two of
them with the same width and the same low have the same high as well and
would overlap ("closed before open" among lows, "lowest high" and "open
before closed" among highs). The cases below exercise the two that can
decide (narrowest first, then lowest low with unbounded below first); the
brute-force oracle in tests/property/test_projection_props.py applies every
one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger import Camp, Consensus, CurrentFigure, Figure, Interval
from ledger.domain.consensus import find_consensus, hull, is_bound
from ledger.domain.freshness import assess

#: The rows of the vocabulary that state a limit (DESIGN §4, "bound").
LIMIT_ROWS = (":over", ":at-least", ":under", ":at-most")


def fig(
    low: float | None,
    high: float | None,
    low_open: bool = False,
    high_open: bool = False,
    **kw: Any,
) -> Figure:
    return Figure(low, high, low_open, high_open, unit="people", **kw)


def states_a_limit(figure: Figure) -> bool:
    """DESIGN's bound, read from the words of §4: an unbounded end or a bound row."""
    unbounded = figure.low is None or figure.high is None
    return unbounded or (figure.rule is not None and figure.rule.endswith(LIMIT_ROWS))


def cf(
    source: str,
    figure: Figure,
    voice: str | None = None,
    *,
    derived: bool = False,
    bound: bool | None = None,
) -> CurrentFigure:
    return CurrentFigure(
        source,
        figure,
        None if derived else f"c/{source}",
        derived,
        (),
        voice=voice or source,
        bound=states_a_limit(figure) if bound is None else bound,
    )


def consensus(*figures: Figure, voices: Sequence[str | None] = ()) -> Consensus:
    """The consensus of sources s0, s1, … giving figures, each its own voice unless named."""
    named = list(voices) + [None] * (len(figures) - len(voices))
    found = find_consensus(
        [cf(f"s{i}", f, v) for i, (f, v) in enumerate(zip(figures, named, strict=True))]
    )
    assert found is not None
    return found


# -- range -----------------------------------------------------------------


def test_no_figures_have_no_range() -> None:
    assert hull([]) is None


def test_the_range_runs_from_the_lowest_low_to_the_highest_high() -> None:
    assert hull([fig(10, 20), fig(5, 12), fig(15, 30)]) == Interval(5, 30)


def test_the_range_of_one_figure_is_its_interval() -> None:
    assert hull([fig(1, 3, True, False)]) == Interval(1, 3, True, False)


def test_one_figure_unbounded_below_makes_the_range_unbounded_below() -> None:
    assert hull([fig(10, 20), fig(None, 12)]) == Interval(None, 20)


def test_one_figure_unbounded_above_makes_the_range_unbounded_above() -> None:
    assert hull([fig(10, 20), fig(3000, None, True)]) == Interval(10, None)


def test_the_range_low_is_open_only_if_every_figure_at_that_low_is_open() -> None:
    assert hull([fig(1, 5, True), fig(1, 3)]) == Interval(1, 5, low_open=False)
    assert hull([fig(1, 5, True), fig(1, 3, True)]) == Interval(1, 5, low_open=True)


def test_the_range_high_is_open_only_if_every_figure_at_that_high_is_open() -> None:
    assert hull([fig(1, 5, high_open=True), fig(2, 5)]) == Interval(1, 5)
    assert hull([fig(1, 5, high_open=True), fig(2, 5, high_open=True)]) == Interval(
        1, 5, high_open=True
    )


def test_an_open_end_that_is_not_the_extreme_does_not_open_the_range() -> None:
    assert hull([fig(0, 5, True, True), fig(2, 9, True, False)]) == Interval(0, 9, True, False)


def test_the_range_keeps_an_int_bound_an_int() -> None:
    found = hull([fig(1, 5.5), fig(2.5, 9)])
    assert found is not None
    assert (type(found.low), type(found.high)) == (int, int)


T0 = datetime(2024, 10, 16, tzinfo=UTC)


def dated(source: str, figure: Figure, day: int) -> CurrentFigure:
    return CurrentFigure(
        source, figure, f"c/{source}", reference_time=T0 + timedelta(days=day), bound=False
    )


def test_the_range_is_the_hull_of_the_fresh_figures_only() -> None:
    figures = [dated("a", fig(39_000, 40_000), 0), dated("b", fig(73_000, 74_000), 17)]
    view = assess("gaza/deaths", "people", figures, timedelta(days=7))
    assert [f.stale for f in view.figures] == [True, False]
    assert view.range == Interval(73_000, 74_000)


def test_with_no_window_every_current_figure_makes_the_range() -> None:
    figures = [dated("a", fig(39_000, 40_000), 0), dated("b", fig(73_000, 74_000), 17)]
    view = assess("gaza/deaths", "people", figures, None)
    assert not any(f.stale for f in view.figures)
    assert view.range == Interval(39_000, 74_000)


def test_a_stale_figure_is_left_out_of_the_consensus_altogether() -> None:
    figures = [
        dated("a", fig(0, 10), 5),
        dated("b", fig(0, 10), 5),
        dated("c", fig(50, 60), 0),  # stale under 3 days
        dated("d", fig(70, 80), 5),
    ]
    view = assess("t", "people", figures, timedelta(days=3))
    assert view.consensus is not None
    # Three fresh voices: 2 > 3/2. Counting the stale one would make it 2 of 4.
    assert view.consensus.level == "majority"
    assert view.consensus.dissenters == ("d",)


# -- voices ----------------------------------------------------------------


def test_sources_of_one_affiliation_are_one_voice() -> None:
    # Two ministries agreeing with each other against one independent count: no two voices agree.
    found = consensus(fig(0, 10), fig(0, 10), fig(50, 60), voices=("gov", "gov"))
    assert found.level == "none"
    assert found.dissenters == ("s0", "s1", "s2")


def test_a_voice_agreeing_with_an_independent_source_is_unanimous_across_voices() -> None:
    found = consensus(fig(0, 10), fig(5, 15), fig(8, 12), voices=("gov", "gov"))
    assert found.level == "unanimous"
    assert found.interval == Interval(8, 10)


def test_a_derived_figure_speaks_with_its_source_s_voice() -> None:
    derived = cf("gov/mod", fig(0, 10), "gov", derived=True)
    direct = cf("gov/gs", fig(0, 10), "gov")
    found = find_consensus([derived, direct, cf("ngo", fig(50, 60))])
    assert found is not None
    assert found.level == "none"  # one voice agreeing with itself


def test_one_voice_is_single_however_many_figures_it_gives() -> None:
    found = consensus(fig(0, 10), fig(2, 12), fig(50, 60), voices=("gov", "gov", "gov"))
    assert found.level == "single"
    assert found.interval == Interval(2, 10)
    assert found.supporters == ("s0", "s1")
    assert found.dissenters == ("s2",)


def test_one_figure_is_single() -> None:
    found = consensus(fig(3000, 5000, best=4000))
    assert found == Consensus(Interval(3000, 5000), ("s0",), (), 4000, "single")


def test_adding_a_source_to_an_existing_voice_leaves_the_number_of_voices() -> None:
    before = consensus(fig(0, 10), fig(0, 10), fig(50, 60), voices=("gov",))
    after = consensus(
        fig(0, 10), fig(0, 10), fig(50, 60), fig(0, 10), voices=("gov", None, None, "gov")
    )
    # Two of three voices both times; a fourth voice would make 2 of 4, a plurality.
    assert (before.level, after.level) == ("majority", "majority")
    assert after.supporters == ("s0", "s1", "s3")


def test_the_majority_is_counted_in_voices_not_figures() -> None:
    # Four of six figures agree, but they are two of four voices.
    found = consensus(
        fig(0, 10),
        fig(0, 10),
        fig(0, 10),
        fig(0, 10),
        fig(50, 60),
        fig(70, 80),
        voices=("gov", "gov", "gov"),
    )
    assert found.level == "plurality"
    assert found.supporters == ("s0", "s1", "s2", "s3")


# -- agreement -------------------------------------------------------------


def test_figures_meeting_in_a_stretch_of_positive_width_agree() -> None:
    found = consensus(fig(0, 10), fig(5, 15))
    assert (found.level, found.interval) == ("unanimous", Interval(5, 10))


def test_figures_meeting_in_an_unbounded_stretch_agree() -> None:
    found = consensus(fig(3000, None, True), fig(4000, None))
    assert (found.level, found.interval) == ("unanimous", Interval(4000, None))


def test_figures_unbounded_on_both_sides_agree_everywhere() -> None:
    found = consensus(fig(None, None), fig(None, None))
    assert (found.level, found.interval) == ("unanimous", Interval(None, None))


def test_ends_that_only_touch_are_not_agreement() -> None:
    found = consensus(fig(50_000, 100_000), fig(100_000, 120_000))
    assert found == Consensus(None, (), ("s0", "s1"), None, "none")


def test_a_point_agrees_with_both_figures_whose_ends_touch_at_it() -> None:
    point = fig(100_000, 100_000)
    assert consensus(fig(50_000, 100_000), point).level == "unanimous"
    assert consensus(point, fig(100_000, 120_000)).level == "unanimous"
    found = consensus(fig(50_000, 100_000), fig(100_000, 120_000), point)
    assert found.level == "unanimous"
    assert found.interval == Interval(100_000, 100_000)
    assert found.estimate == 100_000


def test_a_single_value_counts_only_when_a_figure_states_it_as_a_point() -> None:
    # Two figures meeting only in 5: agreement needs someone to say exactly 5.
    touching = (fig(0, 5), fig(5, 10))
    assert consensus(*touching).level == "none"
    found = consensus(*touching, fig(5, 5))
    assert (found.level, found.interval) == ("unanimous", Interval(5, 5))


def test_a_point_stated_by_one_voice_lets_others_agree_on_it() -> None:
    found = consensus(fig(0, 5), fig(5, 10), fig(5, 5), voices=("x", "y", "x"))
    assert (found.level, found.supporters) == ("unanimous", ("s0", "s1", "s2"))


def test_a_closed_high_and_an_open_low_at_the_same_point_do_not_meet() -> None:
    # [a, 3000] and (3000, b]
    assert consensus(fig(1000, 3000), fig(3000, 5000, low_open=True)).level == "none"


def test_an_open_high_and_a_closed_low_at_the_same_point_do_not_meet() -> None:
    assert consensus(fig(1000, 3000, high_open=True), fig(3000, 5000)).level == "none"


def test_two_closed_ends_at_the_same_point_touch_and_do_not_agree() -> None:
    assert consensus(fig(1000, 3000), fig(3000, 5000)).level == "none"


def test_two_open_ends_at_the_same_point_do_not_meet() -> None:
    assert consensus(fig(1000, 3000, high_open=True), fig(3000, 5000, True)).level == "none"


def test_a_point_meets_an_interval_only_where_the_interval_is_closed() -> None:
    assert consensus(fig(3000, 3000), fig(3000, 5000)).level == "unanimous"
    assert consensus(fig(3000, 3000), fig(3000, 5000, True)).level == "none"
    assert consensus(fig(3000, 3000), fig(1000, 3000, high_open=True)).level == "none"


def test_open_unbounded_figures_facing_away_do_not_meet() -> None:
    assert consensus(fig(3000, None, True), fig(None, 3000)).level == "none"


def test_closed_unbounded_figures_facing_away_only_touch() -> None:
    assert consensus(fig(3000, None), fig(None, 3000)).level == "none"


def test_the_consensus_interval_keeps_the_open_ends_that_bound_it() -> None:
    found = consensus(fig(1, 5, high_open=True), fig(3, 8, low_open=True))
    assert found.interval == Interval(3, 5, True, True)


def test_at_a_shared_end_the_open_one_bounds_the_consensus() -> None:
    found = consensus(fig(1, 5), fig(1, 5, True, True), fig(0, 9))
    assert found.level == "unanimous"
    assert found.interval == Interval(1, 5, True, True)


def test_a_figure_unbounded_above_agrees_with_any_figure_reaching_above_its_low() -> None:
    found = consensus(fig(3000, None), fig(None, 5000), fig(2000, 4000))
    assert found.level == "unanimous"
    assert found.interval == Interval(3000, 4000)


def test_a_figure_containing_the_consensus_interval_supports_it() -> None:
    found = consensus(fig(0, 100), fig(10, 20), fig(15, 30), fig(40, 50))
    assert found.interval == Interval(15, 20)
    assert found.supporters == ("s0", "s1", "s2")
    assert found.dissenters == ("s3",)


def test_supporters_and_dissenters_are_sorted_source_slugs() -> None:
    found = find_consensus(
        [cf("z/x", fig(0, 10)), cf("a/x", fig(5, 15)), cf("m/x", fig(90, 99)), cf("b/x", fig(6, 7))]
    )
    assert found is not None
    assert found.supporters == ("a/x", "b/x", "z/x")
    assert found.dissenters == ("m/x",)


# -- levels, in the table's order ---------------------------------------------


def test_no_figures_have_no_consensus() -> None:
    assert find_consensus([]) is None


def test_single_comes_first_even_when_no_two_figures_agree() -> None:
    # One voice: "none" would apply too (the maximum g is 1), but "single" is first.
    found = consensus(fig(0, 1), fig(5, 6), voices=("gov", "gov"))
    assert found.level == "single"


def test_none_comes_before_split_when_single_figures_tie() -> None:
    # Each lone figure attains the maximum (1, 1), but no two voices agree.
    found = consensus(fig(0, 10, best=5), fig(50, 60, best=55))
    assert found == Consensus(None, (), ("s0", "s1"), None, "none")
    assert found.camps == ()


def test_with_no_two_voices_agreeing_every_source_dissents() -> None:
    found = consensus(fig(0, 10), fig(50, 60), fig(70, 80))
    assert found == Consensus(None, (), ("s0", "s1", "s2"), None, "none")


def test_two_sets_attaining_the_maximum_are_a_split() -> None:
    found = consensus(fig(0, 10), fig(0, 10), fig(20, 30), fig(20, 30))
    assert found.level == "split"
    assert (found.interval, found.supporters, found.estimate) == (None, (), None)
    assert found.dissenters == ("s0", "s1", "s2", "s3")
    assert found.camps == (
        Camp(Interval(0, 10), ("s0", "s1"), 5),
        Camp(Interval(20, 30), ("s2", "s3"), 25),
    )


def test_split_comes_before_majority() -> None:
    # Three voices; each camp has two of them (2 > 3/2), but two camps tie.
    found = consensus(fig(0, 10), fig(0, 10), fig(20, 30), fig(20, 30), voices=("x", "y", "x"))
    assert found.level == "split"
    assert [c.supporters for c in found.camps] == [("s0", "s1"), ("s2", "s3")]


def test_every_fresh_figure_agreeing_is_unanimous() -> None:
    found = consensus(fig(0, 10), fig(5, 15), fig(8, 20))
    assert found.level == "unanimous"
    assert found.interval == Interval(8, 10)
    assert found.supporters == ("s0", "s1", "s2")
    assert found.dissenters == ()
    assert found.camps == ()


def test_unanimous_needs_every_figure_not_every_voice() -> None:
    # Both voices agree, but one of gov's figures does not: majority of voices, 2 > 2/2.
    found = consensus(fig(0, 10), fig(0, 10), fig(50, 60), voices=("gov", None, "gov"))
    assert found.level == "majority"
    assert found.dissenters == ("s2",)


@pytest.mark.parametrize(
    ("figures", "size", "level"),
    [
        # V = 3, g = 2 > 3/2
        ([fig(0, 10), fig(5, 15), fig(50, 60)], 2, "majority"),
        # V = 5, g = 3 > 5/2
        ([fig(0, 10), fig(1, 11), fig(2, 12), fig(50, 60), fig(70, 80)], 3, "majority"),
        # V = 4, g = 3 > 4/2
        ([fig(0, 10), fig(1, 11), fig(2, 12), fig(50, 60)], 3, "majority"),
        # V = 4, g = 2 = 4/2: not more than half
        ([fig(0, 10), fig(1, 11), fig(50, 60), fig(70, 80)], 2, "plurality"),
        # V = 5, g = 2 < 5/2
        ([fig(0, 10), fig(1, 11), fig(50, 60), fig(70, 80), fig(90, 99)], 2, "plurality"),
    ],
)
def test_the_level_follows_the_voices_of_the_consensus_set(
    figures: list[Figure], size: int, level: str
) -> None:
    found = consensus(*figures)
    assert found.level == level
    assert len(found.supporters) == size
    assert len(found.supporters) + len(found.dissenters) == len(figures)
    assert found.camps == ()


# -- ranking agreeing sets by (voices, figures) --------------------------------


def test_more_voices_beat_more_figures() -> None:
    found = consensus(
        fig(0, 10),
        fig(0, 10),
        fig(0, 10),
        fig(0, 10),
        fig(20, 30),
        fig(20, 30),
        fig(20, 30),
        voices=("gov", "gov", "gov"),
    )
    # {s0..s3}: 2 voices, 4 figures; {s4, s5, s6}: 3 voices, 3 figures. V = 5.
    assert found.interval == Interval(20, 30)
    assert found.supporters == ("s4", "s5", "s6")
    assert found.level == "majority"


def test_among_sets_of_as_many_voices_more_figures_win() -> None:
    found = consensus(
        fig(0, 10), fig(0, 10), fig(0, 10), fig(20, 30), fig(20, 30), voices=("gov", "gov")
    )
    # {s0, s1, s2}: 2 voices, 3 figures; {s3, s4}: 2 voices, 2 figures. V = 4.
    assert found.supporters == ("s0", "s1", "s2")
    assert found.level == "plurality"


# -- split camps and their order --------------------------------------------------


def test_camps_come_narrowest_intersection_first() -> None:
    found = consensus(fig(0, 10), fig(0, 10), fig(20, 21), fig(20, 21))
    assert [c.interval for c in found.camps] == [Interval(20, 21), Interval(0, 10)]


def test_an_unbounded_camp_is_wider_than_any_bounded_one() -> None:
    found = consensus(fig(None, 5), fig(None, 5), fig(100, 10**9), fig(100, 10**9))
    assert [c.interval for c in found.camps] == [Interval(100, 10**9), Interval(None, 5)]


def test_among_equally_narrow_camps_the_lowest_low_comes_first() -> None:
    found = consensus(fig(5, 6), fig(5, 6), fig(0, 1), fig(0, 1))
    assert [c.supporters for c in found.camps] == [("s2", "s3"), ("s0", "s1")]


def test_among_unbounded_camps_the_one_unbounded_below_comes_first() -> None:
    found = consensus(fig(5, None), fig(5, None), fig(None, 0), fig(None, 0))
    assert [c.interval for c in found.camps] == [Interval(None, 0), Interval(5, None)]


def test_camps_are_ordered_by_exact_width_not_in_floating_point() -> None:
    # Widths 2**53 + 1 and 2**53: as floats both are 2**53, and lowest low would pick the wider.
    wide = fig(0, 2**53 + 1)
    narrow = fig(2**60, 2**60 + 2**53)
    found = consensus(wide, wide, narrow, narrow)
    assert [c.interval for c in found.camps] == [
        Interval(2**60, 2**60 + 2**53),
        Interval(0, 2**53 + 1),
    ]


def test_open_camps_are_as_wide_as_closed_ones_of_the_same_ends() -> None:
    # (0, 4) is as wide as [10, 14]: the lowest low decides.
    found = consensus(fig(10, 14), fig(10, 14), fig(0, 4, True, True), fig(0, 4, True, True))
    assert [c.interval for c in found.camps] == [Interval(0, 4, True, True), Interval(10, 14)]


def test_camps_may_touch_at_one_end() -> None:
    found = consensus(fig(0, 10), fig(0, 10), fig(10, 20), fig(10, 20))
    assert found.level == "split"
    assert [c.interval for c in found.camps] == [Interval(0, 10), Interval(10, 20)]


def test_each_camp_has_its_interval_supporters_and_estimate() -> None:
    found = consensus(
        fig(0, 10, best=2),
        fig(0, 12, best=3),
        fig(40, 50, best=41),
        fig(45, 60, best=58),
        fig(100, 200),
    )
    assert found.level == "split"
    assert found.camps == (
        Camp(Interval(45, 50), ("s2", "s3"), 50),  # median 49.5 rounds to even 50, within [45, 50]
        Camp(Interval(0, 10), ("s0", "s1"), 2),  # median 2.5 rounds to even 2
    )
    assert found.dissenters == ("s0", "s1", "s2", "s3", "s4")


# -- one voice: ties broken by the same order ------------------------------------


def test_with_one_voice_the_narrowest_largest_set_wins() -> None:
    found = consensus(fig(0, 10), fig(0, 10), fig(20, 21), fig(20, 21), voices=("gov",) * 4)
    assert found.level == "single"
    assert found.interval == Interval(20, 21)
    assert (found.supporters, found.dissenters) == (("s2", "s3"), ("s0", "s1"))
    assert found.camps == ()


def test_with_one_voice_equally_narrow_sets_fall_to_the_lowest_low() -> None:
    found = consensus(fig(5, 6), fig(5, 6), fig(0, 1), fig(0, 1), voices=("gov",) * 4)
    assert found.interval == Interval(0, 1)


def test_with_one_voice_an_unbounded_below_set_beats_one_unbounded_above() -> None:
    found = consensus(fig(5, None), fig(5, None), fig(None, 0), fig(None, 0), voices=("gov",) * 4)
    assert found.interval == Interval(None, 0)


def test_with_one_voice_more_figures_beat_a_narrower_set() -> None:
    found = consensus(fig(0, 100), fig(0, 100), fig(0, 100), fig(200, 201), voices=("gov",) * 4)
    assert found.interval == Interval(0, 100)


# -- bounds and bests ---------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    ["wikimpacts-2024:over", "wikimpacts-2024:at-least", "strict:under", "strict:at-most"],
)
def test_a_figure_of_a_bound_row_is_a_bound(rule: str) -> None:
    assert is_bound(fig(3001, 4001, rule=rule))


@pytest.mark.parametrize(
    "figure",
    [fig(3000, None), fig(None, 3000), fig(None, None), fig(3000, None, True)],
)
def test_a_figure_with_an_unbounded_end_is_a_bound(figure: Figure) -> None:
    assert is_bound(figure)


@pytest.mark.parametrize(
    "rule", [None, "wikimpacts-2024:about", "wikimpacts-2024:plain", "strict:range", "x:over-ish"]
)
def test_a_finite_figure_of_any_other_row_is_not_a_bound(rule: str | None) -> None:
    assert not is_bound(fig(3000, 4000, rule=rule))


def test_a_bound_has_no_default_best() -> None:
    assert cf("a", fig(3001, 4001, rule="wikimpacts-2024:over")).best is None
    assert cf("a", fig(3000, None)).best is None


def test_a_bound_keeps_a_best_it_was_given() -> None:
    assert cf("a", fig(3000, None, best=3500)).best == 3500


def test_a_figure_that_is_not_a_bound_defaults_its_best_to_its_midpoint() -> None:
    assert cf("a", fig(3000, 4000)).best == 3500


def test_a_bound_row_adds_no_best_to_the_estimate() -> None:
    # Counting "more than 3,000" as 3,501 would make the median 4,000.5.
    found = consensus(fig(3001, 4001, rule="wikimpacts-2024:over"), fig(3000, 5000, best=4500))
    assert found.interval == Interval(3001, 4001)
    assert found.estimate == 4001  # 4,500 clamped into the interval


def test_a_derived_figure_with_a_bound_part_gives_no_best_of_its_own() -> None:
    # The ledger marks it bound (a part is); consensus then gives it no midpoint.
    derived = cf("a", fig(100, 300), derived=True, bound=True)
    found = find_consensus([derived, cf("b", fig(100, 300, best=120))])
    assert found is not None
    assert found.estimate == 120


def test_figures_bounded_on_one_side_give_no_estimate() -> None:
    assert consensus(fig(3000, None)).estimate is None
    assert consensus(fig(None, 70)).estimate is None
    assert consensus(fig(3000, None, True), fig(4000, None)).estimate is None


def test_figures_with_no_best_at_all_give_no_estimate() -> None:
    assert consensus(fig(None, None)).estimate is None
    assert consensus(fig(None, None), fig(None, None)).estimate is None


# -- the estimate ---------------------------------------------------------------


def test_the_estimate_is_the_median_of_an_odd_number_of_bests() -> None:
    assert consensus(fig(0, 10, best=1), fig(0, 10, best=2), fig(0, 10, best=9)).estimate == 2


def test_the_estimate_is_the_mean_of_the_two_middle_bests_for_an_even_count() -> None:
    found = consensus(
        fig(0, 10, best=1), fig(0, 10, best=2), fig(0, 10, best=6), fig(0, 10, best=9)
    )
    assert found.estimate == 4
    assert type(found.estimate) is int


def test_figures_without_a_best_are_left_out_of_the_median() -> None:
    found = consensus(fig(None, None), fig(None, None), fig(0, 10, best=9))
    assert found.estimate == 9


def test_a_figure_unbounded_on_both_sides_supports_everything_and_adds_no_best() -> None:
    found = consensus(fig(None, None), fig(10, 20, best=12))
    assert found.level == "unanimous"
    assert found.interval == Interval(10, 20)
    assert found.estimate == 12


def test_a_figure_without_a_best_counts_its_midpoint() -> None:
    assert consensus(fig(0, 10), fig(4, 8), fig(4, 5, best=5)).estimate == 5


def test_dissenters_bests_do_not_count() -> None:
    found = consensus(fig(0, 10, best=2), fig(0, 10, best=4), fig(900, 1000, best=950))
    assert found.estimate == 3


def test_the_estimate_is_clamped_down_into_the_consensus_interval() -> None:
    found = consensus(fig(0, 10, best=9), fig(0, 10, best=8), fig(2, 4, best=3))
    assert found.interval == Interval(2, 4)
    assert found.estimate == 4


def test_the_estimate_is_clamped_up_to_the_low() -> None:
    found = consensus(fig(0, 10, best=0), fig(0, 10, best=1), fig(6, 8, best=7))
    assert found.estimate == 6


def test_an_estimate_beyond_an_open_end_is_clamped_to_that_end() -> None:
    # Into the closure: the estimate may sit on an end the interval leaves out.
    found = consensus(fig(0, 10, best=9), fig(0, 10, best=8), fig(0, 4, high_open=True, best=2))
    assert found.interval == Interval(0, 4, high_open=True)
    assert found.estimate == 4


def test_an_estimate_of_whole_counts_rounds_a_half_to_even() -> None:
    up = consensus(fig(0, 10, best=2), fig(0, 10, best=5))  # 3.5
    down = consensus(fig(0, 10, best=2), fig(0, 10, best=3))  # 2.5
    assert (up.estimate, down.estimate) == (4, 2)
    assert (type(up.estimate), type(down.estimate)) == (int, int)


def test_an_estimate_of_whole_counts_is_an_int_even_from_float_bests() -> None:
    found = consensus(fig(0, 10, best=2.25), fig(0, 10, best=3.5), fig(0, 10, best=7.75))
    assert found.estimate == 4
    assert type(found.estimate) is int


def test_whole_counts_are_rounded_after_clamping() -> None:
    # Median 6.5 clamped to the open high 4 of (0, 4): 4, an int.
    found = consensus(fig(0, 10, best=9), fig(0, 4, True, True, best=1), fig(0, 10, best=6.5))
    assert found.estimate == 4
    assert type(found.estimate) is int


def test_a_whole_estimate_is_rounded_exactly_not_in_floating_point() -> None:
    # (2**53 + 1 + 2**53 + 2) / 2 = 2**53 + 1.5: exactly, rounds to even 2**53 + 2.
    found = consensus(fig(0, 2**60, best=2**53 + 1), fig(0, 2**60, best=2**53 + 2))
    assert found.estimate == 2**53 + 2


def test_an_estimate_over_a_float_bound_is_not_rounded() -> None:
    found = consensus(fig(0, 10, best=2), fig(0, 10.0, best=5))
    assert found.estimate == 3.5


def test_an_estimate_over_a_float_bound_is_a_float() -> None:
    # "Rounded to an int exactly when every finite bound is an int": here one is not.
    found = consensus(fig(0, 10.5, best=4))
    assert found.estimate == 4
    assert type(found.estimate) is float


def test_an_estimate_clamped_to_an_int_end_over_float_bounds_is_a_float() -> None:
    found = consensus(fig(0, 10, best=9), fig(0, 10, best=8), fig(0.5, 4))
    assert found.interval == Interval(0.5, 4)
    assert found.estimate == 4
    assert type(found.estimate) is float


def test_a_whole_set_over_one_side_only_still_rounds() -> None:
    found = consensus(fig(None, 10, best=2.5), fig(0, 10, best=3.5))
    assert found.estimate == 3  # median 3.0 of 2.5 and 3.5
    assert type(found.estimate) is int


# -- a law of the issue that the level table does not keep ----------------------------


def test_giving_a_supporter_and_a_dissenter_one_affiliation_can_raise_the_level() -> None:
    # The issue asks that "giving two sources one affiliation never raises the level";
    # under §4's own definitions it can: V drops from 4 to 3 and g stays 2.
    figures = (fig(0, 10), fig(0, 10), fig(20, 30), fig(40, 50))
    assert consensus(*figures).level == "plurality"
    assert consensus(*figures, voices=(None, "bc", "bc")).level == "majority"


def test_a_whole_estimate_rounds_the_exact_midpoint_of_a_figure() -> None:
    # The midpoint of [1, 2**55 + 4] is 2**54 + 2.5 exactly, which rounds to even 2**54 + 2;
    # as a float it is already 2**54 + 4.
    assert consensus(fig(1, 2**55 + 4)).estimate == 2**54 + 2


def test_a_float_estimate_stays_inside_an_int_end_a_float_cannot_hold() -> None:
    # Not whole (one bound is a float), so the estimate is a float; the median 2**54 is
    # clamped to the high 2**54 - 1, which no float holds: the nearest float above,
    # 2**54, lies outside the interval. 2**54 - 2 is the nearest float inside it.
    found = consensus(fig(0, 2**54 - 1, rule="wikimpacts-2024:over"), fig(0, 2.0**55))
    assert found.interval == Interval(0, 2**54 - 1)
    assert found.estimate is not None
    assert found.estimate in Interval(0, 2**54 - 1)
