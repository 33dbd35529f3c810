"""Read models: the tables a store keeps beside the log for a persisted projection.

A projection persisted in a store keeps its facts as rows
``(table, part, item) -> text`` under its name, and one checkpoint row: the
projection's version, the log position its rows cover and the Merkle right
edge of the log at that position. The store never interprets the rows (it
computes no view); the facade checks the checkpoint against the log and
reads rows back through the projection's own codec.

SQLite files keep these tables in the ledger's own file, written in the same
transaction as the records; a JSON Lines ledger keeps them in a SQLite file
beside it (``<log>.readmodel``), written right after each append under the
writer's lock; ``ledger.stores.postgres`` keeps them in the ledger's database.
The SQL for SQLite is here, shared by both file stores.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager

import attrs

from ledger.errors import InvalidProof, StoreError
from ledger.merkle import HASH_SIZE, CompactRange
from ledger.stores.sqlfiles import immediate, is_read_only, primary_code

__all__ = [
    "MAX_VERSION",
    "Change",
    "ModelCheckpoint",
    "ModelDamaged",
    "ModelReadOnly",
    "ModelWrite",
    "ReadModel",
    "SQLiteModel",
    "checkpoint_of",
    "create_model_tables",
    "retire_snapshot",
    "store_model_write",
]

#: The highest version a read model may have: every store holds it (PostgreSQL's
#: ``integer`` column is the narrowest).
MAX_VERSION = 2**31 - 1

log = logging.getLogger("ledger.stores")

#: What SQLite says when the model tables are not of the shape this code makes
#: (no such column, too few values, a type or constraint they do not have).
_SHAPE_FAULTS = frozenset(
    (sqlite3.SQLITE_ERROR, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_CONSTRAINT)
)
#: ... and, for a side file, what it says when the file is not a database at all.
_SIDE_FAULTS = _SHAPE_FAULTS | {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}

#: (table, part, item, text); text None removes the row.
Change = tuple[str, str, str, str | None]
_CHUNK = 500
#: Rows read in one request when a whole table is read in pages.
_PAGE = 5_000

#: The SQLite tables of read models, created beside the log's own (create_model_tables).
_MODEL_TABLES = (
    """CREATE TABLE IF NOT EXISTS model_meta (
        name     TEXT PRIMARY KEY,
        version  INTEGER NOT NULL,
        position INTEGER NOT NULL,
        edge     BLOB NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS model_rows (
        name  TEXT NOT NULL,
        tbl   TEXT NOT NULL,
        part  TEXT NOT NULL,
        item  TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (name, tbl, part, item)
    ) WITHOUT ROWID""",
)


def create_model_tables(conn: sqlite3.Connection) -> None:
    """Make the read models' tables if missing, in the caller's write transaction.

    A checkpoint is only as good as the rows it covers: when the rows' table
    is gone (dropped by hand), the checkpoints go too, and every read model
    is built again rather than read as empty.
    """
    had_rows = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'model_rows'"
    ).fetchone()[0]
    for statement in _MODEL_TABLES:
        conn.execute(statement)
    if not had_rows:
        conn.execute("DELETE FROM model_meta")


_UPSERT = (
    "INSERT INTO model_rows (name, tbl, part, item, value) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (name, tbl, part, item) DO UPDATE SET value = excluded.value"
)
_DELETE = "DELETE FROM model_rows WHERE name = ? AND tbl = ? AND part = ? AND item = ?"
_SAVE_META = (
    "INSERT INTO model_meta (name, version, position, edge) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET version = excluded.version, "
    "position = excluded.position, edge = excluded.edge"
)


class ModelDamaged(StoreError):
    """A read model that cannot be read back; the facade rebuilds it (never escapes a Ledger)."""


class ModelReadOnly(StoreError):
    """A read model this process may not write (a read-only file or role); it folds in memory."""


@attrs.frozen
class ModelCheckpoint:
    """Where a read model stands: its projection's version, and the log prefix it covers."""

    version: int
    edge: CompactRange

    @property
    def position(self) -> int:
        """The last position folded into the rows."""
        return self.edge.size


@attrs.frozen
class ModelWrite:
    """The rows a fold changed, to store together with the records that changed them.

    ``since`` is the position the fold started from: the changes only apply
    on top of a checkpoint there.
    """

    name: str
    version: int
    since: int
    changes: Sequence[Change]


class ReadModel(abc.ABC):
    """One persisted projection's rows in a store, and its checkpoint."""

    name: str

    @abc.abstractmethod
    def checkpoint(self) -> ModelCheckpoint | None:
        """Where the rows stand; None when there are none (ModelDamaged if unreadable)."""

    @abc.abstractmethod
    def load(self, table: str, parts: Collection[str]) -> dict[str, dict[str, str]]:
        """The rows of these partitions: part -> item -> text."""

    @abc.abstractmethod
    def load_all(self, table: str) -> dict[str, dict[str, str]]:
        """Every row of a table: part -> item -> text."""

    def tables(self) -> set[str] | None:
        """The names of the tables that hold rows; None when the store cannot tell.

        ``verify`` asks, to find rows under a table the projection does not
        keep. Called inside ``Store.reading()``, like ``rows``.
        """
        return None

    def rows(self, table: str) -> Iterator[tuple[str, str, str]]:
        """Every row of a table as (part, item, text), a partition's rows together.

        For reading a whole table without holding it in memory (``verify``
        compares each row with the log); the stores page through it in key
        order. Called inside ``Store.reading()`` to see one snapshot.
        """
        for part, items in self.load_all(table).items():
            for item, text in items.items():
                yield part, item, text

    @abc.abstractmethod
    def replace(
        self,
        version: int,
        changes: Sequence[Change],
        edge: CompactRange,
        *,
        expected: int | None,
        reset: bool = False,
    ) -> bool:
        """Store changes and the checkpoint at edge, in a transaction of its own.

        ``expected`` is the position the stored checkpoint must still have
        (None: there must be none, unless ``reset``); with ``reset`` every
        row of the projection goes first. False (nothing written) when
        another process moved the checkpoint meanwhile.
        """


def retire_snapshot(log_path: str) -> None:
    """Remove the projection snapshot an older claims-ledger kept beside a log file.

    Its index is replaced by the read model; the file is a cache, so it goes.
    """
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError, PermissionError, IsADirectoryError):
            os.remove(f"{log_path}.snapshot{suffix}")


def _edge_blob(edge: CompactRange) -> bytes:
    return b"".join(edge.hashes)


def checkpoint_of(version: object, position: object, blob: object) -> ModelCheckpoint:
    """A checkpoint row read back (any store); ModelDamaged when it does not hold together."""
    if isinstance(blob, memoryview):
        blob = bytes(blob)
    if (
        type(version) is not int
        or type(position) is not int
        or not isinstance(blob, bytes)
        or len(blob) % HASH_SIZE
    ):
        raise ModelDamaged("the read model's checkpoint is damaged")
    hashes = [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]
    try:
        return ModelCheckpoint(version, CompactRange(position, hashes))
    except InvalidProof as exc:
        raise ModelDamaged(f"the read model's checkpoint is damaged: {exc}") from None


def store_model_write(conn: sqlite3.Connection, write: ModelWrite, edge: CompactRange) -> bool:
    """Inside the caller's transaction: store a fold's changes and move the checkpoint to edge.

    The rows are only written on top of a checkpoint at the position the
    batch was folded from (no checkpoint at all is a read model of the empty
    log); else False, and the read model is left to catch up on the next open.
    """
    # Tables dropped by hand (a cache may be) are made again, without checkpoints:
    # the append is stored, and the read model is built again by the next reader.
    # Tables of another shape fail here: the records are stored all the same
    # (the savepoint takes back only the model's part), and the next reader
    # finds the read model damaged and makes its tables again.
    conn.execute("SAVEPOINT model_write")
    try:
        create_model_tables(conn)
        found = conn.execute(
            "SELECT version, position FROM model_meta WHERE name = ?", (write.name,)
        ).fetchone()
        since = tuple(found) if found is not None else (write.version, 0)
        stored = since == (write.version, write.since)
        if stored:
            _apply(conn, write.name, write.changes)
            conn.execute(_SAVE_META, (write.name, write.version, edge.size, _edge_blob(edge)))
    except sqlite3.Error as exc:
        if primary_code(exc) not in _SHAPE_FAULTS:
            raise
        conn.execute("ROLLBACK TO model_write")
        log.warning("the read model was not written with the records (%s)", exc)
        stored = False
    conn.execute("RELEASE model_write")
    return stored


def _apply(conn: sqlite3.Connection, name: str, changes: Sequence[Change]) -> None:
    upserts = [(name, t, p, i, v) for t, p, i, v in changes if v is not None]
    deletes = [(name, t, p, i) for t, p, i, v in changes if v is None]
    if deletes:
        conn.executemany(_DELETE, deletes)
    if upserts:
        conn.executemany(_UPSERT, upserts)


class SQLiteModel(ReadModel):
    """A read model in SQLite: in the ledger's own file, or beside a JSON Lines log."""

    def __init__(
        self,
        name: str,
        session: Callable[[str], AbstractContextManager[sqlite3.Connection]],
        exists: Callable[[], bool] = lambda: True,
        discard: Callable[[], None] | None = None,
        turn: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
    ) -> None:
        self.name = name
        self._session = session
        # A side file not made yet holds no rows; reading must not make it.
        self._exists = exists
        # A side file may be removed whole before a rebuild (it may not even be SQLite).
        self._discard = discard
        # Held around every write of the rows: a side file is written under the
        # log's own writer lock, so that a reader holding the log's shared lock
        # (Store.reading()) sees one state of the log and the rows.
        self._turn = turn

    @contextlib.contextmanager
    def _reading(self, what: str) -> Iterator[sqlite3.Connection]:
        try:
            with self._session(what) as conn:
                yield conn
        except sqlite3.Error as exc:
            raise ModelDamaged(f"cannot {what}: {exc}") from exc
        except StoreError as exc:
            if isinstance(exc, ModelDamaged):
                raise
            raise ModelDamaged(f"cannot {what}: {exc}") from exc

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._session("write the read model") as conn:
                yield conn
        except sqlite3.Error as exc:
            if is_read_only(exc):
                raise ModelReadOnly(f"cannot write the read model: {exc}") from exc
            raise
        except StoreError as exc:
            cause = exc.__cause__
            if isinstance(cause, sqlite3.Error) and is_read_only(cause):
                raise ModelReadOnly(str(exc)) from exc
            raise

    def checkpoint(self) -> ModelCheckpoint | None:
        if not self._exists():
            return None
        with self._reading("read the read model's checkpoint") as conn:
            found = conn.execute(
                "SELECT version, position, edge FROM model_meta WHERE name = ?", (self.name,)
            ).fetchone()
        if found is None:
            return None
        return checkpoint_of(*found)

    def load(self, table: str, parts: Collection[str]) -> dict[str, dict[str, str]]:
        wanted = list(parts)
        found: dict[str, dict[str, str]] = {}
        if not self._exists():
            return found
        with self._reading("read the read model") as conn:
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT part, item, value FROM model_rows "
                    f"WHERE name = ? AND tbl = ? AND part IN ({marks})",
                    (self.name, table, *chunk),
                )
                for part, item, value in rows:
                    found.setdefault(part, {})[item] = value
        return found

    def load_all(self, table: str) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        if not self._exists():
            return found
        with self._reading("read the read model") as conn:
            rows = conn.execute(
                "SELECT part, item, value FROM model_rows WHERE name = ? AND tbl = ?",
                (self.name, table),
            )
            for part, item, value in rows:
                found.setdefault(part, {})[item] = value
        return found

    def tables(self) -> set[str] | None:
        if not self._exists():
            return set()
        with self._reading("read the read model") as conn:
            found = conn.execute(
                "SELECT DISTINCT tbl FROM model_rows WHERE name = ?", (self.name,)
            ).fetchall()
        return {row[0] for row in found}

    def rows(self, table: str) -> Iterator[tuple[str, str, str]]:
        if not self._exists():
            return
        # The first page from the least key, ("", "") included: a row keyed so
        # is read like any other (verify must see every row the views may read).
        after, op = ("", ""), ">="
        while True:
            with self._reading("read the read model") as conn:
                page = conn.execute(
                    "SELECT part, item, value FROM model_rows WHERE name = ? AND tbl = ?"
                    f" AND (part, item) {op} (?, ?) ORDER BY part, item LIMIT ?",
                    (self.name, table, *after, _PAGE),
                ).fetchall()
            yield from page
            if len(page) < _PAGE:
                return
            after, op = page[-1][:2], ">"

    def replace(
        self,
        version: int,
        changes: Sequence[Change],
        edge: CompactRange,
        *,
        expected: int | None,
        reset: bool = False,
    ) -> bool:
        with self._turn():
            try:
                return self._replace(version, changes, edge, expected=expected, reset=reset)
            except (sqlite3.Error, StoreError) as exc:
                if not reset or not self._unusable(exc):
                    raise
                # A reset stands on tables that do not hold together (another shape,
                # a side file that is not SQLite): they are made again, whole. The
                # other projections' rows go with them (each is folded again).
                log.warning(
                    "the read model's tables do not hold together (%s): making them again", exc
                )
                self._remake()
            return self._replace(version, changes, edge, expected=expected, reset=reset)

    def _replace(
        self,
        version: int,
        changes: Sequence[Change],
        edge: CompactRange,
        *,
        expected: int | None,
        reset: bool,
    ) -> bool:
        with self._writing() as conn, immediate(conn):
            create_model_tables(conn)  # dropped by hand: made again, checkpoints gone
            found = conn.execute(
                "SELECT position FROM model_meta WHERE name = ?", (self.name,)
            ).fetchone()
            if not reset and (None if found is None else found[0]) != expected:
                return False
            if reset:
                conn.execute("DELETE FROM model_rows WHERE name = ?", (self.name,))
            _apply(conn, self.name, changes)
            conn.execute(_SAVE_META, (self.name, version, edge.size, _edge_blob(edge)))
        return True

    def _unusable(self, exc: BaseException) -> bool:
        """Whether an error says the read model's own tables are not as this code makes them."""
        cause = exc if isinstance(exc, sqlite3.Error) else exc.__cause__
        if not isinstance(cause, sqlite3.Error):
            return False
        # A side file may be anything (it is removed whole); the ledger's own file
        # only loses its model tables, and only when their shape is what failed.
        codes = _SIDE_FAULTS if self._discard is not None else _SHAPE_FAULTS
        return primary_code(cause) in codes

    def _remake(self) -> None:
        if self._discard is not None:
            self._discard()
            return
        with self._writing() as conn, immediate(conn):
            conn.execute("DROP TABLE IF EXISTS model_rows")
            conn.execute("DROP TABLE IF EXISTS model_meta")
