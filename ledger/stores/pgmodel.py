"""PostgreSQL's writes of read-model rows: as statements, under their lock, and behind the appends.

Every write of a ledger's read-model rows (an append's few, a catch-up's, a
bulk load's) sends them as ``ModelRows`` and holds the read model's own
advisory lock (``lock_model``), taken after the writers' lock by all but the
write behind; ``model_ready`` is the check under it. ``ledger.stores.postgres``
calls these; this module imports nothing above ``pgschema``.

A bulk load stores its read model's changes every ``WRITE_EVERY`` records
(``ledger.facade.keeper``), a few hundred thousand rows at a time. Written
inside the append that carries them, they held every writer of the ledger
for seconds while this process waited on the server. Instead, once the
append's records are committed, a second connection takes the read model's
lock, checks that the rows still stand where the changes were folded from,
and a thread writes them and the new checkpoint while this process folds the
next batches (on the other core).

Until that transaction commits, this process reads its read model through
the write in flight (``Behind``): the checkpoint it will store, and the rows
the server holds with the changes laid over them. That is exactly what the
committed rows will be, and what they were folded to be if the write fails:
the facts are the log's either way, and a failed write only leaves the read
model behind the log, as after a crash, for the next open to catch up.

Every other writer of the read model (an inline append's rows, a catch-up)
takes the same lock, after the writers' lock; the write behind takes only
this one, so appends go on meanwhile and no two transactions wait on each
other in a circle.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from typing import Any

import attrs
import psycopg

from ledger.merkle import CompactRange
from ledger.stores.background import Background
from ledger.stores.pgschema import MODEL_LOCK_CLASS, Statements
from ledger.stores.readmodel import Change, ModelCheckpoint, ModelWrite, checkpoint_of

__all__ = [
    "WRITE_BEHIND",
    "Behind",
    "ModelRows",
    "close_quietly",
    "lock_model",
    "model_ready",
    "model_rows",
    "shape_fault",
]

#: Read-model changes from this many rows up are written behind the append that made them.
WRITE_BEHIND = 10_000
#: Read-model rows per statement.
_MODEL_CHUNK = 5000

Connection = psycopg.Connection[Any]
#: (table, part, item)
_Key = tuple[str, str, str]


@attrs.frozen
class ModelRows:
    """A model write's changes as statements want them: one change per row, in key order."""

    deletes: list[_Key]
    upserts: list[tuple[str, str, str, str]]

    def store(
        self,
        cur: psycopg.Cursor[Any],
        sql: Statements,
        scope: tuple[str, str],
        version: int,
        edge: CompactRange,
    ) -> None:
        """Send the deletes, the upserts (a statement per chunk of rows, columns as arrays),
        then the checkpoint they stand at: every write of read-model rows is these."""
        if self.deletes:
            cur.executemany(sql.model_delete, [(*scope, *key) for key in self.deletes])
        upserts = self.upserts
        for start in range(0, len(upserts), _MODEL_CHUNK):
            chunk = upserts[start : start + _MODEL_CHUNK]
            columns = [[row[k] for row in chunk] for k in range(4)]
            cur.execute(sql.model_upsert, (*scope, *columns))
        cur.execute(sql.model_save_meta, (*scope, version, edge.size, b"".join(edge.hashes)))


def model_rows(changes: Sequence[Change]) -> ModelRows:
    """The changes as rows: the last change of each key, deletes apart, upserts sorted.

    One change per row, since an upsert may not touch a row twice; in key
    order, so each page of the index is visited once, not once per row (a
    third less of the server's time for a bulk write's rows).
    """
    latest = {(t, p, i): v for t, p, i, v in changes}
    deletes = [key for key, v in latest.items() if v is None]
    upserts = sorted([(*key, v) for key, v in latest.items() if v is not None])
    return ModelRows(deletes, upserts)


class Behind:
    """One read model's rows on their way in a thread, and how reads see them meanwhile.

    ``begin()`` makes one, or None when the rows cannot be written behind.
    """

    def __init__(
        self,
        conn: Connection,
        write: Callable[[Connection], None],
        name: str,
        since: int,
        checkpoint: ModelCheckpoint,
        rows: ModelRows,
    ) -> None:
        self.name = name
        #: Where the stored rows stand until the write commits.
        self.since = since
        #: The checkpoint the write stores.
        self.checkpoint = checkpoint
        #: table -> part -> item -> text (None: deleted), laid over the stored rows.
        self._over: dict[str, dict[str, dict[str, str | None]]] = {}
        for table, part, item in rows.deletes:
            self._over.setdefault(table, {}).setdefault(part, {})[item] = None
        for table, part, item, text in rows.upserts:
            self._over.setdefault(table, {}).setdefault(part, {})[item] = text
        self._conn = conn
        self._write = write
        self._background = Background(self._run, "ledger-model-write")

    @classmethod
    def begin(
        cls,
        connect: Callable[[], Connection],
        sql: Statements,
        ledger: str,
        model: ModelWrite,
        edge: CompactRange,
    ) -> Behind | None:
        """Take the read model's lock on a new connection and start writing model at edge.

        None, with nothing written, when another transaction holds the lock
        (another process moves the read model: these changes would not
        apply) or the rows no longer stand at ``model.since``.
        """
        scope = (ledger, model.name)
        conn = connect()
        try:
            ready = model_ready(conn, sql, ledger, model, wait=False)
        except BaseException:
            close_quietly(conn)
            raise
        if not ready:
            close_quietly(conn)
            return None
        rows = model_rows(model.changes)

        def write(conn: Connection) -> None:
            with conn.pipeline(), conn.cursor() as cur:
                rows.store(cur, sql, scope, model.version, edge)

        checkpoint = checkpoint_of(model.version, edge.size, b"".join(edge.hashes))
        behind = cls(conn, write, model.name, model.since, checkpoint, rows)
        behind._background.start()
        return behind

    def _run(self) -> None:
        conn = self._conn
        try:
            self._write(conn)
            conn.commit()
        finally:
            close_quietly(conn)

    @property
    def error(self) -> BaseException | None:
        """What the write raised (its transaction rolled back), once it is done."""
        return self._background.error

    @property
    def done(self) -> bool:
        """Whether the write has committed or failed."""
        return self._background.done

    def wait(self) -> BaseException | None:
        """Return once the write is done: None, or what it raised (nothing was written)."""
        return self._background.wait()

    # -- reading through it ------------------------------------------------

    def lays_over(self, stands: tuple[int, int] | None) -> bool:
        """Whether reads of rows standing there (version, position) see them through this write.

        Yes where they stand where the changes were folded from, or where
        this write puts them (laid over them again, the changes change
        nothing). Anywhere else another process moved them since, and this
        write will not land: the stored rows are the truth.
        """
        version = self.checkpoint.version
        if stands is None:
            return self.since == 0
        return stands in ((version, self.since), (version, self.checkpoint.position))

    def parts(
        self, table: str, found: dict[str, dict[str, str]], parts: Iterable[str] | None = None
    ) -> dict[str, dict[str, str]]:
        """Rows read from the store (of these parts; None: all), with the changes laid over."""
        over = self._over.get(table)
        if not over:
            return found
        for part in over if parts is None else parts:
            items = over.get(part)
            if items is None:
                continue
            rows = found.setdefault(part, {})
            for item, text in items.items():
                if text is None:
                    rows.pop(item, None)
                else:
                    rows[item] = text
            if not rows:
                del found[part]
        return found

    def rows(
        self, table: str, stored: Iterator[tuple[str, str, str]]
    ) -> Iterator[tuple[str, str, str]]:
        """A table's rows, a partition's together (as ``ReadModel.rows``), the changes laid over.

        The store's rows come in its collation's order: each partition's
        changes are laid over it as it ends, and the partitions only the
        changes hold come last.
        """
        over = self._over.get(table)
        if not over:
            yield from stored
            return
        seen: set[str] = set()
        for part, group in itertools.groupby(stored, key=lambda row: row[0]):
            seen.add(part)
            if part not in over:
                yield from group
                continue
            rows = self.parts(table, {part: {item: text for _, item, text in group}}, [part])
            for item, text in rows.get(part, {}).items():
                yield part, item, text
        added = self.parts(table, {}, [part for part in over if part not in seen])
        for part, items in added.items():
            for item, text in items.items():
                yield part, item, text

    def tables(self, stored: set[str]) -> set[str]:
        """The tables that hold rows, with the changes laid over."""
        return stored | {
            table
            for table, over in self._over.items()
            if any(text is not None for items in over.values() for text in items.values())
        }


def lock_model(conn: Connection, ledger: str, name: str, *, wait: bool = True) -> bool:
    """Take a read model's lock for the transaction; False if another holds it (wait=False).

    One lock per ledger and read model: ``hashtext(ledger || '/' || name)``
    under the class "LEDH" (docs/postgres.md). A collision of two names only
    serializes their writers.
    """
    key = (MODEL_LOCK_CLASS, f"{ledger}/{name}")
    if wait:
        conn.execute("SELECT pg_catalog.pg_advisory_xact_lock(%s, pg_catalog.hashtext(%s))", key)
        return True
    found = conn.execute(
        "SELECT pg_catalog.pg_try_advisory_xact_lock(%s, pg_catalog.hashtext(%s))", key
    ).fetchone()
    return bool(found and found[0])


def model_ready(
    conn: Connection, sql: Statements, ledger: str, model: ModelWrite, *, wait: bool = True
) -> bool:
    """Whether model's rows may be stored: its lock taken, the rows where it was folded from."""
    if not lock_model(conn, ledger, model.name, wait=wait):
        return False
    found = conn.execute(sql.model_meta, (ledger, model.name)).fetchone()
    # No checkpoint at all is the read model of the empty log.
    stands = (model.version, 0) if found is None else (found[0], found[1])
    return stands == (model.version, model.since)


#: What the server says when the read model's tables are not of the shape this
#: code makes: an undefined column or table, a column of another type, no key
#: for ON CONFLICT, a value the column cannot hold, a constraint new rows break.
_SHAPE_FAULTS = frozenset(
    (
        "42703",  # undefined_column
        "42P01",  # undefined_table
        "42804",  # datatype_mismatch
        "42846",  # cannot_coerce
        "42809",  # wrong_object_type
        "42P10",  # invalid_column_reference: ON CONFLICT without the key
        "22P02",  # invalid_text_representation: text into a retyped column
        "22003",  # numeric_value_out_of_range
        "22001",  # string_data_right_truncation
        "23502",  # not_null_violation
        "23503",  # foreign_key_violation
        "23505",  # unique_violation
        "23514",  # check_violation
        "23P01",  # exclusion_violation
    )
)


def shape_fault(exc: BaseException | None) -> bool:
    """Whether the server refused a read-model statement for its tables' shape.

    Tables altered by hand (a column renamed or retyped, a constraint added,
    the key dropped) fail the statements that touch what changed: a renamed
    column every statement, a constraint only writes. Some of these codes (a
    unique violation) are the records' errors too: a caller sharing a
    transaction with records surfaces theirs first.
    """
    return getattr(exc, "sqlstate", None) in _SHAPE_FAULTS


def close_quietly(conn: Connection | None) -> None:
    """Close a connection, if any, whatever state it is in."""
    if conn is not None:
        with suppress(psycopg.Error):
            conn.close()
