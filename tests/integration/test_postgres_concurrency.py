"""PostgreSQL under load and faults: racing writers, a follower, SIGKILL, a server restart."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger import ClaimMade, Ledger, StoreUnavailable
from ledger.codec import StoredRow, make_codec
from ledger.merkle import CompactRange, leaf_hash
from ledger.stores.follow import follow
from ledger.stores.postgres import PostgresStore, split_url
from tests.integration.writer_child import read_while_writing
from tests.pg_server import PostgresServer, with_ledger

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WRITERS = 8
APPENDS = 250
T0 = datetime(2024, 8, 6, tzinfo=UTC)
SPAWN = multiprocessing.get_context("spawn")  # no forked copies of open connections


def claim(writer: str, i: int) -> ClaimMade:
    """Append number i of a writer; the event_id says whose and which."""
    return ClaimMade(
        claim_id=f"{writer}/c{i}",
        topic="load/test",
        source=writer,
        statement=f"claim {i} of {writer}",
        stated_at=T0,
        event_id=f"{writer}-{i:04d}",
    )


def check_log(url: str, expected: int) -> list[StoredRow]:
    """Every row, after checking what verify checks: positions, leaf bytes, hashes, root."""
    with Ledger.open(url) as lg:
        rows = list(lg.rows())
        edge = lg.store.tree()
        report = lg.verify()
    assert report.ok, report.reason
    assert report.size == expected
    assert [r.position for r in rows] == list(range(1, expected + 1))
    rebuilt = CompactRange()
    for row in rows:
        digest = leaf_hash(row.leaf_bytes())
        assert digest.hex() == row.hash, f"position {row.position}: bytes do not match the hash"
        rebuilt.append(digest)
    assert (edge.size, edge.root()) == (rebuilt.size, rebuilt.root())
    return rows


class Follower:
    """ledger.stores.follow.follow in a thread, collecting rows until stopped."""

    def __init__(self, url: str, *, poll_interval: float, per_row: float = 0.0) -> None:
        self.rows: list[StoredRow] = []
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._store = PostgresStore(url)
        self._per_row = per_row
        self._thread = threading.Thread(target=self._run, args=(poll_interval,), daemon=True)
        self._thread.start()

    def _run(self, poll_interval: float) -> None:
        try:
            for row in follow(self._store, 0, poll_interval, self._done.is_set):
                self.rows.append(row)
                time.sleep(self._per_row)
        except BaseException as exc:  # reported by stop()
            self.error = exc
        finally:
            self._store.close()

    def wait_for(self, count: int, timeout: float = 60.0) -> None:
        """Block until the follower holds count rows."""
        deadline = time.monotonic() + timeout
        while len(self.rows) < count and self.error is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.error is None, repr(self.error)
        assert len(self.rows) >= count, f"the follower has {len(self.rows)} of {count} rows"

    def __enter__(self) -> Follower:
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=60)

    def stop(self) -> list[StoredRow]:
        """Stop after the rows stored so far; the rows seen, in the order seen."""
        self._done.set()
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "the follower did not stop"
        if self.error is not None:
            raise self.error
        return self.rows


# -- eight writers and a follower ------------------------------------------


def _writer(url: str, name: str, go: Any, acks: Any) -> None:
    """A writer process: open, wait for the start, append one event at a time."""
    try:
        with Ledger.open(url) as lg:
            go.wait()
            acked = [
                (lg.append(claim(name, i)).position, f"{name}-{i:04d}") for i in range(APPENDS)
            ]
        acks.put((name, acked))
    except BaseException:
        acks.put((name, traceback.format_exc()))
        raise


def test_eight_writers_and_a_follower_see_every_record_once_in_order(postgres_url: str) -> None:
    url = with_ledger(postgres_url, f"race-{uuid.uuid4().hex[:8]}")
    PostgresStore(url).close()  # create the tables before the race, as an operator would
    go, acks = SPAWN.Event(), SPAWN.Queue()
    names = [f"w{k}" for k in range(WRITERS)]
    writers = [SPAWN.Process(target=_writer, args=(url, n, go, acks)) for n in names]
    for proc in writers:
        proc.start()
    views = SPAWN.Queue()
    reader = SPAWN.Process(target=read_while_writing, args=(url, 8.0, views))
    reader.start()
    with Follower(url, poll_interval=0.5) as follower:
        go.set()
        results = dict(acks.get(timeout=180) for _ in writers)
        for proc in writers:
            proc.join(timeout=60)
        checked = views.get(timeout=120)
        reader.join(timeout=60)
        assert not isinstance(checked, str), checked
        assert checked[1] == [], f"views that were not a replay of the log at {checked[1]}"
        assert checked[0] > 0, "the reader never read a view while the log stood still"
        failed = {n: r for n, r in results.items() if isinstance(r, str)}
        assert not failed, "\n".join(failed.values())
        assert [p.exitcode for p in writers] == [0] * WRITERS
        seen = follower.stop()

    total = WRITERS * APPENDS
    assert [r.position for r in seen] == list(range(1, total + 1))
    assert len({r.event_id for r in seen}) == total
    rows = check_log(url, total)
    assert seen == rows
    by_id = {r.event_id: r.position for r in rows}
    interleaved = 0
    for acked in results.values():
        # Each acknowledgement names the record's real position, in the writer's own order.
        assert all(by_id[event_id] == position for position, event_id in acked)
        positions = [position for position, _ in acked]
        assert positions == sorted(positions)
        interleaved += positions != list(range(positions[0], positions[0] + APPENDS))
    assert interleaved, "the writers never raced: the test proved nothing"


# -- a writer killed inside its transaction --------------------------------


class _StallingStore(PostgresStore):
    """A store that stops, transaction open, after inserting a batch and before commit."""

    flag: Path

    def _notify(self, cur: psycopg.Cursor[Any], head: int) -> None:
        super()._notify(cur, head)
        with cur.connection.pipeline() as pipeline:
            pipeline.sync()  # every insert has reached the server and succeeded
        self.flag.write_text(str(os.getpid()))
        time.sleep(600)


def _stalled_writer(url: str, flag: str, after: int, count: int) -> None:
    store = _StallingStore(url)
    store.flag = Path(flag)
    codec = make_codec()
    events = [claim("victim", i) for i in range(count)]
    rows = [codec.encode(after + 1 + i, e, T0) for i, e in enumerate(events)]
    store.write(rows, after)


def _backend(url: str, application: str) -> tuple[Any, ...] | None:
    query = (
        "SELECT a.state, a.backend_xid IS NOT NULL, count(l.*) FILTER (WHERE l.granted)"
        " FROM pg_stat_activity a LEFT JOIN pg_locks l"
        " ON l.pid = a.pid AND l.locktype = 'advisory'"
        " WHERE a.application_name = %s GROUP BY a.state, a.backend_xid"
    )
    with psycopg.connect(split_url(url)[0], autocommit=True) as conn:
        return conn.execute(query, (application,)).fetchone()


def test_a_writer_killed_mid_transaction_leaves_no_partial_batch(
    postgres_url: str, tmp_path: Path
) -> None:
    application = f"victim-{uuid.uuid4().hex[:8]}"
    url = with_ledger(postgres_url, application)
    with Ledger.open(url) as lg:
        lg.extend([claim("before", i) for i in range(3)])
    flag = tmp_path / "inserted"
    child = SPAWN.Process(
        target=_stalled_writer, args=(f"{url}&application_name={application}", str(flag), 3, 2000)
    )
    child.start()
    try:
        deadline = time.monotonic() + 60
        while not flag.exists() and child.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert flag.exists(), "the child never got inside its transaction"
        # Inside the transaction: 2,000 rows inserted, the lock held, nothing committed.
        assert _backend(url, application) == ("idle in transaction", True, 1)
        with Ledger.open(url) as lg:
            assert lg.head == 3
    finally:
        os.kill(child.pid or 0, signal.SIGKILL)
        child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL

    with Ledger.open(url) as lg:
        assert lg.head == 3
        assert lg.store.find([claim("victim", i).event_id for i in (0, 1999)]) == {}
        # The server rolled back and released the lock: the next writer goes on at 4.
        assert lg.append(claim("after", 0)).position == 4
    rows = check_log(url, 4)
    assert [r.event_id.split("-")[0] for r in rows] == ["before"] * 3 + ["after"]


# -- a server restart in the middle of a follow ----------------------------


def test_a_server_restart_mid_follow_loses_and_repeats_nothing(
    postgres_server: PostgresServer,
) -> None:
    if not postgres_server.can_restart:
        pytest.skip("restarting needs the tests' own server, not LEDGER_TEST_POSTGRES_URL")
    url = with_ledger(postgres_server.url, f"restart-{uuid.uuid4().hex[:8]}")
    with Ledger.open(url) as lg:
        lg.extend([claim("early", i) for i in range(1200)])  # more than two catch-up pages
        # A slow consumer: the restart lands in the middle of the catch-up.
        with Follower(url, poll_interval=0.2, per_row=0.002) as follower:
            follower.wait_for(100)
            postgres_server.stop("immediate")
            try:
                with pytest.raises(StoreUnavailable):
                    lg.append(claim("down", 0))
            finally:
                postgres_server.start()
            for i in range(20):  # the writer reconnects by itself
                lg.append(claim("late", i))
            follower.wait_for(1220)
            seen = follower.stop()
    assert [r.position for r in seen] == list(range(1, 1221))
    assert seen == check_log(url, 1220)
