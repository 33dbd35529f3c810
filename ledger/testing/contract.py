"""The store contract (DESIGN §3) as a pytest class a store's tests subclass.

A new store passes the same suite the project's own stores pass::

    import pytest
    from ledger.testing.contract import StoreContract

    class TestMyStore(StoreContract):
        def open_store(self, name, clock, *, read_only=False):
            # Open (creating it if needed) the store called name; opening the
            # same name again must open the same storage (a reopen, or another
            # process's view of it), read-only when asked.
            return MyStore(self.place / f"{name}.mine", clock=clock, read_only=read_only)

``self.place`` is a fresh directory per test (pytest's ``tmp_path``). The
suite drives the store through the ``Ledger`` as users do, and directly
through the ``Store`` interface: gapless positions, atomic batches, the
expected-head check, idempotent re-appends, byte-exact rows and hashes, the
Merkle edge, and a hypothesis state machine against a list model, with
other writers and reopenings. Override ``damage_read_model`` to let the
machine damage your store's read model too (the views must not change).

Needs the ``testing`` extra (pytest and hypothesis).
"""

from __future__ import annotations

import abc
import hashlib
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from ledger.codec import StoredRow
from ledger.domain.events import ClaimMade, ClaimRetracted, Event, FigureReported
from ledger.errors import (
    ConcurrencyError,
    DuplicateEvent,
    RecordTooLarge,
    StoreError,
    StoreUnavailable,
    UnknownClaim,
    ValidationError,
)
from ledger.facade import Ledger, LedgerView, keeper
from ledger.merkle import root
from ledger.stores.base import Clock, Store
from ledger.testing.builders import (
    claim,
    describe,
    dispute,
    figure,
    retract,
    topic,
    unknown_dispute,
)

__all__ = ["DAMAGE", "Opened", "StoreContract"]

#: The damage the state machine asks ``damage_read_model`` to do.
DAMAGE = (
    "drop the checkpoint",
    "another version",
    "behind the log",
    "unreadable rows",
    "remove the file",
    "garbage file",
)


class Opened:
    """One named store of a contract test, through a Ledger that can be closed and reopened."""

    def __init__(self, contract: StoreContract, name: str, clock: Clock | None = None) -> None:
        self.contract = contract
        self.name = name
        self.clock = clock
        self.ledger = Ledger(contract.open_store(name, clock))
        self._others: list[Ledger] = []
        self._reader: Ledger | None = None

    def open_another(self) -> Ledger:
        """A second, independent Ledger on the same storage (another writer or reader)."""
        other = Ledger(self.contract.open_store(self.name, self.clock))
        self._others.append(other)
        return other

    def reopen(self) -> Ledger:
        """Close the ledger and open the same storage again, as a new process would."""
        self.ledger.close()
        self.ledger = Ledger(self.contract.open_store(self.name, self.clock))
        return self.ledger

    def reader(self) -> Ledger:
        """A read-only Ledger on the same storage, opened once and kept (a reading process)."""
        if self._reader is None:
            self._reader = Ledger(self.contract.open_store(self.name, self.clock, read_only=True))
            self._others.append(self._reader)
        return self._reader

    def abandon(self) -> Ledger:
        """Drop the ledger without ``close()``, as a process that dies would, and open it again."""
        self.ledger.store.close()
        self.ledger = Ledger(self.contract.open_store(self.name, self.clock))
        return self.ledger

    def close(self) -> None:
        """Release the ledger and every other one opened on the storage."""
        for other in self._others:
            other.close()
        self.ledger.close()


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


class StoreContract(abc.ABC):
    """The store contract as pytest tests; subclass it (``Test…``) and define ``open_store``."""

    #: A fresh directory for each test, for stores that keep files.
    place: Path

    @abc.abstractmethod
    def open_store(self, name: str, clock: Clock | None, *, read_only: bool = False) -> Store:
        """Open (creating if needed) the store called name; the same name, the same storage.

        With ``read_only``, a store on the same storage that only reads (and
        refuses appends with ``StoreUnavailable``).
        """

    def damage_read_model(self, name: str, how: str) -> None:  # noqa: B027 - optional hook
        """Damage the read model of the store called name as DAMAGE's ``how`` says; optional."""

    @pytest.fixture(autouse=True)
    def _contract_place(self, tmp_path: Path) -> Iterator[None]:
        self.place = tmp_path
        self._opened: list[Opened] = []
        yield
        for opened in self._opened:
            opened.close()

    def opened(self, clock: Clock | None = None) -> Opened:
        """A fresh, empty store of this kind, closed after the test."""
        made = Opened(self, f"t{uuid.uuid4().hex[:16]}", clock)
        self._opened.append(made)
        return made

    # -- positions and batches --------------------------------------------

    def test_an_empty_store_has_head_zero_and_no_records(self) -> None:
        lg = self.opened().ledger
        assert lg.head == 0
        assert list(lg.records()) == []
        assert lg.store.tree().size == 0

    def test_appends_get_gapless_positions_from_one(self) -> None:
        lg = self.opened().ledger
        recorded = [lg.append(topic()), lg.append(figure(1)), lg.append(claim(2))]
        assert [r.position for r in recorded] == [1, 2, 3]
        assert lg.head == 3
        assert [r.position for r in lg.records()] == [1, 2, 3]
        assert [r.event for r in lg.records()] == [r.event for r in recorded]

    def test_scan_gives_the_rows_of_read_as_plain_tuples(self) -> None:
        lg = self.opened().ledger
        lg.extend([topic(), figure(1), claim(2), figure(3, source="src/b")])
        for after in (0, 1, 3, 4, 9):
            rows = [attrs.astuple(r) for r in lg.store.read(after)]
            assert list(lg.store.scan(after)) == rows
            assert [r[0] for r in rows] == list(range(after + 1, 5))

    def test_extend_lands_a_batch_at_consecutive_positions(self) -> None:
        lg = self.opened().ledger
        lg.append(topic())
        batch: list[Event] = [figure(1), figure(2, source="src/b"), claim(3)]
        recorded = lg.extend(batch)
        assert [r.position for r in recorded] == [2, 3, 4]
        assert [r.event for r in recorded] == batch
        assert [r.event for r in lg.records(after=1)] == batch

    def test_records_after_a_position_start_just_after_it(self) -> None:
        lg = self.opened().ledger
        lg.extend([topic(), figure(1), figure(2), figure(3)])
        assert [r.position for r in lg.records(after=2)] == [3, 4]
        assert list(lg.records(after=4)) == []
        assert list(lg.records(after=99)) == []

    def test_recorded_at_comes_from_the_store_clock(self) -> None:
        fixed = datetime(2025, 1, 13, 9, 0, tzinfo=UTC)
        store = self.opened(clock=lambda: fixed)
        recorded = store.ledger.append(topic())
        assert recorded.recorded_at == fixed
        assert next(store.reopen().records()).recorded_at == fixed

    # -- idempotency and concurrency ------------------------------------------

    def test_reappending_a_stored_event_returns_it_and_writes_nothing(self) -> None:
        store = self.opened()
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

    def test_the_same_event_id_with_another_payload_is_a_duplicate_event(self) -> None:
        lg = self.opened().ledger
        stored = lg.append(claim(1))
        other = attrs.evolve(claim(1, statement="something else"), event_id=stored.event_id)
        with pytest.raises(DuplicateEvent) as caught:
            lg.append(other)
        assert caught.value.event_id == stored.event_id
        assert caught.value.position == 1
        assert lg.head == 1

    def test_a_stored_event_that_validation_would_accept_again_is_still_not_written_twice(
        self,
    ) -> None:
        # A source description is valid any number of times: only the store's own
        # event_id check can tell that it is already there.
        store = self.opened()
        lg = store.ledger
        first = lg.append(describe("ua"))
        assert lg.extend([first.event, describe("us")])[0] == first
        assert lg.head == 2
        other = attrs.evolve(describe("ua"), name="someone else", event_id=first.event_id)
        with pytest.raises(DuplicateEvent) as caught:
            lg.extend([describe("nk"), other])
        assert (caught.value.event_id, caught.value.position) == (first.event_id, 1)
        assert lg.head == 2
        assert store.open_another().head == 2

    def test_an_event_another_writer_stored_first_is_a_re_append(self) -> None:
        store = self.opened()
        lg = store.ledger
        lg.append(topic())
        other = store.open_another()
        event = figure(1)
        mine = lg.append(event)
        # The other writer has not folded it yet; it must find it, not refuse its claim_id.
        assert other.append(event) == mine
        assert other.head == lg.head == 2

    def test_a_stale_expected_position_raises_concurrency_error(self) -> None:
        lg = self.opened().ledger
        lg.extend([topic(), figure(1)])
        for stale in (0, 1, 3):
            with pytest.raises(ConcurrencyError) as caught:
                lg.append(figure(9), expected_position=stale)
            assert (caught.value.expected, caught.value.actual) == (stale, 2)
        assert lg.head == 2
        assert lg.append(figure(9), expected_position=2).position == 3

    def test_the_store_refuses_a_write_at_a_head_that_moved(self) -> None:
        lg = self.opened().ledger
        rows = [lg.codec.encode(1, topic(), datetime(2025, 1, 1, tzinfo=UTC))]
        lg.store.write(rows, 0)
        late = [lg.codec.encode(1, figure(1), datetime(2025, 1, 1, tzinfo=UTC))]
        with pytest.raises(ConcurrencyError) as caught:
            lg.store.write(late, 0)
        assert (caught.value.expected, caught.value.actual) == (0, 1)
        assert [r.event_id for r in lg.store.read()] == [rows[0].event_id]

    def test_write_folding_folds_once_and_stores_the_rows(self) -> None:
        lg = self.opened().ledger
        when = datetime(2025, 1, 1, tzinfo=UTC)
        for waits in (False, True):
            head = lg.store.head()
            rows = [lg.codec.encode(head + 1, figure(head + 1), when)]
            calls: list[int] = []

            def fold(calls: list[int] = calls) -> None:
                calls.append(1)

            assert lg.store.write_folding(rows, head, fold, waits=waits) == (True, None)
            assert calls == [1]
            assert [r.event_id for r in lg.store.read(head)] == [rows[0].event_id]
            assert lg.store.tree().size == head + 1

    def test_write_folding_at_a_head_that_moved_writes_nothing(self) -> None:
        lg = self.opened().ledger
        lg.append(topic())
        late = [lg.codec.encode(1, figure(1), datetime(2025, 1, 1, tzinfo=UTC))]
        for waits in (False, True):
            calls: list[int] = []

            def fold(calls: list[int] = calls) -> None:
                calls.append(1)

            with pytest.raises(ConcurrencyError):
                lg.store.write_folding(late, 0, fold, waits=waits)
            assert len(calls) <= 1
            assert lg.store.head() == 1
            assert lg.store.tree().size == 1

    def test_a_fold_that_reads_the_store_then_fails_leaves_nothing_written(self) -> None:
        # A store that folds inside its write transaction must let the fold
        # read without committing the rows on its way (PostgreSQL did once).
        lg = self.opened().ledger
        lg.append(topic())
        rows = [lg.codec.encode(2, figure(1), datetime(2025, 1, 1, tzinfo=UTC))]
        seen: list[int] = []

        def fold() -> None:
            seen.append(lg.store.head())
            raise RuntimeError("the fold failed")

        with pytest.raises(RuntimeError, match="the fold failed"):
            lg.store.write_folding(rows, 1, fold)
        assert len(seen) == 1
        assert lg.store.head() == 1
        assert lg.store.tree().size == 1
        assert lg.store.write(rows, 1)
        assert lg.store.head() == 2

    def test_a_repeated_event_id_is_a_duplicate_event_whatever_the_fold_reads(self) -> None:
        # Folding inside the write, a store may meet the INSERT's own error
        # first in a read the fold makes: it is still the write's error.
        lg = self.opened().ledger
        lg.append(topic())
        first = figure(1)
        lg.append(first)
        model = lg.store.model(keeper.MODEL_NAME)
        for waits in (False, True):

            def fold() -> None:
                if model is not None:
                    model.load("figure", ["some/topic"])
                lg.store.head()

            with pytest.raises(DuplicateEvent):
                lg.store.write_folding(
                    [lg.codec.encode(3, first, datetime(2025, 1, 1, tzinfo=UTC))],
                    2,
                    fold,
                    waits=waits,
                )
            assert lg.store.head() == 2

    def test_a_fold_may_read_one_state_of_the_store(self) -> None:
        lg = self.opened().ledger
        lg.append(topic())
        rows = [lg.codec.encode(2, figure(1), datetime(2025, 1, 1, tzinfo=UTC))]
        seen: list[int] = []

        def fold() -> None:
            with lg.store.reading():
                seen.append(lg.store.tree().size)

        assert lg.store.write_folding(rows, 1, fold) == (True, None)
        assert len(seen) == 1
        assert lg.store.head() == 2
        assert lg.store.tree().size == 2

    def test_a_writer_behind_another_catches_up_before_it_appends(self) -> None:
        store = self.opened()
        first = store.ledger
        second = store.open_another()
        first.append(topic())
        assert second.append(figure(1)).position == 2
        assert first.append(figure(2)).position == 3
        with pytest.raises(ConcurrencyError):
            second.append(figure(3), expected_position=2)
        assert [r.position for r in second.records()] == [1, 2, 3]
        assert first.topic("kursk/casualties") == second.topic("kursk/casualties")

    # -- all or nothing ---------------------------------------------------------

    def test_a_batch_with_one_invalid_event_writes_nothing(self) -> None:
        store = self.opened()
        lg = store.ledger
        lg.append(topic())
        before = snapshot_of(lg)
        with pytest.raises(UnknownClaim):
            lg.extend([figure(1), figure(2, source="src/b"), unknown_dispute(3)])
        assert snapshot_of(lg) == before
        assert snapshot_of(store.reopen()) == before

    def test_a_batch_whose_events_break_each_other_writes_nothing(self) -> None:
        store = self.opened()
        with pytest.raises(ValidationError):
            store.ledger.extend([figure(1), figure(1, source="src/b")])  # one claim_id twice
        assert store.ledger.head == 0
        assert list(store.reopen().records()) == []

    def test_a_record_over_the_size_limit_is_refused_and_nothing_is_written(self) -> None:
        store = self.opened()
        lg = store.ledger
        lg.append(topic())
        with pytest.raises(RecordTooLarge) as caught:
            lg.extend([figure(1), claim(2, statement="x" * (2 * 1024 * 1024))])
        assert caught.value.size > caught.value.limit
        assert lg.head == 1
        assert store.reopen().head == 1

    # -- what is stored -----------------------------------------------------------

    def test_reopening_yields_identical_rows_records_and_views(self) -> None:
        store = self.opened()
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

    def test_every_hash_is_sha256_of_zero_and_the_leaf_bytes(self) -> None:
        lg = self.opened().ledger
        lg.extend([topic(), figure(1), claim(2)])
        for row, record in zip(lg.rows(), lg.records(), strict=True):
            digest = hashlib.sha256(b"\x00" + row.leaf_bytes()).digest()
            assert digest == record.hash == bytes.fromhex(row.hash)

    def test_the_tree_is_the_merkle_tree_of_the_stored_hashes(self) -> None:
        store = self.opened()
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

    def test_find_returns_stored_rows_by_event_id(self) -> None:
        lg = self.opened().ledger
        recorded = lg.extend([topic(), figure(1), claim(2)])
        rows = list(lg.rows())
        wanted = [recorded[2].event_id, "no-such-event", recorded[0].event_id]
        found = lg.store.find(wanted)
        assert found == {rows[2].event_id: rows[2], rows[0].event_id: rows[0]}
        assert lg.store.find([]) == {}

    def test_rows_read_by_position_are_the_rows_read_in_order(self) -> None:
        store = self.opened()
        lg = store.ledger
        lg.extend([topic(name=f"t/{n}") for n in range(6)])
        rows = list(lg.rows())
        assert list(lg.store.read_positions([2, 3, 6])) == [rows[1], rows[2], rows[5]]
        assert list(lg.store.read_positions([])) == []
        assert list(store.reopen().store.read_positions([1])) == [rows[0]]

    # -- read-only stores, consistent reads, admission --------------------------

    def test_a_read_only_store_reads_the_log_and_refuses_appends(self) -> None:
        store = self.opened()
        lg = store.ledger
        lg.extend([topic(), figure(1), claim(2)])
        rows, edge = list(lg.rows()), lg.store.tree()
        reader = self.open_store(store.name, None, read_only=True)
        try:
            assert reader.read_only
            assert (reader.head(), list(reader.read()), reader.tree().root()) == (
                3,
                rows,
                edge.root(),
            )
            assert reader.find([rows[1].event_id]) == {rows[1].event_id: rows[1]}
            assert reader.unrepaired() is None
            more = lg.codec.encode(4, describe(), lg.store.clock())
            with pytest.raises(StoreUnavailable, match="read-only"):
                reader.write([more], 3)
            # What the writable ledger appends later, the read-only store sees.
            lg.append(describe())
            assert reader.head() == 4
        finally:
            reader.close()
        assert list(lg.rows())[:3] == rows
        assert lg.head == 4

    def test_reading_holds_one_state_while_another_writer_appends(self) -> None:
        store = self.opened()
        lg = store.ledger
        lg.extend([topic(), figure(1)])
        other = store.open_another()
        appended = threading.Event()

        def append() -> None:
            other.append(figure(2, source="src/b"))
            appended.set()

        writer = threading.Thread(target=append)
        reader = self.open_store(store.name, None, read_only=True)
        try:
            with reader.reading():
                head, edge = reader.head(), reader.tree()
                writer.start()
                appended.wait(0.5)  # a store whose readers block writers never sets it here
                time.sleep(0.1)
                rows = list(reader.read())
                assert (reader.head(), reader.tree().root()) == (head, edge.root())
                assert len(rows) == head == 2
                assert root([bytes.fromhex(r.hash) for r in rows]) == edge.root()
            writer.join(30)
            assert appended.is_set()
            assert reader.head() == 3
        finally:
            reader.close()

    def test_a_reader_never_sees_part_of_a_batch_being_written(self) -> None:
        store = self.opened()
        lg = store.ledger
        lg.extend([topic()])
        rows = lg.codec.encode_many(
            1, [figure(n, source=f"src/{n % 5}") for n in range(1, 301)], lg.store.clock()
        )
        reader = self.open_store(store.name, None, read_only=True)
        seen: set[tuple[int, int, int]] = set()
        done = threading.Event()

        def read() -> None:
            while not done.is_set():
                with reader.reading():
                    seen.add((reader.head(), sum(1 for _ in reader.read()), reader.tree().size))

        thread = threading.Thread(target=read)
        thread.start()
        try:
            time.sleep(0.05)
            lg.store.write(rows, 1)  # straight through the store: no Ledger waits first
            time.sleep(0.05)
        finally:
            done.set()
            thread.join(30)
            reader.close()
        # Before the batch or after it, whole: head, rows and edge of one state.
        assert seen <= {(1, 1, 1), (301, 301, 301)}, sorted(seen)[:5]
        assert lg.store.head() == 301

    def test_rows_that_do_not_follow_the_head_or_repeat_an_event_id_are_refused_whole(
        self,
    ) -> None:
        lg = self.opened().ledger
        lg.append(topic())
        clock = lg.store.clock
        second, third = (lg.codec.encode(p, e, clock()) for p, e in ((2, figure(1)), (3, claim(2))))
        bad_batches: list[tuple[list[StoredRow], type[Exception]]] = [
            ([second, attrs.evolve(third, position=4)], StoreError),  # a gap
            ([attrs.evolve(second, position=1)], StoreError),  # the head's own position
            ([second, attrs.evolve(third, event_id=second.event_id)], DuplicateEvent),
            ([second, attrs.evolve(third, hash=third.hash.upper())], StoreError),
            ([attrs.evolve(second, hash="ab")], StoreError),
        ]
        for rows, error in bad_batches:
            with pytest.raises(error):
                lg.store.write(rows, 1)
            assert lg.store.head() == 1
        assert lg.store.tree().size == 1
        assert lg.store.write([second, third], 1)
        assert lg.store.head() == 3

    # -- against a list model ---------------------------------------------------

    #: Examples of the state machine: a quarter of the active hypothesis profile's.
    machine_examples: int | None = None

    def test_the_store_behaves_like_a_list_under_any_sequence_of_operations(self) -> None:
        profile = settings.default
        base = profile.max_examples if profile is not None else 60
        examples = self.machine_examples or max(15, base // 4)
        run_state_machine_as_test(
            lambda: _Machine(self),  # type: ignore[arg-type]  # hypothesis takes any factory
            settings=settings(
                max_examples=examples,
                stateful_step_count=20,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            ),
        )


SOURCES = ("src/a", "src/b", "src/c")


class _Machine(RuleBasedStateMachine):
    """One store against a list model: appends, bad writes, other writers, damage, reopening."""

    def __init__(self, contract: StoreContract) -> None:
        super().__init__()
        self.contract = contract
        self.store = Opened(contract, f"m{uuid.uuid4().hex[:16]}")
        self.model: list[Event] = []
        self.count = 0  # numbers every event built, stored or not

        self.bounds = (keeper.WRITE_SMALL, keeper.WRITE_EVERY, keeper.KEEP_PARTITIONS)

    @initialize(
        small=st.integers(1, 8), every=st.integers(1, 12), keep=st.sampled_from([4, 20, 10**6])
    )
    def how_long_changes_wait(self, small: int, every: int, keep: int) -> None:
        # The writer's read-model changes wait in its memory from not at all
        # to a dozen records, so that every rule meets them waiting; it keeps
        # few or many partitions loaded, so that forgetting them is met too.
        keeper.WRITE_SMALL, keeper.WRITE_EVERY, keeper.KEEP_PARTITIONS = small, every, keep

    def _number(self) -> int:
        self.count += 1
        return self.count

    def _live_claims(self) -> dict[str, str]:
        owners: dict[str, str] = {}
        for event in self.model:
            if isinstance(event, ClaimMade | FigureReported):
                owners[event.claim_id] = event.source
            elif isinstance(event, ClaimRetracted):
                owners.pop(event.target, None)
        return owners

    def _valid(self, data: st.DataObject) -> Event:
        n = self._number()
        source = data.draw(st.sampled_from(SOURCES))
        owners = self._live_claims()
        kinds = ["figure", "figure", "claim"]
        others = sorted(c for c, owner in owners.items() if owner != source)
        own = sorted(c for c, owner in owners.items() if owner == source)
        if others:
            kinds.append("dispute")
        if own:
            kinds.append("retract")
        kind = data.draw(st.sampled_from(kinds))
        if kind == "figure":
            low = data.draw(st.integers(0, 50))
            return figure(n, source, low, low + data.draw(st.integers(0, 50)))
        if kind == "claim":
            return claim(n, source)
        if kind == "dispute":
            return dispute(n, data.draw(st.sampled_from(others)), source)
        return retract(n, data.draw(st.sampled_from(own)), source)

    def _invalid(self, data: st.DataObject) -> Event:
        n = self._number()
        owners = self._live_claims()
        kinds = ["unknown"]
        if owners:
            kinds += ["duplicate-claim", "self-dispute"]
        kind = data.draw(st.sampled_from(kinds))
        if kind == "unknown":
            return unknown_dispute(n)
        target = data.draw(st.sampled_from(sorted(owners)))
        if kind == "self-dispute":
            return dispute(n, target, owners[target])
        return attrs.evolve(figure(n, "src/z"), claim_id=target)

    @rule(data=st.data())
    def append_valid(self, data: st.DataObject) -> None:
        event = self._valid(data)
        recorded = self.store.ledger.append(event)
        self.model.append(event)
        assert recorded.position == len(self.model)

    @rule(data=st.data(), size=st.integers(1, 5))
    def extend_valid(self, data: st.DataObject, size: int) -> None:
        batch: list[Event] = []
        for _ in range(size):
            event = self._valid(data)
            batch.append(event)
            self.model.append(event)  # later events of the batch may refer to it
        recorded = self.store.ledger.extend(batch)
        assert [r.position for r in recorded] == list(
            range(len(self.model) - size + 1, len(self.model) + 1)
        )

    @rule(data=st.data())
    def append_invalid(self, data: st.DataObject) -> None:
        with pytest.raises(ValidationError):
            self.store.ledger.append(self._invalid(data))

    @rule(data=st.data())
    def reappend_stored(self, data: st.DataObject) -> None:
        if not self.model:
            return
        index = data.draw(st.integers(0, len(self.model) - 1))
        recorded = self.store.ledger.append(self.model[index])
        assert recorded.position == index + 1
        assert recorded.event == self.model[index]

    @rule(data=st.data())
    def append_with_stale_position(self, data: st.DataObject) -> None:
        head = len(self.model)
        stale = data.draw(
            st.sampled_from([p for p in (head - 1, head + 1, 0) if p != head and p >= 0])
        )
        with pytest.raises(ConcurrencyError) as caught:
            self.store.ledger.append(self._valid(data), expected_position=stale)
        assert (caught.value.expected, caught.value.actual) == (stale, head)

    @rule(data=st.data(), good=st.integers(0, 3), at=st.integers(0, 3))
    def extend_with_one_bad_event(self, data: st.DataObject, good: int, at: int) -> None:
        batch: list[Event] = [figure(self._number(), "src/a") for _ in range(good)]
        batch.insert(min(at, good), self._invalid(data))
        with pytest.raises(ValidationError):
            self.store.ledger.extend(batch)

    @rule(data=st.data())
    def another_writer_appends(self, data: st.DataObject) -> None:
        # Another process's Ledger on the same store; this one must see its records.
        event = self._valid(data)
        self.store.open_another().append(event)
        self.model.append(event)

    @rule(how=st.sampled_from(DAMAGE), reopen=st.booleans())
    def damage_the_read_model(self, how: str, reopen: bool) -> None:
        self.contract.damage_read_model(self.store.name, how)
        if reopen:
            self.store.reopen()

    @rule()
    def close_and_reopen(self) -> None:
        self.store.reopen()

    @rule()
    def end_without_closing(self) -> None:
        # The changes waiting in the writer's memory are lost; the log is not.
        self.store.abandon()

    @invariant()
    def head_is_the_model_length(self) -> None:
        assert self.store.ledger.head == len(self.model)

    @invariant()
    def records_are_the_model_in_order_at_gapless_positions(self) -> None:
        records = list(self.store.ledger.records())
        assert [r.position for r in records] == list(range(1, len(self.model) + 1))
        assert [r.event for r in records] == self.model
        assert self.store.ledger.store.tree().size == len(self.model)

    @rule()
    def verify_finds_the_stored_rows_follow_from_the_log(self) -> None:
        # Whatever came before (waiting changes, other writers, damage, a writer
        # that never closed), the rows the store keeps for the views are those a
        # fold of its records gives, or ones no query will use as they stand.
        report = self.store.ledger.verify()
        assert report.ok, report.reason
        assert report.read_model_agrees is not False, report.read_model

    @rule()
    def a_read_only_reader_reads(self) -> None:
        # Another process that may not write: it reads what the writer stored
        # and folds in memory what the writer has not stored yet.
        self._same_views(self.store.reader())

    @invariant()
    def views_equal_a_fresh_replay(self) -> None:
        self._same_views(self.store.ledger)

    def _same_views(self, lg: Ledger) -> None:
        fresh = LedgerView.replay(self.model)
        assert lg.topics() == fresh.topics()
        assert lg.propositions() == fresh.propositions()
        assert lg.disputes() == fresh.disputes()
        for topic_view in fresh.topics():
            assert lg.history(topic_view.topic) == fresh.history(topic_view.topic)

    def teardown(self) -> None:
        keeper.WRITE_SMALL, keeper.WRITE_EVERY, keeper.KEEP_PARTITIONS = self.bounds
        self.store.close()
