"""Tampering with real ledger files, behind the library's back, is caught by verify.

Each case edits a SQLite file with sqlite3 (dropping the append-only triggers,
as anyone holding the file can) or a JSON Lines file line by line, then checks
that verify names the right position, or reports a root mismatch, and never
raises. The Kursk seed (36 records) is the ledger tampered with.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from ledger import Ledger, LedgerError, TopicDefined
from ledger.codec import StoredRow
from ledger.tamper import Checkpoint, VerifyReport, verify_url

from .forging import rehashed

ROOT = Path(__file__).resolve().parents[2]
SEED_EVENTS = ROOT / "seeds" / "kursk-north-korean-pows.events.jsonl"
CLOCK = datetime(2025, 1, 14, tzinfo=UTC)
FORGED = hashlib.sha256(b"forged").hexdigest()
COLUMNS = ("event_id", "type", "schema", "recorded_at", "data", "hash")


@pytest.fixture(scope="module")
def masters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, Checkpoint]]:
    """The seed ledger's file bytes and checkpoint, per store kind."""
    built = {}
    for suffix in ("db", "jsonl"):
        path = tmp_path_factory.mktemp("master") / f"kursk.{suffix}"
        with Ledger.open(str(path), clock=lambda: CLOCK) as lg:
            lg.import_events(SEED_EVENTS)
            checkpoint = lg.checkpoint()
        built[suffix] = (path.read_bytes(), checkpoint)
    return built


def copy_of(masters: dict[str, tuple[bytes, Checkpoint]], suffix: str, tmp: Path) -> Path:
    path = tmp / f"kursk.{suffix}"
    path.write_bytes(masters[suffix][0])
    return path


def check(path: Path, checkpoint: Checkpoint | None = None) -> VerifyReport:
    """verify_url's report, which Ledger.verify repeats whenever the ledger still opens.

    Ledger.verify also compares the read model with the log when the log
    verifies: here it agrees, or there is none to compare; the rest of the
    report is verify_url's.
    """
    report = verify_url(str(path), checkpoint)
    try:
        lg = Ledger.open(str(path))
    except LedgerError:
        return report  # damage that stops the ledger folding: only verify_url can look
    with lg:
        assert lg.verify(checkpoint, read_model=False) == report
        full = lg.verify(checkpoint)
        # A JSON Lines copy without its side file has no read model until a query builds one.
        assert full.read_model_agrees in ((True, None) if report.ok else (None,))
        assert attrs.evolve(full, read_model_agrees=None, read_model=None) == report
    return report


def flip_one_byte(data: str) -> str:
    # A byte inside the first string value, so the JSON stays valid and only the hash tells.
    at = data.index(':"') + 2
    return data[:at] + chr(ord(data[at]) ^ 1) + data[at + 1 :]


# -- SQLite, through sqlite3 -------------------------------------------------------------


def sql(path: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
        for statement, params in statements:
            conn.execute(statement, params)
        conn.commit()
    finally:
        conn.close()


def sql_row(path: Path, position: int) -> StoredRow:
    conn = sqlite3.connect(path)
    try:
        found = conn.execute(
            f"SELECT position, {', '.join(COLUMNS)} FROM events WHERE position = ?", (position,)
        ).fetchone()
    finally:
        conn.close()
    return StoredRow(*found)


def update(position: int, row: StoredRow) -> tuple[str, tuple[object, ...]]:
    sets = ", ".join(f"{c} = ?" for c in COLUMNS)
    values = tuple(getattr(row, c) for c in COLUMNS)
    return (f"UPDATE events SET {sets} WHERE position = ?", (*values, position))


def sqlite_flip_data(path: Path) -> None:
    sql(
        path,
        ("UPDATE events SET data = ? WHERE position = 7", (flip_one_byte(sql_row(path, 7).data),)),
    )


def sqlite_replace_hash(path: Path) -> None:
    sql(path, ("UPDATE events SET hash = ? WHERE position = 7", (FORGED,)))


def sqlite_delete_middle(path: Path) -> None:
    sql(path, ("DELETE FROM events WHERE position = 7", ()))


def sqlite_swap(path: Path) -> None:
    seventh, eighth = sql_row(path, 7), sql_row(path, 8)
    parked = attrs.evolve(seventh, event_id="parked")  # event_id is UNIQUE: move one aside first
    sql(path, update(7, parked), update(8, seventh), update(7, eighth))


def sqlite_truncate(path: Path) -> None:
    sql(path, ("DELETE FROM events WHERE position > 33", ()))


def sqlite_append_wrong_hash(path: Path) -> None:
    last = sql_row(path, 36)
    extra = attrs.evolve(last, position=37, event_id="f" * 32, hash=FORGED)
    values = tuple(getattr(extra, c) for c in COLUMNS)
    marks = ", ".join("?" * (len(COLUMNS) + 1))
    sql(
        path,
        (f"INSERT INTO events (position, {', '.join(COLUMNS)}) VALUES ({marks})", (37, *values)),
    )


def sqlite_rewrite_and_rehash(path: Path) -> None:
    row = sql_row(path, 7)
    sql(path, update(7, rehashed(attrs.evolve(row, data=flip_one_byte(row.data)))))


# -- JSON Lines, line by line ---------------------------------------------------------------


def edit_lines(path: Path, change: Callable[[list[bytes]], None]) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    change(lines)
    path.write_bytes(b"".join(lines))


def jsonl_row(line: bytes) -> StoredRow:
    doc = json.loads(line)
    data = json.dumps(doc.pop("data"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return StoredRow(data=data, **doc)


def jsonl_flip_data(path: Path) -> None:
    def change(lines: list[bytes]) -> None:
        at = lines[6].index(b'"data":{') + len(b'"data":{')
        at = lines[6].index(b':"', at) + 2
        lines[6] = lines[6][:at] + bytes([lines[6][at] ^ 1]) + lines[6][at + 1 :]

    edit_lines(path, change)


def jsonl_replace_hash(path: Path) -> None:
    def change(lines: list[bytes]) -> None:
        row = jsonl_row(lines[6])
        lines[6] = lines[6].replace(row.hash.encode(), FORGED.encode())

    edit_lines(path, change)


def jsonl_delete_middle(path: Path) -> None:
    edit_lines(path, lambda lines: lines.pop(6))


def jsonl_swap(path: Path) -> None:
    def change(lines: list[bytes]) -> None:
        lines[6], lines[7] = lines[7], lines[6]

    edit_lines(path, change)


def jsonl_truncate(path: Path) -> None:
    edit_lines(path, lambda lines: lines.__delitem__(slice(33, None)))


def jsonl_append_wrong_hash(path: Path) -> None:
    def change(lines: list[bytes]) -> None:
        extra = attrs.evolve(jsonl_row(lines[-1]), position=37, event_id="f" * 32, hash=FORGED)
        lines.append(extra.to_line() + b"\n")

    edit_lines(path, change)


def jsonl_rewrite_and_rehash(path: Path) -> None:
    def change(lines: list[bytes]) -> None:
        row = jsonl_row(lines[6])
        lines[6] = rehashed(attrs.evolve(row, data=flip_one_byte(row.data))).to_line() + b"\n"

    edit_lines(path, change)


# -- the cases --------------------------------------------------------------------------------

Tamper = Callable[[Path], None]
CASES: list[tuple[str, Tamper, Tamper, bool, int | None, str]] = [
    # name, SQLite edit, JSON Lines edit, against the checkpoint?, first bad position, words
    ("one flipped byte in data", sqlite_flip_data, jsonl_flip_data, False, 7, "stored hash"),
    ("a replaced hash", sqlite_replace_hash, jsonl_replace_hash, False, 7, "stored hash"),
    ("a deleted middle record", sqlite_delete_middle, jsonl_delete_middle, False, 7, "position"),
    ("two swapped records", sqlite_swap, jsonl_swap, False, 7, ""),
    (
        "a truncated tail",
        sqlite_truncate,
        jsonl_truncate,
        True,
        34,
        # SQLite's stored tree still covers 36 records and says so on open.
        r"records 34\.\.36 are gone|tree covers 36 records, the log ends at position 33",
    ),
    (
        "a record appended by hand",
        sqlite_append_wrong_hash,
        jsonl_append_wrong_hash,
        False,
        37,
        "stored hash",
    ),
    (
        "a record rewritten and rehashed",
        sqlite_rewrite_and_rehash,
        jsonl_rewrite_and_rehash,
        True,
        None,
        "root of records 1..36",
    ),
]


@pytest.mark.parametrize("suffix", ["db", "jsonl"])
@pytest.mark.parametrize(
    ("case", "sqlite_edit", "jsonl_edit", "use_checkpoint", "position", "words"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_tampering_is_detected_at_the_right_position(
    masters: dict[str, tuple[bytes, Checkpoint]],
    tmp_path: Path,
    suffix: str,
    case: str,
    sqlite_edit: Tamper,
    jsonl_edit: Tamper,
    use_checkpoint: bool,
    position: int | None,
    words: str,
) -> None:
    path = copy_of(masters, suffix, tmp_path)
    (sqlite_edit if suffix == "db" else jsonl_edit)(path)
    report = check(path, masters[suffix][1] if use_checkpoint else None)
    assert not report.ok, case
    assert report.first_bad_position == position, report.summary()
    assert re.search(words, report.reason), report.reason
    assert report.summary().startswith("NOT OK")


@pytest.mark.parametrize("suffix", ["db", "jsonl"])
def test_an_untouched_ledger_verifies_clean_alone_and_against_its_checkpoint(
    masters: dict[str, tuple[bytes, Checkpoint]], tmp_path: Path, suffix: str
) -> None:
    path = copy_of(masters, suffix, tmp_path)
    checkpoint = masters[suffix][1]
    for against in (None, checkpoint, Checkpoint(10, verify_prefix_root(path, 10))):
        report = check(path, against)
        assert report.ok, report.reason
        assert (report.size, report.root) == (36, checkpoint.root)
    assert path.read_bytes() == masters[suffix][0]  # verifying wrote nothing


def verify_prefix_root(path: Path, size: int) -> bytes:
    with Ledger.open(str(path)) as lg:
        return lg.prove_consistency(size).old_root


def test_both_stores_hold_the_same_tree(masters: dict[str, tuple[bytes, Checkpoint]]) -> None:
    # Same records, same clock: the root does not depend on where the log is kept.
    assert masters["db"][1] == masters["jsonl"][1]


@pytest.mark.parametrize("suffix", ["db", "jsonl"])
def test_a_ledger_that_grew_after_its_checkpoint_still_verifies_against_it(
    masters: dict[str, tuple[bytes, Checkpoint]], tmp_path: Path, suffix: str
) -> None:
    path = copy_of(masters, suffix, tmp_path)
    with Ledger.open(str(path), clock=lambda: CLOCK) as lg:
        lg.append(TopicDefined(topic="kursk/extra", title="Extra", unit=None))
    report = check(path, masters[suffix][1])
    assert report.ok, report.reason
    assert report.size == 37
    assert "the checkpoint of size 36" in report.reason


def test_sqlite_keeps_its_right_edge_so_a_rehashed_rewrite_shows_without_a_checkpoint(
    masters: dict[str, tuple[bytes, Checkpoint]], tmp_path: Path
) -> None:
    path = copy_of(masters, "db", tmp_path)
    sqlite_rewrite_and_rehash(path)
    report = check(path)
    assert (report.ok, report.first_bad_position) == (False, None)
    assert "the store's right edge has root" in report.reason


def test_a_jsonl_line_that_is_not_json_is_reported_with_its_line_not_raised(
    masters: dict[str, tuple[bytes, Checkpoint]], tmp_path: Path
) -> None:
    path = copy_of(masters, "jsonl", tmp_path)

    def change(lines: list[bytes]) -> None:
        lines[11] = lines[11].replace(b'{"position":12', b'{"position":12,', 1)

    edit_lines(path, change)
    report = verify_url(str(path))
    assert (report.ok, report.first_bad_position, report.line) == (False, 12, 12)
    assert report.root is None
    assert report.summary().startswith("NOT OK (position 12, line 12): not a JSON record")


def test_verifying_a_missing_file_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    for name in ("gone.db", "gone.jsonl"):
        with pytest.raises(LedgerError, match="no such ledger"):
            verify_url(str(tmp_path / name))
    assert list(tmp_path.iterdir()) == []
