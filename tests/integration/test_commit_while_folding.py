"""A bulk append's COMMIT runs in a thread while the batch is folded (SQLite, docs/storage.md).

Real SQLite files throughout: the commit thread (``sqlfiles.Committing``),
the store's ``write_folding(..., waits=True)``, and a Ledger whose bulk
batches take that path, checked against a fold of the same events.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from ledger import Ledger
from ledger.codec import StoredRow
from ledger.domain.events import Event
from ledger.errors import StoreUnavailable
from ledger.facade import keeper
from ledger.stores import sqlfiles
from ledger.stores.readmodel import ModelWrite
from ledger.stores.sqlite import SQLiteStore
from ledger.testing.builders import figure, topic

WHEN = datetime(2025, 1, 1, tzinfo=UTC)


def _table(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x INTEGER)")
    return conn


def _count(path: Path) -> int:
    with sqlite3.connect(path) as other:
        return int(other.execute("SELECT count(*) FROM t").fetchone()[0])


def test_a_commit_in_its_thread_is_visible_to_other_connections_once_waited_for(
    tmp_path: Path,
) -> None:
    conn = _table(tmp_path / "a.db")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    committing = sqlfiles.Committing(conn)
    committing.start()
    assert committing.wait() is None
    assert not conn.in_transaction
    assert _count(tmp_path / "a.db") == 100


def test_a_commit_that_fails_in_its_thread_is_returned_by_wait_and_rolled_back(
    tmp_path: Path,
) -> None:
    conn = _table(tmp_path / "a.db")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])

    def no_commit(action: int, arg1: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_TRANSACTION and arg1 == "COMMIT":
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    conn.set_authorizer(no_commit)
    committing = sqlfiles.Committing(conn)
    committing.start()
    failed = committing.wait()
    assert isinstance(failed, sqlite3.DatabaseError)
    assert "not authorized" in str(failed)
    conn.set_authorizer(None)
    assert not conn.in_transaction
    assert _count(tmp_path / "a.db") == 0
    # The connection goes on: the next transaction commits.
    conn.execute("INSERT INTO t VALUES (1)")
    assert _count(tmp_path / "a.db") == 1


def _rows(lg: Ledger, events: Sequence[Event]) -> list[StoredRow]:
    head = lg.store.head()
    return [lg.codec.encode(head + i, e, WHEN) for i, e in enumerate(events, 1)]


def test_a_read_during_the_fold_waits_for_the_commit(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    with Ledger.open(str(path)) as lg:
        lg.append(topic())
        rows = _rows(lg, [figure(1), figure(2, source="src/b")])
        seen: list[int] = []

        def fold() -> None:
            seen.append(lg.store.head())
            with Ledger.open(str(path), read_only=True) as other:
                seen.append(other.head)

        assert lg.store.write_folding(rows, 1, fold, waits=True) == (True, None)
        # The store's own read, and another connection's, see the committed rows.
        assert seen == [3, 3]


def test_a_fold_that_fails_after_the_commit_leaves_the_records_stored(tmp_path: Path) -> None:
    # waits=True: the records commit while the fold runs, so they stay (the
    # read model is caught up from the log, as after a crash).
    with Ledger.open(str(tmp_path / "l.db")) as lg:
        lg.append(topic())
        rows = _rows(lg, [figure(1)])

        def fold() -> None:
            raise RuntimeError("the fold failed")

        with pytest.raises(RuntimeError, match="the fold failed"):
            lg.store.write_folding(rows, 1, fold, waits=True)
        assert lg.store.head() == 2
        assert [r.event_id for r in lg.store.read(1)] == [rows[0].event_id]


class _Recording(SQLiteStore):
    """A SQLite store that records the ``waits`` of every write_folding."""

    waits: list[bool]

    def write_folding(
        self,
        rows: Sequence[StoredRow],
        expected_head: int,
        fold: Callable[[], ModelWrite | None],
        *,
        waits: bool = False,
    ) -> tuple[bool, ModelWrite | None]:
        self.waits.append(waits)
        return super().write_folding(rows, expected_head, fold, waits=waits)


def test_bulk_batches_commit_while_folding_and_read_as_a_full_fold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of many partitions wait in memory between writes of the read model.
    monkeypatch.setattr(keeper, "WRITE_SMALL", 3)
    monkeypatch.setattr(keeper, "WRITE_EVERY", 40)
    path = tmp_path / "l.db"
    store = _Recording(str(path))
    store.waits = []
    events: list[Event] = []
    for n in range(12):
        names = [f"bulk/t-{n}-{k}" for k in range(4)]
        batch: list[Event] = [topic(name=name) for name in names]
        batch += [attrs.evolve(figure(n * 10 + k), topic=name) for k, name in enumerate(names)]
        events += batch
    with Ledger(store) as lg:
        for start in range(0, len(events), 8):
            lg.extend(events[start : start + 8])
        assert True in store.waits
        assert False in store.waits
        assert lg.topics() == lg.as_of().topics()
    with Ledger.open(str(path), read_only=True) as again:
        assert again.head == len(events)
        assert again.topics() == again.as_of().topics()


class _FailingCommit(sqlfiles.Committing):
    """A COMMIT that fails as a full disk would fail it (the transaction is rolled back)."""

    def start(self) -> None:
        self.error = sqlite3.OperationalError("disk I/O error")


class _NoThread(sqlfiles.Committing):
    """A COMMIT interrupted as it starts (Ctrl-C)."""

    def start(self) -> None:
        raise KeyboardInterrupt


def test_a_commit_that_fails_while_the_fold_reads_the_read_model_is_the_writes_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fold's read waits for the commit and reads the state before the
    # write; the write then raises the commit's error: not a damaged read model.
    monkeypatch.setattr(sqlfiles, "Committing", _FailingCommit)
    with Ledger.open(str(tmp_path / "l.db")) as lg:
        lg.append(topic())
        rows = _rows(lg, [figure(1)])
        model = lg.store.model(keeper.MODEL_NAME)
        assert model is not None
        seen: list[int] = []

        def fold() -> None:
            model.load("figure", ["some/topic"])
            seen.append(lg.store.head())

        with pytest.raises(StoreUnavailable, match="disk I/O error"):
            lg.store.write_folding(rows, 1, fold, waits=True)
        assert seen == [1]
        assert lg.store.head() == 1
        monkeypatch.undo()
        assert lg.store.write_folding(rows, 1, fold, waits=True) == (True, None)
        assert lg.store.head() == 2


def test_a_commit_interrupted_as_it_starts_leaves_no_transaction_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "l.db"
    monkeypatch.setattr(sqlfiles, "Committing", _NoThread)
    with Ledger.open(str(path)) as lg:
        lg.append(topic())
        rows = _rows(lg, [figure(1)])
        with pytest.raises(KeyboardInterrupt):
            lg.store.write_folding(rows, 1, lambda: None, waits=True)
        assert lg.store.head() == 1
        # The write lock is released: another connection writes.
        with Ledger.open(str(path)) as other:
            other.append(figure(2))
        monkeypatch.undo()
        assert lg.append(figure(3)).position == 3


def test_a_fold_that_makes_changes_it_said_would_wait_is_never_reported_stored(
    tmp_path: Path,
) -> None:
    with Ledger.open(str(tmp_path / "l.db")) as lg:
        lg.append(topic())
        rows = _rows(lg, [figure(1)])
        made = ModelWrite(keeper.MODEL_NAME, keeper.MODEL_VERSION, 1, [])
        assert lg.store.write_folding(rows, 1, lambda: made, waits=True) == (False, made)
        assert lg.store.head() == 2
