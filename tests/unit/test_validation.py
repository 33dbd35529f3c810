"""Validation before append (DESIGN.md §4): each rule, its error, and nothing written."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from ledger import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    CompositeCycle,
    DuplicateClaim,
    Event,
    Figure,
    FigureReported,
    ForeignRetraction,
    Ledger,
    RecordTooLarge,
    RetractedClaim,
    SelfDispute,
    SourceDescribed,
    TopicDefined,
    UnitMismatch,
    UnknownClaim,
    ValidationError,
)

WHEN = datetime(2024, 8, 6, tzinfo=UTC)
TOPIC = "kursk/casualties"


def reported(
    claim_id: str, source: str = "ua", *, topic: str = TOPIC, unit: str = "people"
) -> FigureReported:
    return FigureReported(
        claim_id=claim_id,
        topic=topic,
        source=source,
        figure=Figure(10, 20, unit=unit),
        stated_at=WHEN,
    )


def said(claim_id: str, source: str = "ua") -> ClaimMade:
    return ClaimMade(
        claim_id=claim_id, topic=TOPIC, source=source, statement="It happened.", stated_at=WHEN
    )


def disputed(target: str, source: str) -> ClaimDisputed:
    return ClaimDisputed(target=target, source=source, stated_at=WHEN)


def retracted(target: str, source: str) -> ClaimRetracted:
    return ClaimRetracted(target=target, source=source, stated_at=WHEN)


def defined(topic: str, *parts: str, unit: str | None = None) -> TopicDefined:
    return TopicDefined(topic=topic, title=topic, unit=unit, parts=parts)


def snapshot(lg: Ledger) -> tuple[Any, ...]:
    return (
        lg.head,
        [r.event_id for r in lg.records()],
        lg.topics(),
        lg.propositions(),
        lg.disputes(),
    )


def refused(
    setup: Sequence[Event], bad: Event | Sequence[Event], error: type[ValidationError]
) -> ValidationError:
    """Append bad after setup; assert the error and that nothing changed."""
    lg = Ledger.open("memory://")
    lg.extend(setup)
    before = snapshot(lg)

    def write() -> object:
        return lg.extend(bad) if isinstance(bad, Sequence) else lg.append(bad)

    with pytest.raises(error) as caught:
        write()
    assert snapshot(lg) == before
    return caught.value


# -- duplicate claim_id ----------------------------------------------------------


def test_a_claim_id_used_by_a_claim_cannot_be_reused_by_a_figure() -> None:
    error = refused([said("c1")], reported("c1", "ru"), DuplicateClaim)
    assert error.claim_id == "c1"  # type: ignore[attr-defined]
    assert "'c1'" in str(error)


def test_a_claim_id_used_by_a_figure_cannot_be_reused_by_a_claim() -> None:
    error = refused([reported("c1")], said("c1"), DuplicateClaim)
    assert error.claim_id == "c1"  # type: ignore[attr-defined]


def test_a_claim_id_used_twice_in_one_batch_is_refused_and_none_of_it_written() -> None:
    error = refused([], [said("c0"), reported("c1"), said("c1", "ru")], DuplicateClaim)
    assert error.claim_id == "c1"  # type: ignore[attr-defined]


def test_a_retracted_claim_s_id_stays_used() -> None:
    refused([said("c1"), retracted("c1", "ua")], said("c1"), DuplicateClaim)


# -- disputes and retractions of unknown or retracted claims ----------------------


@pytest.mark.parametrize("make", [disputed, retracted])
def test_a_dispute_or_retraction_of_an_unknown_claim_is_refused(make: Any) -> None:
    error = refused([said("c1")], make("c9", "ua"), UnknownClaim)
    assert error.claim_id == "c9"  # type: ignore[attr-defined]
    assert str(error).startswith("target:")


@pytest.mark.parametrize("make", [disputed, retracted])
def test_a_dispute_or_retraction_of_a_retracted_claim_is_refused(make: Any) -> None:
    error = refused([reported("c1"), retracted("c1", "ua")], make("c1", "ua"), RetractedClaim)
    assert error.claim_id == "c1"  # type: ignore[attr-defined]
    assert str(error).startswith("target:")


def test_a_dispute_of_a_claim_retracted_earlier_in_the_batch_is_refused() -> None:
    refused([], [said("c1"), retracted("c1", "ua"), disputed("c1", "ru")], RetractedClaim)


def test_a_dispute_of_a_claim_made_earlier_in_the_batch_is_accepted() -> None:
    lg = Ledger.open("memory://")
    lg.extend([said("c1"), disputed("c1", "ru"), retracted("c1", "ua")])
    assert lg.head == 3


# -- who may dispute and retract ---------------------------------------------------


def test_a_source_disputing_its_own_claim_is_refused() -> None:
    error = refused([said("c1", "ua")], disputed("c1", "ua"), SelfDispute)
    assert error.claim_id == "c1"  # type: ignore[attr-defined]
    assert str(error).startswith("source:")


def test_a_source_disputing_its_own_figure_in_the_same_batch_is_refused() -> None:
    refused([], [reported("c1", "ua"), disputed("c1", "ua")], SelfDispute)


def test_a_retraction_by_another_source_is_refused() -> None:
    error = refused([reported("c1", "ua")], retracted("c1", "ru"), ForeignRetraction)
    assert error.claim_id == "c1"  # type: ignore[attr-defined]
    assert "'ru'" in str(error)
    assert "'ua'" in str(error)
    assert str(error).startswith("source:")


# -- units ---------------------------------------------------------------------------


def test_a_figure_in_another_unit_than_the_defined_one_is_refused() -> None:
    error = refused([defined(TOPIC, unit="people")], reported("c1", unit="soldiers"), UnitMismatch)
    assert error.topic == TOPIC  # type: ignore[attr-defined]
    assert str(error).startswith("unit:")


def test_a_figure_in_another_unit_than_the_first_figure_is_refused() -> None:
    error = refused([reported("c1", unit="people")], reported("c2", "ru", unit="km"), UnitMismatch)
    assert error.topic == TOPIC  # type: ignore[attr-defined]


def test_the_first_figure_s_unit_binds_even_after_it_is_retracted() -> None:
    refused(
        [reported("c1", unit="people"), retracted("c1", "ua")],
        reported("c2", unit="km"),
        UnitMismatch,
    )


def test_two_units_on_a_new_topic_in_one_batch_are_refused() -> None:
    refused([], [reported("c1", unit="people"), reported("c2", "ru", unit="km")], UnitMismatch)


def test_the_same_unit_on_another_topic_is_no_concern() -> None:
    lg = Ledger.open("memory://")
    lg.extend([reported("c1", unit="people"), reported("c2", topic="other", unit="km")])
    assert lg.head == 2


def test_a_definition_whose_unit_contradicts_the_topic_s_figures_is_refused() -> None:
    error = refused([reported("c1", unit="people")], defined(TOPIC, unit="km"), UnitMismatch)
    assert error.topic == TOPIC  # type: ignore[attr-defined]


def test_a_composite_whose_parts_differ_in_unit_is_refused() -> None:
    error = refused(
        [
            reported("c1", topic="k/killed", unit="people"),
            reported("c2", topic="k/cost", unit="usd"),
        ],
        defined("k/total", "k/killed", "k/cost"),
        UnitMismatch,
    )
    assert error.topic in {"k/killed", "k/cost"}  # type: ignore[attr-defined]


def test_a_composite_whose_unit_differs_from_its_parts_is_refused() -> None:
    refused(
        [reported("c1", topic="k/killed", unit="people")],
        defined("k/total", "k/killed", unit="usd"),
        UnitMismatch,
    )


def test_a_figure_on_a_part_in_another_unit_than_its_composite_is_refused() -> None:
    error = refused(
        [defined("k/total", "k/killed", "k/wounded", unit="people")],
        reported("c1", topic="k/killed", unit="usd"),
        UnitMismatch,
    )
    assert error.topic == "k/killed"  # type: ignore[attr-defined]


def test_a_figure_on_a_part_in_another_unit_than_a_sibling_part_is_refused() -> None:
    refused(
        [defined("k/total", "k/killed", "k/wounded"), reported("c1", topic="k/killed")],
        reported("c2", topic="k/wounded", unit="usd"),
        UnitMismatch,
    )


# -- composite cycles ------------------------------------------------------------------


def test_a_composite_whose_parts_lead_back_to_it_is_refused() -> None:
    error = refused([defined("a", "b")], defined("b", "a"), CompositeCycle)
    assert error.topic == "b"  # type: ignore[attr-defined]
    assert str(error).startswith("parts:")


def test_a_longer_cycle_through_several_composites_is_refused() -> None:
    error = refused(
        [defined("a", "b"), defined("b", "c", "x")], defined("c", "y", "a"), CompositeCycle
    )
    assert error.topic == "c"  # type: ignore[attr-defined]
    assert error.path == ("c", "a", "b", "c")  # type: ignore[attr-defined]


def test_a_cycle_formed_within_one_batch_is_refused() -> None:
    refused([], [defined("a", "b"), defined("b", "a")], CompositeCycle)


def test_a_shared_part_is_not_a_cycle() -> None:
    lg = Ledger.open("memory://")
    lg.extend([defined("a", "b", "c"), defined("d", "b", "c"), defined("e", "a", "d")])
    assert lg.head == 3


# -- every refusal is a ValidationError -----------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        DuplicateClaim,
        UnknownClaim,
        RetractedClaim,
        SelfDispute,
        ForeignRetraction,
        UnitMismatch,
        CompositeCycle,
    ],
)
def test_each_rule_raises_a_validation_error_subclass(error: type[Exception]) -> None:
    assert issubclass(error, ValidationError)
    assert error is not ValidationError


def test_an_error_in_a_batch_names_its_item_in_the_batch_given() -> None:
    lg = Ledger.open("memory://")
    first = reported("c1")
    lg.append(first)
    # The stored event comes back as stored; the item counted is still the caller's.
    batch = [first, reported("c2", "ru"), reported("c1", "us")]
    with pytest.raises(DuplicateClaim, match=r"^item 2: claim_id 'c1'") as caught:
        lg.extend(batch)
    assert (caught.value.item, caught.value.claim_id) == (2, "c1")
    with pytest.raises(DuplicateClaim) as alone:
        lg.append(reported("c1", "us"))
    assert str(alone.value).startswith("claim_id 'c1'")  # one event: no item to name
    assert lg.head == 1


def test_a_record_too_large_in_a_batch_names_its_item() -> None:
    lg = Ledger.open("memory://")
    big = SourceDescribed(source="s/x", name="x" * 2_000_000)
    with pytest.raises(RecordTooLarge, match=r"^item 1: record of") as caught:
        lg.extend([reported("c1"), big])
    assert caught.value.item == 1
    assert lg.head == 0


@pytest.mark.parametrize("backwards", [False, True], ids=["parts first", "composites first"])
def test_composites_nested_deeper_than_python_s_recursion_limit_are_checked_and_summed(
    backwards: bool,
) -> None:
    depth = 1_500  # beyond sys.getrecursionlimit()'s 1,000
    chain = [
        TopicDefined(topic=f"deep/{i}", title=f"Level {i}", unit="people", parts=(f"deep/{i + 1}",))
        for i in range(depth)
    ]
    chain.append(TopicDefined(topic=f"deep/{depth}", title="Bottom", unit="people"))
    if backwards:
        chain.reverse()
    lg = Ledger.open("memory://")
    lg.extend([*chain, reported("c1", topic=f"deep/{depth}")])
    with pytest.raises(CompositeCycle):
        lg.append(
            TopicDefined(topic=f"deep/{depth}", title="Bottom", unit="people", parts=("deep/0",))
        )
    top = lg.topic("deep/0")
    assert [f.source for f in top.figures] == ["ua"]
    assert top.figures[0].derived
    assert top.range == lg.topic(f"deep/{depth}").range
    assert len(lg.topics()) == depth + 1
