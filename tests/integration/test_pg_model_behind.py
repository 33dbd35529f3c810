"""PostgreSQL: a bulk load's read-model rows are written behind its appends, on a second connection.

While they are on their way the writer reads its read model through them,
appends go on, and ``verify`` finds nothing wrong; if they never land, the
read model is only behind the log, and the views are a full replay's.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import attrs
import psycopg
import pytest

from ledger import DuplicateClaim, Event, FigureReported, Ledger
from ledger.facade import keeper
from ledger.merkle import CompactRange
from ledger.stores import pgmodel
from ledger.stores.pgschema import MODEL_LOCK_CLASS
from ledger.stores.postgres import split_url
from ledger.stores.readmodel import ModelCheckpoint
from tests.integration.contract.builders import figure
from tests.integration.test_read_model import (
    replayed,
    spread,
    stored_at,
    story,
    views,
)
from tests.pg_server import other_database, with_ledger

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
    monkeypatch.setattr(pgmodel, "WRITE_BEHIND", 400)


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
            "SELECT pg_advisory_lock(%s, hashtext(%s))",
            (MODEL_LOCK_CLASS, f"{ledger_of(pg_url)}/ledger"),
        )
        bulk(lg)  # the rows would move under whoever holds the lock: not written
        assert committed_at(pg_url) == 11
        conn.execute(
            "SELECT pg_advisory_unlock(%s, hashtext(%s))",
            (MODEL_LOCK_CLASS, f"{ledger_of(pg_url)}/ledger"),
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
    rows = pgmodel.model_rows(changes)
    assert rows.deletes == [("t", "p1", "b"), ("t", "p3", "a")]
    assert rows.upserts == [("t", "p1", "a", "3"), ("t", "p2", "a", "2"), ("u", "q", "z", "9")]
    checkpoint = ModelCheckpoint(1, CompactRange())
    behind = pgmodel.Behind(None, lambda conn: None, "ledger", 0, checkpoint, rows)  # type: ignore[arg-type]
    after = {"p1": {"a": "3", "c": "0"}, "p2": {"a": "2"}, "p4": {"x": "0"}}
    assert behind.parts("t", {p: dict(i) for p, i in stored.items()}) == after
    assert behind.parts("t", {"p1": dict(stored["p1"])}, ["p1", "p2"]) == {
        "p1": after["p1"],
        "p2": after["p2"],
    }
    assert behind.parts("t", {}, ["p3"]) == {}
    # The stored rows come a partition's together, in whatever order the
    # database's collation gives: so do the rows seen through the write.
    flat = [(p, i, v) for p in ("p4", "p1", "p3") for i, v in stored[p].items()]
    seen = list(behind.rows("t", iter(flat)))
    assert [p for p, _, _ in seen] == ["p4", "p1", "p1", "p2"]
    assert {(p, i): v for p, i, v in seen} == {
        (p, i): v for p, items in after.items() for i, v in items.items()
    }
    assert list(behind.rows("u", iter([]))) == [("q", "z", "9")]
    assert list(behind.rows("v", iter([("a", "b", "c")]))) == [("a", "b", "c")]
    assert behind.tables({"v"}) == {"t", "u", "v"}


def test_a_write_behind_that_fails_while_a_batch_is_checked_never_lets_a_bad_event_in(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    lg = opened(pg_url)
    prefetch = keeper.Keeper.prefetch
    killed: list[int] = []
    held: list[psycopg.Connection[object]] = []

    def failing_first(self: keeper.Keeper, events: list[Event]) -> None:
        # The write behind dies (a lost connection, a server restart) after
        # the batch's check of the checkpoint, before its events are checked.
        pid = write_behind_waiting(pg_url)
        if pid and not killed:
            with psycopg.connect(split_url(pg_url)[0], autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
                while conn.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)
                ).fetchone():
                    time.sleep(0.01)
            time.sleep(0.2)  # its thread has seen the error
            killed.append(pid)
            held[0].rollback()  # the catch-up to come may write the rows
        prefetch(self, events)

    with rows_locked(pg_url) as locker:
        held.append(locker)
        bulk(lg)  # claims c180..c259 are in the rows written behind
        monkeypatch.setattr(keeper.Keeper, "prefetch", failing_first)
        again = attrs.evolve(figure(200, "src/x", 1, 2), topic="spread/200")
        with pytest.raises(DuplicateClaim, match="c200"):
            lg.extend([again])
    assert killed
    assert views(lg) == replayed(lg)
    with caplog.at_level(logging.WARNING, logger="ledger"):
        lg.close()
    with Ledger.open(pg_url) as reopened:
        assert views(reopened) == replayed(reopened)
        assert reopened.verify().ok


def test_verify_while_rows_are_written_behind_in_a_database_of_another_collation(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "-" and "_" sort apart in en-US and in code points: t-a t_b t-c t_d against t-a t-c t_b t_d.
    names = ["t-a", "t_b", "t-c", "t_d"]

    def figures(start: int, count: int) -> list[FigureReported]:
        return [
            attrs.evolve(figure(n, f"src/{n % 3}", n, n + 10), topic=names[n % 4])
            for n in range(start, start + count)
        ]

    how = "ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
    with other_database(postgres_url, "icu", how) as other:
        url = with_ledger(f"{other}&options=-c%20lock_timeout%3D20000", "k")
        lg = opened(url)
        lg.extend(figures(100, 8))
        monkeypatch.setattr(pgmodel, "WRITE_BEHIND", 1)
        with rows_locked(url):
            lg.extend(figures(200, 200))  # written behind
            assert committed_at(url) == 19
            assert views(lg) == replayed(lg)
            report = lg.verify()
            assert report.ok, report
        lg.close()
        with Ledger.open(url) as reopened:
            assert reopened.verify().ok
