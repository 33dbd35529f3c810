"""PostgreSQL: a bulk load's read-model rows are written behind its appends, on a second connection.

While they are on their way the writer reads its read model through them,
appends go on, and ``verify`` finds nothing wrong; if they never land, the
read model is only behind the log, and the views are a full replay's.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from ledger import Ledger
from ledger.facade import keeper
from ledger.merkle import CompactRange
from ledger.stores import pgbehind
from ledger.stores.pgschema import MODEL_LOCK_CLASS
from ledger.stores.postgres import split_url
from ledger.stores.readmodel import ModelCheckpoint
from tests.integration.test_read_model import (
    replayed,
    spread,
    stored_at,
    story,
    views,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    """A new ledger whose connections wait at most 20 s for a lock (a wait is a failure here)."""
    base = f"{postgres_url}{'&' if '?' in postgres_url else '?'}options=-c%20lock_timeout%3D20000"
    return f"{base}&ledger=t{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def small_bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bulk loads of a few thousand records, and a writer that forgets what it loaded."""
    monkeypatch.setattr(keeper, "WRITE_SMALL", 100)
    monkeypatch.setattr(keeper, "WRITE_EVERY", 150)
    monkeypatch.setattr(keeper, "KEEP_PARTITIONS", 100)
    monkeypatch.setattr(pgbehind, "WRITE_BEHIND", 400)


def ledger_of(url: str) -> str:
    return url.rsplit("ledger=", 1)[1]


def committed_at(url: str) -> int:
    """The read model's position as another connection sees it (committed rows only)."""
    with psycopg.connect(split_url(url)[0], autocommit=True) as conn:
        found = conn.execute(
            "SELECT position FROM ledger_model_meta WHERE ledger = %s AND name = 'ledger'",
            (ledger_of(url),),
        ).fetchone()
    return 0 if found is None else int(found[0])


@contextmanager
def rows_locked(url: str) -> Iterator[psycopg.Connection[object]]:
    """Hold the read-model rows' table against writes (another transaction's lock)."""
    conn = psycopg.connect(split_url(url)[0])
    try:
        conn.execute("LOCK TABLE ledger_model_rows IN SHARE MODE")
        yield conn
    finally:
        conn.rollback()
        conn.close()


def write_behind_waiting(url: str) -> int:
    """The backend of the write behind, waiting for the table lock (0 if none is)."""
    with psycopg.connect(split_url(url)[0], autocommit=True) as conn:
        found = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'claims-ledger'"
            " AND wait_event_type = 'Lock' AND query LIKE '%ledger_model_rows%'"
        ).fetchone()
    return 0 if found is None else int(found[0])


def opened(url: str) -> Ledger:
    """A ledger whose read model stands at its head: the story, stored with its append."""
    lg = Ledger.open(url)
    lg.extend(story())  # type: ignore[arg-type]
    return lg


def bulk(lg: Ledger) -> None:
    """A bulk load past WRITE_EVERY: its last batch carries 160 records' changes."""
    lg.extend(spread(100, 80))  # waits in memory
    lg.extend(spread(180, 80))  # 160 records' changes, 640 rows: written behind


def test_appends_and_reads_go_on_while_the_rows_are_written_behind(
    pg_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lg = opened(pg_url)
    with rows_locked(pg_url):
        # Inside the append, these rows would wait for the lock with every writer.
        bulk(lg)
        assert committed_at(pg_url) == 11  # the story's, stored with its append
        assert write_behind_waiting(pg_url)
        # This process reads its read model through the rows on their way.
        assert stored_at(lg) == lg.head == 171
        assert views(lg) == replayed(lg)
        lg.extend(spread(260, 50))
        assert views(lg) == replayed(lg)
        report = lg.verify()
        assert report.ok, report
    with caplog.at_level(logging.WARNING, logger="ledger"):
        lg.close()  # waits for the rows, then stores what waits in memory
        assert committed_at(pg_url) == 221
        with Ledger.open(pg_url) as again:
            assert stored_at(again) == again.head == 221
            assert views(again) == replayed(again)
            assert again.verify().ok
    assert not caplog.records


def test_rows_that_never_land_leave_the_read_model_behind_and_the_views_whole(
    pg_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lg = opened(pg_url)
    with caplog.at_level(logging.WARNING, logger="ledger"):
        with rows_locked(pg_url) as conn:
            bulk(lg)
            pid = write_behind_waiting(pg_url)
            assert pid
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert views(lg) == replayed(lg)  # the rows are caught up from the log
        lg.extend(spread(260, 30))
        assert views(lg) == replayed(lg)
        lg.close()
    assert "the read model was not written" in caplog.text
    with Ledger.open(pg_url) as again:
        assert views(again) == replayed(again)
        assert stored_at(again) == again.head == 201


def test_a_read_model_another_transaction_holds_is_not_written_behind(
    pg_url: str,
) -> None:
    lg = opened(pg_url)
    with psycopg.connect(split_url(pg_url)[0], autocommit=True) as conn:
        conn.execute(
            "SELECT pg_advisory_lock(%s, hashtext(%s))", (MODEL_LOCK_CLASS, ledger_of(pg_url))
        )
        bulk(lg)  # the rows would move under whoever holds the lock: not written
        assert committed_at(pg_url) == 11
        conn.execute(
            "SELECT pg_advisory_unlock(%s, hashtext(%s))", (MODEL_LOCK_CLASS, ledger_of(pg_url))
        )
    assert views(lg) == replayed(lg)
    lg.close()
    with Ledger.open(pg_url) as again:
        assert views(again) == replayed(again)
        assert stored_at(again) == again.head


def test_another_process_catching_up_waits_for_the_rows_written_behind(
    pg_url: str,
) -> None:
    writer = opened(pg_url)
    with rows_locked(pg_url) as conn:
        bulk(writer)
        released = threading.Timer(0.5, conn.rollback)
        released.start()
        # The reader finds the read model behind the log and catches it up,
        # under the read model's lock: after the rows written behind.
        with Ledger.open(pg_url) as reader:
            assert views(reader) == replayed(writer)
        released.join()
    writer.extend(spread(260, 30))
    assert views(writer) == replayed(writer)
    writer.close()
    with Ledger.open(pg_url) as again:
        assert views(again) == replayed(again)
        assert stored_at(again) == again.head == 201


def test_reads_through_rows_on_their_way_are_the_rows_they_will_make() -> None:
    changes = [
        ("t", "p1", "a", "1"),
        ("t", "p1", "b", None),
        ("t", "p2", "a", "2"),
        ("t", "p3", "a", None),
        ("u", "q", "z", "9"),
        ("t", "p1", "a", "3"),  # a later change of the same row wins
    ]
    stored = {"p1": {"a": "0", "b": "0", "c": "0"}, "p3": {"a": "0"}, "p4": {"x": "0"}}
    rows = pgbehind.model_rows(changes)
    assert rows.deletes == [("t", "p1", "b"), ("t", "p3", "a")]
    assert rows.upserts == [("t", "p1", "a", "3"), ("t", "p2", "a", "2"), ("u", "q", "z", "9")]
    checkpoint = ModelCheckpoint(1, CompactRange())
    behind = pgbehind.Behind(None, lambda conn: None, "ledger", checkpoint, rows)  # type: ignore[arg-type]
    after = {"p1": {"a": "3", "c": "0"}, "p2": {"a": "2"}, "p4": {"x": "0"}}
    assert behind.parts("t", {p: dict(i) for p, i in stored.items()}) == after
    assert behind.parts("t", {"p1": dict(stored["p1"])}, ["p1", "p2"]) == {
        "p1": after["p1"],
        "p2": after["p2"],
    }
    assert behind.parts("t", {}, ["p3"]) == {}
    flat = [(p, i, v) for p, items in sorted(stored.items()) for i, v in sorted(items.items())]
    assert list(behind.rows("t", iter(flat))) == [
        (p, i, v) for p, items in sorted(after.items()) for i, v in sorted(items.items())
    ]
    assert list(behind.rows("u", iter([]))) == [("q", "z", "9")]
    assert list(behind.rows("v", iter([("a", "b", "c")]))) == [("a", "b", "c")]
    assert behind.tables({"v"}) == {"t", "u", "v"}
