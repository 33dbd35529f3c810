"""The projections of DESIGN.md §4, rule by rule, through the public Ledger.

Current figures, retraction, composite topics, the topic view, propositions
with disputes, and time travel with as_of(position=) and as_of(stated=).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from ledger import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    CurrentFigure,
    Figure,
    FigureReported,
    Interval,
    InvalidEvent,
    Ledger,
    LedgerView,
    PropositionView,
    SourceDescribed,
    TopicDefined,
    UnknownTopic,
)
from ledger.projections.state import LedgerState

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
    assert lg.topic(TOPIC).figures == (CurrentFigure("ua", event.figure, "c1", False, ()),)


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
    state = LedgerState()
    state.apply(1, reported("c1", "ua", 10, 20))
    state.apply(2, disputed("c1", "ua"))
    assert state.topic(TOPIC).figures[0].disputed_by == ()


def test_the_fold_ignores_a_retraction_by_another_source() -> None:
    state = LedgerState()
    state.apply(1, reported("c1", "ua", 10, 20))
    state.apply(2, retracted("c1", "ru"))
    assert [f.claim_id for f in state.topic(TOPIC).figures] == ["c1"]


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


def test_a_derived_figure_sums_default_bests_of_parts_without_one() -> None:
    lg = composite(
        reported("k", "ua", 100, None, topic=KILLED),
        reported("w", "ua", 10, 20, topic=WOUNDED, best=11),
    )
    found = current(lg, "ua", TOTAL)
    assert found is not None
    # Killed's best defaults to its finite bound, 100.
    assert found.figure == Figure(110, None, best=111, unit="people")


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
