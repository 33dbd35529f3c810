"""The postgresql:// store: many ledgers, writers and machines on one PostgreSQL database.

One ``ledger_events`` table holds every ledger of a database, keyed by
(ledger, position); the ledger's name comes from the URL (``?ledger=kursk``,
default ``default``). A write takes a per-ledger advisory transaction lock,
checks the head, inserts the batch, advances the Merkle right edge in
``ledger_tree`` and notifies the ledger's channel, then commits. Commits of
one ledger are serialized by that lock and each assigns the positions right
after the last committed one, so positions are gapless and no reader can see
position n+1 before n. Triggers refuse UPDATE, DELETE and TRUNCATE of the
log, and a trigger owned by the tables' owner keeps the tree, so writers have
no privilege on it (``ledger.stores.pgschema``). Every statement names the
tables' schema. Every psycopg error is translated here into a ``StoreError``,
its message redacted (``ledger.stores.urls.redact``).

The read model's rows (``ledger_model_rows``, ``ledger_model_meta``) go in the
append's transaction when they are few; a bulk batch's many are written
behind it, on a second connection (``ledger.stores.pgmodel``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import attrs
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from ledger.codec import StoredRow, parse_timestamp
from ledger.errors import (
    ConcurrencyError,
    CorruptLog,
    DuplicateEvent,
    StoreError,
    StoreUnavailable,
)
from ledger.merkle import CompactRange
from ledger.stores import edges, pgmodel
from ledger.stores.admission import admit
from ledger.stores.base import Clock, Store, utc_now
from ledger.stores.follow import check_follow_args
from ledger.stores.pgmodel import (
    Behind,
    close_quietly,
    lock_model,
    model_ready,
    model_rows,
    shape_fault,
)
from ledger.stores.pgschema import LOCK_CLASS, SCHEMA_VERSION, Statements, prepare_schema
from ledger.stores.readmodel import (
    Change,
    ModelCheckpoint,
    ModelDamaged,
    ModelReadOnly,
    ModelWrite,
    ReadModel,
    checkpoint_of,
)
from ledger.stores.urls import ledger_schema, redact, split_url

__all__ = ["SCHEMA_VERSION", "PostgresStore", "split_url"]

log = logging.getLogger(__name__)

_LOCK_CLASS = LOCK_CLASS
_PAGE = 500
_NO_LIMIT = 2**63 - 1
_BACKOFF = (0.1, 5.0)
#: Rows per INSERT statement (and per run of the tree's trigger).
_INSERT_CHUNK = 1000
#: Read-model rows read in one request when a whole table is read in pages.
_MODEL_PAGE = 5000
#: Every session resolves names in the system catalog only: the store qualifies its own.
_SAFE_PATH = "-c search_path=pg_catalog,pg_temp"

_T = TypeVar("_T")
Connection = psycopg.Connection[Any]


#: Whether a unique constraint on (ledger, event_id) stands on the log's table.
_UNIQUE_EVENT_IDS = (
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS c"
    " WHERE c.conrelid = pg_catalog.to_regclass(%s) AND c.contype IN ('u', 'p')"
    " AND NOT c.condeferrable"
    " AND (SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attname::text)"
    " FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = c.conrelid"
    " AND a.attnum = ANY (c.conkey)) = ARRAY['event_id', 'ledger'])"
)
#: The first record of a ledger whose event_id an earlier record holds, and the earlier's position.
_REPEATED = (
    "SELECT position, first FROM (SELECT position, pg_catalog.min(position)"
    " OVER (PARTITION BY event_id) AS first FROM {s}.ledger_events WHERE ledger = %s) AS e"
    " WHERE position > first ORDER BY position LIMIT 1"
)


#: The first record whose timestamptz recorded_at (kept for queries) is not the
#: instant its hashed recorded_at_text spells, compared as canonical text
#: (format_timestamp's: microseconds only when there are some), so no cast can
#: fail; a text spelled otherwise (".000000Z" too) is verify's to report
#: (Codec.respelled), so only canonical spellings are compared.
_OTHER_TIME = (
    "SELECT position, canonical, recorded_at_text FROM (SELECT position, recorded_at_text,"
    " pg_catalog.to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    " || CASE pg_catalog.to_char(recorded_at AT TIME ZONE 'UTC', 'US') WHEN '000000'"
    " THEN '' ELSE '.' || pg_catalog.to_char(recorded_at AT TIME ZONE 'UTC', 'US') END"
    " || 'Z' AS canonical FROM {s}.ledger_events WHERE ledger = %s) AS e"
    " WHERE canonical <> recorded_at_text AND recorded_at_text ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    "T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{6})?Z$' AND recorded_at_text !~ '[.]000000Z$'"
    " ORDER BY position LIMIT 1"
)


def _row(record: tuple[Any, ...]) -> StoredRow:
    position, event_id, kind, schema, recorded_at, data, digest = record
    return StoredRow(position, event_id, kind, schema, recorded_at, data, bytes(digest).hex())


class PostgresStore(Store):
    """One named ledger in a PostgreSQL database (psycopg 3)."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock = utc_now,
        create_schema: bool = True,
        read_only: bool = False,
        **unknown: Any,
    ) -> None:
        # Safe to print and log: every message built from it, in any layer, stays so.
        self.url = redact(url, url)
        if unknown:
            raise StoreUnavailable(f"{self.url}: unknown PostgreSQL option(s) {sorted(unknown)}")
        self._raw_url = url
        self.clock = clock
        self.read_only = bool(read_only)
        conninfo, self.ledger = split_url(url)
        try:
            params = conninfo_to_dict(conninfo)
        except psycopg.Error as exc:
            raise StoreUnavailable(f"bad PostgreSQL URL: {self._message(exc)}") from None
        given = str(params.get("options") or "")
        schema, named = ledger_schema(url, given)
        self._sql = Statements(schema)
        self._where = (
            f"PostgreSQL database {params.get('dbname') or '(default)'!r} on "
            f"{params.get('host') or '(default host)'}"
            f"{':' + str(params['port']) if params.get('port') else ''}"
            f" as {params.get('user') or '(default user)'}"
        )
        # The ledger's bytes are UTF-8 text: make the client side say so, whatever PGCLIENTENCODING.
        defaults = {"application_name": "claims-ledger", "connect_timeout": 10}
        # After the URL's own options: later settings win.
        options = " ".join(
            o
            for o in (
                given,
                _SAFE_PATH,
                "-c default_transaction_read_only=on" if self.read_only else None,
            )
            if o
        )
        self._connect_args: dict[str, Any] = {
            **{k: v for k, v in defaults.items() if k not in params},
            "client_encoding": "utf8",
            "options": options,
        }
        self._conninfo = conninfo
        self.channel = "claims_ledger_" + hashlib.sha256(self.ledger.encode()).hexdigest()[:32]
        self._lock = threading.RLock()
        self._conn: Connection | None = None
        self._closed = False
        self._reading = False
        #: Whether a write's fold runs (inside its transaction): reads join it.
        self._folding = False
        #: What a read inside the fold met: the write's own error, raised by the write.
        self._fold_failed: psycopg.Error | None = None
        #: A bulk batch's read-model rows on their way on a connection of their own.
        self._behind: Behind | None = None
        create = create_schema and not self.read_only
        try:
            self._run(
                lambda conn: prepare_schema(
                    conn, self._sql, named=named, create=create, where=self._where
                )
            )
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        mode = " read-only" if self.read_only else ""
        return redact(
            f"<PostgresStore ledger {self.ledger!r} in {self._where}, schema "
            f"{self._sql.schema!r}{mode}>",
            self._raw_url,
        )

    # -- the Store interface -------------------------------------------------

    def head(self) -> int:
        return self._run(self._head)

    def read(self, after: int = 0) -> Iterator[StoredRow]:
        # Pages, each in its own short transaction, so no transaction stays
        # open while the caller works through the rows; ends at the head the
        # first full page saw, as a list slice would.
        last, stop = max(after, 0), None
        while True:
            page = self._run(functools.partial(self._page, after=last, stop=stop))
            for row in page:
                if row.position != last + 1:
                    raise CorruptLog(
                        f"position {last + 1} is missing (the next row is {row.position})",
                        position=last + 1,
                    )
                last = row.position
                yield row
            if len(page) < _PAGE:
                return
            if stop is None:
                stop = self.head()

    def find(self, event_ids: Sequence[str]) -> dict[str, StoredRow]:
        # PostgreSQL text cannot hold NUL, so no such event_id can be stored.
        ids = [i for i in dict.fromkeys(event_ids) if "\x00" not in i]
        if not ids:
            return {}

        def work(conn: Connection) -> dict[str, StoredRow]:
            rows = conn.execute(self._sql.find, (ids, self.ledger))
            return {r.event_id: r for r in map(_row, rows.fetchall())}

        return self._run(work)

    def write(
        self, rows: Sequence[StoredRow], expected_head: int, model: ModelWrite | None = None
    ) -> bool:
        return self.write_folding(rows, expected_head, lambda: model)[0]

    def write_folding(
        self,
        rows: Sequence[StoredRow],
        expected_head: int,
        fold: Callable[[], ModelWrite | None],
        *,
        waits: bool = False,
    ) -> tuple[bool, ModelWrite | None]:
        self.check_writable(self._where)
        params = _insert_params(rows, expected_head)
        made: list[ModelWrite | None] = []
        folding: list[bool] = []
        behind: list[tuple[ModelWrite, CompactRange]] = []

        def once() -> ModelWrite | None:
            # A retry after a lost connection sends the records again, and
            # stores what the first attempt folded: nothing is folded twice.
            if made:
                return made[0]
            if folding:
                raise StoreUnavailable(
                    f"{self._where}: the connection was lost while the batch was folded: "
                    "nothing was written"
                )
            folding.append(True)
            made.append(fold())
            return made[0]

        try:
            # A retry after a lost connection is safe: if the first attempt
            # committed, the head has moved and the retry is refused.
            written = self._run(lambda conn: self._write(conn, params, expected_head, once, behind))
            if behind:
                written = self._write_behind(*behind[-1])
            return written, made[0] if made else None
        except StoreError as exc:
            if not isinstance(exc.__cause__, psycopg.errors.UniqueViolation):
                raise
            stored = self.find([row.event_id for row in rows])
            if not stored:
                raise
            first = min(stored.values(), key=lambda r: r.position)
            raise DuplicateEvent(first.event_id, first.position) from None

    def tree(self) -> CompactRange:
        return self._run(self._edge)

    def model(self, name: str) -> ReadModel | None:
        return _PostgresModel(self, name)

    def stored_fault(self) -> tuple[int, str] | None:
        def work(conn: Connection) -> tuple[int, str] | None:
            faults: list[tuple[int, str]] = []
            table = self._sql.q("{s}.ledger_events")
            unique = conn.execute(_UNIQUE_EVENT_IDS, (table,)).fetchone()
            if unique is None or not unique[0]:
                # Without the constraint (PostgreSQL refuses repeats with it): look.
                found = conn.execute(self._sql.q(_REPEATED), (self.ledger,)).fetchone()
                if found is not None:
                    faults.append((found[0], self.repeats(found[1])))
            found = conn.execute(self._sql.q(_OTHER_TIME), (self.ledger,)).fetchone()
            if found is not None:
                faults.append(
                    (
                        found[0],
                        f"its recorded_at column says {found[1]} where the hashed "
                        f"recorded_at text says {found[2]}",
                    )
                )
            return min(faults) if faults else None

        return self._run(work)

    @contextmanager
    def reading(self) -> Iterator[None]:
        # One REPEATABLE READ transaction: every query inside sees one snapshot.
        with self._lock:
            if self._reading or self._folding:
                yield  # inside a read, or a write's transaction: the same state throughout
                return
            if self._behind is not None and self._behind.done:
                self._wait_behind()  # before the snapshot: it sees what was written behind
            conn = self._run(lambda c: c)
            try:
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            except psycopg.Error as exc:
                with suppress(psycopg.Error):
                    conn.rollback()
                raise self._translate(exc) from exc
            self._reading = True
            try:
                yield
            finally:
                self._reading = False
                with suppress(psycopg.Error):
                    conn.rollback()

    def close(self) -> None:
        with self._lock:
            self._wait_behind()
            self._closed = True
            self._drop()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold this ledger's writer turn across catch-up, validation and write.

        Optional: writes are correct without it (the write transaction
        re-checks the head under the lock). With it, writers queue for the
        turn in arrival order instead of racing and retrying, so each append
        takes one attempt. Re-entrant; released on exit or if the connection
        drops.
        """
        holder = self._run(functools.partial(self._turn, "pg_advisory_lock"))
        try:
            yield
        finally:
            with self._lock:
                # A reconnected store no longer holds the turn: the server released it.
                if holder is self._conn and not holder.broken and not self._closed:
                    with suppress(StoreError):
                        self._run(functools.partial(self._turn, "pg_advisory_unlock"))

    def _turn(self, function: str, conn: Connection) -> Connection:
        # The same key as the write transaction's lock, held at session level.
        conn.execute(
            sql.SQL("SELECT pg_catalog.{}(%s, pg_catalog.hashtext(%s))").format(
                sql.Identifier(function)
            ),
            (_LOCK_CLASS, self.ledger),
        )
        return conn

    # -- following -----------------------------------------------------------

    def follow(
        self,
        after: int = 0,
        poll_interval: float = 1.0,
        stop: Callable[[], bool] | None = None,
    ) -> Iterator[StoredRow]:
        """Every row after a position, then each new one as it commits, exactly once, in order.

        Waits with LISTEN/NOTIFY on a dedicated connection and polls every
        poll_interval seconds besides, in case a notification is lost. After a
        lost connection (a server restart) it reconnects with backoff and
        resumes after the last row it yielded. stop is asked before each
        catch-up: once it returns True, the rows committed before that are
        yielded and the iterator ends.
        """
        check_follow_args(after, poll_interval, stop)
        last, listener, delay = after, None, _BACKOFF[0]
        try:
            while True:
                stopping = stop is not None and stop()
                try:
                    if listener is None and not stopping:
                        # LISTEN before reading, so nothing committed after the read goes unnoticed.
                        listener = self._listen()
                    for row in self.read(last):
                        if row.position != last + 1:
                            raise CorruptLog(
                                f"expected position {last + 1} next", position=row.position
                            )
                        last = row.position
                        yield row
                except StoreUnavailable as exc:
                    if stopping or self._closed or not _lost(exc):
                        raise
                    log.warning("%s; following resumes after %d in %.1fs", exc, last, delay)
                    close_quietly(listener)
                    listener = None
                    time.sleep(delay)
                    delay = min(delay * 2, _BACKOFF[1])
                    continue
                if stopping:
                    return
                delay = _BACKOFF[0]
                listener = self._wait(listener, poll_interval)
        finally:
            close_quietly(listener)

    def _listen(self) -> Connection:
        conn = self._connect(autocommit=True)
        try:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        except psycopg.Error as exc:
            close_quietly(conn)
            raise self._translate(exc) from exc
        return conn

    def _wait(self, listener: Connection | None, seconds: float) -> Connection | None:
        if listener is None:
            time.sleep(seconds)
            return None
        try:
            for _ in listener.notifies(timeout=seconds, stop_after=1):
                pass
        except psycopg.Error as exc:
            # The next round reconnects, or backs off if the server is still away.
            log.warning("%s: lost the LISTEN connection: %s", self._where, self._message(exc))
            close_quietly(listener)
            return None
        return listener

    # -- transactions --------------------------------------------------------

    def _run(self, work: Callable[[Connection], _T]) -> _T:
        """work(conn) then commit; one transparent retry on a connection the server dropped.

        Inside ``reading()``, or a write's fold, the work joins the open
        transaction instead (a read in the fold must not commit the write).
        """
        with self._lock:
            if self._reading or self._folding:
                try:
                    return work(self._connection())
                except psycopg.Error as exc:
                    if self._folding:
                        # The write's own error (its INSERT failed) may surface
                        # here: the write raises it, not what the fold made of it.
                        self._fold_failed = exc
                    raise self._translate(exc) from exc
            for attempt in (1, 2):
                conn = self._connection()
                try:
                    result = work(conn)
                    conn.commit()
                    return result
                except psycopg.Error as exc:
                    with suppress(psycopg.Error):
                        conn.rollback()
                    if attempt == 1 and isinstance(exc, psycopg.OperationalError) and conn.broken:
                        log.info("%s: connection lost (%s)", self._where, self._message(exc))
                        self._drop()
                        continue
                    raise self._translate(exc) from exc
                except BaseException:
                    with suppress(psycopg.Error):
                        conn.rollback()
                    raise
            raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self) -> Connection:
        if self._closed:
            raise StoreUnavailable(f"{self._where}: the store is closed")
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._drop()
            self._conn = self._connect(autocommit=False)
        return self._conn

    def _connect(self, *, autocommit: bool) -> Connection:
        try:
            return psycopg.connect(self._conninfo, autocommit=autocommit, **self._connect_args)
        except psycopg.Error as exc:
            raise StoreUnavailable(
                f"cannot connect to {self._where}: {self._message(exc)}"
            ) from exc

    def _drop(self) -> None:
        close_quietly(self._conn)
        self._conn = None

    def _translate(self, exc: psycopg.Error) -> StoreError:
        message = self._message(exc)
        if isinstance(exc, psycopg.errors.InsufficientPrivilege):
            return StoreUnavailable(
                f"{self._where}, ledger {self.ledger!r}: {message} "
                "(docs/postgres.md lists the grants a writer and a reader need)"
            )
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return StoreUnavailable(f"{self._where} is unavailable: {message}")
        return StoreError(f"{self._where}, ledger {self.ledger!r}: {message}")

    def _message(self, exc: BaseException) -> str:
        """The error's text on one line, without the password."""
        return redact(" ".join(str(exc).split()), self._raw_url)

    # -- the statements ------------------------------------------------------

    def _edge(self, conn: Connection) -> CompactRange:
        """The Merkle right edge at the head, checked against the rows (``ledger.stores.edges``).

        The head, the lowest position and the tree row are read by one
        statement (one snapshot).
        """
        found = conn.execute(
            self._sql.q(
                "SELECT (SELECT max(position) FROM {s}.ledger_events WHERE ledger = %s),"
                " (SELECT min(position) FROM {s}.ledger_events WHERE ledger = %s),"
                " t.size, t.hashes FROM (SELECT) AS one"
                " LEFT JOIN {s}.ledger_tree AS t ON t.ledger = %s"
            ),
            (self.ledger, self.ledger, self.ledger),
        ).fetchone() or (None, None, None, None)
        last, first, size, hashes = found
        # The log's reads start at 1: a row before it (its CHECK dropped) would go unseen.
        edges.check_first(first)
        # The trigger writes the row with the ledger's first record: none is there only if removed.
        edges.check_kept(size is not None, first is not None)
        head = 0 if last is None else int(last)
        edge = edges.kept_edge(size or 0, [bytes(h) for h in hashes or []])
        edges.check_size(edge.size, head)
        if edge.size == head:
            return edge
        # Rows stored without their tree (loaded by hand, triggers disabled): extend over them.
        log.warning(
            "%s, ledger %r: rebuilding the Merkle edge at %d", self._where, self.ledger, head
        )
        return edges.extend_kept(edge, self._stored_hashes(conn, head))

    def _stored_hashes(self, conn: Connection, head: int) -> Iterator[bytes]:
        """The stored leaf hashes of positions 1..head, in order; CorruptLog at a gap."""
        expected = 1
        for position, digest in conn.execute(
            self._sql.q(
                "SELECT position, hash FROM {s}.ledger_events WHERE ledger = %s"
                " AND position <= %s ORDER BY position"
            ),
            (self.ledger, head),
        ):
            if position != expected:
                raise CorruptLog(f"position {expected} is missing", position=expected)
            yield bytes(digest)
            expected += 1

    def _head(self, conn: Connection) -> int:
        found = conn.execute(
            self._sql.q(
                "SELECT coalesce(max(position), 0) FROM {s}.ledger_events WHERE ledger = %s"
            ),
            (self.ledger,),
        ).fetchone()
        return int(found[0]) if found else 0

    def _page(self, conn: Connection, *, after: int, stop: int | None) -> list[StoredRow]:
        cur = conn.execute(
            f"{self._sql.select} AND position > %s AND position <= %s"
            f" ORDER BY position LIMIT {_PAGE}",
            (self.ledger, after, _NO_LIMIT if stop is None else stop),
        )
        return [_row(r) for r in cur.fetchall()]

    def _write(
        self,
        conn: Connection,
        columns: _Columns,
        expected_head: int,
        fold: Callable[[], ModelWrite | None],
        behind: list[tuple[ModelWrite, CompactRange]],
    ) -> bool:
        """Insert the records, fold them, store the read model's rows; whether they were stored.

        A bulk batch's rows are only put in ``behind``, to be written once
        the records are committed (``_write_behind``).
        """
        # The lock serializes this ledger's writers until commit; only after
        # taking it may the head be read, by a statement with a fresh snapshot.
        conn.execute(
            "SELECT pg_catalog.pg_advisory_xact_lock(%s, pg_catalog.hashtext(%s))",
            (_LOCK_CLASS, self.ledger),
        )
        edge = self._edge(conn)
        head = edge.size
        if head != expected_head:
            raise ConcurrencyError(expected_head, head)
        if not columns.leaves:
            return True
        # The trigger extends ledger_tree itself; this copy is the read model's checkpoint.
        edge.extend(columns.leaves)
        with conn.pipeline() as pipe, conn.cursor() as cur:
            for chunk in columns.chunks(_INSERT_CHUNK):
                cur.execute(self._sql.insert, (self.ledger, *chunk))
            # The records are on their way: the server stores them while this
            # process folds them (on another core), rather than after it.
            self._folding, self._fold_failed = True, None
            try:
                model = fold()
            except BaseException:
                failed = self._fold_failed
                if failed is not None:
                    raise failed from None
                raise
            finally:
                self._folding = False
            stored = True
            if model is not None and len(model.changes) >= pgmodel.WRITE_BEHIND:
                behind[:] = [(model, edge.copy())]
            elif model is not None:
                self._wait_behind()
                # The records' own errors first, before the model's savepoint.
                pipe.sync()
                stored = self._write_model(conn, cur, model, edge)
            self._notify(cur, edge.size)
        return stored

    def _write_model(
        self, conn: Connection, cur: psycopg.Cursor[Any], model: ModelWrite, edge: CompactRange
    ) -> bool:
        """In the append's transaction: store its read-model rows; whether they were stored.

        Under a savepoint: read-model tables of another shape (altered by
        hand) fail the rows alone, and the records are stored all the same;
        the next reader finds the read model behind, and when its catch-up is
        refused too, folds the log in memory.
        """
        try:
            with conn.transaction():
                if not model_ready(conn, self._sql, self.ledger, model):
                    return False
                scope = (self.ledger, model.name)
                model_rows(model.changes).store(cur, self._sql, scope, model.version, edge)
        except psycopg.Error as exc:
            if not shape_fault(exc):
                raise
            log.warning(
                "%s: the read model was not written with the records (%s)",
                self._where,
                self._message(exc),
            )
            return False
        return True

    def _write_behind(self, model: ModelWrite, edge: CompactRange) -> bool:
        """Start writing a committed batch's read-model rows; whether they are on their way."""
        with self._lock:
            self._wait_behind()
            try:
                behind = Behind.begin(
                    lambda: self._connect(autocommit=False), self._sql, self.ledger, model, edge
                )
            except (StoreError, psycopg.Error) as exc:
                log.warning(
                    "%s: the read model was not written (%s)", self._where, self._message(exc)
                )
                return False
            self._behind = behind
            return behind is not None

    def _wait_behind(self) -> None:
        """Wait for read-model rows written behind, if any: later reads find them stored."""
        with self._lock:
            behind = self._behind
            error = None if behind is None else behind.wait()
            self._behind = None
            if error is not None:
                log.warning(
                    "%s: the read model was not written (%s); it is caught up from the log",
                    self._where,
                    self._message(error),
                )

    def _behind_for(self, name: str) -> Behind | None:
        """Rows of this read model written behind, that reads may see through; None: the store's.

        Written, they are forgotten outside ``reading()`` (whose snapshot may
        predate their commit). Failed, they are read through until the next
        ``reading()`` begins: the facts this process folded on top of them
        stand until its next check of the checkpoint finds them not stored.
        Whether a read sees through them depends on where the rows it reads
        stand (``Behind.lays_over``).
        """
        with self._lock:
            behind = self._behind
            if behind is None or behind.name != name:
                return None
            if behind.done and behind.error is None and not self._reading:
                self._wait_behind()
                return None
            return behind

    def _notify(self, cur: psycopg.Cursor[Any], head: int) -> None:
        # Delivered at commit, and only if the batch commits.
        cur.execute("SELECT pg_catalog.pg_notify(%s, %s)", (self.channel, str(head)))


class _PostgresModel(ReadModel):
    """A read model in the ledger's database, scoped to the ledger like its log."""

    def __init__(self, store: PostgresStore, name: str) -> None:
        self.name = name
        self._store = store
        self._scope = (store.ledger, name)

    def _read(self, work: Callable[[Connection], _T]) -> _T:
        try:
            return self._store._run(work)
        except StoreUnavailable:
            raise
        except StoreError as exc:
            raise ModelDamaged(f"cannot read the read model: {exc}") from exc

    def _stands(self, conn: Connection) -> tuple[Any, ...] | None:
        """The checkpoint row: (version, position, edge), None if there is none."""
        return conn.execute(self._store._sql.model_meta, self._scope).fetchone()

    def _through(self, work: Callable[[Connection], _T]) -> tuple[_T, Behind | None]:
        """work's rows, and the rows written behind that they are to be seen through, if any.

        The checkpoint is read in the same snapshot as the rows: a read sees
        through the write behind only where the rows stand before or after
        it (``Behind.lays_over``).
        """
        store = self._store
        behind = store._behind_for(self.name)
        if behind is None:
            return self._read(work), None

        def both(conn: Connection) -> tuple[_T, tuple[Any, ...] | None]:
            # A write's transaction holds the writers' lock, which every other
            # writer of the rows takes first: only the write behind moves them.
            if not (store._reading or store._folding):
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            found = self._stands(conn)
            return work(conn), found

        result, found = self._read(both)
        stands = None if found is None else (found[0], found[1])
        return result, (behind if behind.lays_over(stands) else None)

    def checkpoint(self) -> ModelCheckpoint | None:
        found, behind = self._through(self._stands)
        if behind is not None:
            return behind.checkpoint
        return None if found is None else checkpoint_of(*found)

    def load(self, table: str, parts: Collection[str]) -> dict[str, dict[str, str]]:
        # PostgreSQL text cannot hold NUL, so no such partition is stored.
        wanted = [p for p in parts if "\x00" not in p]

        def work(conn: Connection) -> dict[str, dict[str, str]]:
            found: dict[str, dict[str, str]] = {}
            rows = conn.execute(self._store._sql.model_load, (wanted, *self._scope, table))
            for part, item, value in rows:
                found.setdefault(part, {})[item] = value
            return found

        if not wanted:
            return {}
        found, behind = self._through(work)
        return found if behind is None else behind.parts(table, found, wanted)

    def load_all(self, table: str) -> dict[str, dict[str, str]]:
        def work(conn: Connection) -> dict[str, dict[str, str]]:
            found: dict[str, dict[str, str]] = {}
            with conn.cursor() as cur:
                cur.execute(
                    self._store._sql.q(
                        "SELECT part, item, value FROM {s}.ledger_model_rows"
                        " WHERE ledger = %s AND name = %s AND tbl = %s"
                    ),
                    (*self._scope, table),
                )
                for part, item, value in cur:
                    found.setdefault(part, {})[item] = value
            return found

        found, behind = self._through(work)
        return found if behind is None else behind.parts(table, found)

    def tables(self) -> set[str] | None:
        sql = self._store._sql.q(
            "SELECT DISTINCT tbl FROM {s}.ledger_model_rows WHERE ledger = %s AND name = %s"
        )

        def work(conn: Connection) -> set[str]:
            return {row[0] for row in conn.execute(sql, self._scope)}

        found, behind = self._through(work)
        return found if behind is None else behind.tables(found)

    def rows(self, table: str) -> Iterator[tuple[str, str, str]]:
        # Inside reading(): the checkpoint and every page are of one snapshot.
        _, behind = self._through(self._stands)
        pages = self._pages(table)
        if behind is None:
            yield from pages
        else:
            yield from behind.rows(table, pages)

    def _pages(self, table: str) -> Iterator[tuple[str, str, str]]:
        # The first page from the least key, ("", "") included: a row keyed so
        # is read like any other (verify must see every row the views may read).
        pages = [
            self._store._sql.q(
                "SELECT part, item, value FROM {s}.ledger_model_rows"
                " WHERE ledger = %s AND name = %s AND tbl = %s"
                f" AND (part, item) {op} (%s, %s) ORDER BY part, item LIMIT %s"
            )
            for op in (">=", ">")
        ]
        after: tuple[str, str] = ("", "")
        sql = pages[0]

        def work(conn: Connection) -> list[tuple[str, str, str]]:
            return conn.execute(sql, (*self._scope, table, *after, _MODEL_PAGE)).fetchall()

        while True:
            page = self._read(work)
            yield from page
            if len(page) < _MODEL_PAGE:
                return
            after, sql = page[-1][:2], pages[1]

    def replace(
        self,
        version: int,
        changes: Sequence[Change],
        edge: CompactRange,
        *,
        expected: int | None,
        reset: bool = False,
    ) -> bool:
        store = self._store
        store._wait_behind()

        def work(conn: Connection) -> bool:
            # The writers' lock: a catch-up never interleaves with an append;
            # then the read model's, which rows written behind hold.
            conn.execute(
                "SELECT pg_catalog.pg_advisory_xact_lock(%s, pg_catalog.hashtext(%s))",
                (_LOCK_CLASS, store.ledger),
            )
            lock_model(conn, *self._scope)
            found = conn.execute(
                store._sql.q(
                    "SELECT position FROM {s}.ledger_model_meta WHERE ledger = %s AND name = %s"
                ),
                self._scope,
            ).fetchone()
            if not reset and (None if found is None else found[0]) != expected:
                return False
            with conn.pipeline(), conn.cursor() as cur:
                if reset:
                    cur.execute(
                        store._sql.q(
                            "DELETE FROM {s}.ledger_model_rows WHERE ledger = %s AND name = %s"
                        ),
                        self._scope,
                    )
                model_rows(changes).store(cur, store._sql, self._scope, version, edge)
            return True

        try:
            return store._run(work)
        except StoreError as exc:
            refused = (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)
            if isinstance(exc.__cause__, refused):
                raise ModelReadOnly(str(exc)) from exc
            if shape_fault(exc.__cause__):
                # Tables of another shape are every ledger's in the schema: not
                # made again by this one; it folds its log in memory instead.
                raise ModelReadOnly(f"the read model's tables are of another shape: {exc}") from exc
            raise


@attrs.frozen
class _Columns:
    """A batch as one array per column (the INSERT unnests them), and its leaf hashes."""

    values: tuple[list[Any], ...]
    leaves: list[bytes]

    def chunks(self, size: int) -> Iterator[tuple[list[Any], ...]]:
        """The columns, sliced into batches of at most size rows."""
        for start in range(0, len(self.leaves), size):
            yield tuple(column[start : start + size] for column in self.values)


def _insert_params(rows: Sequence[StoredRow], head: int) -> _Columns:
    """The batch's columns, after refusing what the log must never hold."""
    leaves = admit(rows, head, nul_free=True)
    stamps = []
    for row in rows:
        try:
            stamps.append(parse_timestamp(row.recorded_at))
        except ValueError as exc:
            raise StoreError(f"position {row.position}: recorded_at: {exc}") from None
    values = (
        [r.position for r in rows],
        [r.event_id for r in rows],
        [r.type for r in rows],
        [r.schema for r in rows],
        stamps,
        [r.recorded_at for r in rows],
        [r.data for r in rows],
        leaves,
    )
    return _Columns(values, leaves)


def _lost(exc: StoreUnavailable) -> bool:
    """Whether the store became unavailable because the server went away."""
    return isinstance(exc.__cause__, psycopg.OperationalError)
