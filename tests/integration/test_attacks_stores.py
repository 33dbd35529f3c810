"""Attacks on the stored log, each reproduced, each defeated (issue 15).

- forged text that verifies: a JSON Lines line in another layout, or with a
  repeated key, whose re-canonicalised form matched its hash while grep and
  json_extract read the forged text; SQLite and PostgreSQL data columns
  edited to such a layout, with or without a recomputed hash;
- SQLite's INSERT OR REPLACE, which rewrote a row of ``events`` despite the
  append-only triggers, and the same against the ``tree`` row;
- passwords in messages: every form a credential takes in a PostgreSQL URL or
  conninfo is scrubbed by one function, ``ledger.stores.urls.redact``.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import attrs
import orjson
import psycopg
import pytest

from ledger import CorruptLog, Ledger, LedgerError, StoreUnavailable
from ledger.codec import StoredRow, make_codec
from ledger.merkle import CompactRange, leaf_hash
from ledger.stores import open_store
from ledger.stores.urls import redact, split_url
from ledger.tamper import Checkpoint, verify_url
from tests.pg_server import with_ledger

from .contract.builders import figure, topic
from .forging import rehash_sqlite_record

FORGED = "FORGED: the ministry denies everything"


def build(path: Path) -> Checkpoint:
    """A small ledger whose third record is a figure with a quote; its checkpoint."""
    with Ledger.open(str(path)) as lg:
        lg.extend([topic(), figure(1), figure(2, source="src/b"), figure(3, source="src/c")])
        return lg.checkpoint()


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def rewrite_line(path: Path, number: int, line: bytes) -> None:
    lines = lines_of(path)
    lines[number - 1] = line
    path.write_bytes(b"".join(x + b"\n" for x in lines))


def data_text(line: bytes) -> bytes:
    """The data value's text in a canonical line."""
    start = line.index(b',"data":') + len(b',"data":')
    return line[start : line.rindex(b',"hash":')]


# -- forged text in a JSON Lines file ---------------------------------------------------------


def data_first_with_a_repeated_key(line: bytes) -> bytes:
    """The record re-laid out by hand: data first after a space, the quote given twice."""
    record = orjson.loads(line)
    data = data_text(line)
    forged = b'{"quote":' + orjson.dumps(FORGED) + b"," + data[1:]
    rest = b",".join(
        orjson.dumps(key) + b":" + orjson.dumps(record[key])
        for key in ("event_id", "hash", "position", "recorded_at", "schema", "type")
    )
    return b'{ "data":' + forged + b"," + rest + b"}"


def repeated_position(line: bytes) -> bytes:
    """A first "position" key that grep reads and orjson overrides with the second."""
    return line.replace(b'{"position":3,', b'{"position":7,"position":3,', 1)


def repeated_key_in_place(line: bytes) -> bytes:
    """The canonical layout around a data text that gives the quote twice."""
    data = data_text(line)
    return line.replace(data, b'{"quote":' + orjson.dumps(FORGED) + b"," + data[1:], 1)


@pytest.mark.parametrize(
    "forge",
    [data_first_with_a_repeated_key, repeated_position, repeated_key_in_place],
    ids=["another layout and a repeated key", "a repeated position", "a repeated data key"],
)
def test_a_forged_jsonl_line_is_reported_at_its_line_even_against_a_checkpoint(
    tmp_path: Path, forge: object
) -> None:
    path = tmp_path / "forged.jsonl"
    checkpoint = build(path)
    assert callable(forge)
    rewrite_line(path, 3, forge(lines_of(path)[2]))
    for against in (None, checkpoint):
        report = verify_url(str(path), against)
        assert not report.ok, report
        assert (report.first_bad_position, report.line) == (3, 3), report.summary()
    with pytest.raises(CorruptLog) as caught, Ledger.open(str(path)) as lg:
        list(lg.records())
    assert (caught.value.line, caught.value.position) == (3, 3)


def test_a_repeated_wire_key_is_named_when_the_store_reads_the_line(tmp_path: Path) -> None:
    path = tmp_path / "forged.jsonl"
    build(path)
    rewrite_line(path, 3, repeated_position(lines_of(path)[2]))
    with pytest.raises(CorruptLog, match="'position' is repeated") as caught:
        open_store(str(path)).close()
    assert caught.value.line == 3


def test_the_stores_hand_the_codec_the_data_text_exactly_as_stored(tmp_path: Path) -> None:
    # A line in the canonical layout around data that is not canonical (a space):
    # the store passes the text on as it is, never its canonical form.
    path = tmp_path / "spaced.jsonl"
    build(path)
    line = lines_of(path)[2]
    data = data_text(line)
    spaced = data.replace(b'","', b'", "', 1)
    rewrite_line(path, 3, line.replace(data, spaced, 1))
    with open_store(str(path), read_only=True) as store:
        assert next(r.data.encode() for r in store.read(2)) == spaced
    report = verify_url(str(path))
    assert (report.ok, report.first_bad_position) == (False, 3)


# -- forged data columns in SQLite and PostgreSQL ---------------------------------------------


def _sqlite_forge(path: Path, rehash: bool) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP TRIGGER events_no_update")
        found = conn.execute(
            "SELECT position, event_id, type, schema, recorded_at, data, hash FROM events"
            " WHERE position = 3"
        ).fetchone()
        data = '{"quote":' + orjson.dumps(FORGED).decode() + "," + found[5][1:]
        digest = found[6]
        if rehash:
            from ledger.codec import StoredRow

            digest = leaf_hash(StoredRow(*found[:5], data, found[6]).leaf_bytes()).hex()
        conn.execute("UPDATE events SET data = ?, hash = ? WHERE position = 3", (data, digest))
        # json_extract reads the forged quote: the text people would query.
        (shown,) = conn.execute(
            "SELECT json_extract(data, '$.quote') FROM events WHERE position = 3"
        ).fetchone()
        conn.commit()
    finally:
        conn.close()
    assert shown in (FORGED, figure(2).quote)


@pytest.mark.parametrize("rehash", [False, True], ids=["hash kept", "hash recomputed"])
def test_a_sqlite_data_column_in_another_layout_is_reported_at_its_position(
    tmp_path: Path, rehash: bool
) -> None:
    path = tmp_path / "forged.db"
    checkpoint = build(path)
    _sqlite_forge(path, rehash)
    for against in (None, checkpoint):
        report = verify_url(str(path), against)
        assert (report.ok, report.first_bad_position) == (False, 3), report.summary()
    with pytest.raises(LedgerError), Ledger.open(str(path)) as lg:
        list(lg.records())


@pytest.mark.postgres
@pytest.mark.parametrize("rehash", [False, True], ids=["hash kept", "hash recomputed"])
def test_a_postgresql_data_column_in_another_layout_is_reported_at_its_position(
    postgres_url: str, rehash: bool
) -> None:
    url = with_ledger(postgres_url, f"forged{uuid.uuid4().hex[:12]}")
    with Ledger.open(url) as lg:
        lg.extend([topic(), figure(1), figure(2, source="src/b"), figure(3, source="src/c")])
        checkpoint = lg.checkpoint()
        row = next(lg.store.read_positions([3]))
    data = '{"quote":' + orjson.dumps(FORGED).decode() + "," + row.data[1:]
    digest = bytes.fromhex(row.hash)
    if rehash:
        digest = leaf_hash(attrs.evolve(row, data=data).leaf_bytes())
    conninfo, name = split_url(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # a superuser, triggers off
        conn.execute(
            "UPDATE ledger_events SET data = %s, hash = %s WHERE ledger = %s AND position = 3",
            (data, digest, name),
        )
        found = conn.execute(
            "SELECT strpos(data, %s) > 0 FROM ledger_events WHERE ledger = %s AND position = 3",
            (FORGED, name),
        ).fetchone()
        assert found == (True,)  # what a query of the table reads
    for against in (None, checkpoint):
        report = verify_url(url, against)
        assert (report.ok, report.first_bad_position) == (False, 3), report.summary()


def _pg_ledger(postgres_url: str) -> tuple[str, str, Checkpoint, list[bytes]]:
    """A small PostgreSQL ledger: its URL, its name, its checkpoint and its leaf hashes."""
    url = with_ledger(postgres_url, f"tree{uuid.uuid4().hex[:12]}")
    with Ledger.open(url) as lg:
        lg.extend([topic(), figure(1), figure(2, source="src/b"), figure(3, source="src/c")])
        lg.extend([figure(4, source="src/d"), figure(5, source="src/e")])
        checkpoint = lg.checkpoint()
        hashes = [bytes.fromhex(r.hash) for r in lg.rows()]
    return url, split_url(url)[1], checkpoint, hashes


def _pg_rehash(conn: psycopg.Connection[tuple[object, ...]], name: str, position: int) -> None:
    """Rewrite a record's data and store the hash of the rewritten bytes (a superuser's edit)."""
    found = conn.execute(
        "SELECT position, event_id, type, schema, recorded_at_text, data FROM ledger_events"
        " WHERE ledger = %s AND position = %s",
        (name, position),
    ).fetchone()
    assert found is not None
    row = StoredRow(*found, "")
    forged = attrs.evolve(row, data=row.data.replace("Kursk", "Forged"))
    assert forged.data != row.data
    conn.execute(
        "UPDATE ledger_events SET data = %s, hash = %s WHERE ledger = %s AND position = %s",
        (forged.data, leaf_hash(forged.leaf_bytes()), name, position),
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("DELETE FROM ledger_tree WHERE ledger = %(name)s", "tree table's row was removed"),
        (
            "UPDATE ledger_tree SET size = 3, hashes = %(edge3)s WHERE ledger = %(name)s",
            "stored Merkle tree of the first 3 records does not match their hashes",
        ),
        (
            "UPDATE ledger_tree SET size = 4, hashes = ARRAY[sha256('garbage')]"
            " WHERE ledger = %(name)s",
            "stored Merkle tree of the first 4 records does not match their hashes",
        ),
    ],
    ids=["tree row removed", "tree row shrunk to cover it", "tree row shrunk to garbage"],
)
def test_a_postgresql_record_rehashed_under_a_removed_or_shrunken_tree_row_is_reported(
    postgres_url: str, change: str, reason: str
) -> None:
    # As SQLite does: the kept tree row is checked, never rebuilt from the rows it vouches for.
    url, name, checkpoint, hashes = _pg_ledger(postgres_url)
    edge3 = CompactRange()
    edge3.extend(hashes[:3])
    with psycopg.connect(split_url(url)[0], autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # a superuser, triggers off
        _pg_rehash(conn, name, 3)
        conn.execute(change, {"name": name, "edge3": list(edge3.hashes)})
    for against in (None, checkpoint):
        report = verify_url(url, against)
        assert not report.ok, report.summary()
        assert "matches the store's right edge" not in report.reason
    report = verify_url(url)
    assert reason in report.reason, report.summary()
    # Nor does a writer build the tree again over the rewritten record.
    with Ledger.open(url) as lg, pytest.raises(CorruptLog, match=reason):
        lg.append(figure(6, source="src/f"))


@pytest.mark.postgres
def test_a_postgresql_tree_row_behind_rows_loaded_without_it_is_extended_over_them(
    postgres_url: str,
) -> None:
    # Rows stored with the trigger off (a bulk load by hand) leave the tree row
    # behind: it is the edge of the records it covers, so the rest is folded in.
    url, name, checkpoint, hashes = _pg_ledger(postgres_url)
    edge3 = CompactRange()
    edge3.extend(hashes[:3])
    with psycopg.connect(split_url(url)[0], autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "UPDATE ledger_tree SET size = 3, hashes = %s WHERE ledger = %s",
            (list(edge3.hashes), name),
        )
    report = verify_url(url, checkpoint)
    assert report.ok, report.summary()
    with Ledger.open(url) as lg:
        lg.append(figure(6, source="src/f"))
        assert lg.verify().ok
        assert lg.store.tree().size == len(hashes) + 1


@pytest.mark.postgres
def test_a_postgresql_log_cut_short_under_its_tree_row_names_the_first_missing_position(
    postgres_url: str,
) -> None:
    url, name, _, hashes = _pg_ledger(postgres_url)
    with psycopg.connect(split_url(url)[0], autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("DELETE FROM ledger_events WHERE ledger = %s AND position > 4", (name,))
    report = verify_url(url)
    assert (report.ok, report.first_bad_position) == (False, 5), report.summary()
    assert f"tree covers {len(hashes)} records, the log ends at position 4" in report.reason


def rehashed(line: bytes, old: bytes, new: bytes) -> bytes:
    """The line with old replaced by new in its data, and its hash computed again to match."""
    record = orjson.loads(line)
    data = data_text(line).replace(old, new, 1)
    assert data != data_text(line)
    row = StoredRow(
        record["position"],
        record["event_id"],
        record["type"],
        record["schema"],
        record["recorded_at"],
        data.decode(),
        "0" * 64,
    )
    row = attrs.evolve(row, hash=leaf_hash(row.leaf_bytes()).hex())
    return row.to_line().rstrip(b"\n")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"url":null,', b""),
        (b'"stated_at":"2024-08-06T02:00:00Z"', b'"stated_at":"2024-08-06T02:00:00+00:00"'),
    ],
    ids=["a default left out", "a timestamp with an offset"],
)
def test_a_record_spelled_other_than_canonically_is_reported_though_it_reads_the_same(
    tmp_path: Path, old: bytes, new: bytes
) -> None:
    path = tmp_path / "respelled.jsonl"
    build(path)
    before = Ledger.open(str(path), read_only=True)
    views = before.topics()
    before.close()
    rewrite_line(path, 3, rehashed(lines_of(path)[2], old, new))
    report = verify_url(str(path))
    assert (report.ok, report.first_bad_position) == (False, 3), report.summary()
    assert "not stored canonically" in (report.reason or "")
    # It means the same: reading it is not refused, and the views do not change.
    with Ledger.open(str(path), read_only=True) as lg:
        assert lg.topics() == views


# -- SQLite: INSERT OR REPLACE --------------------------------------------------------------


def test_insert_or_replace_cannot_rewrite_a_sqlite_row_or_the_tree(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    build(path)
    conn = sqlite3.connect(path, isolation_level=None)
    before = conn.execute("SELECT * FROM events ORDER BY position").fetchall()
    tree = conn.execute("SELECT * FROM tree").fetchall()
    row = list(before[2])
    row[5] = row[5].replace("Kursk", "Forged")
    attacks = [
        ("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", row),
        ("REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", row),
        # Another position with a stored event_id: REPLACE would delete the original.
        ("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", [99, *row[1:]]),
        ("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", row),
        (
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (position) DO UPDATE SET data = excluded.data",
            row,
        ),
        ("UPDATE tree SET size = size - 1", []),
        ("UPDATE tree SET hashes = zeroblob(length(hashes))", []),
        ("DELETE FROM tree", []),
    ]
    for statement, params in attacks:
        with pytest.raises(sqlite3.IntegrityError, match=r"append-only|only grow"):
            conn.execute(statement, params)
    # A second tree row is skipped, not refused (an older version's INSERT OR IGNORE
    # on open keeps working): REPLACE still cannot rewrite the row.
    for statement in (
        "REPLACE INTO tree (id, size, hashes) VALUES (1, 0, x'')",
        "INSERT OR REPLACE INTO tree (id, size, hashes) VALUES (1, 0, x'')",
        "INSERT OR IGNORE INTO tree (id, size, hashes) VALUES (1, 0, x'')",
    ):
        conn.execute(statement)
        assert conn.execute("SELECT * FROM tree").fetchall() == tree
    assert conn.execute("SELECT * FROM events ORDER BY position").fetchall() == before
    assert conn.execute("SELECT * FROM tree").fetchall() == tree
    conn.close()
    assert verify_url(str(path)).ok


def test_a_truncation_hidden_by_dropping_the_tree_table_is_reported_and_never_mended(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.db"
    checkpoint = build(path)
    conn = sqlite3.connect(path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DELETE FROM events WHERE position > 3")
    conn.execute("DROP TABLE tree")
    conn.close()
    for against in (None, checkpoint):
        report = verify_url(str(path), against)
        assert not report.ok
        assert "tree table was removed" in (report.reason or ""), report.summary()
    # A writable open refuses too: it never makes the table again over the cut log.
    with pytest.raises(CorruptLog, match="tree table was removed"):
        Ledger.open(str(path)).close()
    conn = sqlite3.connect(path)
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "events" in tables
    assert "tree" not in tables
    assert not verify_url(str(path)).ok


def test_an_open_sqlite_ledger_never_appends_over_a_record_rehashed_under_a_shrunken_tree_row(
    tmp_path: Path,
) -> None:
    # The writable open checked the tree row; what is done to the file after it is
    # checked by the append, which would otherwise build the edge over the rewrite.
    path = tmp_path / "log.db"
    with Ledger.open(str(path)) as lg:
        lg.extend([topic(), figure(1), figure(2, source="src/b"), figure(3, source="src/c")])
        lg.extend([figure(4, source="src/d"), figure(5, source="src/e")])
        hashes = [bytes.fromhex(r.hash) for r in lg.rows()]
        edge3 = CompactRange()
        edge3.extend(hashes[:3])
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            rehash_sqlite_record(conn, 3, "Kursk", "Forged")
            conn.execute("UPDATE tree SET size = 3, hashes = ?", (b"".join(edge3.hashes),))
        finally:
            conn.close()
        with pytest.raises(CorruptLog, match="first 3 records does not match their hashes"):
            lg.append(figure(6, source="src/f"))
    report = verify_url(str(path))
    assert not report.ok, report.summary()
    assert "first 3 records does not match their hashes" in report.reason


def test_a_record_repeating_an_event_id_is_reported_when_the_unique_index_is_gone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.db"
    build(path)
    conn = sqlite3.connect(path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    table = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events'").fetchone()[0]
    conn.execute("ALTER TABLE events RENAME TO old_events")
    conn.execute(table.replace("NOT NULL UNIQUE", "NOT NULL"))
    conn.execute("INSERT INTO events SELECT * FROM old_events")
    conn.execute("DROP TABLE old_events")
    head = conn.execute("SELECT max(position) FROM events").fetchone()[0]
    event_id = conn.execute("SELECT event_id FROM events WHERE position = 2").fetchone()[0]
    conn.close()
    # A record of its own, with a hash that verifies, under the second record's event_id.
    again = attrs.evolve(figure(77, "src/z", 1, 2), event_id=event_id)
    (row,) = make_codec().encode_many(head, [again], datetime.now(UTC))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", attrs.astuple(row))
    conn.close()
    report = verify_url(str(path))
    assert not report.ok
    assert report.first_bad_position == head + 1, report.summary()
    assert "repeats the event_id of the record at position 2" in (report.reason or "")


# -- passwords in messages --------------------------------------------------------------------


SECRET = "hunter2-Zq9"


@pytest.mark.parametrize(
    "text",
    [
        f"postgresql://alice:{SECRET}@db.example.org/claims?ledger=k",
        f"postgres://alice:{SECRET}@db.example.org:5433/claims",
        f"postgresql://alice@db.example.org/claims?password={SECRET}&ledger=k",
        f"postgresql://alice@db.example.org/claims?ledger=k&PASSWORD={SECRET}",
        f"postgresql://alice@db.example.org/claims?Pass%77ord={SECRET}",
        f"postgresql://alice@db.example.org/claims?%70assword={SECRET}&sslmode=require",
        f"postgresql://alice@db.example.org/claims?sslpassword={SECRET}",
        f"host=db.example.org user=alice password={SECRET} dbname=claims",
        f"host=db.example.org password = '{SECRET} with spaces' dbname=claims",
        f"host=db.example.org PASSWORD='{SECRET}\\'quoted' dbname=claims",
        f"Error: cannot connect to postgresql://alice:{SECRET}@db/x: timeout",
    ],
)
def test_redact_scrubs_every_form_of_password(text: str) -> None:
    shown = redact(text)
    assert SECRET not in shown
    assert "***" in shown
    assert "db.example.org" in shown or "db/x" in shown


def test_redact_scrubs_a_url_s_password_wherever_it_appears_and_keeps_the_rest() -> None:
    url = "postgresql://alice:s%40cret%21@db/claims?ledger=kursk"
    message = 'connection to "db" failed for "alice" with password s@cret! (or s%40cret%21)'
    shown = redact(message, url)
    assert "s@cret!" not in shown
    assert "s%40cret%21" not in shown
    assert shown.startswith('connection to "db" failed for "alice"')
    assert redact(url) == "postgresql://alice:***@db/claims?ledger=kursk"
    assert redact("kursk.db: cannot open: disk full") == "kursk.db: cannot open: disk full"


def test_redact_masks_a_short_password_where_it_stands_alone_not_inside_words() -> None:
    url = "postgresql://u:o@127.0.0.1:1/db"
    message = f"{url}: cannot connect to PostgreSQL: password o is wrong (user u, 'o')"
    shown = redact(message, url)
    assert shown == (
        "postgresql://u:***@127.0.0.1:1/db: cannot connect to PostgreSQL: "
        "password *** is wrong (user u, '***')"
    )


def test_redact_never_echoes_pgpassword(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", SECRET)
    assert SECRET not in redact(f"server said: password {SECRET} is wrong")


@pytest.mark.parametrize(
    "url",
    [
        f"host=db.example.org password={SECRET} dbname=claims",
        f"mysql://alice:{SECRET}@db/claims",
        f"postgresql://alice@/claims?host=/nonexistent&PassWord={SECRET}&connect_timeout=1",
        f"postgresql://alice@/claims?host=/nonexistent&pass%77ord={SECRET}&connect_timeout=1",
        f"postgresql://alice@/claims?host=/nonexistent&password={SECRET}&bogus=1",
    ],
)
def test_store_errors_never_show_a_password(url: str) -> None:
    with pytest.raises(StoreUnavailable) as caught:
        open_store(url)
    assert SECRET not in str(caught.value)
