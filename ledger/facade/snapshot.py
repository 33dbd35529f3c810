"""Projection snapshots: open a large ledger and query a topic without a full replay.

A snapshot is a SQLite file beside the log (``<log>.snapshot``). It holds no
projection results, only an index of the log it covers: the position and
Merkle right edge it was taken at, which positions make each topic's
partition of the fold, and the topic of every claim. Opening a ledger with a
snapshot folds the definitions and source descriptions, then folds a topic's
partition from exactly those log records the first time a query needs it, so
the views are the same fold as a full replay, only lazier.

A snapshot is used only when it matches the log: its right edge extended with
the leaf hashes of the records written since must give the log's own Merkle
root, and its row counts must be what it recorded. Anything else (another
log, a rewritten or truncated log, a damaged or foreign file) and it is set
aside and rebuilt from a full replay. The snapshot is a cache, never evidence:
``verify()`` does not read it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence

from ledger.codec import Codec
from ledger.domain.events import ClaimMade, Event, FigureReported, SourceDescribed, TopicDefined
from ledger.errors import LedgerError
from ledger.merkle import CompactRange
from ledger.projections.state import GLOBAL, LedgerState, SnapshotDamaged
from ledger.stores.base import Store
from ledger.stores.sqlite import is_busy

__all__ = ["DEFAULT_EVERY", "SnapshotDamaged", "SnapshotFile"]

log = logging.getLogger(__name__)

#: Take a snapshot once this many records have been folded since the last one.
DEFAULT_EVERY = 10_000
FORMAT = "claims-ledger-snapshot/2"
#: The snapshot connection's page cache, in KiB (SQLite's default is 2 MiB).
_CACHE_KIB = 64 * 1024
#: WAL pages between checkpoints: a save touches pages all over its indexes,
#: and a page saved again before the checkpoint is written back only once.
_CHECKPOINT_PAGES = 10_000
# Topics are numbered (topics.id) so that the two indexes, which every save
# inserts into all over, hold small integers rather than repeated text.
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS topics (
        id INTEGER PRIMARY KEY, topic TEXT NOT NULL UNIQUE)""",
    """CREATE TABLE IF NOT EXISTS topic_events (
        topic INTEGER NOT NULL, position INTEGER NOT NULL,
        PRIMARY KEY (topic, position)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS claims (
        claim_id TEXT PRIMARY KEY, topic INTEGER NOT NULL) WITHOUT ROWID""",
)


class _Save:
    """One snapshot being written by its thread: what it writes, and how it went."""

    def __init__(self, snapshot: SnapshotFile, state: LedgerState, edge: CompactRange) -> None:
        self.state = state
        self.edge = edge
        self.previous = snapshot.position
        self.tracked = state.tracked or []
        self.claims = state.tracked_claims or []
        self.flushed_rows = snapshot._flushed_rows
        self.flushed_claims = snapshot._flushed_claims
        self.written = False
        self.error: sqlite3.Error | None = None
        # Not a daemon: a process that ends while a snapshot is being written
        # lets it finish.
        self.thread = threading.Thread(
            target=snapshot._write, args=(self,), name="claims-ledger-snapshot"
        )


class SnapshotFile:
    """The SQLite file that holds a ledger's snapshot, and the backing it gives a state."""

    def __init__(self, path: str, store: Store, codec: Codec) -> None:
        self.path = path
        self._store = store
        self._codec = codec
        self._conn: sqlite3.Connection | None = None
        #: The position of the last snapshot loaded or taken (its write may be under way).
        self.position = 0
        # Rows written by flush() since the last save, which the meta row does not count yet.
        self._flushed_rows = 0
        self._flushed_claims = 0
        self._writer: sqlite3.Connection | None = None  # used by the save thread only
        self._job: _Save | None = None

    # -- opening ------------------------------------------------------------

    def load(self) -> LedgerState | None:
        """A state backed by this snapshot, at the snapshot's position; None if unusable."""
        try:
            state = self._load()
        except (sqlite3.Error, LedgerError, ValueError, KeyError) as exc:
            log.warning("%s: snapshot set aside and rebuilt: %s", self.path, exc)
            self.discard()
            return None
        if state is None:
            self.discard()
        return state

    def _load(self) -> LedgerState | None:
        if not os.path.exists(self.path):
            return None
        conn = self._connect()
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != FORMAT:
            return None
        position, rows, claims = int(meta["position"]), int(meta["rows"]), int(meta["claims"])
        hashes = [bytes.fromhex(h) for h in meta["edge"].split(",") if h]
        edge = CompactRange(position, hashes)
        # The root it says it covers must be its edge's, and its edge must be the log's.
        if meta.get("root") != edge.root().hex() or not self._matches(edge):
            return None
        counted = conn.execute("SELECT count(*) FROM topic_events").fetchone()[0]
        claimed = conn.execute("SELECT count(*) FROM claims").fetchone()[0]
        if (counted, claimed) != (rows, claims) or not _numbered(conn):
            return None
        self.position = position
        state = LedgerState(backing=self, position=position)
        for at, event in self._events(self._positions(GLOBAL)):
            if not isinstance(event, TopicDefined | SourceDescribed):
                raise SnapshotDamaged(f"position {at} is not a definition")
            state.fold_global(at, event)
        return state

    def _matches(self, edge: CompactRange) -> bool:
        # The snapshot's edge plus the leaves written since must rebuild the
        # log's own root: then the snapshot covers a prefix of this very log.
        grown = edge.copy()
        grown.extend(bytes.fromhex(row.hash) for row in self._store.read(edge.size))
        tree = self._store.tree()
        return grown.size == tree.size and grown.root() == tree.root()

    # -- the Backing a state reads ------------------------------------------

    def topics(self) -> Iterable[str]:
        """Every topic in the snapshot."""
        query = "SELECT topic FROM topics WHERE topic != ?"
        return [str(t) for (t,) in self._query(query, (GLOBAL,))]

    def topic_events(self, topic: str) -> Iterator[tuple[int, Event]]:
        """The events of a topic's partition, in position order."""
        events = list(self._events(self._positions(topic)))
        claims = {e.claim_id for _, e in events if isinstance(e, ClaimMade | FigureReported)}
        for position, event in events:
            # Every record of a partition is about its topic: claims and
            # definitions name it, disputes and retractions target its claims.
            about = getattr(event, "topic", None)
            target = getattr(event, "target", None)
            if (about is not None and about != topic) or (
                target is not None and target not in claims
            ):
                raise SnapshotDamaged(f"position {position} is not about {topic!r}")
        return iter(events)

    def claim_topic(self, claim_id: str) -> str | None:
        """The topic of a claim the snapshot covers, or None."""
        query = (
            "SELECT topics.topic FROM claims LEFT JOIN topics ON topics.id = claims.topic "
            "WHERE claims.claim_id = ?"
        )
        found = self._query(query, (claim_id,))
        if not found:
            return None
        if found[0][0] is None:
            raise SnapshotDamaged(f"claim {claim_id!r} has no topic")
        return str(found[0][0])

    def events(self, upto: int) -> Iterator[tuple[int, Event]]:
        """Every event of the log up to a position, in position order."""
        numbered, decode = self._store.numbered_lines, self._codec.decode_values
        for values in self._store.scan(0):
            position = values[0]
            if position > upto:
                return
            yield position, decode(values, line=position if numbered else None)

    def _positions(self, topic: str) -> list[int]:
        query = (
            "SELECT position FROM topic_events "
            "WHERE topic = (SELECT id FROM topics WHERE topic = ?) ORDER BY position"
        )
        return [int(str(p)) for (p,) in self._query(query, (topic,))]

    def _query(self, sql: str, args: tuple[str, ...]) -> list[tuple[object, ...]]:
        # Damage found after opening surfaces here; the Ledger rebuilds on it.
        try:
            return self._connect().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise SnapshotDamaged(f"{self.path}: {exc}") from exc

    def _events(self, positions: Sequence[int]) -> Iterator[tuple[int, Event]]:
        if positions and positions[-1] > self.position:
            raise SnapshotDamaged(f"position {positions[-1]} is past the snapshot")
        for row in self._store.read_positions(positions):
            yield row.position, self._codec.decode_event(row)

    # -- saving ---------------------------------------------------------------

    def save(self, state: LedgerState, edge: CompactRange) -> None:
        """Take a snapshot at edge (the log's tree): what the state folded since the last one.

        The rows are written by a thread of their own, while the caller goes
        on (SQLite lets go of the interpreter while it writes); the next save,
        flush or close waits for it. A save that fails leaves its rows to the
        next one.
        """
        self.wait()
        if edge.size != state.position:
            return  # the state lags the log; the next save catches up
        job = _Save(self, state, edge)
        state.tracked, state.tracked_claims = [], []
        self._job, self.position = job, edge.size
        try:
            job.thread.start()
        except RuntimeError:  # no thread to be had: write it on the caller's
            self._write(job)

    def wait(self) -> None:
        """Wait until the snapshot being written (if any) is written, or has failed."""
        job, self._job = self._job, None
        if job is None:
            return
        if job.thread.ident is not None:  # started (else it was written in place)
            job.thread.join()
        if job.written:
            self._flushed_rows = self._flushed_claims = 0
            return
        # Not written (another process holds a later snapshot, or an error,
        # which rolled the transaction back): the file still holds the last
        # snapshot, and the rows go back to the state for the next save. The
        # file is not removed: a state folded from it may still read from it,
        # and a file that is damaged is found and rebuilt when it is read.
        self.position = job.previous
        state = job.state
        if state.tracked is not None and state.tracked_claims is not None:
            state.tracked[:0] = job.tracked
            state.tracked_claims[:0] = job.claims

    def _write(self, job: _Save) -> None:
        # The save thread: one transaction, the meta row last, so that a save
        # cut short by a crash leaves the previous snapshot as it was.
        try:
            if self._writer is None:
                self._writer = self._open()
            conn = self._writer
            with conn:
                stored = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                if int(stored.get("position", 0)) > job.edge.size:
                    return  # another process saved a later snapshot: keep it
                # Counts kept as rows go in, not recounted: a count(*) over a
                # million rows on every save would make building a ledger quadratic.
                added_rows, added_claims = _insert(conn, job.tracked, job.claims)
                rows = int(stored.get("rows", 0)) + job.flushed_rows + added_rows
                count = int(stored.get("claims", 0)) + job.flushed_claims + added_claims
                meta = {
                    "format": FORMAT,
                    "position": str(job.edge.size),
                    "edge": ",".join(h.hex() for h in job.edge.hashes),
                    "root": job.edge.root().hex(),
                    "rows": str(rows),
                    "claims": str(count),
                }
                conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
            job.written = True
        except sqlite3.Error as exc:
            # A snapshot that cannot be written only costs speed on the next open;
            # one that another process is writing will be saved next time.
            level = logging.INFO if is_busy(exc) else logging.WARNING
            log.log(level, "%s: snapshot not saved, trying again at the next: %s", self.path, exc)
            job.error = exc

    def flush(self, state: LedgerState) -> None:
        """Write the index rows folded so far, to bound memory during a long replay.

        The meta row is not touched: until the next save, the counts disagree
        and an interrupted replay leaves a snapshot that is rebuilt, not trusted.
        """
        self.wait()
        try:
            conn = self._connect()
            with conn:
                rows, claims = _insert(conn, state.tracked or [], state.tracked_claims or [])
        except sqlite3.Error as exc:
            log.warning("%s: snapshot rows not written: %s", self.path, exc)
            return
        self._flushed_rows += rows
        self._flushed_claims += claims
        state.tracked = []
        state.tracked_claims = []

    def discard(self) -> None:
        """Remove the snapshot file (and its journal): the next save starts a new one."""
        self.close()
        self.position = self._flushed_rows = self._flushed_claims = 0
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.remove(self.path + suffix)
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("%s: cannot remove the snapshot: %s", self.path, exc)

    def close(self) -> None:
        """Wait for a save under way, then close the connections to the snapshot file."""
        self.wait()
        for conn in (self._conn, self._writer):
            if conn is not None:
                conn.close()
        self._conn = self._writer = None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA journal_mode = WAL")
            # A cache: losing the last save to a power cut only costs speed.
            conn.execute("PRAGMA synchronous = NORMAL")
            # Each save inserts rows all over both indexes (topics and claim
            # ids come in no order); a larger page cache keeps them in memory.
            conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
            conn.execute(f"PRAGMA wal_autocheckpoint = {_CHECKPOINT_PAGES}")
            for statement in _SCHEMA:
                conn.execute(statement)
        except sqlite3.Error:
            conn.close()
            raise
        conn.isolation_level = "DEFERRED"
        return conn


def _insert(
    conn: sqlite3.Connection, tracked: Sequence[tuple[str, int]], claims: Sequence[tuple[str, str]]
) -> tuple[int, int]:
    """Add index rows inside the caller's transaction; how many were new, of each kind."""
    ids = dict(conn.execute("SELECT topic, id FROM topics").fetchall())

    def number(topic: str) -> int:
        found = ids.get(topic)
        if found is None:
            cursor = conn.execute("INSERT INTO topics (topic) VALUES (?)", (topic,))
            found = ids[topic] = int(cursor.lastrowid or 0)
        return found

    insert = "INSERT OR IGNORE INTO topic_events VALUES (?, ?)"
    rows = conn.executemany(insert, [(number(t), p) for t, p in tracked]).rowcount
    insert = "INSERT OR IGNORE INTO claims VALUES (?, ?)"
    added = conn.executemany(insert, [(c, number(t)) for c, t in claims]).rowcount
    return rows, added


def _numbered(conn: sqlite3.Connection) -> bool:
    """Whether every index row names a topic the file numbers (1..n, as numbered)."""
    count, top = conn.execute("SELECT count(*), max(id) FROM topics").fetchone()
    if count != (top or 0):
        return False
    # Two lookups at the ends of the primary key, not a scan: text stored by
    # damage in the integer column sorts after every number.
    low = conn.execute("SELECT min(topic) FROM topic_events").fetchone()[0]
    high = conn.execute("SELECT max(topic) FROM topic_events").fetchone()[0]
    if low is None:
        return True
    return type(low) is int and type(high) is int and low >= 1 and high <= count
