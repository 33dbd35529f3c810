"""The SQLite store: the embedded default, one file, WAL and durable commits.

One table mirrors the wire format column for column; ``data`` is the exact
canonical text and ``hash`` the hex digest, so rows round-trip byte for byte.
Beside it, ``tree`` holds the Merkle right edge (one row: size and the
concatenated perfect-subtree roots), updated in the same transaction as every
append, and the read-model tables (``ledger.stores.readmodel``) hold the
projections, written in that transaction too. Appends run
under ``BEGIN IMMEDIATE`` so that several processes can write one file: the
head is read and checked inside the write lock, which makes positions gapless
and each acknowledged once. Every sqlite3 error is translated here, at the
boundary, into a ``StoreError``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ledger.codec import RowValues, StoredRow
from ledger.errors import (
    ConcurrencyError,
    CorruptLog,
    DuplicateEvent,
    LedgerError,
    StoreError,
    StoreUnavailable,
)
from ledger.merkle import HASH_SIZE, CompactRange
from ledger.stores import edges, sqlfiles
from ledger.stores.admission import admit
from ledger.stores.base import Clock, Store, file_identity, utc_now
from ledger.stores.readmodel import (
    ModelWrite,
    ReadModel,
    SQLiteModel,
    create_model_tables,
    retire_snapshot,
    store_model_write,
)
from ledger.stores.sqlfiles import is_busy

__all__ = ["WAL_CHECKPOINT_PAGES", "SQLiteStore", "is_busy"]

log = logging.getLogger("ledger.stores.sqlite")

#: PRAGMA application_id of a ledger file ("LEDG"), so other databases are left alone.
APPLICATION_ID = 0x4C454447
#: The connection's page cache, in KiB: an upper bound, filled as pages are used.
_CACHE_KIB = 64 * 1024
#: Pages a writer lets the write-ahead log grow to before it copies them back
#: into the database (64 MiB of 4 KiB pages; SQLite's default is 1,000): a
#: batch's rows land on pages all over the event_id index and the read model,
#: and the next batches touch many of the same pages, which a longer log
#: copies back once rather than once per 4 MiB (docs/storage.md).
WAL_CHECKPOINT_PAGES = 16_000
#: PRAGMA user_version: the layout of the tables below.
FORMAT_VERSION = 1

_COLUMNS = "position, event_id, type, schema, recorded_at, data, hash"
_TABLES = (
    """CREATE TABLE IF NOT EXISTS events (
        position    INTEGER PRIMARY KEY CHECK (position >= 1),
        event_id    TEXT NOT NULL UNIQUE CHECK (typeof(event_id) = 'text'),
        type        TEXT NOT NULL CHECK (typeof(type) = 'text'),
        schema      INTEGER NOT NULL CHECK (typeof(schema) = 'integer'),
        recorded_at TEXT NOT NULL CHECK (typeof(recorded_at) = 'text'),
        data        TEXT NOT NULL CHECK (typeof(data) = 'text'),
        hash        TEXT NOT NULL CHECK (typeof(hash) = 'text')
    )""",
    """CREATE TABLE IF NOT EXISTS tree (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        size   INTEGER NOT NULL,
        hashes BLOB NOT NULL
    )""",
    """CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END""",
    # INSERT OR REPLACE deletes the row it conflicts with without firing DELETE
    # triggers (unless recursive_triggers is on): refuse any insert that would
    # meet a stored position or event_id, before conflict resolution runs.
    """CREATE TRIGGER IF NOT EXISTS events_no_replace BEFORE INSERT ON events
       WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position)
         OR EXISTS (SELECT 1 FROM events WHERE event_id = NEW.event_id)
       BEGIN SELECT RAISE(ABORT, 'the log is append-only: that position or event_id is stored');
       END""",
    "INSERT INTO tree (id, size, hashes) SELECT 1, 0, x'' WHERE NOT EXISTS (SELECT 1 FROM tree)",
    # The tree row only grows: never replaced, removed, shrunk or rewritten at its size.
    # A second tree row is skipped rather than refused: REPLACE cannot rewrite the
    # row, and the INSERT OR IGNORE an older claims-ledger runs on open still works.
    """CREATE TRIGGER IF NOT EXISTS tree_no_replace BEFORE INSERT ON tree
       WHEN EXISTS (SELECT 1 FROM tree)
       BEGIN SELECT RAISE(IGNORE); END""",
    """CREATE TRIGGER IF NOT EXISTS tree_no_delete BEFORE DELETE ON tree
       BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only: it may only grow'); END""",
    """CREATE TRIGGER IF NOT EXISTS tree_only_grows BEFORE UPDATE ON tree
       WHEN NEW.id IS NOT OLD.id OR NEW.size < OLD.size
         OR (NEW.size = OLD.size AND NEW.hashes IS NOT OLD.hashes)
       BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only: it may only grow'); END""",
)
#: The longest wait for a lock SQLite can be given: its busy timeout is an int of milliseconds.
_MAX_TIMEOUT = (2**31 - 1) // 1000
_READ_CHUNK = 1000
_FIND_CHUNK = 500
_TEXT_COLUMNS = ("event_id", "type", "recorded_at", "data", "hash")


class SQLiteStore(Store):
    """The log in one SQLite file: WAL, synchronous=FULL, BEGIN IMMEDIATE appends."""

    def __init__(
        self,
        path: str | None,
        *,
        url: str | None = None,
        clock: Clock = utc_now,
        timeout: float = 30.0,
        read_only: bool = False,
        create: bool = True,
        **options: Any,
    ) -> None:
        # None (or SQLite's own ":memory:") is a throwaway database in memory.
        self._path = None if path == ":memory:" else path
        self.url = url or path or "sqlite:///:memory:"
        self.clock = clock
        self.read_only = bool(read_only)
        self._create = create and not self.read_only
        self._lock = threading.RLock()
        #: A COMMIT running in a thread of its own while an append folds (write_folding).
        self._committing: sqlfiles.Committing | None = None
        self._reading = False
        #: A read-only store's edge over rows its tree row does not cover yet (built in memory).
        self._built: CompactRange | None = None
        if options:
            raise StoreUnavailable(f"{self.url}: unknown SQLite option(s) {sorted(options)}")
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not 0 <= timeout <= _MAX_TIMEOUT
        ):
            raise StoreUnavailable(
                f"{self.url}: timeout must be seconds from 0 to {_MAX_TIMEOUT:,}, not {timeout!r}"
            )
        self._timeout = float(timeout)
        self._check_path()
        self._conn: sqlite3.Connection | None = self._connect()
        #: The file opened (device, inode), to tell when the path names another one.
        self._identity = None if self._path is None else file_identity(self._path)
        if self._path is not None and not self.read_only:
            retire_snapshot(self._path)

    # -- the Store interface ---------------------------------------------

    def head(self) -> int:
        with self._session("read the head") as conn:
            return _head(conn)

    def read(self, after: int = 0) -> Iterator[StoredRow]:
        for values in self.scan(after):
            yield StoredRow(*values)

    def scan(self, after: int = 0) -> Iterator[RowValues]:
        # Keyset pages, each a finished query: nothing stays open between
        # yields, so a slow consumer never pins a read snapshot or the lock.
        expected = max(after, 0) + 1
        while True:
            with self._session("read records") as conn:
                page = self._page(conn, expected - 1)
            if not page:
                return
            for raw in page:
                position, event_id, type_, schema, recorded_at, data, hash_ = raw
                if not (
                    type(position) is int
                    and type(schema) is int
                    and type(event_id) is str
                    and type(type_) is str
                    and type(recorded_at) is str
                    and type(data) is str
                    and type(hash_) is str
                ):
                    _row(raw)  # raises the CorruptLog that names the column
                if position != expected:
                    raise CorruptLog(
                        f"position {expected} is missing (the next row is {position})",
                        position=expected,
                    )
                yield raw
                expected += 1

    def read_positions(self, positions: Sequence[int]) -> Iterator[StoredRow]:
        wanted = list(positions)
        for i in range(0, len(wanted), _FIND_CHUNK):
            chunk = wanted[i : i + _FIND_CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {_COLUMNS} FROM events WHERE position IN ({marks}) ORDER BY position"
            with self._session("read records") as conn:
                page = conn.execute(sql, chunk).fetchall()
            rows = [_row(raw) for raw in page]
            if [r.position for r in rows] != sorted(set(chunk)):
                missing = min(set(chunk) - {r.position for r in rows})
                raise CorruptLog(f"position {missing} is missing", position=missing)
            yield from rows

    def model(self, name: str) -> ReadModel | None:
        return SQLiteModel(name, self._session)

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        # One read transaction: every query inside sees the same snapshot of the file.
        with self._lock:
            if self._reading:
                yield
                return
            with self._session("begin reading") as conn:
                conn.execute("BEGIN")
            self._reading = True
            try:
                yield
            finally:
                self._reading = False
                if self._conn is not None:
                    with contextlib.suppress(sqlite3.Error):
                        self._conn.execute("COMMIT")

    def stored_fault(self) -> tuple[int, str] | None:
        with self._session("look for a repeated event_id") as conn:
            if _unique_event_ids(conn):
                return None  # SQLite refuses a repeat: nothing to look for
            found = conn.execute(_REPEATED).fetchone()
        return None if found is None else (found[0], self.repeats(found[1]))

    def find(self, event_ids: Sequence[str]) -> dict[str, StoredRow]:
        wanted = list(dict.fromkeys(event_ids))
        found: dict[str, StoredRow] = {}
        with self._session("find events") as conn:
            for i in range(0, len(wanted), _FIND_CHUNK):
                chunk = wanted[i : i + _FIND_CHUNK]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT {_COLUMNS} FROM events WHERE event_id IN ({marks})"
                for raw in conn.execute(sql, chunk):
                    row = _row(raw)
                    found[row.event_id] = row
        return found

    def write(
        self, rows: Sequence[StoredRow], expected_head: int, model: ModelWrite | None = None
    ) -> bool:
        self.check_writable()
        if not rows:
            return True
        leaves = admit(rows, expected_head)
        with self._session("append") as conn, sqlfiles.immediate(conn):
            return self._append(conn, rows, leaves, expected_head, model)

    def write_folding(
        self,
        rows: Sequence[StoredRow],
        expected_head: int,
        fold: Callable[[], ModelWrite | None],
        *,
        waits: bool = False,
    ) -> tuple[bool, ModelWrite | None]:
        self.check_writable()
        if not waits or not rows:
            return super().write_folding(rows, expected_head, fold)
        leaves = admit(rows, expected_head)
        with self._session("append") as conn:
            committing = sqlfiles.Committing(conn)
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._committing = committing
                self._append(conn, rows, leaves, expected_head, None)
                # The commit (its fsync, a WAL checkpoint) runs without the
                # interpreter's lock: in a thread of its own while this one folds.
                committing.start()
            except BaseException:
                committing.wait()  # a commit started before an interrupt ends first
                self._committing = None
                with contextlib.suppress(sqlite3.Error):
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                raise
            try:
                model = fold()
            finally:
                # Whatever the fold did, the commit is waited for before the
                # connection is used again (an interrupted wait leaves it to
                # the next _session). A fold's own error goes first.
                failed = committing.wait()
                self._committing = None
            if failed is not None:
                raise failed
        # A fold that was to return None but made changes: not stored (the
        # caller reads them again), never reported stored.
        return model is None, model

    def _settle_commit(self) -> None:
        """Wait for a commit running in its thread; its error is the writer's to raise."""
        committing = self._committing
        if committing is not None:
            committing.wait()

    def _append(
        self,
        conn: sqlite3.Connection,
        rows: Sequence[StoredRow],
        leaves: list[bytes],
        expected_head: int,
        model: ModelWrite | None,
    ) -> bool:
        """Inside a write transaction: store rows (and model) at expected_head + 1.."""
        values = [
            (r.position, r.event_id, r.type, r.schema, r.recorded_at, r.data, r.hash) for r in rows
        ]
        head = _head(conn)
        if head != expected_head:
            raise ConcurrencyError(expected_head, head)
        edge = _load_edge(conn)
        edges.check_size(edge.size, head)
        if edge.size != head:
            edge = _rebuild_edge(conn, edge)
        try:
            conn.executemany(
                f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", values
            )
        except sqlite3.IntegrityError as exc:
            raise _duplicate(conn, rows, exc) from exc
        edge.extend(leaves)
        _save_edge(conn, edge)
        # The read model moves with the records, in the same transaction.
        return model is None or store_model_write(conn, model, edge)

    def tree(self) -> CompactRange:
        # One snapshot for the tree row and the head: read in two, an append
        # committed between them looks like rows the tree row does not cover.
        with self.reading(), self._session("read the Merkle tree") as conn:
            edge = _load_edge(conn, missing_ok=self.read_only)
            if not self.read_only:
                return edge
            head = _head(conn)
            edges.check_size(edge.size, head)
            if edge.size == head:
                return edge
            # Rows the tree row does not cover (written by other means): a writable
            # open would rebuild the row; a read-only store builds the edge in memory.
            built = self._built
            if built is None or not edge.size <= built.size <= head:
                log.warning("%s: the tree row covers %d of %d records", self.url, edge.size, head)
                _check_tree_row(conn)
                built = _rebuild_edge(conn, edge, head)
            else:
                built = built.copy()
                built.extend(_stored_hashes(conn, built.size, head))
            self._built = built.copy()
            return built

    def replaced(self) -> bool:
        return self._path is not None and file_identity(self._path) != self._identity

    def close(self) -> None:
        with self._lock:
            self._settle_commit()  # never close under a commit still running
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()

    # -- opening ----------------------------------------------------------

    def _check_path(self) -> None:
        path = self._path
        if path is None:
            if self.read_only:
                raise StoreUnavailable(f"{self.url}: an in-memory database cannot be read-only")
            return
        if not path:
            raise StoreUnavailable(f"{self.url}: no SQLite file named (try sqlite:///ledger.db)")
        if os.path.isdir(path):
            raise StoreUnavailable(f"{path} is a directory, not a SQLite file")
        if os.path.exists(path) and not os.path.isfile(path):
            # A device, a pipe or a socket (or a link to one): SQLite would fail
            # with a bare "disk I/O error", or a read-only open call it missing.
            raise StoreUnavailable(f"{path} is not a regular file")
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise StoreUnavailable(f"cannot create {path}: directory {parent} does not exist")
        if not self._create and not os.path.isfile(path):
            raise StoreUnavailable(f"{path}: no such ledger file")

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlfiles.connect(
                self._path, timeout=self._timeout, read_only=self.read_only, create=self._create
            )
        except sqlite3.Error as exc:
            raise _translate(exc, self._path or self.url, "open") from exc
        try:
            if self.read_only:
                self._check_readable(conn)
            else:
                self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_readable(self, conn: sqlite3.Connection) -> None:
        """A read-only open: the file must be a ledger already; nothing is created or repaired."""
        where = self._path or self.url
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            if self._check_identity(conn):
                raise StoreUnavailable(f"{where} holds no ledger yet (it is empty)")
            _check_tree_row(conn)  # a tree table removed is damage to report, not a lack
            found = conn.execute(
                "SELECT count(*) FROM sqlite_master"
                " WHERE type = 'table' AND name IN ('events', 'tree')"
            ).fetchone()[0]
            if found != 2:
                raise StoreUnavailable(f"{where} lacks the ledger's tables")
            edges.check_size(_load_edge(conn, missing_ok=True).size, _head(conn))
        except sqlite3.Error as exc:
            raise _translate(exc, where, "open") from exc

    def _prepare(self, conn: sqlite3.Connection) -> None:
        # Several processes may create the same file at once; switching to WAL
        # can report "locked" without waiting, so retry until the timeout.
        where = self._path or self.url
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
                # Refuse another application's database before changing anything in it.
                self._check_identity(conn)
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                conn.execute("PRAGMA synchronous = FULL")
                # The read model's rows land all over their table: a larger page
                # cache keeps the pages of a batch in memory (SQLite's default is 2 MiB).
                conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
                conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
                with sqlfiles.immediate(conn):
                    # Before the tables are made: making them would give a removed row back.
                    _check_tree_row(conn)
                    self._create_tables(conn)
                    edge, head = _load_edge(conn), _head(conn)
                    edges.check_size(edge.size, head)
                    if edge.size != head:
                        log.warning("%s: rebuilding the Merkle edge at %d", self.url, head)
                        _save_edge(conn, _rebuild_edge(conn, edge, head))
                break
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() > deadline:
                    raise _translate(exc, where, "open") from exc
                time.sleep(0.01)
            except sqlite3.Error as exc:
                raise _translate(exc, where, "open") from exc
        if mode.lower() != "wal" and self._path is not None:
            raise StoreUnavailable(f"{where}: SQLite refused WAL mode (journal_mode={mode})")

    def _check_identity(self, conn: sqlite3.Connection) -> bool:
        """Whether the file is empty; StoreUnavailable unless it is empty or a ledger."""
        where = self._path or self.url
        # One statement, so one snapshot: read one by one, a creator committing
        # in between could show its tables without its application id.
        app, version, objects = conn.execute(
            "SELECT (SELECT application_id FROM pragma_application_id),"
            " (SELECT user_version FROM pragma_user_version),"
            " (SELECT count(*) FROM sqlite_master)"
        ).fetchone()
        if objects and app != APPLICATION_ID:
            raise StoreUnavailable(
                f"{where} is a SQLite database of another application, not a ledger"
            )
        if version > FORMAT_VERSION:
            raise StoreUnavailable(
                f"{where} has ledger format {version}; this code reads up to {FORMAT_VERSION}"
            )
        return not objects

    def _create_tables(self, conn: sqlite3.Connection) -> None:
        # Checked again under the write lock: another process may have just created it.
        empty = self._check_identity(conn)
        for statement in _TABLES:
            conn.execute(statement)
        create_model_tables(conn)
        if empty:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {FORMAT_VERSION}")

    # -- plumbing ---------------------------------------------------------

    @contextlib.contextmanager
    def _session(self, what: str) -> Iterator[sqlite3.Connection]:
        """The connection under the lock, with sqlite3 errors translated."""
        with self._lock:
            if self._conn is None:
                raise StoreUnavailable(f"{self.url}: the store is closed")
            try:
                # A read while a commit runs in its thread waits for it.
                self._settle_commit()
                yield self._conn
            except LedgerError:
                raise
            except sqlite3.Error as exc:
                raise _translate(exc, self.url, what) from exc

    def _page(self, conn: sqlite3.Connection, after: int) -> list[Any]:
        sql = f"SELECT {_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?"
        try:
            return conn.execute(sql, (after, _READ_CHUNK)).fetchall()
        except sqlite3.OperationalError as exc:
            if not sqlfiles.is_conversion(exc):
                raise
        raise _undecodable(conn, after)


def _head(conn: sqlite3.Connection) -> int:
    found = conn.execute("SELECT max(position) FROM events").fetchone()[0]
    return 0 if found is None else int(found)


def _row(raw: Any) -> StoredRow:
    """A StoredRow from a fetched tuple, refusing columns of the wrong type."""
    position, event_id, type_, schema, recorded_at, data, hash_ = raw
    if type(position) is not int:
        raise CorruptLog(f"position {position!r} is not an integer")
    values = {
        "event_id": event_id,
        "type": type_,
        "recorded_at": recorded_at,
        "data": data,
        "hash": hash_,
    }
    for name, value in values.items():
        if type(value) is not str:
            raise CorruptLog(f"{name} is {type(value).__name__}, not text", position=position)
    if type(schema) is not int:
        raise CorruptLog(f"schema {schema!r} is not an integer", position=position)
    return StoredRow(position, event_id, type_, schema, recorded_at, data, hash_)


def _undecodable(conn: sqlite3.Connection, after: int) -> CorruptLog:
    """The CorruptLog naming the first row after `after` whose text is not UTF-8."""
    sql = (
        f"SELECT position, {', '.join(_TEXT_COLUMNS)} FROM events "
        "WHERE position > ? ORDER BY position LIMIT ?"
    )
    conn.text_factory = bytes
    try:
        for position, *texts in conn.execute(sql, (after, _READ_CHUNK)):
            for name, value in zip(_TEXT_COLUMNS, texts, strict=True):
                try:
                    value.decode()
                except UnicodeDecodeError as exc:
                    reason = f"{name} is not valid UTF-8 ({exc.reason})"
                    return CorruptLog(reason, position=position)
    finally:
        conn.text_factory = str
    return CorruptLog(f"a row after position {after} is not valid UTF-8", position=after + 1)


def _load_edge(conn: sqlite3.Connection, *, missing_ok: bool = False) -> CompactRange:
    """The stored right edge; missing_ok: no row is the edge of no rows (a read-only store)."""
    found = conn.execute("SELECT size, hashes FROM tree WHERE id = 1").fetchone()
    if found is None:
        if missing_ok:
            return CompactRange()
        raise CorruptLog("the tree table has no row")
    size, blob = found
    if type(size) is not int or not isinstance(blob, bytes) or len(blob) % HASH_SIZE:
        raise CorruptLog("the tree table's row is damaged")
    return edges.kept_edge(size, [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)])


def _save_edge(conn: sqlite3.Connection, edge: CompactRange) -> None:
    conn.execute(
        "UPDATE tree SET size = ?, hashes = ? WHERE id = 1", (edge.size, b"".join(edge.hashes))
    )


def _rebuild_edge(
    conn: sqlite3.Connection, stored: CompactRange, head: int | None = None
) -> CompactRange:
    """The right edge over every stored hash (rows added without it), from the tree row's.

    ``stored``, the tree row's edge over the first records, must be theirs
    (``edges.extend_kept``): a record it covers rewritten is refused.
    """
    return edges.extend_kept(stored, _stored_hashes(conn, 0, head))


#: The first record whose event_id an earlier record holds, and the earlier's position.
_REPEATED = (
    "SELECT position, first FROM (SELECT position,"
    " min(position) OVER (PARTITION BY event_id) AS first FROM events)"
    " WHERE position > first ORDER BY position LIMIT 1"
)


def _unique_event_ids(conn: sqlite3.Connection) -> bool:
    """Whether the events table has a unique index on event_id alone (the ledger makes one)."""
    for _, name, unique, _, partial in conn.execute("PRAGMA index_list(events)").fetchall():
        if unique and not partial:
            columns = [row[2] for row in conn.execute(f"PRAGMA index_info({_quoted(name)})")]
            if columns == ["event_id"]:
                return True
    return False


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _check_tree_row(conn: sqlite3.Connection) -> None:
    """CorruptLog when the tree table or its row is gone while records are stored.

    The table and its row are made with the log's table, in one transaction,
    and the row is updated by every append: only their removal (which hides a
    truncation or a rewrite) leaves records without them. Records before
    position 1, which the log's reads never reach, are refused too.
    """
    tables = {
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('events', 'tree')"
        )
    }
    if "events" not in tables:
        return  # a new file: the tables are made
    if "tree" not in tables:
        if conn.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None:
            raise CorruptLog(
                "the tree table was removed while the log holds records: the stored "
                "Merkle tree, which would show a truncation or a rewrite, is gone"
            )
        return  # no record to vouch for: the table is made again
    first = conn.execute("SELECT min(position) FROM events").fetchone()[0]
    # The table's CHECK refuses them: only a table made again without it holds one.
    edges.check_first(first if isinstance(first, int) else None)
    kept = conn.execute("SELECT 1 FROM tree").fetchone() is not None
    edges.check_kept(kept, first is not None)


def _stored_hashes(conn: sqlite3.Connection, after: int, head: int | None) -> Iterator[bytes]:
    """The stored leaf hashes after a position (up to head), checked to follow one another."""
    expected = after + 1
    limit = -1 if head is None else head - after
    for position, hash_ in conn.execute(
        "SELECT position, hash FROM events WHERE position > ? ORDER BY position LIMIT ?",
        (after, limit),
    ):
        if position != expected:
            raise CorruptLog(f"position {expected} is missing", position=expected)
        try:
            digest = bytes.fromhex(hash_)
        except (TypeError, ValueError):
            digest = b""
        if len(digest) != HASH_SIZE:
            raise CorruptLog(f"hash {hash_!r} is not {HASH_SIZE * 2} hex digits", position=position)
        yield digest
        expected += 1


def _duplicate(
    conn: sqlite3.Connection, rows: Sequence[StoredRow], exc: sqlite3.IntegrityError
) -> StoreError:
    for row in rows:
        found = conn.execute(
            "SELECT position FROM events WHERE event_id = ?", (row.event_id,)
        ).fetchone()
        if found is not None:
            return DuplicateEvent(row.event_id, int(found[0]))
    return StoreError(f"the database refused the rows: {exc}")


def _translate(exc: sqlite3.Error, where: str, what: str) -> StoreError:
    """The StoreError for a sqlite3 error, naming the file and the operation."""
    text = str(exc)
    if sqlfiles.is_corrupt(exc):
        return CorruptLog(f"{where}: cannot {what}: {text}")
    if is_busy(exc):
        return StoreUnavailable(f"{where}: cannot {what}: the database stayed locked ({text})")
    return StoreUnavailable(f"{where}: cannot {what}: {text}")
