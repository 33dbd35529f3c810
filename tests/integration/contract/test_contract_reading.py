"""The store contract, continued: read-only stores, consistent reads and row admission.

Every store, through the same tests: a read-only store reads the log and
refuses appends; inside ``Store.reading()`` the head, the rows and the tree
are one state while another writer appends; rows a store must never hold are
refused whole, before anything is written.

Self-contained (its own ``store`` fixture) so that it outlives moves of the
suite's shared fixtures; its cases belong in ``ledger.testing.contract`` once
that suite can open a store read-only.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from ledger import DuplicateEvent, Ledger, StoreError, StoreUnavailable
from ledger.merkle import root
from ledger.stores import open_store
from ledger.stores.base import Store
from ledger.stores.memory import MemoryStore
from tests.pg_server import with_ledger

from .builders import claim, describe, figure, topic


class StoreUnderTest:
    """A writable ledger on a new store of one kind, and more handles on the same log."""

    def __init__(self, kind: str, url: str) -> None:
        self.kind = kind
        self.url = url
        self.ledger = Ledger.open(url)

    def open_another(self) -> Ledger:
        """A second writer on the same log (memory:// lives in one object: it is shared)."""
        return Ledger(self.ledger.store) if self.kind == "memory" else Ledger.open(self.url)

    def open_read_only(self) -> Store:
        """A read-only store on the same log (for memory://, a read-only view of its rows)."""
        if self.kind != "memory":
            return open_store(self.url, read_only=True)
        shared = self.ledger.store
        assert isinstance(shared, MemoryStore)
        view = MemoryStore(read_only=True)
        view._rows, view._ids, view._tree = shared._rows, shared._ids, shared._tree
        view._lock = shared._lock
        return view


@pytest.fixture(params=["memory", "jsonl", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreUnderTest]:
    """A new, empty store of each kind, closed after the test."""
    kind: str = request.param
    name = f"t{uuid.uuid4().hex[:16]}"
    if kind == "memory":
        url = "memory://"
    elif kind == "postgresql":
        url = with_ledger(request.getfixturevalue("postgres_url"), name)
    else:
        url = str(tmp_path / f"{name}.{'jsonl' if kind == 'jsonl' else 'db'}")
    made = StoreUnderTest(kind, url)
    yield made
    made.ledger.close()


def test_a_read_only_store_reads_the_log_and_refuses_appends(store: StoreUnderTest) -> None:
    lg = store.ledger
    lg.extend([topic(), figure(1), claim(2)])
    rows, edge = list(lg.rows()), lg.store.tree()
    reader = store.open_read_only()
    try:
        assert reader.read_only
        assert (reader.head(), list(reader.read()), reader.tree().root()) == (3, rows, edge.root())
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


def test_reading_holds_one_state_while_another_writer_appends(store: StoreUnderTest) -> None:
    lg = store.ledger
    lg.extend([topic(), figure(1)])
    other = store.open_another()
    appended = threading.Event()

    def append() -> None:
        other.append(figure(2, source="src/b"))
        appended.set()

    writer = threading.Thread(target=append)
    reader = store.open_read_only()
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
        if other is not lg:
            other.close()


def test_rows_that_do_not_follow_the_head_or_repeat_an_event_id_are_refused_whole(
    store: StoreUnderTest,
) -> None:
    lg = store.ledger
    lg.append(topic())
    clock = lg.store.clock
    second, third = (lg.codec.encode(p, e, clock()) for p, e in ((2, figure(1)), (3, claim(2))))
    bad_batches: list[tuple[list[object], type[Exception]]] = [
        ([second, attrs.evolve(third, position=4)], StoreError),  # a gap
        ([attrs.evolve(second, position=1)], StoreError),  # the head's own position
        ([second, attrs.evolve(third, event_id=second.event_id)], DuplicateEvent),
        ([second, attrs.evolve(third, hash=third.hash.upper())], StoreError),
        ([attrs.evolve(second, hash="ab")], StoreError),
    ]
    for rows, error in bad_batches:
        with pytest.raises(error):
            lg.store.write(rows, 1)  # type: ignore[arg-type]
        assert lg.store.head() == 1
    assert lg.store.tree().size == 1
    assert lg.store.write([second, third], 1)
    assert lg.store.head() == 3
