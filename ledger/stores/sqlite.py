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
from collections.abc import Iterator, Sequence
from typing import Any

from ledger.codec import MAX_RECORD_BYTES, RowValues, StoredRow, oversize
from ledger.errors import (
    ConcurrencyError,
    CorruptLog,
    DuplicateEvent,
    InvalidProof,
    LedgerError,
    RecordTooLarge,
    StoreError,
    StoreUnavailable,
)
from ledger.merkle import HASH_SIZE, CompactRange
from ledger.stores.base import Clock, Store, utc_now
from ledger.stores.readmodel import (
    MODEL_TABLES,
    ModelWrite,
    ReadModel,
    SQLiteModel,
    retire_snapshot,
    store_model_write,
)

__all__ = ["SQLiteStore", "is_busy"]

log = logging.getLogger("ledger.stores.sqlite")

#: PRAGMA application_id of a ledger file ("LEDG"), so other databases are left alone.
APPLICATION_ID = 0x4C454447
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
    "INSERT OR IGNORE INTO tree (id, size, hashes) VALUES (1, 0, x'')",
    *MODEL_TABLES,
)
_READ_CHUNK = 1000
_FIND_CHUNK = 500
_TEXT_COLUMNS = ("event_id", "type", "recorded_at", "data", "hash")


class SQLiteStore(Store):
    """The log in one SQLite file: WAL, synchronous=FULL, BEGIN IMMEDIATE appends."""

    def __init__(
        self,
        path: str,
        *,
        url: str | None = None,
        clock: Clock = utc_now,
        timeout: float = 30.0,
        **options: Any,
    ) -> None:
        self.url = url or path
        self.clock = clock
        self._path = path
        self._lock = threading.RLock()
        self._reading = False
        if options:
            raise StoreUnavailable(f"{self.url}: unknown SQLite option(s) {sorted(options)}")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0:
            raise StoreUnavailable(f"{self.url}: timeout must be seconds >= 0, not {timeout!r}")
        self._timeout = float(timeout)
        self._check_path()
        self._conn: sqlite3.Connection | None = self._connect()
        if self._path != ":memory:":
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
        return SQLiteModel(name, self._session, _transaction)

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
        if not rows:
            return True
        leaves = _leaf_hashes(rows, expected_head)
        values = [
            (r.position, r.event_id, r.type, r.schema, r.recorded_at, r.data, r.hash) for r in rows
        ]
        with self._session("append") as conn, _transaction(conn):
            head = _head(conn)
            if head != expected_head:
                raise ConcurrencyError(expected_head, head)
            edge = _load_edge(conn)
            _check_edge(edge.size, head)
            if edge.size != head:
                edge = _rebuild_edge(conn)
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
        with self._session("read the Merkle tree") as conn:
            return _load_edge(conn)

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()

    # -- opening ----------------------------------------------------------

    def _check_path(self) -> None:
        if not self._path:
            raise StoreUnavailable(f"{self.url}: no SQLite file named (try sqlite:///ledger.db)")
        if self._path == ":memory:":
            return
        if os.path.isdir(self._path):
            raise StoreUnavailable(f"{self._path} is a directory, not a SQLite file")
        parent = os.path.dirname(os.path.abspath(self._path))
        if not os.path.isdir(parent):
            raise StoreUnavailable(f"cannot create {self._path}: directory {parent} does not exist")

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._path,
                timeout=self._timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise _translate(exc, self._path, "open") from exc
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        # Several processes may create the same file at once; switching to WAL
        # can report "locked" without waiting, so retry until the timeout.
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
                # Refuse another application's database before changing anything in it.
                self._check_identity(conn)
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                conn.execute("PRAGMA synchronous = FULL")
                with _transaction(conn):
                    self._create_tables(conn)
                    size, head = _load_edge(conn).size, _head(conn)
                    _check_edge(size, head)
                    if size != head:
                        log.warning("%s: rebuilding the Merkle edge at %d", self.url, head)
                        _save_edge(conn, _rebuild_edge(conn))
                break
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() > deadline:
                    raise _translate(exc, self._path, "open") from exc
                time.sleep(0.01)
            except sqlite3.Error as exc:
                raise _translate(exc, self._path, "open") from exc
        if mode.lower() != "wal" and self._path != ":memory:":
            raise StoreUnavailable(f"{self._path}: SQLite refused WAL mode (journal_mode={mode})")

    def _check_identity(self, conn: sqlite3.Connection) -> bool:
        """Whether the file is empty; StoreUnavailable unless it is empty or a ledger."""
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if objects and app != APPLICATION_ID:
            raise StoreUnavailable(
                f"{self._path} is a SQLite database of another application, not a ledger"
            )
        if version > FORMAT_VERSION:
            raise StoreUnavailable(
                f"{self._path} has ledger format {version}; this code reads up to {FORMAT_VERSION}"
            )
        return not objects

    def _create_tables(self, conn: sqlite3.Connection) -> None:
        # Checked again under the write lock: another process may have just created it.
        empty = self._check_identity(conn)
        for statement in _TABLES:
            conn.execute(statement)
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
            if "decode" not in str(exc):
                raise
        raise _undecodable(conn, after)


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


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


def _leaf_hashes(rows: Sequence[StoredRow], head: int) -> list[bytes]:
    """The rows' leaf hashes, after checking what the file must never hold."""
    leaves: list[bytes] = []
    seen: set[str] = set()
    for i, row in enumerate(rows, head + 1):
        if row.position != i:
            raise StoreError(f"row {row.event_id!r} has position {row.position}, expected {i}")
        if row.event_id in seen:
            raise DuplicateEvent(row.event_id, i)
        seen.add(row.event_id)
        size = oversize(row)
        if size is not None:
            raise RecordTooLarge(size, MAX_RECORD_BYTES, position=i)
        try:
            digest = bytes.fromhex(row.hash)
        except ValueError:
            digest = b""
        if len(digest) != HASH_SIZE:
            raise StoreError(f"position {i}: hash {row.hash!r} is not {HASH_SIZE * 2} hex digits")
        leaves.append(digest)
    return leaves


def _load_edge(conn: sqlite3.Connection) -> CompactRange:
    found = conn.execute("SELECT size, hashes FROM tree WHERE id = 1").fetchone()
    if found is None:
        raise CorruptLog("the tree table has no row")
    size, blob = found
    if type(size) is not int or not isinstance(blob, bytes) or len(blob) % HASH_SIZE:
        raise CorruptLog("the tree table's row is damaged")
    hashes = [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]
    try:
        return CompactRange(size, hashes)
    except InvalidProof as exc:
        raise CorruptLog(f"the tree table's row is damaged: {exc}") from None


def _save_edge(conn: sqlite3.Connection, edge: CompactRange) -> None:
    conn.execute(
        "UPDATE tree SET size = ?, hashes = ? WHERE id = 1", (edge.size, b"".join(edge.hashes))
    )


def _rebuild_edge(conn: sqlite3.Connection) -> CompactRange:
    """The right edge recomputed from every stored hash (a file from elsewhere)."""
    edge = CompactRange()
    for position, hash_ in conn.execute("SELECT position, hash FROM events ORDER BY position"):
        if position != edge.size + 1:
            raise CorruptLog(f"position {edge.size + 1} is missing", position=edge.size + 1)
        try:
            digest = bytes.fromhex(hash_)
        except (TypeError, ValueError):
            digest = b""
        if len(digest) != HASH_SIZE:
            raise CorruptLog(f"hash {hash_!r} is not {HASH_SIZE * 2} hex digits", position=position)
        edge.append(digest)
    return edge


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


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether a sqlite3 error means another connection holds the lock."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _translate(exc: sqlite3.Error, where: str, what: str) -> StoreError:
    """The StoreError for a sqlite3 error, naming the file and the operation."""
    text = str(exc)
    lowered = text.lower()
    if "malformed" in lowered or "corrupt" in lowered:
        return CorruptLog(f"{where}: cannot {what}: {text}")
    if is_busy(exc):
        return StoreUnavailable(f"{where}: cannot {what}: the database stayed locked ({text})")
    return StoreUnavailable(f"{where}: cannot {what}: {text}")


def _check_edge(size: int, head: int) -> None:
    # A tree longer than the log means records were removed from its end:
    # refuse rather than rebuild the edge and hide the truncation.
    if size > head:
        raise CorruptLog(
            f"the Merkle tree covers {size} records, the log ends at position {head}",
            position=head + 1,
        )
