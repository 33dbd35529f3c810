"""The Ledger's write and read API (DESIGN.md §3 and §4) on memory://.

append and extend (atomic, validated, optimistic concurrency, idempotent by
event_id), records, head, and the Recorded each write returns.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ledger import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    ConcurrencyError,
    DuplicateEvent,
    Figure,
    FigureReported,
    InvalidEvent,
    Ledger,
    Recorded,
    SelfDispute,
    UnknownClaim,
)

WHEN = datetime(2024, 8, 6, tzinfo=UTC)
TOPIC = "kursk/casualties"


class Clock:
    """A store clock that ticks one second per reading."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 13, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def reported(claim_id: str, source: str = "ua", **kwargs: Any) -> FigureReported:
    kwargs.setdefault("event_id", f"e-{claim_id}")
    return FigureReported(
        claim_id=claim_id,
        topic=TOPIC,
        source=source,
        figure=Figure(10, 20, unit="people"),
        stated_at=kwargs.pop("stated_at", WHEN),
        **kwargs,
    )


def said(claim_id: str, source: str = "ua", **kwargs: Any) -> ClaimMade:
    kwargs.setdefault("event_id", f"e-{claim_id}")
    return ClaimMade(
        claim_id=claim_id, topic=TOPIC, source=source, statement="x", stated_at=WHEN, **kwargs
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lg(clock: Clock) -> Ledger:
    return Ledger.open("memory://", clock=clock)


def state(lg: Ledger) -> tuple[Any, ...]:
    return (lg.head, list(lg.records()), lg.topics(), lg.propositions())


# -- head, append, records -------------------------------------------------------


def test_an_empty_ledger_has_head_zero_and_no_records(lg: Ledger) -> None:
    assert lg.head == 0
    assert list(lg.records()) == []
    assert lg.topics() == []


def test_append_returns_the_record_at_the_next_position(lg: Ledger, clock: Clock) -> None:
    event = reported("c1")
    record = lg.append(event)
    assert isinstance(record, Recorded)
    assert (record.position, record.event_id, record.event) == (1, "e-c1", event)
    assert record.recorded_at == clock.now
    assert record.type == "FigureReported"
    assert lg.head == 1


def test_recorded_at_comes_from_the_store_clock_in_utc() -> None:
    kyiv = timezone(timedelta(hours=3))
    lg = Ledger.open("memory://", clock=lambda: datetime(2025, 1, 13, 12, tzinfo=kyiv))
    record = lg.append(reported("c1"))
    assert record.recorded_at == datetime(2025, 1, 13, 9, tzinfo=UTC)
    assert next(lg.records()).recorded_at.utcoffset() == timedelta(0)


def test_the_record_hash_is_sha256_of_a_zero_byte_and_the_canonical_record(
    lg: Ledger,
) -> None:
    record = lg.append(reported("c1", stated_at=date(2024, 1, 1)))
    # The canonical JSON of the record without its hash, written out by hand.
    leaf = {
        "data": {
            "as_of": "2024-01-01T00:00:00Z",
            "claim_id": "c1",
            "figure": {
                "best": None,
                "high": 20,
                "high_open": False,
                "low": 10,
                "low_open": False,
                "phrase": None,
                "rule": None,
                "unit": "people",
            },
            "quote": None,
            "source": "ua",
            "stated_at": "2024-01-01T00:00:00Z",
            "topic": TOPIC,
            "url": None,
            "via": [],
        },
        "event_id": "e-c1",
        "position": 1,
        "recorded_at": "2025-01-13T09:00:01Z",
        "schema": 1,
        "type": "FigureReported",
    }
    leaf_bytes = json.dumps(leaf, sort_keys=True, separators=(",", ":")).encode()
    assert record.hash == hashlib.sha256(b"\x00" + leaf_bytes).digest()
    assert next(lg.records()).hash == record.hash


def test_positions_are_one_based_gapless_and_increasing(lg: Ledger) -> None:
    lg.append(said("c1"))
    lg.extend([said("c2"), said("c3")])
    lg.append(said("c4"))
    assert [r.position for r in lg.records()] == [1, 2, 3, 4]
    assert lg.head == 4


def test_records_after_a_position_are_the_rest_of_the_log_in_order(lg: Ledger) -> None:
    lg.extend([said("c1"), said("c2"), said("c3")])
    assert [r.event_id for r in lg.records(after=1)] == ["e-c2", "e-c3"]
    assert list(lg.records(after=3)) == []
    assert [r.event.claim_id for r in lg.records()] == ["c1", "c2", "c3"]  # type: ignore[union-attr]


def test_records_give_back_the_events_as_appended(lg: Ledger) -> None:
    events = [
        said("c1", via=("media/tass",), quote="«цитата»", url="https://example.org"),
        reported("c2", "ru"),
        ClaimDisputed(target="c1", source="ru", reason="false", stated_at=WHEN, event_id="d1"),
        ClaimRetracted(target="c2", source="ru", stated_at=WHEN, event_id="r1"),
    ]
    lg.extend(events)
    assert [r.event for r in lg.records()] == events


# -- extend ------------------------------------------------------------------------


def test_extend_returns_one_record_per_event_in_order(lg: Ledger) -> None:
    records = lg.extend([said("c1"), said("c2")])
    assert [(r.position, r.event_id) for r in records] == [(1, "e-c1"), (2, "e-c2")]


def test_extend_of_nothing_writes_nothing(lg: Ledger) -> None:
    assert lg.extend([]) == []
    assert lg.head == 0


def test_extend_takes_any_iterable(lg: Ledger) -> None:
    lg.extend(said(f"c{i}") for i in range(3))
    assert lg.head == 3


def test_a_batch_with_one_invalid_event_writes_nothing(lg: Ledger) -> None:
    lg.append(said("c0"))
    before = state(lg)
    batch = [said("c1"), said("c2"), ClaimDisputed(target="c9", source="ru", stated_at=WHEN)]
    with pytest.raises(UnknownClaim):
        lg.extend(batch)
    assert state(lg) == before


def test_a_batch_repeating_an_event_id_is_refused_and_writes_nothing(lg: Ledger) -> None:
    with pytest.raises(InvalidEvent) as caught:
        lg.extend([said("c1"), said("c2", event_id="e-c1")])
    assert caught.value.field == "event_id"
    assert lg.head == 0


def test_a_batch_clashing_with_a_stored_event_id_writes_nothing(lg: Ledger) -> None:
    lg.append(said("c1"))
    before = state(lg)
    with pytest.raises(DuplicateEvent):
        lg.extend([said("c2"), said("c3", event_id="e-c1")])
    assert state(lg) == before


# -- optimistic concurrency -----------------------------------------------------------


def test_an_append_at_the_expected_position_lands(lg: Ledger) -> None:
    lg.append(said("c1"), expected_position=0)
    assert lg.extend([said("c2"), said("c3")], expected_position=1)[-1].position == 3


def test_an_append_expecting_a_stale_position_raises_concurrency_error(lg: Ledger) -> None:
    lg.append(said("c1"))
    before = state(lg)
    with pytest.raises(ConcurrencyError) as caught:
        lg.append(said("c2"), expected_position=0)
    assert (caught.value.expected, caught.value.actual) == (0, 1)
    assert state(lg) == before


def test_an_extend_expecting_a_future_position_raises_concurrency_error(lg: Ledger) -> None:
    with pytest.raises(ConcurrencyError):
        lg.extend([said("c1"), said("c2")], expected_position=5)
    assert lg.head == 0


def test_another_ledger_on_the_same_store_moves_the_head(lg: Ledger) -> None:
    other = Ledger(lg.store)
    other.append(said("c1"))
    with pytest.raises(ConcurrencyError):
        lg.append(said("c2"), expected_position=0)
    # Without an expectation the writer catches up, validates and lands.
    assert lg.append(said("c2")).position == 2
    assert [f.proposition for f in lg.propositions()] == ["c1", "c2"]


def test_validation_sees_what_another_writer_stored(lg: Ledger) -> None:
    other = Ledger(lg.store)
    other.append(said("c1", "ua"))
    with pytest.raises(SelfDispute):
        lg.append(ClaimDisputed(target="c1", source="ua", stated_at=WHEN))


# -- idempotency -----------------------------------------------------------------------


def test_re_appending_the_same_event_returns_the_stored_record_and_writes_nothing(
    lg: Ledger,
) -> None:
    first = lg.append(said("c1"))
    lg.append(said("c2"))
    again = lg.append(said("c1"))
    assert again == first
    assert lg.head == 2


def test_an_equal_event_written_with_another_offset_is_the_same_payload(lg: Ledger) -> None:
    first = lg.append(said("c1"))
    kyiv = timezone(timedelta(hours=3))
    same = ClaimMade(
        claim_id="c1",
        topic=TOPIC,
        source="ua",
        statement="x",
        stated_at=datetime(2024, 8, 6, 3, tzinfo=kyiv),
        event_id="e-c1",
    )
    assert lg.append(same) == first
    assert lg.head == 1


def test_re_appending_is_idempotent_even_when_the_event_would_now_be_refused(
    lg: Ledger,
) -> None:
    retraction = ClaimRetracted(target="c1", source="ua", stated_at=WHEN, event_id="r1")
    lg.extend([said("c1"), retraction])
    assert lg.append(retraction).position == 2
    assert lg.head == 2


def test_a_batch_of_stored_and_new_events_writes_only_the_new_ones(lg: Ledger) -> None:
    first = lg.append(said("c1"))
    records = lg.extend([said("c1"), said("c2")])
    assert records[0] == first
    assert records[1].position == 2
    assert lg.head == 2


def test_an_idempotent_re_append_ignores_a_stale_expected_position(lg: Ledger) -> None:
    first = lg.append(said("c1"))
    lg.append(said("c2"))
    assert lg.append(said("c1"), expected_position=0) == first


def test_the_same_event_id_with_another_payload_raises_duplicate_event(lg: Ledger) -> None:
    lg.append(said("c1"))
    before = state(lg)
    with pytest.raises(DuplicateEvent) as caught:
        lg.append(said("c1", quote="changed"))
    assert (caught.value.event_id, caught.value.position) == ("e-c1", 1)
    assert state(lg) == before


def test_the_same_event_id_on_another_event_type_raises_duplicate_event(lg: Ledger) -> None:
    lg.append(said("c1"))
    with pytest.raises(DuplicateEvent):
        lg.append(reported("c2", event_id="e-c1"))
    assert lg.head == 1


def test_an_int_and_an_equal_float_are_different_payloads(lg: Ledger) -> None:
    lg.append(reported("c1"))
    floats = FigureReported(
        claim_id="c1",
        topic=TOPIC,
        source="ua",
        figure=Figure(10.0, 20, unit="people"),
        stated_at=WHEN,
        event_id="e-c1",
    )
    with pytest.raises(DuplicateEvent):
        lg.append(floats)


# -- bad input that is not an event ------------------------------------------------------


@pytest.mark.parametrize("thing", ["not an event", Figure(1, 2, unit="people"), None])
def test_appending_something_that_is_not_an_event_raises_a_ledger_error(
    lg: Ledger, thing: Any
) -> None:
    with pytest.raises(InvalidEvent, match="is not an event"):
        lg.append(thing)
    assert lg.head == 0


@pytest.mark.parametrize("year", [1, 999])
def test_a_timestamp_before_the_year_1000_is_read_back_as_written(lg: Ledger, year: int) -> None:
    event = ClaimMade(
        claim_id="c1",
        topic=TOPIC,
        source="ua",
        statement="x",
        stated_at=datetime(year, 5, 1, tzinfo=UTC),
    )
    lg.append(event)
    assert [r.event for r in lg.records()] == [event]


def test_a_closed_ledger_and_its_projections_are_freed_without_the_cycle_collector(
    tmp_path: Path,
) -> None:
    # A large replay freezes what it built (gc.freeze), which is only safe
    # because the ledger and its fold hold no reference cycles.
    import gc
    import weakref

    lg = Ledger.open(str(tmp_path / "cycles.db"))
    lg.extend(
        [
            FigureReported(
                claim_id=f"c{n}",
                topic="t/a",
                source=f"s{n}",
                figure=Figure(n, n + 1, unit="people"),
                stated_at=WHEN,
            )
            for n in range(5)
        ]
    )
    lg.append(ClaimDisputed(target="c1", source="s2", stated_at=WHEN))
    assert lg.topics()
    assert lg.disputes()
    view, ledger_ref = weakref.ref(lg.topics()[0]), weakref.ref(lg)
    collecting = gc.isenabled()
    gc.disable()
    try:
        lg.close()
        del lg
        assert ledger_ref() is None
        assert view() is None
    finally:
        if collecting:
            gc.enable()


def test_reading_and_appending_leave_the_garbage_collector_as_they_found_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import gc

    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    with Ledger.open(str(tmp_path / "quiet.db")) as lg:
        lg.extend(
            ClaimMade(claim_id=f"c{n}", topic=TOPIC, source="ua", statement="x", stated_at=WHEN)
            for n in range(2_000)
        )
        assert len(lg.propositions()) == 2_000
        assert lg.as_of(position=1_000).propositions()
    with Ledger.open(str(tmp_path / "quiet.db")) as again:
        assert again.topics()
        assert again.disputes() == []  # reads of every topic: untuned without the opt-in
    # A query that finds the read model damaged rebuilds it: a long fold, still untuned.
    with sqlite3.connect(tmp_path / "quiet.db") as conn:
        conn.execute("UPDATE model_rows SET value = '{' WHERE tbl = 'proposition'")
    conn.close()
    with Ledger.open(str(tmp_path / "quiet.db")) as damaged:
        assert len(damaged.propositions()) == 2_000
        # verify's fold of the whole log and an asked-for rebuild: untuned too.
        assert damaged.verify().read_model_agrees is True
        assert damaged.rebuild() == 2_000
    assert "rebuilding the read model" in caplog.text
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before


def test_tune_gc_is_an_opt_in_that_freezes_what_a_long_fold_built(tmp_path: Path) -> None:
    import gc

    with Ledger.open("memory://", tune_gc=True) as lg:
        lg.extend(
            ClaimMade(claim_id=f"c{n}", topic=TOPIC, source="ua", statement="x", stated_at=WHEN)
            for n in range(100)
        )
        frozen = gc.get_freeze_count()
        try:
            assert len(lg.as_of(position=100).propositions()) == 100
            assert gc.get_freeze_count() > frozen
            assert gc.isenabled()
        finally:
            gc.unfreeze()


def test_tune_gc_tunes_a_bulk_append_and_never_a_single_one(tmp_path: Path) -> None:
    import gc

    from ledger.facade.ledger import TUNED_BATCH

    def claims(start: int, count: int) -> list[ClaimMade]:
        return [
            ClaimMade(claim_id=f"c{n}", topic=TOPIC, source="ua", statement="x", stated_at=WHEN)
            for n in range(start, start + count)
        ]

    with Ledger.open(str(tmp_path / "tuned.db"), tune_gc=True) as lg:
        lg.topics()  # the read model is current: what follows only appends
        frozen = gc.get_freeze_count()
        try:
            lg.append(claims(0, 1)[0])
            lg.extend(claims(1, TUNED_BATCH - 1))
            # Nothing frozen since (what was frozen may have been freed since).
            assert gc.get_freeze_count() <= frozen
            lg.extend(claims(TUNED_BATCH, TUNED_BATCH))
            assert gc.get_freeze_count() > frozen
            assert gc.isenabled()
            assert len(lg.propositions()) == 2 * TUNED_BATCH
        finally:
            gc.unfreeze()


def test_tune_gc_pauses_the_collector_over_a_read_of_every_topic_only(tmp_path: Path) -> None:
    """A read of every topic loads the read model's rows of all of them: a long load."""
    import gc

    path = str(tmp_path / "reads.db")
    with Ledger.open(path) as lg:
        lg.extend(
            ClaimMade(claim_id=f"c{n}", topic=TOPIC, source="ua", statement="x", stated_at=WHEN)
            for n in range(10)
        )
    with Ledger.open(path, tune_gc=True) as lg:
        lg.topic(TOPIC)  # the read model is current: what follows only reads
        frozen = gc.get_freeze_count()
        try:
            assert lg.topic(TOPIC).topic == TOPIC
            assert len(lg.propositions(TOPIC)) == 10
            assert lg.disputes(TOPIC) == []
            assert gc.get_freeze_count() <= frozen  # frozen objects may be freed, none added
            for whole in (lg.topics, lg.propositions, lg.disputes):
                gc.unfreeze()
                assert gc.get_freeze_count() == 0
                whole()
                assert gc.get_freeze_count() > 0, whole.__name__
                assert gc.isenabled()
        finally:
            gc.unfreeze()


def test_an_event_id_of_a_str_subclass_is_kept_as_plain_text(lg: Ledger) -> None:
    """A caller's own id type (a str subclass) is stored by value, on every store alike."""

    class EventId(str):
        def __str__(self) -> str:
            return "not the id"

    record = lg.append(said("c1", event_id=EventId("e-own")))
    assert type(record.event.event_id) is str
    assert [(type(r.event_id), r.event_id) for r in lg.records()] == [(str, "e-own")]
    assert lg.verify().ok
