"""The store contract (DESIGN.md §3), run against every store through the Ledger."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import attrs
import pytest

from ledger import (
    ConcurrencyError,
    DuplicateEvent,
    Ledger,
    RecordTooLarge,
    UnknownClaim,
    ValidationError,
)
from ledger.facade import LedgerView
from ledger.merkle import root

from .builders import claim, describe, dispute, figure, retract, topic, unknown_dispute
from .conftest import NewStore, StoreUnderTest


def snapshot_of(lg: Ledger) -> tuple[object, ...]:
    """Everything a reader can see: rows byte for byte, records and every view."""
    return (
        lg.head,
        list(lg.rows()),
        list(lg.records()),
        lg.topics(),
        lg.propositions(),
        lg.disputes(),
        lg.store.tree().root(),
    )


def replayed(lg: Ledger) -> LedgerView:
    """A fresh fold of the ledger's records, as a reader that starts from scratch."""
    return LedgerView.replay(record.event for record in lg.records())


def test_an_empty_store_has_head_zero_and_no_records(store: StoreUnderTest) -> None:
    assert store.ledger.head == 0
    assert list(store.ledger.records()) == []
    assert store.ledger.store.tree().size == 0


def test_appends_get_gapless_positions_from_one(store: StoreUnderTest) -> None:
    lg = store.ledger
    recorded = [lg.append(topic()), lg.append(figure(1)), lg.append(claim(2))]
    assert [r.position for r in recorded] == [1, 2, 3]
    assert lg.head == 3
    assert [r.position for r in lg.records()] == [1, 2, 3]
    assert [r.event for r in lg.records()] == [r.event for r in recorded]


def test_scan_gives_the_rows_of_read_as_plain_tuples(store: StoreUnderTest) -> None:
    lg = store.ledger
    lg.extend([topic(), figure(1), claim(2), figure(3, source="src/b")])
    for after in (0, 1, 3, 4, 9):
        rows = [attrs.astuple(r) for r in lg.store.read(after)]
        assert list(lg.store.scan(after)) == rows
        assert [r[0] for r in rows] == list(range(after + 1, 5))


def test_extend_lands_a_batch_at_consecutive_positions(store: StoreUnderTest) -> None:
    lg = store.ledger
    lg.append(topic())
    batch = [figure(1), figure(2, source="src/b"), claim(3)]
    recorded = lg.extend(batch)
    assert [r.position for r in recorded] == [2, 3, 4]
    assert [r.event for r in recorded] == batch
    assert [r.event for r in lg.records(after=1)] == batch


def test_records_after_a_position_start_just_after_it(store: StoreUnderTest) -> None:
    lg = store.ledger
    lg.extend([topic(), figure(1), figure(2), figure(3)])
    assert [r.position for r in lg.records(after=2)] == [3, 4]
    assert list(lg.records(after=4)) == []
    assert list(lg.records(after=99)) == []


def test_recorded_at_comes_from_the_store_clock(new_store: NewStore) -> None:
    fixed = datetime(2025, 1, 13, 9, 0, tzinfo=UTC)
    store = new_store(clock=lambda: fixed)
    recorded = store.ledger.append(topic())
    assert recorded.recorded_at == fixed
    assert next(store.reopen().records()).recorded_at == fixed


def test_reappending_a_stored_event_returns_it_and_writes_nothing(store: StoreUnderTest) -> None:
    lg = store.ledger
    first = lg.append(figure(1))
    lg.append(figure(2))
    again = lg.append(first.event)
    assert again == first
    assert lg.head == 2
    assert lg.extend([first.event, figure(3)])[0] == first
    assert lg.head == 3
    assert store.reopen().append(first.event) == first
    assert store.ledger.head == 3


def test_the_same_event_id_with_another_payload_is_a_duplicate_event(
    store: StoreUnderTest,
) -> None:
    lg = store.ledger
    stored = lg.append(claim(1))
    other = attrs.evolve(claim(1, statement="something else"), event_id=stored.event_id)
    with pytest.raises(DuplicateEvent) as caught:
        lg.append(other)
    assert caught.value.event_id == stored.event_id
    assert caught.value.position == 1
    assert lg.head == 1


def test_a_stored_event_that_validation_would_accept_again_is_still_not_written_twice(
    store: StoreUnderTest,
) -> None:
    # A source description is valid any number of times: only the store's own
    # event_id check can tell that it is already there.
    lg = store.ledger
    first = lg.append(describe("ua"))
    assert lg.extend([first.event, describe("us")])[0] == first
    assert lg.head == 2
    other = attrs.evolve(describe("ua"), name="someone else", event_id=first.event_id)
    with pytest.raises(DuplicateEvent) as caught:
        lg.extend([describe("nk"), other])
    assert (caught.value.event_id, caught.value.position) == (first.event_id, 1)
    assert lg.head == 2
    reader = store.open_another()
    assert reader.head == 2
    reader.close()


def test_an_event_another_writer_stored_first_is_a_re_append(
    store: StoreUnderTest,
) -> None:
    lg = store.ledger
    lg.append(topic())
    other = store.open_another()
    event = figure(1)
    mine = lg.append(event)
    # The other writer has not folded it yet; it must find it, not refuse its claim_id.
    assert other.append(event) == mine
    assert other.head == lg.head == 2
    other.close()


def test_a_stale_expected_position_raises_concurrency_error(store: StoreUnderTest) -> None:
    lg = store.ledger
    lg.extend([topic(), figure(1)])
    for stale in (0, 1, 3):
        with pytest.raises(ConcurrencyError) as caught:
            lg.append(figure(9), expected_position=stale)
        assert (caught.value.expected, caught.value.actual) == (stale, 2)
    assert lg.head == 2
    assert lg.append(figure(9), expected_position=2).position == 3


def test_the_store_refuses_a_write_at_a_head_that_moved(store: StoreUnderTest) -> None:
    lg = store.ledger
    rows = [lg.codec.encode(1, topic(), datetime(2025, 1, 1, tzinfo=UTC))]
    lg.store.write(rows, 0)
    late = [lg.codec.encode(1, figure(1), datetime(2025, 1, 1, tzinfo=UTC))]
    with pytest.raises(ConcurrencyError) as caught:
        lg.store.write(late, 0)
    assert (caught.value.expected, caught.value.actual) == (0, 1)
    assert [r.event_id for r in lg.store.read()] == [rows[0].event_id]


def test_a_writer_behind_another_catches_up_before_it_appends(store: StoreUnderTest) -> None:
    first = store.ledger
    second = store.open_another()
    try:
        first.append(topic())
        assert second.append(figure(1)).position == 2
        assert first.append(figure(2)).position == 3
        with pytest.raises(ConcurrencyError):
            second.append(figure(3), expected_position=2)
        assert [r.position for r in second.records()] == [1, 2, 3]
        assert first.topic("kursk/casualties") == second.topic("kursk/casualties")
    finally:
        if store.kind != "memory":
            second.close()


def test_a_batch_with_one_invalid_event_writes_nothing(store: StoreUnderTest) -> None:
    lg = store.ledger
    lg.append(topic())
    before = snapshot_of(lg)
    with pytest.raises(UnknownClaim):
        lg.extend([figure(1), figure(2, source="src/b"), unknown_dispute(3)])
    assert snapshot_of(lg) == before
    assert snapshot_of(store.reopen()) == before


def test_a_batch_whose_events_break_each_other_writes_nothing(store: StoreUnderTest) -> None:
    lg = store.ledger
    with pytest.raises(ValidationError):
        lg.extend([figure(1), figure(1, source="src/b")])  # the same claim_id twice
    assert lg.head == 0
    assert list(store.reopen().records()) == []


def test_a_record_over_the_size_limit_is_refused_and_nothing_is_written(
    store: StoreUnderTest,
) -> None:
    lg = store.ledger
    lg.append(topic())
    with pytest.raises(RecordTooLarge) as caught:
        lg.extend([figure(1), claim(2, statement="x" * (2 * 1024 * 1024))])
    assert caught.value.size > caught.value.limit
    assert lg.head == 1
    assert store.reopen().head == 1


def test_reopening_yields_identical_rows_records_and_views(store: StoreUnderTest) -> None:
    lg = store.ledger
    lg.extend([topic(), describe("src/a"), describe("src/b", "C")])
    lg.extend([figure(1), figure(2, "src/b", 150, 400), claim(3, "src/c")])
    lg.append(dispute(4, "c1", "src/b"))
    lg.append(retract(5, "c3", "src/c"))
    lg.append(figure(6, "src/c", 120, 180))
    before = snapshot_of(lg)
    assert snapshot_of(store.reopen()) == before
    assert snapshot_of(store.reopen()) == before
    assert replayed(store.ledger).topics() == store.ledger.topics()
    assert replayed(store.ledger).propositions() == store.ledger.propositions()


def test_every_hash_is_sha256_of_zero_and_the_leaf_bytes(store: StoreUnderTest) -> None:
    lg = store.ledger
    lg.extend([topic(), figure(1), claim(2)])
    for row, record in zip(lg.rows(), lg.records(), strict=True):
        digest = hashlib.sha256(b"\x00" + row.leaf_bytes()).digest()
        assert digest == record.hash == bytes.fromhex(row.hash)


def test_the_tree_is_the_merkle_tree_of_the_stored_hashes(store: StoreUnderTest) -> None:
    lg = store.ledger
    for n in range(1, 12):
        lg.append(figure(n))
        edge = lg.store.tree()
        assert edge.size == n
        assert edge.root() == root([r.hash for r in lg.records()])
    lg.extend([figure(20), figure(21), figure(22)])
    expected = root([r.hash for r in lg.records()])
    assert lg.store.tree().root() == expected
    assert store.reopen().store.tree().root() == expected
    assert store.ledger.store.tree().size == 14


def test_find_returns_stored_rows_by_event_id(store: StoreUnderTest) -> None:
    lg = store.ledger
    recorded = lg.extend([topic(), figure(1), claim(2)])
    rows = list(lg.rows())
    wanted = [recorded[2].event_id, "no-such-event", recorded[0].event_id]
    found = lg.store.find(wanted)
    assert found == {rows[2].event_id: rows[2], rows[0].event_id: rows[0]}
    assert lg.store.find([]) == {}


def test_rows_read_by_position_are_the_rows_read_in_order(store: StoreUnderTest) -> None:
    lg = store.ledger
    lg.extend([topic(name=f"t/{n}") for n in range(6)])
    rows = list(lg.rows())
    assert list(lg.store.read_positions([2, 3, 6])) == [rows[1], rows[2], rows[5]]
    assert list(lg.store.read_positions([])) == []
    assert list(store.reopen().store.read_positions([1])) == [rows[0]]
