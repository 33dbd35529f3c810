"""The PostgreSQL store's tables, triggers and statements, each qualified with its schema.

Every statement names the schema the tables were created in
(``"public".ledger_events``), never relying on the session's search path,
so a schema someone creates earlier on that path cannot shadow them. The
schema is recorded in ``ledger_meta`` (key ``namespace``) when the tables are
made, and checked on every open.

Writers never touch the Merkle tree: an AFTER INSERT trigger on
``ledger_events``, a ``SECURITY DEFINER`` function owned by the tables' owner
(with ``search_path = pg_catalog, pg_temp``), extends ``ledger_tree`` over
the stored hashes of the rows each statement inserts, and refuses rows whose
positions do not follow it. A writer role needs only SELECT and INSERT on
the log; it cannot set the tree's size or rewrite its hashes.

Schema history: 1, the log and its tree; 2, the read models
(``ledger_model_meta``, ``ledger_model_rows``); 3, the tree kept by trigger,
every name qualified, the schema recorded, and writers' direct privileges
on ``ledger_tree`` revoked.
"""

from __future__ import annotations

from typing import Any

import attrs
import psycopg
from psycopg import sql

from ledger.errors import StoreUnavailable
from ledger.stores.urls import redact

__all__ = ["SCHEMA_VERSION", "Statements", "prepare_schema", "quoted"]

#: The version of the tables below; stored in ledger_meta.
SCHEMA_VERSION = "3"
#: First key of every advisory lock the store takes ("LEDG"), so ours collide with no one's.
LOCK_CLASS = 0x4C454447
#: ... and of the read models' lock ("LEDH"): whoever writes a ledger's read-model rows holds it.
MODEL_LOCK_CLASS = LOCK_CLASS + 1

Connection = psycopg.Connection[Any]

_TABLES = """
CREATE TABLE IF NOT EXISTS {s}.ledger_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.ledger_events (
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
CREATE TABLE IF NOT EXISTS {s}.ledger_tree (
    ledger text    PRIMARY KEY,
    size   bigint  NOT NULL CHECK (size >= 0),
    hashes bytea[] NOT NULL
);
"""
_MODEL_TABLES = """
CREATE TABLE IF NOT EXISTS {s}.ledger_model_meta (
    ledger   text    NOT NULL,
    name     text    NOT NULL,
    version  integer NOT NULL,
    position bigint  NOT NULL,
    edge     bytea   NOT NULL,
    PRIMARY KEY (ledger, name)
);
CREATE TABLE IF NOT EXISTS {s}.ledger_model_rows (
    ledger text NOT NULL,
    name   text NOT NULL,
    tbl    text NOT NULL,
    part   text NOT NULL,
    item   text NOT NULL,
    value  text NOT NULL,
    PRIMARY KEY (ledger, name, tbl, part, item)
);
"""

# Functions and triggers: CREATE OR REPLACE, so the migration from schema 1 and 2 is this too.
_TRIGGERS = r"""
CREATE OR REPLACE FUNCTION {s}.ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'claims-ledger: % on % is refused: the log is append-only',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'records are never changed or removed; append a correcting event';
END
$$;
CREATE OR REPLACE FUNCTION {s}.ledger_tree_only_grows() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.ledger <> OLD.ledger OR NEW.size < OLD.size
       OR (NEW.size = OLD.size AND NEW.hashes IS DISTINCT FROM OLD.hashes) THEN
        RAISE EXCEPTION 'claims-ledger: the Merkle tree of ledger % may only grow', OLD.ledger
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
-- The tree follows the log: extended over the stored hashes of every row after
-- it, in position order (RFC 9162 compact range: a binary counter's carries).
CREATE OR REPLACE FUNCTION {s}.ledger_grow_tree() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ledger_name text;
    tree_size   bigint;
    tree_hashes bytea[];
    row_at      bigint;
    node        bytea;
    carry       bigint;
    last        integer;
BEGIN
    FOR ledger_name IN SELECT DISTINCT ledger FROM new_rows LOOP
        SELECT size, hashes INTO tree_size, tree_hashes
            FROM {s}.ledger_tree WHERE ledger = ledger_name FOR UPDATE;
        IF NOT FOUND THEN
            tree_size := 0;
            tree_hashes := '{}';
        END IF;
        IF EXISTS (SELECT 1 FROM new_rows WHERE ledger = ledger_name AND position <= tree_size) THEN
            RAISE EXCEPTION 'claims-ledger: ledger %: positions up to % are in the tree already',
                ledger_name, tree_size USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        FOR row_at, node IN
            SELECT position, hash FROM {s}.ledger_events
            WHERE ledger = ledger_name AND position > tree_size ORDER BY position
        LOOP
            IF row_at <> tree_size + 1 THEN
                RAISE EXCEPTION 'claims-ledger: ledger %: position % is missing',
                    ledger_name, tree_size + 1 USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            carry := tree_size;
            WHILE carry % 2 = 1 LOOP
                last := cardinality(tree_hashes);
                node := sha256('\x01'::bytea || tree_hashes[last] || node);
                tree_hashes := tree_hashes[1:last - 1];
                carry := carry / 2;
            END LOOP;
            tree_hashes := tree_hashes || node;
            tree_size := tree_size + 1;
        END LOOP;
        INSERT INTO {s}.ledger_tree (ledger, size, hashes)
            VALUES (ledger_name, tree_size, tree_hashes)
            ON CONFLICT (ledger) DO UPDATE SET size = excluded.size, hashes = excluded.hashes;
    END LOOP;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION {s}.ledger_grow_tree() FROM PUBLIC;
DROP TRIGGER IF EXISTS ledger_events_append_only ON {s}.ledger_events;
CREATE TRIGGER ledger_events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON {s}.ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.ledger_refuse_change();
DROP TRIGGER IF EXISTS ledger_events_grow_tree ON {s}.ledger_events;
CREATE TRIGGER ledger_events_grow_tree
    AFTER INSERT ON {s}.ledger_events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.ledger_grow_tree();
DROP TRIGGER IF EXISTS ledger_tree_no_removal ON {s}.ledger_tree;
CREATE TRIGGER ledger_tree_no_removal
    BEFORE DELETE OR TRUNCATE ON {s}.ledger_tree
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.ledger_refuse_change();
DROP TRIGGER IF EXISTS ledger_tree_grows ON {s}.ledger_tree;
CREATE TRIGGER ledger_tree_grows
    BEFORE UPDATE ON {s}.ledger_tree
    FOR EACH ROW EXECUTE FUNCTION {s}.ledger_tree_only_grows();
"""


def quoted(name: str) -> str:
    """A schema name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@attrs.frozen
class Statements:
    """The store's SQL, each statement qualified with the tables' schema."""

    schema: str

    def q(self, text: str) -> str:
        """text with every {s} replaced by the quoted schema."""
        return text.replace("{s}", quoted(self.schema))

    @property
    def select(self) -> str:
        return self.q(
            "SELECT position, event_id, type, schema, recorded_at_text, data, hash"
            " FROM {s}.ledger_events WHERE ledger = %s"
        )

    @property
    def find(self) -> str:
        # One index probe an event_id (see model_load): event_id = ANY(array)
        # becomes a filter over every record of the ledger until ANALYZE has run.
        # A row before position 1 (its CHECK dropped) is no record of the log:
        # found, it would pass an append of its event for stored (verify reports it).
        return self.q(
            "SELECT r.* FROM pg_catalog.unnest(%s::text[]) AS wanted(event_id), LATERAL ("
            "SELECT position, event_id, type, schema, recorded_at_text, data, hash"
            " FROM {s}.ledger_events WHERE ledger = %s AND event_id = wanted.event_id"
            " AND position >= 1 OFFSET 0) AS r"
        )

    @property
    def model_load(self) -> str:
        # One index probe a partition, whatever the planner knows: with no
        # statistics yet (a new table, before autovacuum's first ANALYZE) it
        # runs "part = ANY(array)" as a filter over every row of the table,
        # 300 ms for 1,000 partitions at 20,000 records. OFFSET 0 keeps the
        # subquery from being flattened into a join the planner may hash.
        return self.q(
            "SELECT r.part, r.item, r.value FROM pg_catalog.unnest(%s::text[]) AS wanted(part),"
            " LATERAL (SELECT part, item, value FROM {s}.ledger_model_rows"
            " WHERE ledger = %s AND name = %s AND tbl = %s AND part = wanted.part"
            " OFFSET 0) AS r"
        )

    @property
    def insert(self) -> str:
        # One statement per batch, so the tree's trigger runs once for it. The
        # arrays go in binary: text arrays would escape every quote of the JSON.
        return self.q(
            "INSERT INTO {s}.ledger_events (ledger, position, event_id, type, schema,"
            " recorded_at, recorded_at_text, data, hash)"
            " SELECT %s, * FROM ROWS FROM (pg_catalog.unnest(%b::bigint[]),"
            " pg_catalog.unnest(%b::text[]), pg_catalog.unnest(%b::text[]),"
            " pg_catalog.unnest(%b::integer[]), pg_catalog.unnest(%b::timestamptz[]),"
            " pg_catalog.unnest(%b::text[]), pg_catalog.unnest(%b::text[]),"
            " pg_catalog.unnest(%b::bytea[]))"
        )

    @property
    def model_upsert(self) -> str:
        return self.q(
            "INSERT INTO {s}.ledger_model_rows (ledger, name, tbl, part, item, value)"
            " SELECT %s, %s, * FROM ROWS FROM (pg_catalog.unnest(%b::text[]),"
            " pg_catalog.unnest(%b::text[]), pg_catalog.unnest(%b::text[]),"
            " pg_catalog.unnest(%b::text[]))"
            " ON CONFLICT (ledger, name, tbl, part, item) DO UPDATE SET value = excluded.value"
        )

    @property
    def model_delete(self) -> str:
        # One row by its whole key, so always by the index; the few deletes a
        # batch makes go as one pipeline. An IN over unnested arrays became a
        # join that read every row of the ledger until the table had statistics.
        return self.q(
            "DELETE FROM {s}.ledger_model_rows"
            " WHERE ledger = %s AND name = %s AND tbl = %s AND part = %s AND item = %s"
        )

    @property
    def model_meta(self) -> str:
        """A read model's checkpoint row: version, position, edge."""
        return self.q(
            "SELECT version, position, edge FROM {s}.ledger_model_meta"
            " WHERE ledger = %s AND name = %s"
        )

    @property
    def model_save_meta(self) -> str:
        return self.q(
            "INSERT INTO {s}.ledger_model_meta (ledger, name, version, position, edge)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (ledger, name) DO UPDATE SET"
            " version = excluded.version, position = excluded.position, edge = excluded.edge"
        )


def prepare_schema(
    conn: Connection, statements: Statements, *, named: bool, create: bool, where: str
) -> None:
    """Check (and with create, make or upgrade) the tables; StoreUnavailable if unusable."""
    encoding = conn.execute("SHOW server_encoding").fetchone()
    if encoding is None or encoding[0].upper() not in ("UTF8", "UTF-8"):
        raise StoreUnavailable(
            f"{where} has encoding {encoding and encoding[0]}; the ledger keeps "
            "UTF-8 text byte for byte: create the database with ENCODING 'UTF8'"
        )
    schema = statements.schema
    version = _schema_version(conn, statements)
    if version is None and not _schema_exists(conn, schema):
        raise StoreUnavailable(
            f"{where}: schema {schema!r} does not exist; the store does not create schemas: "
            f"create it first (CREATE SCHEMA {quoted(schema)}), then open the ledger"
        )
    if version is None and not named:
        _refuse_tables_elsewhere(conn, schema, where)
    if version != SCHEMA_VERSION and create:
        conn.execute("SELECT pg_catalog.pg_advisory_xact_lock(%s, 0)", (LOCK_CLASS,))
        version = _schema_version(conn, statements)
        if version in (None, "1", "2"):
            try:
                _make_or_upgrade(conn, statements, version)
            except psycopg.errors.InsufficientPrivilege as exc:
                what = "create them" if version is None else f"upgrade them from schema {version}"
                raise StoreUnavailable(
                    f"{where}: this role may not {what}: open the ledger once as the tables' "
                    f"owner (see docs/postgres.md) ({redact(' '.join(str(exc).split()))})"
                ) from exc
            version = SCHEMA_VERSION
    if version is None:
        raise StoreUnavailable(
            f"{where} has no ledger tables in schema {schema!r}; open it once as a role that "
            "may create them (see docs/postgres.md)"
        )
    if version != SCHEMA_VERSION:
        upgrade = version in ("1", "2")
        raise StoreUnavailable(
            f"{where} holds ledger tables of schema {version}; this version of "
            f"claims-ledger knows schema {SCHEMA_VERSION}"
            + (" (open it once, writable, as the tables' owner to upgrade it)" if upgrade else "")
        )
    recorded = conn.execute(
        statements.q("SELECT value FROM {s}.ledger_meta WHERE key = 'namespace'")
    ).fetchone()
    if recorded is None or recorded[0] != schema:
        raise StoreUnavailable(
            f"{where}: the ledger tables in schema {schema!r} were made in schema "
            f"{recorded and recorded[0]!r}, which their triggers name; "
            "rename the schema back or open that one"
        )
    if create:
        _remake_model_tables(conn, statements, where)


def _remake_model_tables(conn: Connection, statements: Statements, where: str) -> None:
    """The read models' tables, made again if dropped; checkpoints go with their rows.

    A read model is a cache: tables dropped by hand are made again (empty)
    and every read model rebuilt, rather than a checkpoint left behind
    vouching for rows that are gone.
    """
    tables = (statements.q("{s}.ledger_model_meta"), statements.q("{s}.ledger_model_rows"))
    query = "SELECT pg_catalog.to_regclass(%s) IS NOT NULL, pg_catalog.to_regclass(%s) IS NOT NULL"
    found = conn.execute(query, tables).fetchone()
    if found is None or all(found):
        return
    conn.execute("SELECT pg_catalog.pg_advisory_xact_lock(%s, 0)", (LOCK_CLASS,))
    try:
        conn.execute(statements.q(_MODEL_TABLES))
    except psycopg.errors.InsufficientPrivilege as exc:
        raise StoreUnavailable(
            f"{where}: the read model's tables are missing and this role may not create them: "
            f"open the ledger once as the tables' owner ({redact(' '.join(str(exc).split()))})"
        ) from exc
    if not found[1]:
        conn.execute(statements.q("DELETE FROM {s}.ledger_model_meta"))


def _schema_version(conn: Connection, statements: Statements) -> str | None:
    exists = conn.execute(
        "SELECT pg_catalog.to_regclass(%s) IS NOT NULL",
        (statements.q("{s}.ledger_meta"),),
    ).fetchone()
    if not exists or not exists[0]:
        return None
    found = conn.execute(
        statements.q("SELECT value FROM {s}.ledger_meta WHERE key = 'schema'")
    ).fetchone()
    return None if found is None else str(found[0])


def _schema_exists(conn: Connection, schema: str) -> bool:
    found = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s)", (schema,)
    ).fetchone()
    return bool(found and found[0])


def _refuse_tables_elsewhere(conn: Connection, schema: str, where: str) -> None:
    """With no schema named, tables in another schema mean the URL should name it."""
    found = [
        row[0]
        for row in conn.execute(
            "SELECT n.nspname FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relname = 'ledger_meta' AND c.relkind = 'r' AND n.nspname <> %s"
            " ORDER BY 1",
            (schema,),
        )
    ]
    if found:
        raise StoreUnavailable(
            f"{where} has no ledger tables in schema {schema!r} but has some in "
            f"{', '.join(map(repr, found))}: name the schema in the URL (schema=NAME)"
        )


def _make_or_upgrade(conn: Connection, statements: Statements, version: str | None) -> None:
    """Create the tables (version None) or upgrade them from schema 1 or 2, in this transaction."""
    conn.execute(statements.q(_TABLES + _MODEL_TABLES))
    conn.execute(statements.q(_TRIGGERS))
    if version is not None:
        _revoke_tree_writes(conn, statements)
    conn.execute(
        statements.q(
            "INSERT INTO {s}.ledger_meta (key, value) VALUES ('schema', %s), ('namespace', %s)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        ),
        (SCHEMA_VERSION, statements.schema),
    )


def _revoke_tree_writes(conn: Connection, statements: Statements) -> None:
    """Schemas 1 and 2 had writers UPDATE the tree themselves: take that back from every role."""
    tree = statements.q("{s}.ledger_tree")
    grantees = conn.execute(
        "SELECT DISTINCT a.grantee FROM pg_catalog.pg_class c,"
        " pg_catalog.aclexplode(c.relacl) AS a"
        " WHERE c.oid = pg_catalog.to_regclass(%s) AND a.grantee <> c.relowner"
        " AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')",
        (tree,),
    ).fetchall()
    for (oid,) in grantees:
        found = conn.execute(
            "SELECT rolname FROM pg_catalog.pg_roles WHERE oid = %s", (oid,)
        ).fetchone()
        role = sql.SQL("PUBLIC") if oid == 0 or found is None else sql.Identifier(found[0])
        conn.execute(
            sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                sql.SQL(tree), role
            )
        )
