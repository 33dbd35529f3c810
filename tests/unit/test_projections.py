"""The projections of DESIGN.md §4, rule by rule, through the public Ledger.

Current figures, retraction, composite topics, the topic view, voices and
bounds as the ledger marks them, freshness (reference times, ``latest``,
windows of the query and of the topic, stale marks), propositions with
disputes, time travel with as_of(position=) and as_of(stated=), and
``Ledger.history``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    CurrentFigure,
    Figure,
    FigureReported,
    HistoryEntry,
    Interval,
    InvalidEvent,
    Ledger,
    LedgerView,
    PropositionView,
    SourceDescribed,
    TopicDefined,
    TopicView,
    UnknownTopic,
    parse_figure,
)

T0 = datetime(2024, 8, 6, tzinfo=UTC)
TOPIC = "kursk/casualties"


def at(day: float) -> datetime:
    return T0 + timedelta(days=day)


def reported(
    claim_id: str,
    source: str,
    low: float | None,
    high: float | None,
    *,
    topic: str = TOPIC,
    day: float = 0,
    unit: str = "people",
    **figure: Any,
) -> FigureReported:
    return FigureReported(
        claim_id=claim_id,
        topic=topic,
        source=source,
        figure=Figure(low, high, unit=unit, **figure),
        stated_at=at(day),
    )


def said(
    claim_id: str,
    source: str,
    stance: str = "affirms",
    *,
    proposition: str = "p/troops-present",
    topic: str = TOPIC,
    day: float = 0,
) -> ClaimMade:
    return ClaimMade(
        claim_id=claim_id,
        topic=topic,
        source=source,
        statement="Troops are present.",
        proposition=proposition,
        stance=stance,  # type: ignore[arg-type]
        stated_at=at(day),
    )


def disputed(target: str, source: str, day: float = 0) -> ClaimDisputed:
    return ClaimDisputed(target=target, source=source, stated_at=at(day))


def retracted(target: str, source: str, day: float = 0) -> ClaimRetracted:
    return ClaimRetracted(target=target, source=source, stated_at=at(day))


def ledger(*events: Any) -> Ledger:
    lg = Ledger.open("memory://")
    lg.extend(events)
    return lg


def current(lg: LedgerView, source: str, topic: str = TOPIC) -> CurrentFigure | None:
    return lg.topic(topic).figure_of(source)


# -- current figures ---------------------------------------------------------


def test_a_source_s_current_figure_is_its_latest_stated_not_its_latest_appended() -> None:
    lg = ledger(reported("c1", "ua", 10, 20, day=5), reported("c2", "ua", 30, 40, day=1))
    found = current(lg, "ua")
    assert found is not None
    assert found.claim_id == "c1"


def test_figures_stated_at_the_same_time_are_ordered_by_position() -> None:
    lg = ledger(reported("c1", "ua", 10, 20, day=1), reported("c2", "ua", 30, 40, day=1))
    found = current(lg, "ua")
    assert found is not None
    assert found.claim_id == "c2"


def test_a_current_figure_names_its_source_figure_and_claim() -> None:
    event = reported("c1", "ua", 10, 20, best=12)
    lg = ledger(event)
    assert lg.topic(TOPIC).figures == (
        CurrentFigure("ua", event.figure, "c1", False, (), voice="ua", reference_time=T0),
    )


def test_current_figures_are_sorted_by_source_one_per_source() -> None:
    lg = ledger(
        reported("c1", "zz", 1, 2),
        reported("c2", "aa", 1, 2),
        reported("c3", "mm", 1, 2),
        reported("c4", "aa", 3, 4, day=1),
    )
    assert [f.source for f in lg.topic(TOPIC).figures] == ["aa", "mm", "zz"]


def test_a_figure_on_another_topic_does_not_replace_the_current_one() -> None:
    lg = ledger(reported("c1", "ua", 10, 20), reported("c2", "ua", 1, 2, topic="other", day=1))
    found = current(lg, "ua")
    assert found is not None
    assert found.claim_id == "c1"


def test_a_retracted_figure_leaves_no_current_figure() -> None:
    lg = ledger(reported("c1", "ua", 10, 20), retracted("c1", "ua", day=1))
    view = lg.topic(TOPIC)
    assert view.figures == ()
    assert view.range is None
    assert view.consensus is None


def test_an_older_figure_does_not_come_back_when_the_latest_is_retracted() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20, day=0),
        reported("c2", "ua", 30, 40, day=1),
        retracted("c2", "ua", day=2),
    )
    assert current(lg, "ua") is None


def test_a_figure_appended_later_but_stated_before_a_retracted_one_stays_hidden() -> None:
    # Reading of §4: the current figure is the latest by (stated_at, position);
    # a retracted latest figure means none, whatever was appended after it.
    lg = ledger(
        reported("c1", "ua", 30, 40, day=5),
        retracted("c1", "ua", day=6),
        reported("c2", "ua", 10, 20, day=3),
    )
    assert current(lg, "ua") is None


def test_retracting_an_older_figure_leaves_the_current_one() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20, day=0),
        reported("c2", "ua", 30, 40, day=1),
        retracted("c1", "ua", day=2),
    )
    found = current(lg, "ua")
    assert found is not None
    assert found.claim_id == "c2"


def test_a_figure_stated_after_a_retraction_is_current() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20, day=0),
        retracted("c1", "ua", day=1),
        reported("c2", "ua", 30, 40, day=2),
    )
    found = current(lg, "ua")
    assert found is not None
    assert found.claim_id == "c2"


def test_a_retraction_touches_only_its_own_source() -> None:
    lg = ledger(reported("c1", "ua", 10, 20), reported("c2", "ru", 1, 2), retracted("c1", "ua"))
    assert [f.source for f in lg.topic(TOPIC).figures] == ["ru"]


# -- disputes on figures -----------------------------------------------------


def test_disputes_are_shown_beside_a_figure_sorted_by_source() -> None:
    lg = ledger(reported("c1", "ua", 10, 20), disputed("c1", "zz"), disputed("c1", "ru"))
    found = current(lg, "ua")
    assert found is not None
    assert found.disputed_by == ("ru", "zz")


@pytest.mark.parametrize("name", ["memory://", "ledger.db"])
def test_a_dispute_appended_after_a_view_shows_on_the_next_one(name: str, tmp_path: Path) -> None:
    # The reader keeps who disputes what between views of a topic: each new
    # dispute, and each new figure in between, must still reach the next view.
    def disputers(source: str) -> tuple[str, ...]:
        found = current(lg, source)
        assert found is not None
        return found.disputed_by

    with Ledger.open(name if "://" in name else str(tmp_path / name)) as lg:
        lg.extend([reported("c1", "ua", 10, 20), reported("c2", "ru", 15, 30)])
        assert disputers("ua") == ()
        lg.append(disputed("c1", "ru"))
        assert disputers("ua") == ("ru",)
        lg.append(reported("c3", "pl", 12, 18))
        assert disputers("ua") == ("ru",)
        lg.append(disputed("c1", "pl"))
        assert disputers("ua") == ("pl", "ru")


@pytest.mark.parametrize("name", ["memory://", "ledger.db"])
def test_a_current_figure_is_the_reported_figure_whether_kept_or_read_back(
    name: str, tmp_path: Path
) -> None:
    # The fold keeps a figure as the tuple of its fields; a view gives it back
    # as the Figure reported: the event's own object when the event is in
    # memory, an equal one built from the stored row when it is not.
    events = [
        reported("c1", "ua", 10.5, 20, best=12, phrase="10.5 to 20", rule="range"),
        reported("c2", "ru", None, 30, high_open=True, phrase="fewer than 30"),
    ]
    target = name if "://" in name else str(tmp_path / name)
    with Ledger.open(target) as lg:
        lg.extend(events)
        figures = [current(lg, "ua"), current(lg, "ru")]
        assert [f.figure if f else None for f in figures] == [e.figure for e in events]
        if name == "memory://":
            assert all(
                f is not None and f.figure is e.figure for f, e in zip(figures, events, strict=True)
            )
    if name != "memory://":
        with Ledger.open(target, read_only=True) as again:
            found = current(again, "ua")
            assert found is not None
            assert found.figure == events[0].figure
            assert type(found.figure) is Figure
            assert found.figure.effective_best == 12


def test_a_source_disputing_twice_is_listed_once() -> None:
    lg = ledger(reported("c1", "ua", 10, 20), disputed("c1", "ru"), disputed("c1", "ru", 1))
    found = current(lg, "ua")
    assert found is not None
    assert found.disputed_by == ("ru",)


def test_a_disputed_figure_still_counts_in_range_and_consensus() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20),
        reported("c2", "ru", 15, 30),
        disputed("c1", "ru"),
        disputed("c2", "ua"),
    )
    view = lg.topic(TOPIC)
    assert view.range == Interval(10, 30)
    assert view.consensus is not None
    assert view.consensus.supporters == ("ru", "ua")


def test_a_dispute_of_an_older_figure_does_not_follow_the_source_to_its_new_one() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20),
        disputed("c1", "ru"),
        reported("c2", "ua", 11, 21, day=1),
    )
    found = current(lg, "ua")
    assert found is not None
    assert found.disputed_by == ()


def test_the_fold_ignores_a_source_disputing_its_own_figure() -> None:
    # Validation refuses this; a fold of an unvalidated log must not show it.
    view = LedgerView.replay([reported("c1", "ua", 10, 20), disputed("c1", "ua")])
    assert view.topic(TOPIC).figures[0].disputed_by == ()


def test_the_fold_ignores_a_retraction_by_another_source() -> None:
    view = LedgerView.replay([reported("c1", "ua", 10, 20), retracted("c1", "ru")])
    assert [f.claim_id for f in view.topic(TOPIC).figures] == ["c1"]


# -- the topic view ------------------------------------------------------------


def test_a_topic_never_mentioned_is_unknown() -> None:
    lg = ledger(reported("c1", "ua", 10, 20))
    with pytest.raises(UnknownTopic) as caught:
        lg.topic("kursk/other")
    assert caught.value.topic == "kursk/other"


def test_a_topic_only_defined_or_only_claimed_is_known_with_no_figures() -> None:
    lg = ledger(
        TopicDefined(topic="a/defined", title="Defined", unit="km"),
        said("c1", "ua", topic="a/claimed"),
    )
    assert [t.topic for t in lg.topics()] == ["a/claimed", "a/defined"]
    defined = lg.topic("a/defined")
    assert (defined.unit, defined.figures, defined.range, defined.consensus) == (
        "km",
        (),
        None,
        None,
    )
    assert lg.topic("a/claimed").unit is None


def test_topics_are_listed_sorted_by_topic() -> None:
    lg = ledger(reported("c1", "ua", 1, 2, topic="b"), reported("c2", "ua", 1, 2, topic="a/z"))
    assert [t.topic for t in lg.topics()] == ["a/z", "b"]


def test_a_topic_s_unit_is_its_defined_unit() -> None:
    lg = ledger(TopicDefined(topic=TOPIC, title="Casualties", unit="people"))
    assert lg.topic(TOPIC).unit == "people"


def test_a_topic_with_no_defined_unit_takes_its_first_figure_s_unit() -> None:
    # Decision (docs): TopicDefined with unit None means "no unit declared".
    lg = ledger(
        TopicDefined(topic=TOPIC, title="Casualties"),
        reported("c1", "ua", 10, 20, unit="soldiers"),
        retracted("c1", "ua"),
    )
    assert lg.topic(TOPIC).unit == "soldiers"


def test_the_range_and_consensus_are_those_of_the_current_figures() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20, best=15),
        reported("c2", "ru", 0, 5),
        reported("c3", "us", 12, 30),
        reported("c4", "ru", 14, 16, day=1),
    )
    view = lg.topic(TOPIC)
    assert view.range == Interval(10, 30)
    assert view.consensus is not None
    assert view.consensus.interval == Interval(14, 16)
    assert view.consensus.level == "unanimous"
    assert view.consensus.estimate == 15


# -- composite topics ------------------------------------------------------------

TOTAL = "kursk/total"
KILLED = "kursk/killed"
WOUNDED = "kursk/wounded"
MISSING = "kursk/missing"


def composite(*events: Any, parts: tuple[str, ...] = (KILLED, WOUNDED)) -> Ledger:
    return ledger(TopicDefined(topic=TOTAL, title="Total", unit="people", parts=parts), *events)


def test_a_source_with_figures_on_every_part_gets_a_derived_figure() -> None:
    lg = composite(
        reported("k", "ua", 100, 200, topic=KILLED, best=150),
        reported("w", "ua", 300, 500, topic=WOUNDED),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.derived is True
    assert found.claim_id is None
    assert found.figure == Figure(400, 700, best=550, unit="people")
    assert type(found.figure.low) is int


def test_a_derived_figure_sums_the_midpoints_of_parts_given_no_best() -> None:
    lg = composite(
        reported("k", "ua", 100, 200, topic=KILLED),
        reported("w", "ua", 10, 20, topic=WOUNDED, best=11),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.figure == Figure(110, 220, best=161, unit="people")


def test_a_derived_best_is_the_exact_sum_of_the_parts_midpoints_beyond_2_53() -> None:
    # [0, N + 1]'s midpoint N/2 + 1/2 is no float (N = 2**53): it shows rounded;
    # the bests summed exactly are N/2 + 1, a whole number, as [0, N + 2]'s is.
    n = 2**53
    lg = composite(
        reported("k", "ua", 0, n + 1, topic=KILLED),
        reported("w", "ua", 0, 1, topic=WOUNDED),
        reported("d", "ru", 0, n + 2, topic=TOTAL),
    )
    derived, direct = current(lg, "ua", TOTAL), current(lg, "ru", TOTAL)
    assert derived is not None
    assert direct is not None
    assert derived.figure.best == n // 2 + 1
    assert lg.topic(TOTAL).consensus is not None
    assert lg.topic(TOTAL).consensus.estimate == direct.figure.effective_best == n // 2 + 1


@pytest.mark.parametrize(
    ("killed", "wounded", "best"),
    [
        # Bests X + 1 and X + 1.5 sum to 2X + 2.5: the float nearest it is 2X, below
        # the summed low, and the best was dropped (the estimate took the midpoint).
        ({"low": 1, "high": 1001, "best": 1}, {"low": 1, "high": 2}, 2),
        # A bound part with its own best: 2X + 3.5, to even 2X + 4 (was no best, no estimate).
        (
            {"low": 2, "high": 2, "best": 2, "rule": "wikimpacts-2024:under"},
            {"low": 0, "high": 3, "rule": "wikimpacts-2024:about"},
            4,
        ),
        # 2X + 1.5 was kept as the float 2X, two below the whole number nearest it.
        ({"low": 0, "high": 1000, "best": 1}, {"low": 0, "high": 1}, 2),
    ],
)
def test_a_derived_best_of_whole_counts_no_float_holds_is_the_nearest_whole_number(
    killed: dict[str, Any], wounded: dict[str, Any], best: int
) -> None:
    x = 2**55  # floats are 8 apart here, 16 apart at 2X

    def shifted(figure: dict[str, Any]) -> dict[str, Any]:
        return {k: v + x if isinstance(v, int) else v for k, v in figure.items()}

    k, w = shifted(killed), shifted(wounded)
    lg = composite(
        reported("k", "ua", k.pop("low"), k.pop("high"), topic=KILLED, **k),
        reported("w", "ua", w.pop("low"), w.pop("high"), topic=WOUNDED, **w),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.figure.best == 2 * x + best
    assert type(found.figure.best) is int
    consensus = lg.topic(TOTAL).consensus
    assert consensus is not None
    assert consensus.estimate == 2 * x + best


def test_a_derived_best_of_halves_is_a_float_as_its_parts_bests_are() -> None:
    lg = composite(
        reported("k", "ua", 1, 2, topic=KILLED),
        reported("w", "ua", 1, 2, topic=WOUNDED),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.figure.best == 3
    assert type(found.figure.best) is float


def test_a_derived_figure_has_no_best_when_a_part_is_a_bound_without_one() -> None:
    # Killed, unbounded above, states a limit: no best, so the sum has none.
    lg = composite(
        reported("k", "ua", 100, None, topic=KILLED),
        reported("w", "ua", 10, 20, topic=WOUNDED, best=11),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.figure == Figure(110, None, unit="people")
    assert found.bound is True


def test_a_derived_figure_is_unbounded_where_any_part_is() -> None:
    lg = composite(
        reported("k", "ua", None, 200, topic=KILLED),
        reported("w", "ua", 5, 10, topic=WOUNDED),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert (found.figure.low, found.figure.high) == (None, 210)


def test_a_part_with_no_best_at_all_leaves_the_derived_best_unset() -> None:
    lg = composite(
        reported("k", "ua", None, None, topic=KILLED),
        reported("w", "ua", 5, 10, topic=WOUNDED),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.figure == Figure(None, None, unit="people")


def test_a_derived_figure_is_open_where_any_part_is_open() -> None:
    lg = composite(
        reported("k", "ua", 100, 200, topic=KILLED, low_open=True),
        reported("w", "ua", 300, 500, topic=WOUNDED, high_open=True),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert (found.figure.low_open, found.figure.high_open) == (True, True)


def test_an_open_end_of_one_part_does_not_open_a_side_another_part_leaves_unbounded() -> None:
    # Open flags only on a finite bound (§2): the unbounded side wins.
    lg = composite(
        reported("k", "ua", 100, 200, topic=KILLED, low_open=True, high_open=True),
        reported("w", "ua", None, None, topic=WOUNDED),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.figure == Figure(None, None, unit="people")


def test_a_sum_of_open_parts_that_rounds_to_one_point_is_that_closed_point() -> None:
    # The true sum is a sliver narrower than a float can tell apart from a point.
    lg = composite(
        reported("k", "ua", 0.1, 0.10000000000000002, topic=KILLED, high_open=True),
        reported("w", "ua", 1e16, 1e16, topic=WOUNDED),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.figure.interval == Interval(1e16, 1e16)


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        (Figure(2**62, 2**62, unit="people"), Interval(None, None)),
        (Figure(0, 2**62, unit="people"), Interval(0, None)),
        (Figure(-(2**62) - 1, 0, unit="people"), Interval(None, 0)),
        (Figure(1e308, 1.5e308, unit="people"), Interval(None, None)),
    ],
)
def test_a_sum_past_what_a_figure_holds_leaves_that_side_unbounded(
    part: Figure, expected: Interval
) -> None:
    # The view must not fail on a valid log; unbounded still contains the sum.
    lg = composite(
        FigureReported(claim_id="k", topic=KILLED, source="ua", figure=part, stated_at=T0),
        FigureReported(claim_id="w", topic=WOUNDED, source="ua", figure=part, stated_at=T0),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.figure.interval == expected


def test_a_source_missing_a_part_gets_no_derived_figure() -> None:
    lg = composite(
        reported("k1", "ua", 100, 200, topic=KILLED),
        reported("w1", "ua", 300, 500, topic=WOUNDED),
        reported("k2", "ru", 10, 20, topic=KILLED),
    )
    assert [f.source for f in lg.topic(TOTAL).figures] == ["ua"]


def test_a_composite_with_a_part_nobody_mentioned_has_no_derived_figures() -> None:
    lg = composite(
        reported("k", "ua", 100, 200, topic=KILLED),
        reported("w", "ua", 300, 500, topic=WOUNDED),
        parts=(KILLED, WOUNDED, MISSING),
    )
    assert lg.topic(TOTAL).figures == ()
    with pytest.raises(UnknownTopic):
        lg.topic(MISSING)


def test_a_source_s_own_figure_on_a_composite_wins_over_a_derived_one() -> None:
    lg = composite(
        reported("k", "ua", 100, 200, topic=KILLED),
        reported("w", "ua", 300, 500, topic=WOUNDED),
        reported("t", "ua", 1000, 1000, topic=TOTAL),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert (found.derived, found.claim_id, found.figure.low) == (False, "t", 1000)


def test_a_source_whose_own_composite_figure_is_retracted_gets_a_derived_one() -> None:
    # Decision (docs): "no current figure of its own" includes a retracted one.
    lg = composite(
        reported("k", "ua", 100, 200, topic=KILLED),
        reported("w", "ua", 300, 500, topic=WOUNDED),
        reported("t", "ua", 1000, 1000, topic=TOTAL),
        retracted("t", "ua"),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.derived is True
    assert found.figure.interval == Interval(400, 700)


def test_a_derived_figure_is_disputed_by_everyone_disputing_its_parts() -> None:
    # Decision (docs): a derived figure's disputed_by is the union over its parts.
    lg = composite(
        reported("k", "ua", 100, 200, topic=KILLED),
        reported("w", "ua", 300, 500, topic=WOUNDED),
        disputed("k", "ru"),
        disputed("w", "us"),
        disputed("w", "ru"),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.disputed_by == ("ru", "us")


def test_derived_figures_count_like_direct_ones_in_range_and_consensus() -> None:
    lg = composite(
        reported("k", "ua", 100, 200, topic=KILLED),
        reported("w", "ua", 300, 500, topic=WOUNDED),
        reported("t", "ru", 600, 900, topic=TOTAL),
    )
    view = lg.topic(TOTAL)
    assert view.range == Interval(400, 900)
    assert view.consensus is not None
    assert view.consensus.interval == Interval(600, 700)
    assert view.consensus.supporters == ("ru", "ua")


def test_composite_topics_nest_and_derived_figures_feed_derived_figures() -> None:
    lg = ledger(
        TopicDefined(topic="all", title="All", unit="people", parts=(TOTAL, MISSING)),
        TopicDefined(topic=TOTAL, title="Total", parts=(KILLED, WOUNDED)),
        reported("k", "ua", 1, 2, topic=KILLED),
        reported("w", "ua", 10, 20, topic=WOUNDED),
        reported("m", "ua", 100, 200, topic=MISSING),
    )
    found = current(lg, "ua", "all")
    assert found is not None
    assert found.figure.interval == Interval(111, 222)
    assert found.derived is True


def test_a_composite_follows_its_parts_as_they_change() -> None:
    lg = composite(
        reported("k", "ua", 100, 200, topic=KILLED),
        reported("w", "ua", 300, 500, topic=WOUNDED),
    )
    assert lg.topic(TOTAL).figures  # render and cache the view first
    lg.append(reported("k2", "ua", 0, 0, topic=KILLED, day=1))
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.figure.interval == Interval(300, 500)
    lg.append(retracted("k2", "ua", day=2))
    assert lg.topic(TOTAL).figures == ()


def test_a_composite_defined_after_its_parts_derives_from_them() -> None:
    lg = ledger(
        reported("k", "ua", 100, 200, topic=KILLED),
        reported("w", "ua", 300, 500, topic=WOUNDED),
    )
    assert lg.topic(KILLED).figures
    lg.append(TopicDefined(topic=TOTAL, title="Total", parts=(KILLED, WOUNDED)))
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.figure.interval == Interval(400, 700)
    assert lg.topic(TOTAL).unit == "people"


# -- propositions ---------------------------------------------------------------


def propositions(lg: LedgerView) -> dict[str, PropositionView]:
    return {p.proposition: p for p in lg.propositions()}


def test_a_proposition_only_affirmed_is_agreed() -> None:
    lg = ledger(said("c1", "ua"), said("c2", "us"))
    assert lg.propositions() == [
        PropositionView(TOPIC, "p/troops-present", ("ua", "us"), (), "agreed")
    ]


def test_a_proposition_only_denied_is_denied() -> None:
    lg = ledger(said("c1", "ru", "denies"))
    assert propositions(lg)["p/troops-present"].status == "denied"


def test_a_proposition_both_affirmed_and_denied_is_contested() -> None:
    lg = ledger(said("c1", "ua"), said("c2", "ru", "denies"))
    view = propositions(lg)["p/troops-present"]
    assert (view.affirmed_by, view.denied_by, view.status) == (("ua",), ("ru",), "contested")


def test_a_proposition_whose_claims_are_all_retracted_is_withdrawn() -> None:
    lg = ledger(said("c1", "ua"), retracted("c1", "ua"))
    assert lg.propositions() == [PropositionView(TOPIC, "p/troops-present", (), (), "withdrawn")]


def test_a_source_s_latest_stated_claim_gives_its_stance() -> None:
    lg = ledger(said("c1", "ru", "denies", day=3), said("c2", "ru", "affirms", day=1))
    assert propositions(lg)["p/troops-present"].status == "denied"
    lg.append(said("c3", "ru", "affirms", day=3))  # same stated_at, later position
    assert propositions(lg)["p/troops-present"].status == "agreed"


def test_a_retracted_latest_claim_does_not_bring_back_an_older_one() -> None:
    lg = ledger(said("c1", "ru", "denies", day=0), said("c2", "ru", day=1), retracted("c2", "ru"))
    assert propositions(lg)["p/troops-present"].status == "withdrawn"


def test_a_dispute_of_an_affirming_claim_counts_as_a_denial() -> None:
    lg = ledger(said("c1", "ua"), disputed("c1", "ru"))
    view = propositions(lg)["p/troops-present"]
    assert (view.affirmed_by, view.denied_by, view.status) == (("ua",), ("ru",), "contested")


def test_a_dispute_of_a_denying_claim_counts_as_an_affirmation() -> None:
    lg = ledger(said("c1", "ru", "denies"), disputed("c1", "ua"))
    view = propositions(lg)["p/troops-present"]
    assert (view.affirmed_by, view.denied_by) == (("ua",), ("ru",))


def test_a_disputer_with_its_own_current_claim_keeps_its_own_stance() -> None:
    lg = ledger(said("c1", "ua"), said("c2", "ru"), disputed("c1", "ru"))
    view = propositions(lg)["p/troops-present"]
    assert (view.affirmed_by, view.denied_by, view.status) == (("ru", "ua"), (), "agreed")


def test_a_disputer_whose_own_claim_is_retracted_counts_by_its_dispute() -> None:
    lg = ledger(said("c1", "ua"), said("c2", "ru"), retracted("c2", "ru"), disputed("c1", "ru"))
    assert propositions(lg)["p/troops-present"].denied_by == ("ru",)


def test_a_dispute_of_a_claim_no_longer_current_does_not_count() -> None:
    lg = ledger(said("c1", "ua"), disputed("c1", "ru"), said("c2", "ua", day=1))
    assert propositions(lg)["p/troops-present"].status == "agreed"


def test_a_dispute_of_a_later_retracted_claim_does_not_count() -> None:
    lg = ledger(said("c1", "ua"), said("c2", "us"), disputed("c1", "ru"), retracted("c1", "ua"))
    view = propositions(lg)["p/troops-present"]
    assert (view.affirmed_by, view.denied_by) == (("us",), ())


def test_a_claim_s_proposition_defaults_to_its_claim_id() -> None:
    lg = ledger(
        ClaimMade(claim_id="c/alone", topic=TOPIC, source="ua", statement="x", stated_at=T0)
    )
    assert [p.proposition for p in lg.propositions()] == ["c/alone"]


def test_there_is_one_proposition_view_per_topic_and_proposition_sorted() -> None:
    lg = ledger(
        said("c1", "ua", proposition="p/b", topic="t/2"),
        said("c2", "ua", proposition="p/a", topic="t/2"),
        said("c3", "ua", proposition="p/b", topic="t/1"),
    )
    keys = [(p.topic, p.proposition) for p in lg.propositions()]
    assert keys == [("t/1", "p/b"), ("t/2", "p/a"), ("t/2", "p/b")]
    assert [p.proposition for p in lg.propositions(topic="t/2")] == ["p/a", "p/b"]


def test_figures_are_not_propositions() -> None:
    lg = ledger(reported("c1", "ua", 1, 2))
    assert lg.propositions() == []


# -- time travel ------------------------------------------------------------------


def test_as_of_a_position_folds_the_events_up_to_it() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20),
        reported("c2", "ua", 30, 40, day=1),
        retracted("c2", "ua", day=2),
    )
    view = lg.as_of(position=2)
    assert isinstance(view, LedgerView)
    assert view.position == 2
    assert [f.claim_id for f in view.topic(TOPIC).figures] == ["c2"]
    assert [f.claim_id for f in lg.as_of(position=1).topic(TOPIC).figures] == ["c1"]
    assert lg.topic(TOPIC).figures == ()


def test_as_of_position_zero_is_the_empty_ledger() -> None:
    lg = ledger(reported("c1", "ua", 10, 20))
    view = lg.as_of(position=0)
    assert view.topics() == []
    assert view.propositions() == []
    with pytest.raises(UnknownTopic):
        view.topic(TOPIC)


def test_as_of_a_time_folds_only_what_was_stated_by_then() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20, day=0),
        reported("c2", "ua", 30, 40, day=2),
        reported("c3", "ru", 1, 2, day=1),
    )
    view = lg.as_of(stated=at(1))
    assert [(f.source, f.claim_id) for f in view.topic(TOPIC).figures] == [
        ("ru", "c3"),
        ("ua", "c1"),
    ]


def test_as_of_a_time_before_a_retraction_shows_the_figure() -> None:
    lg = ledger(reported("c1", "ua", 10, 20, day=0), retracted("c1", "ua", day=3))
    view = lg.as_of(stated=at(2))
    assert [f.claim_id for f in view.topic(TOPIC).figures] == ["c1"]


def test_as_of_a_time_keeps_topic_definitions_and_source_descriptions() -> None:
    lg = ledger(
        TopicDefined(topic=TOTAL, title="Total", unit="people", parts=(KILLED, WOUNDED)),
        SourceDescribed(source="ua", name="Ukraine", kind="government"),
        reported("c1", "ua", 10, 20, topic=KILLED, day=5),
    )
    view = lg.as_of(stated=at(0))
    assert view.topic(TOTAL).unit == "people"
    assert view.definition(TOTAL) is not None
    described = view.source("ua")
    assert described is not None
    assert described.kind == "government"
    with pytest.raises(UnknownTopic):
        view.topic(KILLED)


def test_as_of_a_bare_date_means_midnight_utc_of_that_date() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20, day=0),  # 2024-08-06T00:00Z
        reported("c2", "ru", 10, 20, day=1 / 86400),  # one second later
    )
    view = lg.as_of(stated=date(2024, 8, 6))
    assert [f.source for f in view.topic(TOPIC).figures] == ["ua"]


def test_an_event_stated_exactly_at_the_cutoff_counts() -> None:
    lg = ledger(reported("c1", "ua", 10, 20, day=1))
    assert lg.as_of(stated=at(1)).topic(TOPIC).figures


def test_as_of_position_and_time_together_apply_both() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20, day=0),
        reported("c2", "ru", 10, 20, day=5),
        reported("c3", "us", 10, 20, day=0),
    )
    view = lg.as_of(position=2, stated=at(1))
    assert [f.source for f in view.topic(TOPIC).figures] == ["ua"]


def test_a_dispute_of_a_claim_outside_the_view_is_ignored() -> None:
    lg = ledger(
        said("c1", "ua", day=5, topic="a/claims"),
        reported("f1", "ua", 10, 20, day=5),
        disputed("c1", "ru", day=1),
        disputed("f1", "ru", day=1),
        retracted("f1", "ua", day=1),
    )
    view = lg.as_of(stated=at(2))
    assert view.propositions() == []
    assert view.disputes() == []
    with pytest.raises(UnknownTopic):
        view.topic(TOPIC)


def test_as_of_leaves_the_ledger_itself_unchanged() -> None:
    lg = ledger(reported("c1", "ua", 10, 20), reported("c2", "ua", 30, 40, day=1))
    lg.as_of(position=1)
    lg.as_of(stated=at(0))
    found = current(lg, "ua")
    assert found is not None
    assert found.claim_id == "c2"
    assert lg.head == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"position": -1}, "position"),
        ({"position": True}, "position"),
        ({"position": "2"}, "position"),
        ({"stated": datetime(2024, 1, 1)}, "stated"),
        ({"stated": "2024-01-01"}, "stated"),
    ],
)
def test_as_of_refuses_a_bad_position_or_time_naming_it(kwargs: dict[str, Any], field: str) -> None:
    lg = ledger(reported("c1", "ua", 10, 20))
    with pytest.raises(InvalidEvent) as caught:
        lg.as_of(**kwargs)
    assert caught.value.field == field


# -- voices and bounds, as the ledger marks them ------------------------------------


def described(source: str, affiliation: str | None) -> SourceDescribed:
    return SourceDescribed(source=source, name=source.upper(), affiliation=affiliation)


def test_a_source_never_described_speaks_with_its_own_voice() -> None:
    found = current(ledger(reported("c1", "ua", 10, 20)), "ua")
    assert found is not None
    assert found.voice == "ua"


def test_a_described_source_speaks_with_its_affiliation() -> None:
    lg = ledger(described("ua/mod", "ua"), reported("c1", "ua/mod", 10, 20))
    found = current(lg, "ua/mod")
    assert found is not None
    assert found.voice == "ua"


def test_a_source_s_latest_description_gives_its_voice() -> None:
    # Reading of §4: a later description without an affiliation makes the source independent.
    lg = ledger(described("ua/mod", "ua"), reported("c1", "ua/mod", 10, 20))
    lg.append(described("ua/mod", "ua/gov"))
    assert lg.topic(TOPIC).voices() == {"ua/gov": ("ua/mod",)}
    lg.append(described("ua/mod", None))
    assert lg.topic(TOPIC).voices() == {"ua/mod": ("ua/mod",)}


def test_sources_of_one_affiliation_agreeing_with_each_other_alone_are_no_consensus() -> None:
    lg = ledger(
        described("ru/mod", "ru"),
        described("ru/fsb", "ru"),
        reported("c1", "ru/mod", 100, 200),
        reported("c2", "ru/fsb", 150, 250),
        reported("c3", "ua", 1000, 2000),
    )
    view = lg.topic(TOPIC)
    assert view.voices() == {"ru": ("ru/fsb", "ru/mod"), "ua": ("ua",)}
    assert view.consensus is not None
    assert view.consensus.level == "none"


def test_giving_two_sources_one_affiliation_can_raise_the_level() -> None:
    # The law "one affiliation never raises the level" does not hold under §4:
    # [0, 10] x 2, [20, 30], [40, 50] is a plurality of 2 voices in 4; with the second
    # and third one voice it is 2 voices in 3, a majority.
    lg = ledger(
        reported("c1", "a", 0, 10),
        reported("c2", "b", 0, 10),
        reported("c3", "c", 20, 30),
        reported("c4", "d", 40, 50),
    )
    before = lg.topic(TOPIC).consensus
    lg.extend([described("b", "bc"), described("c", "bc")])
    after = lg.topic(TOPIC).consensus
    assert before is not None
    assert after is not None
    assert (before.level, after.level) == ("plurality", "majority")


def test_a_derived_figure_speaks_with_its_source_s_voice() -> None:
    lg = composite(
        described("ua/mod", "ua"),
        reported("k", "ua/mod", 100, 200, topic=KILLED),
        reported("w", "ua/mod", 300, 500, topic=WOUNDED),
    )
    found = current(lg, "ua/mod", TOTAL)
    assert found is not None
    assert (found.derived, found.voice) == (True, "ua")


def test_a_figure_read_from_a_bound_phrase_is_a_bound_with_no_best() -> None:
    lg = ledger(
        FigureReported(
            claim_id="c1",
            topic=TOPIC,
            source="ua",
            figure=parse_figure("more than 3,000", "people"),
            stated_at=T0,
        ),
        reported("c2", "ru", 2000, 5000, best=4500),
    )
    found = current(lg, "ua")
    assert found is not None
    assert found.bound is True
    assert found.best is None
    consensus = lg.topic(TOPIC).consensus
    assert consensus is not None
    assert consensus.interval == Interval(3001, 4001)
    assert consensus.estimate == 4001  # 4,500 clamped; "more than" adds no best


def test_a_figure_of_an_estimate_row_is_not_a_bound() -> None:
    lg = ledger(
        FigureReported(
            claim_id="c1",
            topic=TOPIC,
            source="ua",
            figure=parse_figure("about 3,000", "people"),
            stated_at=T0,
        )
    )
    found = current(lg, "ua")
    assert found is not None
    assert (found.bound, found.best) == (False, 3000)


def test_a_figure_with_an_unbounded_end_is_a_bound() -> None:
    found = current(ledger(reported("c1", "ua", 3000, None)), "ua")
    assert found is not None
    assert (found.bound, found.best) == (True, None)


def test_a_derived_figure_is_a_bound_when_any_part_is() -> None:
    lg = composite(
        reported("k", "ua", 3001, 4001, topic=KILLED, rule="wikimpacts-2024:over"),
        reported("w", "ua", 10, 20, topic=WOUNDED),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert found.figure == Figure(3011, 4021, unit="people")
    assert (found.bound, found.best) == (True, None)


def test_a_derived_figure_of_parts_that_are_no_bounds_is_no_bound() -> None:
    lg = composite(
        reported("k", "ua", 100, 200, topic=KILLED, rule="wikimpacts-2024:about"),
        reported("w", "ua", 10, 20, topic=WOUNDED),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert (found.bound, found.best) == (False, 165)


# -- freshness ---------------------------------------------------------------------


def seen(
    claim_id: str,
    source: str,
    low: float,
    high: float,
    as_of: float,
    *,
    topic: str = TOPIC,
    day: float | None = None,
) -> FigureReported:
    """A figure describing day as_of, stated that day unless told otherwise."""
    return FigureReported(
        claim_id=claim_id,
        topic=topic,
        source=source,
        figure=Figure(low, high, unit="people"),
        stated_at=at(as_of if day is None else day),
        as_of=at(as_of),
    )


def stale_sources(view: TopicView) -> list[str]:
    return [f.source for f in view.figures if f.stale]


def gaza() -> Ledger:
    """Counts moving on: a figure of day 0, two of day 15, one of day 17."""
    return ledger(
        seen("c1", "moh/old", 39_000, 40_000, 0),
        seen("c2", "un", 40_000, 45_000, 15),
        seen("c3", "ngo", 42_000, 44_000, 15),
        seen("c4", "moh", 43_000, 50_000, 17),
    )


def test_a_figure_s_reference_time_is_its_as_of() -> None:
    lg = ledger(seen("c1", "ua", 10, 20, 1, day=10))
    found = current(lg, "ua")
    assert found is not None
    assert found.reference_time == at(1)


def test_a_figure_s_reference_time_defaults_to_when_it_was_stated() -> None:
    found = current(ledger(reported("c1", "ua", 10, 20, day=4)), "ua")
    assert found is not None
    assert found.reference_time == at(4)


def test_latest_is_the_greatest_reference_time_not_the_latest_statement() -> None:
    lg = ledger(seen("c1", "ua", 10, 20, 3, day=3), seen("c2", "ru", 10, 20, 1, day=9))
    assert lg.topic(TOPIC).latest == at(3)


def test_a_topic_without_figures_has_no_latest() -> None:
    view = ledger(TopicDefined(topic=TOPIC, title="T", unit="people")).topic(TOPIC)
    assert (view.latest, view.window) == (None, None)


def test_with_no_window_in_force_no_figure_is_stale() -> None:
    view = gaza().topic(TOPIC)
    assert view.window is None
    assert stale_sources(view) == []
    assert view.range == Interval(39_000, 50_000)


def test_a_query_window_marks_figures_older_than_latest_minus_the_window() -> None:
    view = gaza().topic(TOPIC, window=timedelta(days=3))
    assert (view.latest, view.window) == (at(17), timedelta(days=3))
    assert stale_sources(view) == ["moh/old"]
    # A stale figure stays in the view, marked.
    assert [f.source for f in view.figures] == ["moh", "moh/old", "ngo", "un"]


def test_stale_figures_are_left_out_of_range_and_consensus() -> None:
    view = gaza().topic(TOPIC, window=timedelta(days=3))
    assert view.range == Interval(40_000, 50_000)
    assert view.consensus is not None
    assert view.consensus.interval == Interval(43_000, 44_000)
    assert view.consensus.level == "unanimous"  # every fresh figure
    assert "moh/old" not in view.consensus.supporters + view.consensus.dissenters


def test_a_figure_exactly_a_window_before_latest_is_fresh() -> None:
    view = gaza().topic(TOPIC, window=timedelta(days=2))
    assert stale_sources(view) == ["moh/old"]
    view = gaza().topic(TOPIC, window=timedelta(days=2) - timedelta(microseconds=1))
    assert stale_sources(view) == ["moh/old", "ngo", "un"]


def test_a_window_of_zero_keeps_only_the_figures_of_the_latest_time() -> None:
    view = gaza().topic(TOPIC, window=timedelta(0))
    assert stale_sources(view) == ["moh/old", "ngo", "un"]
    assert view.consensus is not None
    assert (view.consensus.level, view.consensus.supporters) == ("single", ("moh",))


def test_a_window_of_timedelta_max_marks_nothing_stale() -> None:
    view = gaza().topic(TOPIC, window=timedelta.max)
    assert view.window == timedelta.max
    assert stale_sources(view) == []
    assert (view.range, view.consensus) == (
        gaza().topic(TOPIC).range,
        gaza().topic(TOPIC).consensus,
    )


def test_a_window_reaching_past_the_first_datetime_leaves_nothing_stale() -> None:
    first = datetime(1, 1, 1, tzinfo=UTC)
    lg = ledger(
        FigureReported(
            claim_id="c1",
            topic=TOPIC,
            source="a",
            figure=Figure(1, 2, unit="people"),
            stated_at=first,
        ),
        FigureReported(
            claim_id="c2",
            topic=TOPIC,
            source="b",
            figure=Figure(1, 2, unit="people"),
            stated_at=datetime(9999, 12, 31, tzinfo=UTC),
        ),
    )
    span = datetime(9999, 12, 31, tzinfo=UTC) - first
    assert stale_sources(lg.topic(TOPIC, window=span)) == []
    assert stale_sources(lg.topic(TOPIC, window=span + timedelta(days=1))) == []
    assert stale_sources(lg.topic(TOPIC, window=span - timedelta(microseconds=1))) == ["a"]


def test_voices_count_fresh_figures_only() -> None:
    lg = ledger(
        seen("c1", "a", 0, 10, 5),
        seen("c2", "b", 0, 10, 5),
        seen("c3", "c", 50, 60, 0),
        seen("c4", "d", 70, 80, 5),
    )
    assert lg.topic(TOPIC).consensus.level == "plurality"  # type: ignore[union-attr]
    view = lg.topic(TOPIC, window=timedelta(days=1))
    assert view.voices() == {"a": ("a",), "b": ("b",), "d": ("d",)}
    assert view.consensus is not None
    assert (view.consensus.level, view.consensus.dissenters) == ("majority", ("d",))


def test_topics_applies_a_query_window_to_every_topic() -> None:
    lg = ledger(
        seen("c1", "a", 0, 10, 0, topic="t/one"),
        seen("c2", "b", 0, 10, 9, topic="t/one"),
        seen("c3", "a", 0, 10, 0, topic="t/two"),
        seen("c4", "b", 0, 10, 1, topic="t/two"),
    )
    views = lg.topics(window=timedelta(days=2))
    assert [(v.topic, v.window, stale_sources(v)) for v in views] == [
        ("t/one", timedelta(days=2), ["a"]),
        ("t/two", timedelta(days=2), []),
    ]


def windowed(window: timedelta | None, topic: str = TOPIC, **kw: Any) -> TopicDefined:
    return TopicDefined(topic=topic, title="Deaths", unit="people", window=window, **kw)


def test_a_topic_s_own_window_is_in_force_without_a_query_window() -> None:
    lg = gaza()
    lg.append(windowed(timedelta(days=3)))
    view = lg.topic(TOPIC)
    assert view.window == timedelta(days=3)
    assert stale_sources(view) == ["moh/old"]


def test_a_query_window_overrides_the_topic_s_own() -> None:
    lg = gaza()
    lg.append(windowed(timedelta(days=3)))
    view = lg.topic(TOPIC, window=timedelta(days=1))
    assert view.window == timedelta(days=1)
    assert stale_sources(view) == ["moh/old", "ngo", "un"]
    wider = lg.topic(TOPIC, window=timedelta(days=30))
    assert (wider.window, stale_sources(wider)) == (timedelta(days=30), [])


def test_timedelta_max_sets_the_topic_s_own_window_aside() -> None:
    lg = gaza()
    lg.append(windowed(timedelta(days=3)))
    view = lg.topic(TOPIC, window=timedelta.max)
    assert (view.window, stale_sources(view)) == (timedelta.max, [])
    assert view.range == Interval(39_000, 50_000)


def test_the_topic_s_latest_definition_gives_its_window() -> None:
    lg = ledger(windowed(timedelta(days=30)), *gaza_events())
    assert stale_sources(lg.topic(TOPIC)) == []
    lg.append(windowed(timedelta(days=3)))
    assert stale_sources(lg.topic(TOPIC)) == ["moh/old"]
    # Reading of §4: a later definition without a window leaves the topic without one.
    lg.append(windowed(None))
    assert (lg.topic(TOPIC).window, stale_sources(lg.topic(TOPIC))) == (None, [])


def gaza_events() -> list[FigureReported]:
    return [
        seen("c1", "moh/old", 39_000, 40_000, 0),
        seen("c2", "un", 40_000, 45_000, 15),
        seen("c3", "ngo", 42_000, 44_000, 15),
        seen("c4", "moh", 43_000, 50_000, 17),
    ]


def test_a_topic_window_applies_to_that_topic_only() -> None:
    lg = ledger(
        windowed(timedelta(days=1), topic="t/one"),
        seen("c1", "a", 0, 10, 0, topic="t/one"),
        seen("c2", "b", 0, 10, 9, topic="t/one"),
        seen("c3", "a", 0, 10, 0, topic="t/two"),
        seen("c4", "b", 0, 10, 9, topic="t/two"),
    )
    assert [(v.topic, v.window, stale_sources(v)) for v in lg.topics()] == [
        ("t/one", timedelta(days=1), ["a"]),
        ("t/two", None, []),
    ]


def test_a_derived_figure_is_judged_by_the_earliest_reference_time_of_its_parts() -> None:
    lg = composite(
        seen("k", "ua", 100, 200, 0, topic=KILLED),
        seen("w", "ua", 300, 500, 5, topic=WOUNDED),
        seen("t", "ru", 400, 700, 5, topic=TOTAL),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert (found.derived, found.reference_time) == (True, at(0))
    view = lg.topic(TOTAL, window=timedelta(days=3))
    assert view.latest == at(5)
    assert stale_sources(view) == ["ua"]
    assert view.consensus is not None
    assert view.consensus.supporters == ("ru",)


def test_derivation_ignores_staleness_of_the_parts() -> None:
    lg = composite(
        windowed(timedelta(days=1), topic=KILLED),
        seen("k1", "ua", 100, 200, 0, topic=KILLED),
        seen("k2", "ru", 150, 250, 5, topic=KILLED),
        seen("w1", "ua", 300, 500, 0, topic=WOUNDED),
    )
    assert stale_sources(lg.topic(KILLED)) == ["ua"]
    found = current(lg, "ua", TOTAL)
    assert found is not None
    assert (found.derived, found.stale, found.figure.interval) == (True, False, Interval(400, 700))


def test_a_composite_s_own_window_judges_its_derived_figures() -> None:
    lg = composite(
        seen("k1", "ua", 100, 200, 0, topic=KILLED),
        seen("w1", "ua", 300, 500, 0, topic=WOUNDED),
        seen("k2", "ru", 100, 200, 4, topic=KILLED),
        seen("w2", "ru", 300, 500, 4, topic=WOUNDED),
    )
    lg.append(windowed(timedelta(days=2), topic=TOTAL, parts=(KILLED, WOUNDED)))
    view = lg.topic(TOTAL)
    assert (view.window, view.latest, stale_sources(view)) == (timedelta(days=2), at(4), ["ua"])
    assert stale_sources(lg.topic(KILLED)) == []


def test_as_of_a_position_uses_the_topic_s_window_as_it_was_then() -> None:
    lg = ledger(*gaza_events(), windowed(timedelta(days=3)))
    then = lg.as_of(position=4).topic(TOPIC)
    assert (then.window, stale_sources(then)) == (None, [])
    now = lg.as_of(position=5).topic(TOPIC)
    assert (now.window, stale_sources(now)) == (timedelta(days=3), ["moh/old"])


def test_as_of_a_time_keeps_every_topic_definition_and_its_window() -> None:
    lg = ledger(*gaza_events(), windowed(timedelta(days=3)))
    view = lg.as_of(stated=at(15)).topic(TOPIC)
    # Day 17 is not stated yet: latest is day 15 and day 0 is more than 3 days older.
    assert (view.window, view.latest, stale_sources(view)) == (
        timedelta(days=3),
        at(15),
        ["moh/old"],
    )


def test_as_of_views_take_a_query_window() -> None:
    lg = ledger(*gaza_events(), windowed(timedelta(days=3)))
    view = lg.as_of(position=4).topic(TOPIC, window=timedelta(days=1))
    assert (view.window, stale_sources(view)) == (timedelta(days=1), ["moh/old", "ngo", "un"])
    views = lg.as_of(stated=at(15)).topics(window=timedelta.max)
    assert [(v.window, stale_sources(v)) for v in views] == [(timedelta.max, [])]


@pytest.mark.parametrize(
    "window", [timedelta(days=-1), timedelta(microseconds=-1), 3, "P3D", 3.0, True]
)
def test_a_query_window_must_be_a_timedelta_of_zero_or_more(window: Any) -> None:
    lg = gaza()
    for ask in (
        lambda: lg.topic(TOPIC, window=window),
        lambda: lg.topics(window=window),
        lambda: lg.as_of(position=1).topic(TOPIC, window=window),
    ):
        with pytest.raises(InvalidEvent) as caught:
            ask()
        assert caught.value.field == "window"


# -- history ---------------------------------------------------------------------------


def test_history_lists_every_figure_of_a_topic_by_stated_time_then_position() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20, day=5),
        reported("c2", "ru", 1, 2, day=1),
        reported("c3", "ua", 30, 40, day=1),
        reported("c4", "us", 5, 6, day=5),
        reported("c5", "ua", 1, 2, topic="other", day=0),
    )
    assert [(e.claim_id, e.position) for e in lg.history(TOPIC)] == [
        ("c2", 2),
        ("c3", 3),
        ("c1", 1),
        ("c4", 4),
    ]


def test_a_history_entry_carries_the_figure_and_its_times() -> None:
    event = seen("c1", "ua", 10, 20, 1, day=3)
    (entry,) = ledger(event).history(TOPIC)
    assert entry == HistoryEntry(
        position=1,
        source="ua",
        claim_id="c1",
        figure=event.figure,
        stated_at=at(3),
        reference_time=at(1),
        retracted=False,
        current=True,
    )


def test_history_marks_retracted_figures_and_the_current_one() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20, day=0),
        reported("c2", "ua", 30, 40, day=1),
        reported("c3", "ua", 50, 60, day=2),
        retracted("c1", "ua", day=3),
        reported("c4", "ru", 1, 2, day=0),
    )
    assert [(e.claim_id, e.retracted, e.current) for e in lg.history(TOPIC)] == [
        ("c1", True, False),
        ("c4", False, True),
        ("c2", False, False),
        ("c3", False, True),
    ]


def test_a_retracted_latest_figure_leaves_no_entry_current() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20, day=0),
        reported("c2", "ua", 30, 40, day=1),
        retracted("c2", "ua", day=2),
    )
    assert [(e.claim_id, e.retracted, e.current) for e in lg.history(TOPIC)] == [
        ("c1", False, False),
        ("c2", True, False),
    ]


def test_history_of_one_source_is_the_trail_behind_its_current_figure() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20, day=2),
        reported("c2", "ru", 1, 2, day=0),
        reported("c3", "ua", 30, 40, day=1),
    )
    trail = lg.history(TOPIC, source="ua")
    assert [(e.claim_id, e.current) for e in trail] == [("c3", False), ("c1", True)]
    assert lg.history(TOPIC, source="nobody") == []


def test_history_of_a_topic_never_mentioned_is_unknown() -> None:
    lg = ledger(reported("c1", "ua", 10, 20))
    with pytest.raises(UnknownTopic) as caught:
        lg.history("kursk/other")
    assert caught.value.topic == "kursk/other"


def test_history_of_a_composite_lists_only_figures_reported_on_it() -> None:
    lg = composite(
        reported("k", "ua", 100, 200, topic=KILLED),
        reported("w", "ua", 300, 500, topic=WOUNDED),
    )
    assert current(lg, "ua", TOTAL) is not None  # derived
    assert lg.history(TOTAL) == []


def test_history_as_of_a_moment_shows_the_trail_as_it_was() -> None:
    lg = ledger(
        reported("c1", "ua", 10, 20, day=0),
        reported("c2", "ua", 30, 40, day=1),
        retracted("c2", "ua", day=2),
    )
    then = lg.as_of(position=2).history(TOPIC)
    assert [(e.claim_id, e.retracted, e.current) for e in then] == [
        ("c1", False, False),
        ("c2", False, True),
    ]
    stated = lg.as_of(stated=at(0)).history(TOPIC)
    assert [(e.claim_id, e.current) for e in stated] == [("c1", True)]
    with pytest.raises(UnknownTopic):
        lg.as_of(position=0).history(TOPIC)


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (["t/a"], "item 0: str is not an event"),
        ([None], "item 0: NoneType is not an event"),
        (None, "must be an iterable of events"),
        (5, "must be an iterable of events"),
    ],
)
def test_replaying_what_is_not_events_is_refused_by_item(events: object, message: str) -> None:
    with pytest.raises(InvalidEvent, match=message):
        LedgerView.replay(events)  # type: ignore[arg-type]
