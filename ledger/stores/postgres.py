"""The postgresql:// store: many ledgers, writers and machines on one PostgreSQL database.

One ``ledger_events`` table holds every ledger of a database, keyed by
(ledger, position); the ledger's name comes from the URL (``?ledger=kursk``,
default ``default``). A write takes a per-ledger advisory transaction lock,
checks the head, inserts the batch, advances the Merkle right edge in
``ledger_tree`` and notifies the ledger's channel, then commits. Commits of
one ledger are serialized by that lock and each assigns the positions right
after the last committed one, so positions are gapless and no reader can see
position n+1 before n. Triggers refuse UPDATE, DELETE and TRUNCATE of the
log. Every psycopg error is translated here into a ``StoreError``.
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
from urllib.parse import unquote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from ledger.codec import MAX_RECORD_BYTES, StoredRow, parse_timestamp
from ledger.errors import (
    ConcurrencyError,
    CorruptLog,
    DuplicateEvent,
    InvalidEvent,
    InvalidProof,
    RecordTooLarge,
    StoreError,
    StoreUnavailable,
)
from ledger.merkle import HASH_SIZE, CompactRange
from ledger.stores.base import Clock, Store, utc_now
from ledger.stores.follow import check_follow_args
from ledger.stores.readmodel import (
    Change,
    ModelCheckpoint,
    ModelDamaged,
    ModelReadOnly,
    ModelWrite,
    ReadModel,
)

__all__ = ["SCHEMA_VERSION", "PostgresStore", "split_url"]

log = logging.getLogger(__name__)

#: The version of the tables below; stored in ledger_meta.
SCHEMA_VERSION = "2"
#: First key of every advisory lock the store takes ("LEDG"), so ours collide with no one's.
_LOCK_CLASS = 0x4C454447
_PAGE = 500
_NO_LIMIT = 2**63 - 1
_BACKOFF = (0.1, 5.0)

# Created in one transaction under an advisory lock, so concurrent first opens are safe.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger_events (
    ledger           text        NOT NULL,
    position         bigint      NOT NULL CHECK (position >= 1),
    event_id         text        NOT NULL,
    type             text        NOT NULL,
    schema           integer     NOT NULL CHECK (schema >= 1),
    recorded_at      timestamptz NOT NULL,
    recorded_at_text text        NOT NULL,
    data             text        NOT NULL,
    hash             bytea       NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (ledger, position),
    CONSTRAINT ledger_events_event_id_key UNIQUE (ledger, event_id)
);
CREATE TABLE IF NOT EXISTS ledger_tree (
    ledger text    PRIMARY KEY,
    size   bigint  NOT NULL CHECK (size >= 0),
    hashes bytea[] NOT NULL
);
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'claims-ledger: % on % is refused: the log is append-only',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'records are never changed or removed; append a correcting event';
END
$$;
CREATE OR REPLACE FUNCTION ledger_tree_only_grows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.ledger <> OLD.ledger OR NEW.size < OLD.size THEN
        RAISE EXCEPTION 'claims-ledger: the Merkle tree of ledger % may only grow', OLD.ledger
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS ledger_events_append_only ON ledger_events;
CREATE TRIGGER ledger_events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
DROP TRIGGER IF EXISTS ledger_tree_no_removal ON ledger_tree;
CREATE TRIGGER ledger_tree_no_removal
    BEFORE DELETE OR TRUNCATE ON ledger_tree
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
DROP TRIGGER IF EXISTS ledger_tree_grows ON ledger_tree;
CREATE TRIGGER ledger_tree_grows
    BEFORE UPDATE ON ledger_tree
    FOR EACH ROW EXECUTE FUNCTION ledger_tree_only_grows();
"""

# Schema 2: the read models beside the log (ledger.stores.readmodel), scoped by ledger.
_MODEL_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger_model_meta (
    ledger   text    NOT NULL,
    name     text    NOT NULL,
    version  integer NOT NULL,
    position bigint  NOT NULL,
    edge     bytea   NOT NULL,
    PRIMARY KEY (ledger, name)
);
CREATE TABLE IF NOT EXISTS ledger_model_rows (
    ledger text NOT NULL,
    name   text NOT NULL,
    tbl    text NOT NULL,
    part   text NOT NULL,
    item   text NOT NULL,
    value  text NOT NULL,
    PRIMARY KEY (ledger, name, tbl, part, item)
);
"""
_MODEL_UPSERT = (
    "INSERT INTO ledger_model_rows (ledger, name, tbl, part, item, value)"
    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (ledger, name, tbl, part, item)"
    " DO UPDATE SET value = excluded.value"
)
_MODEL_DELETE = (
    "DELETE FROM ledger_model_rows WHERE ledger = %s AND name = %s AND tbl = %s"
    " AND part = %s AND item = %s"
)
_MODEL_SAVE_META = (
    "INSERT INTO ledger_model_meta (ledger, name, version, position, edge)"
    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (ledger, name) DO UPDATE SET"
    " version = excluded.version, position = excluded.position, edge = excluded.edge"
)

_COLUMNS = "position, event_id, type, schema, recorded_at_text, data, hash"
_SELECT = f"SELECT {_COLUMNS} FROM ledger_events WHERE ledger = %s"
_INSERT = (
    "INSERT INTO ledger_events (ledger, position, event_id, type, schema, recorded_at,"
    " recorded_at_text, data, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_SAVE_TREE = (
    "INSERT INTO ledger_tree (ledger, size, hashes) VALUES (%s, %s, %s::bytea[])"
    " ON CONFLICT (ledger) DO UPDATE SET size = excluded.size, hashes = excluded.hashes"
)

_T = TypeVar("_T")
Connection = psycopg.Connection[Any]


def split_url(url: str) -> tuple[str, str]:
    """The libpq URL without the ledger's own parameters, and the ledger name."""
    base, _, query = url.partition("?")
    kept, names = [], []
    for part in query.split("&") if query else ():
        key, _, value = part.partition("=")
        if unquote(key) == "ledger":
            names.append(unquote(value))
        elif part:
            kept.append(part)
    if len(names) > 1:
        raise StoreUnavailable(f"the ledger is named {len(names)} times in the URL")
    name = names[0] if names else "default"
    if not name or "\x00" in name:
        raise StoreUnavailable(f"ledger name {name!r} must be non-empty text")
    return (f"{base}?{'&'.join(kept)}" if kept else base), name


def _row(record: tuple[Any, ...]) -> StoredRow:
    position, event_id, kind, schema, recorded_at, data, digest = record
    return StoredRow(position, event_id, kind, schema, recorded_at, data, bytes(digest).hex())


class PostgresStore(Store):
    """One named ledger in a PostgreSQL database (psycopg 3)."""

    def __init__(self, url: str, *, clock: Clock = utc_now, create_schema: bool = True) -> None:
        self.url = url
        self.clock = clock
        conninfo, self.ledger = split_url(url)
        self._secrets = _secrets(conninfo)
        try:
            params = conninfo_to_dict(conninfo)
        except psycopg.Error as exc:
            raise StoreUnavailable(f"bad PostgreSQL URL: {self._message(exc)}") from None
        self._where = (
            f"PostgreSQL database {params.get('dbname') or '(default)'!r} on "
            f"{params.get('host') or '(default host)'}"
            f"{':' + str(params['port']) if params.get('port') else ''}"
            f" as {params.get('user') or '(default user)'}"
        )
        # The ledger's bytes are UTF-8 text: make the client side say so, whatever PGCLIENTENCODING.
        defaults = {"application_name": "claims-ledger", "connect_timeout": 10}
        self._connect_args: dict[str, Any] = {
            **{k: v for k, v in defaults.items() if k not in params},
            "client_encoding": "utf8",
        }
        self._conninfo = conninfo
        self.channel = "claims_ledger_" + hashlib.sha256(self.ledger.encode()).hexdigest()[:32]
        self._lock = threading.RLock()
        self._conn: Connection | None = None
        self._closed = False
        self._reading = False
        try:
            self._run(lambda conn: self._prepare_schema(conn, create_schema))
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"<PostgresStore ledger {self.ledger!r} in {self._where}>"

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
            rows = conn.execute(f"{_SELECT} AND event_id = ANY(%s)", (self.ledger, ids))
            return {r.event_id: r for r in map(_row, rows.fetchall())}

        return self._run(work)

    def write(
        self, rows: Sequence[StoredRow], expected_head: int, model: ModelWrite | None = None
    ) -> bool:
        params = _insert_params(self.ledger, rows, expected_head)
        try:
            # A retry after a lost connection is safe: if the first attempt
            # committed, the head has moved and the retry is refused.
            return self._run(lambda conn: self._write(conn, params, expected_head, model))
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

    @contextmanager
    def reading(self) -> Iterator[None]:
        # One REPEATABLE READ transaction: every query inside sees one snapshot.
        with self._lock:
            if self._reading:
                yield
                return
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
            sql.SQL("SELECT {}(%s, hashtext(%s))").format(sql.Identifier(function)),
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
        check_follow_args(after, poll_interval)
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
                    _close(listener)
                    listener = None
                    time.sleep(delay)
                    delay = min(delay * 2, _BACKOFF[1])
                    continue
                if stopping:
                    return
                delay = _BACKOFF[0]
                listener = self._wait(listener, poll_interval)
        finally:
            _close(listener)

    def _listen(self) -> Connection:
        conn = self._connect(autocommit=True)
        try:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        except psycopg.Error as exc:
            _close(conn)
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
            _close(listener)
            return None
        return listener

    # -- transactions --------------------------------------------------------

    def _run(self, work: Callable[[Connection], _T]) -> _T:
        """work(conn) then commit; one transparent retry on a connection the server dropped.

        Inside ``reading()`` the work joins its read transaction instead.
        """
        with self._lock:
            if self._reading:
                try:
                    return work(self._connection())
                except psycopg.Error as exc:
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
        _close(self._conn)
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
        message = " ".join(str(exc).split())
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return message

    # -- the statements ------------------------------------------------------

    def _prepare_schema(self, conn: Connection, create: bool) -> None:
        encoding = conn.execute("SHOW server_encoding").fetchone()
        if encoding is None or encoding[0].upper() not in ("UTF8", "UTF-8"):
            raise StoreUnavailable(
                f"{self._where} has encoding {encoding and encoding[0]}; the ledger keeps "
                "UTF-8 text byte for byte: create the database with ENCODING 'UTF8'"
            )
        version = self._schema_version(conn)
        if version != SCHEMA_VERSION and create:
            conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_LOCK_CLASS,))
            version = self._schema_version(conn)
            if version is None:
                conn.execute(_SCHEMA)
                conn.execute(
                    "INSERT INTO ledger_meta (key, value) VALUES ('schema', %s)", (SCHEMA_VERSION,)
                )
            if version in (None, "1"):
                # Schema 1 had no read models; adding their tables is the whole migration.
                conn.execute(_MODEL_SCHEMA)
                conn.execute(
                    "UPDATE ledger_meta SET value = %s WHERE key = 'schema'", (SCHEMA_VERSION,)
                )
                version = SCHEMA_VERSION
        if version is None:
            raise StoreUnavailable(
                f"{self._where} has no ledger tables; open it once as a role that may create "
                "them (see docs/postgres.md)"
            )
        if version != SCHEMA_VERSION:
            raise StoreUnavailable(
                f"{self._where} holds ledger tables of schema {version}; this version of "
                f"claims-ledger knows schema {SCHEMA_VERSION}"
                + (
                    " (open it once as a role that may create tables to upgrade it)"
                    if version == "1"
                    else ""
                )
            )

    @staticmethod
    def _schema_version(conn: Connection) -> str | None:
        exists = conn.execute("SELECT to_regclass('ledger_meta') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return None
        found = conn.execute("SELECT value FROM ledger_meta WHERE key = 'schema'").fetchone()
        return None if found is None else str(found[0])

    def _edge(self, conn: Connection) -> CompactRange:
        """The Merkle right edge at the head, both read by one statement (one snapshot)."""
        found = conn.execute(
            "SELECT coalesce((SELECT max(position) FROM ledger_events WHERE ledger = %s), 0),"
            " t.size, t.hashes FROM (SELECT) AS one"
            " LEFT JOIN ledger_tree AS t ON t.ledger = %s",
            (self.ledger, self.ledger),
        ).fetchone() or (0, None, None)
        head, size, hashes = int(found[0]), found[1] or 0, found[2] or []
        try:
            edge = CompactRange(size, [bytes(h) for h in hashes])
        except InvalidProof as exc:
            raise CorruptLog(f"ledger {self.ledger!r}: the tree row is damaged: {exc}") from None
        if edge.size == head:
            return edge
        if edge.size > head:
            raise CorruptLog(
                f"ledger {self.ledger!r}: the tree covers {edge.size} records, "
                f"the log ends at position {head}",
                position=head + 1,
            )
        # Rows stored without their tree (a bulk load by hand): rebuild from the stored hashes.
        log.warning(
            "%s, ledger %r: rebuilding the Merkle edge at %d", self._where, self.ledger, head
        )
        edge = CompactRange()
        for position, digest in conn.execute(
            "SELECT position, hash FROM ledger_events WHERE ledger = %s AND position <= %s"
            " ORDER BY position",
            (self.ledger, head),
        ):
            if position != edge.size + 1:
                raise CorruptLog(f"position {edge.size + 1} is missing", position=edge.size + 1)
            edge.append(bytes(digest))
        return edge

    def _head(self, conn: Connection) -> int:
        found = conn.execute(
            "SELECT coalesce(max(position), 0) FROM ledger_events WHERE ledger = %s",
            (self.ledger,),
        ).fetchone()
        return int(found[0]) if found else 0

    def _page(self, conn: Connection, *, after: int, stop: int | None) -> list[StoredRow]:
        cur = conn.execute(
            f"{_SELECT} AND position > %s AND position <= %s ORDER BY position LIMIT {_PAGE}",
            (self.ledger, after, _NO_LIMIT if stop is None else stop),
        )
        return [_row(r) for r in cur.fetchall()]

    def _write(
        self,
        conn: Connection,
        params: list[tuple[Any, ...]],
        expected_head: int,
        model: ModelWrite | None,
    ) -> bool:
        # The lock serializes this ledger's writers until commit; only after
        # taking it may the head be read, by a statement with a fresh snapshot.
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, self.ledger))
        edge = self._edge(conn)
        head = edge.size
        if head != expected_head:
            raise ConcurrencyError(expected_head, head)
        if not params:
            return True
        edge.extend(p[-1] for p in params)
        stored = model is None or self._model_ready(conn, model)
        with conn.pipeline(), conn.cursor() as cur:
            cur.executemany(_INSERT, params)
            cur.execute(_SAVE_TREE, (self.ledger, edge.size, list(edge.hashes)))
            if model is not None and stored:
                self._store_model(cur, model.name, model.changes)
                cur.execute(
                    _MODEL_SAVE_META,
                    (self.ledger, model.name, model.version, edge.size, b"".join(edge.hashes)),
                )
            self._notify(cur, edge.size)
        return stored

    def _model_ready(self, conn: Connection, model: ModelWrite) -> bool:
        """Whether the read model stands where the batch was folded from."""
        found = conn.execute(
            "SELECT version, position FROM ledger_model_meta WHERE ledger = %s AND name = %s",
            (self.ledger, model.name),
        ).fetchone()
        # No checkpoint at all is the read model of the empty log.
        stands = (model.version, 0) if found is None else (found[0], found[1])
        return stands == (model.version, model.since)

    def _store_model(self, cur: psycopg.Cursor[Any], name: str, changes: Sequence[Change]) -> None:
        deletes = [(self.ledger, name, t, p, i) for t, p, i, v in changes if v is None]
        upserts = [(self.ledger, name, t, p, i, v) for t, p, i, v in changes if v is not None]
        if deletes:
            cur.executemany(_MODEL_DELETE, deletes)
        if upserts:
            cur.executemany(_MODEL_UPSERT, upserts)

    def _notify(self, cur: psycopg.Cursor[Any], head: int) -> None:
        # Delivered at commit, and only if the batch commits.
        cur.execute("SELECT pg_notify(%s, %s)", (self.channel, str(head)))


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

    def checkpoint(self) -> ModelCheckpoint | None:
        found = self._read(
            lambda conn: conn.execute(
                "SELECT version, position, edge FROM ledger_model_meta"
                " WHERE ledger = %s AND name = %s",
                self._scope,
            ).fetchone()
        )
        if found is None:
            return None
        version, position, blob = found
        blob = bytes(blob)
        if len(blob) % HASH_SIZE:
            raise ModelDamaged("the read model's checkpoint is damaged")
        hashes = [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]
        try:
            return ModelCheckpoint(int(version), CompactRange(int(position), hashes))
        except InvalidProof as exc:
            raise ModelDamaged(f"the read model's checkpoint is damaged: {exc}") from None

    def load(self, table: str, parts: Collection[str]) -> dict[str, dict[str, str]]:
        wanted = list(parts)

        def work(conn: Connection) -> dict[str, dict[str, str]]:
            found: dict[str, dict[str, str]] = {}
            rows = conn.execute(
                "SELECT part, item, value FROM ledger_model_rows"
                " WHERE ledger = %s AND name = %s AND tbl = %s AND part = ANY(%s)",
                (*self._scope, table, wanted),
            )
            for part, item, value in rows:
                found.setdefault(part, {})[item] = value
            return found

        return self._read(work) if wanted else {}

    def load_all(self, table: str) -> dict[str, dict[str, str]]:
        def work(conn: Connection) -> dict[str, dict[str, str]]:
            found: dict[str, dict[str, str]] = {}
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT part, item, value FROM ledger_model_rows"
                    " WHERE ledger = %s AND name = %s AND tbl = %s",
                    (*self._scope, table),
                )
                for part, item, value in cur:
                    found.setdefault(part, {})[item] = value
            return found

        return self._read(work)

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

        def work(conn: Connection) -> bool:
            # The writers' lock: a catch-up never interleaves with an append.
            conn.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, store.ledger)
            )
            found = conn.execute(
                "SELECT position FROM ledger_model_meta WHERE ledger = %s AND name = %s",
                self._scope,
            ).fetchone()
            if not reset and (None if found is None else found[0]) != expected:
                return False
            with conn.pipeline(), conn.cursor() as cur:
                if reset:
                    cur.execute(
                        "DELETE FROM ledger_model_rows WHERE ledger = %s AND name = %s",
                        self._scope,
                    )
                store._store_model(cur, self.name, changes)
                cur.execute(
                    _MODEL_SAVE_META,
                    (*self._scope, version, edge.size, b"".join(edge.hashes)),
                )
            return True

        try:
            return store._run(work)
        except StoreError as exc:
            refused = (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)
            if isinstance(exc.__cause__, refused):
                raise ModelReadOnly(str(exc)) from exc
            raise


def _insert_params(ledger: str, rows: Sequence[StoredRow], head: int) -> list[tuple[Any, ...]]:
    """The INSERT parameters of each row, after refusing what the log must never hold."""
    params: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for position, row in enumerate(rows, head + 1):
        if row.position != position:
            raise StoreError(
                f"row {row.event_id!r} has position {row.position}, expected {position}"
            )
        if row.event_id in seen:
            raise DuplicateEvent(row.event_id, position)
        seen.add(row.event_id)
        for field in ("event_id", "type", "recorded_at", "data"):
            if "\x00" in getattr(row, field):
                raise InvalidEvent(
                    f"position {position}: PostgreSQL text cannot hold NUL characters",
                    field=field,
                )
        size = len(row.leaf_bytes())
        if size > MAX_RECORD_BYTES:
            raise RecordTooLarge(size, MAX_RECORD_BYTES, position=position)
        try:
            digest = bytes.fromhex(row.hash)
        except ValueError:
            digest = b""
        if len(digest) != HASH_SIZE:
            raise StoreError(f"position {position}: hash {row.hash!r} is not 64 hex digits")
        try:
            stamp = parse_timestamp(row.recorded_at)
        except ValueError as exc:
            raise StoreError(f"position {position}: recorded_at: {exc}") from None
        params.append(
            (
                ledger,
                position,
                row.event_id,
                row.type,
                row.schema,
                stamp,
                row.recorded_at,
                row.data,
                digest,
            )
        )
    return params


def _secrets(conninfo: str) -> list[str]:
    """The password in a libpq URL, raw and decoded, to keep out of every message."""
    # By hand rather than urlsplit, which gives up on the malformed hosts
    # whose error messages echo the whole URL.
    netloc = conninfo.partition("://")[2].split("/", 1)[0].split("?", 1)[0]
    found = [netloc.rpartition("@")[0].partition(":")[2]] if "@" in netloc else []
    for part in conninfo.partition("?")[2].split("&"):
        key, _, value = part.partition("=")
        if unquote(key) == "password":
            found.append(value)
    return sorted({v for raw in found for v in (raw, unquote(raw)) if v}, key=len, reverse=True)


def _lost(exc: StoreUnavailable) -> bool:
    """Whether the store became unavailable because the server went away."""
    return isinstance(exc.__cause__, psycopg.OperationalError)


def _close(conn: Connection | None) -> None:
    """Close a connection, if any, whatever state it is in."""
    if conn is not None:
        with suppress(psycopg.Error):
            conn.close()
