"""Range (hull) and consensus (DESIGN.md §4), case by case: levels, tie-breaks, estimate.

Two of the tie-breaks DESIGN.md lists cannot decide anything between two
different largest sets: the regions where a largest set meets are disjoint,
so two of them with the same width and the same low value would share their
high value too and overlap. "Closed before open" among lows and "open before
closed" among highs therefore never choose between sets; the brute-force
oracle in tests/property/test_projection_props.py applies them anyway.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger import Consensus, Figure, Interval
from ledger.domain.consensus import find_consensus, hull, median


def fig(
    low: float | None,
    high: float | None,
    low_open: bool = False,
    high_open: bool = False,
    **kw: Any,
) -> Figure:
    return Figure(low, high, low_open, high_open, unit="people", **kw)


def consensus(*figures: Figure) -> Consensus:
    found = find_consensus([(f"s{i}", f) for i, f in enumerate(figures)])
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


# -- levels ----------------------------------------------------------------


def test_no_figures_have_no_consensus() -> None:
    assert find_consensus([]) is None


def test_one_figure_is_a_single_consensus_on_its_interval() -> None:
    found = consensus(fig(3000, 5000, best=4000))
    assert found == Consensus(Interval(3000, 5000), ("s0",), (), 4000, "single")


def test_every_figure_meeting_is_unanimous() -> None:
    found = consensus(fig(0, 10), fig(5, 15), fig(8, 20))
    assert found.level == "unanimous"
    assert found.interval == Interval(8, 10)
    assert found.supporters == ("s0", "s1", "s2")
    assert found.dissenters == ()


@pytest.mark.parametrize(
    ("figures", "size", "level"),
    [
        # n = 3, |S| = 2 > 3/2
        ([fig(0, 10), fig(5, 15), fig(50, 60)], 2, "majority"),
        # n = 5, |S| = 3 > 5/2
        ([fig(0, 10), fig(1, 11), fig(2, 12), fig(50, 60), fig(70, 80)], 3, "majority"),
        # n = 4, |S| = 3 > 4/2
        ([fig(0, 10), fig(1, 11), fig(2, 12), fig(50, 60)], 3, "majority"),
        # n = 4, |S| = 2 = 4/2: not more than half
        ([fig(0, 10), fig(1, 11), fig(50, 60), fig(70, 80)], 2, "plurality"),
        # n = 5, |S| = 2 < 5/2
        ([fig(0, 10), fig(1, 11), fig(50, 60), fig(70, 80), fig(90, 99)], 2, "plurality"),
        # n = 2 and n = 3 with no two meeting
        ([fig(0, 10), fig(50, 60)], 1, "none"),
        ([fig(0, 10), fig(50, 60), fig(70, 80)], 1, "none"),
    ],
)
def test_the_level_follows_the_size_of_the_largest_agreeing_set(
    figures: list[Figure], size: int, level: str
) -> None:
    found = consensus(*figures)
    assert found.level == level
    if level != "none":
        assert len(found.supporters) == size
        assert len(found.supporters) + len(found.dissenters) == len(figures)


def test_with_no_two_figures_meeting_there_is_no_interval_and_all_dissent() -> None:
    found = consensus(fig(0, 10, best=5), fig(50, 60, best=55))
    assert found == Consensus(None, (), ("s0", "s1"), None, "none")


# -- meeting points --------------------------------------------------------


def test_a_closed_high_and_an_open_low_at_the_same_point_do_not_meet() -> None:
    # [a, 3000] and (3000, b]
    assert consensus(fig(1000, 3000), fig(3000, 5000, low_open=True)).level == "none"


def test_an_open_high_and_a_closed_low_at_the_same_point_do_not_meet() -> None:
    assert consensus(fig(1000, 3000, high_open=True), fig(3000, 5000)).level == "none"


def test_two_closed_ends_at_the_same_point_meet_in_that_point() -> None:
    found = consensus(fig(1000, 3000), fig(3000, 5000))
    assert found.level == "unanimous"
    assert found.interval == Interval(3000, 3000)
    assert found.estimate == 3000


def test_two_open_ends_at_the_same_point_do_not_meet() -> None:
    assert consensus(fig(1000, 3000, high_open=True), fig(3000, 5000, True)).level == "none"


def test_a_single_point_meets_an_interval_only_where_the_interval_is_closed() -> None:
    assert consensus(fig(3000, 3000), fig(3000, 5000)).level == "unanimous"
    assert consensus(fig(3000, 3000), fig(3000, 5000, True)).level == "none"
    assert consensus(fig(3000, 3000), fig(1000, 3000, high_open=True)).level == "none"


def test_the_consensus_interval_keeps_the_open_ends_that_bound_it() -> None:
    found = consensus(fig(1, 5, high_open=True), fig(3, 8, low_open=True))
    assert found.interval == Interval(3, 5, True, True)


def test_at_a_shared_end_the_open_one_bounds_the_consensus() -> None:
    found = consensus(fig(1, 5), fig(1, 5, True, True), fig(0, 9))
    assert found.level == "unanimous"
    assert found.interval == Interval(1, 5, True, True)


# -- unbounded figures -----------------------------------------------------


def test_a_figure_unbounded_above_meets_any_figure_reaching_above_its_low() -> None:
    found = consensus(fig(3000, None), fig(None, 5000), fig(2000, 4000))
    assert found.level == "unanimous"
    assert found.interval == Interval(3000, 4000)


def test_unbounded_figures_can_agree_on_an_unbounded_interval() -> None:
    found = consensus(fig(3000, None, True), fig(4000, None))
    assert found.interval == Interval(4000, None)
    assert found.estimate == 4000  # bests 3000 and 4000 give 3500, clamped up to 4000


def test_open_unbounded_figures_facing_away_do_not_meet() -> None:
    assert consensus(fig(3000, None, True), fig(None, 3000)).level == "none"


def test_a_figure_unbounded_on_both_sides_supports_everything_and_gives_no_best() -> None:
    found = consensus(fig(None, None), fig(10, 20, best=12))
    assert found.level == "unanimous"
    assert found.interval == Interval(10, 20)
    assert found.estimate == 12


def test_figures_with_no_best_at_all_give_no_estimate() -> None:
    assert consensus(fig(None, None)).estimate is None
    assert consensus(fig(None, None), fig(None, None)).estimate is None


# -- tie-breaks ------------------------------------------------------------


def test_among_largest_sets_the_narrowest_intersection_wins() -> None:
    found = consensus(fig(0, 10), fig(0, 10), fig(20, 21), fig(20, 21))
    assert found.interval == Interval(20, 21)
    assert found.supporters == ("s2", "s3")
    assert found.level == "plurality"


def test_an_unbounded_intersection_is_wider_than_any_bounded_one() -> None:
    found = consensus(fig(None, 5), fig(None, 5), fig(100, 10**9), fig(100, 10**9))
    assert found.interval == Interval(100, 10**9)
    assert found.supporters == ("s2", "s3")


def test_among_equally_narrow_intersections_the_lowest_low_wins() -> None:
    found = consensus(fig(5, 6), fig(5, 6), fig(0, 1), fig(0, 1))
    assert found.interval == Interval(0, 1)
    assert found.supporters == ("s2", "s3")


def test_among_unbounded_intersections_the_one_unbounded_below_wins() -> None:
    found = consensus(fig(5, None), fig(5, None), fig(None, 0), fig(None, 0))
    assert found.interval == Interval(None, 0)
    assert found.supporters == ("s2", "s3")


def test_the_narrowest_intersection_is_judged_exactly_not_in_floating_point() -> None:
    # Exact widths 2**53 + 1 and 2**53; as floats both are 2**53, and the
    # lowest-low rule would wrongly pick the wider one.
    wide = fig(0, 2**53 + 1)
    narrow = fig(2**60, 2**60 + 2**53)
    found = consensus(wide, wide, narrow, narrow)
    assert found.interval == Interval(2**60, 2**60 + 2**53)


def test_the_widths_of_open_intervals_count_like_closed_ones() -> None:
    # (0, 4) is as wide as [10, 14]: the lowest low decides.
    found = consensus(fig(10, 14), fig(10, 14), fig(0, 4, True, True), fig(0, 4, True, True))
    assert found.interval == Interval(0, 4, True, True)


# -- supporters, dissenters and the estimate --------------------------------


def test_supporters_and_dissenters_are_sorted_source_slugs() -> None:
    found = find_consensus(
        [("z/x", fig(0, 10)), ("a/x", fig(5, 15)), ("m/x", fig(90, 99)), ("b/x", fig(6, 7))]
    )
    assert found is not None
    assert found.supporters == ("a/x", "b/x", "z/x")
    assert found.dissenters == ("m/x",)


def test_a_figure_containing_the_consensus_interval_supports_it() -> None:
    found = consensus(fig(0, 100), fig(10, 20), fig(15, 30), fig(40, 50))
    assert found.interval == Interval(15, 20)
    assert found.supporters == ("s0", "s1", "s2")
    assert found.dissenters == ("s3",)


def test_the_estimate_is_the_median_of_an_odd_number_of_bests() -> None:
    assert consensus(fig(0, 10, best=1), fig(0, 10, best=2), fig(0, 10, best=9)).estimate == 2


def test_the_estimate_is_the_mean_of_the_two_middle_bests_for_an_even_count() -> None:
    found = consensus(
        fig(0, 10, best=1), fig(0, 10, best=2), fig(0, 10, best=6), fig(0, 10, best=9)
    )
    assert found.estimate == 4
    assert type(found.estimate) is int


def test_the_estimate_of_two_middle_ints_with_an_odd_sum_is_a_half() -> None:
    assert consensus(fig(0, 10, best=2), fig(0, 10, best=5)).estimate == 3.5


def test_a_figure_without_a_best_counts_its_midpoint() -> None:
    assert consensus(fig(0, 10), fig(4, 8), fig(4, 5, best=5)).estimate == 5


def test_a_figure_bounded_on_one_side_counts_its_finite_bound() -> None:
    assert consensus(fig(3000, None)).estimate == 3000
    assert consensus(fig(None, 70)).estimate == 70


def test_dissenters_bests_do_not_count() -> None:
    found = consensus(fig(0, 10, best=2), fig(0, 10, best=4), fig(900, 1000, best=950))
    assert found.estimate == 3


def test_figures_without_a_best_are_left_out_of_the_median() -> None:
    found = consensus(fig(None, None), fig(None, None), fig(0, 10, best=9))
    assert found.estimate == 9


def test_the_estimate_is_clamped_into_the_consensus_interval() -> None:
    found = consensus(fig(0, 10, best=9), fig(0, 10, best=8), fig(2, 4, best=3))
    assert found.interval == Interval(2, 4)
    assert found.estimate == 4


def test_the_estimate_is_clamped_up_to_the_low() -> None:
    found = consensus(fig(0, 10, best=0), fig(0, 10, best=1), fig(6, 8, best=7))
    assert found.estimate == 6


def test_an_estimate_beyond_an_open_end_is_clamped_to_that_end() -> None:
    # Decision (docs): the estimate is clamped to the closure of the interval,
    # so it can sit on an open end the interval itself leaves out.
    found = consensus(fig(0, 10, best=9), fig(0, 10, best=8), fig(0, 4, high_open=True, best=2))
    assert found.interval == Interval(0, 4, high_open=True)
    assert found.estimate == 4


def test_the_median_helper_of_nothing_is_none() -> None:
    assert median([]) is None
    assert median([3, 1, 2]) == 2
    assert median([4.0, 1.0]) == 2.5
