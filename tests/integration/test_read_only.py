"""Read-only stores: verify and every read work on a read-only copy, and nothing is written.

The ledgers are made read-only by a read-only bind mount (``unshare -m``, as
root), or by chmod when the tests do not run as root; a child process reads
them there. Before and after, every file's size, mtime and bytes and the
directory's listing and mtime must be the same. Beside that: verify never
repairs a writable ledger either (a torn JSON Lines line stays where it is
and is reported; a SQLite tree row stays missing), and a read-only
PostgreSQL store creates no tables and writes no read model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger import CorruptLog, Ledger, SourceDescribed, StoreUnavailable
from ledger.merkle import root
from ledger.stores import open_store
from ledger.stores.urls import split_url
from ledger.tamper import verify_url
from tests.pg_server import with_ledger

from .contract.builders import claim, describe, figure, topic
from .forging import rehash_sqlite_record

CHILD = Path(__file__).with_name("read_only_child.py")
ROOT = Path(__file__).resolve().parents[2]
EVENTS = [topic(), describe(), figure(1), claim(2), figure(3, source="src/b"), claim(4)]
N = len(EVENTS)
CLOCK = datetime(2025, 1, 14, tzinfo=UTC)


def build(path: Path) -> list[bytes]:
    """A ledger of EVENTS at path, its read model built; the records' hashes (the same for all)."""
    with Ledger.open(str(path), clock=lambda: CLOCK) as lg:
        lg.extend(EVENTS)
        assert lg.topics()  # the read model is written beside the log
        return [r.hash for r in lg.records()]


def lose_the_last_newline(path: Path) -> None:
    content = path.read_bytes()
    assert content.endswith(b"\n")
    path.write_bytes(content[:-1])


def remove_the_tree_row(path: Path) -> None:
    """As anyone holding the file can: drop the trigger that guards the row, delete it."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP TRIGGER IF EXISTS tree_no_delete")
        conn.execute("DELETE FROM tree")
        conn.commit()
    finally:
        conn.close()


def interrupt_a_batch(path: Path) -> int:
    """Leave the last three lines as a batch announced in .pending and cut in its third line."""
    lines = path.read_bytes().split(b"\n")[:-1]
    start = sum(len(line) + 1 for line in lines[:-3])
    end = sum(len(line) + 1 for line in lines)
    path.write_bytes(path.read_bytes()[: end - 10])
    Path(f"{path}.pending").write_bytes(b"%d %d\n" % (start, end))
    return len(lines) - 2  # the first line of the batch


def state(directory: Path) -> dict[str, Any]:
    """Everything that would show a write: names, sizes, mtimes and bytes of every file."""
    files = {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(directory.iterdir())
    }
    return {"files": files, "directory": directory.stat().st_mtime_ns}


def read_in_a_read_only_copy(directory: Path, mount: Path) -> dict[str, Any]:
    """Run the child on directory made read-only: a read-only bind mount, or chmod."""
    if os.geteuid() == 0:
        assert shutil.which("unshare"), "running as root without unshare"
        assert shutil.which("mount"), "running as root without mount"
        mount.mkdir()
        script = 'mount --bind "$1" "$2" && mount -o remount,ro,bind "$2" && exec "$3" "$4" "$2"'
        argv = ["unshare", "-m", "sh", "-c", script, "sh", str(directory), str(mount)]
        argv += [sys.executable, str(CHILD)]
    else:
        for p in [directory, *directory.iterdir()]:
            p.chmod(p.stat().st_mode & ~0o222)
        argv = [sys.executable, str(CHILD), str(directory)]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_read_only_copy_reads_and_verifies_and_nothing_in_it_changes(tmp_path: Path) -> None:
    ledgers = tmp_path / "ledgers"
    ledgers.mkdir()
    hashes = build(ledgers / "clean.db")
    build(ledgers / "clean.jsonl")
    assert (ledgers / "clean.jsonl.readmodel").exists()
    build(ledgers / "torn.jsonl")
    lose_the_last_newline(ledgers / "torn.jsonl")
    build(ledgers / "notree.db")
    remove_the_tree_row(ledgers / "notree.db")
    build(ledgers / "batch.jsonl")
    batch = interrupt_a_batch(ledgers / "batch.jsonl")
    before = state(ledgers)
    assert not any(name.endswith(("-wal", "-shm")) for name in before["files"])

    seen = read_in_a_read_only_copy(ledgers, tmp_path / "ro")
    assert seen.pop("_writable") is False, "the copy was not read-only: the test proves nothing"

    # A tree row removed while records are stored hid a truncation or a rewrite: refused.
    notree = seen["notree.db"]
    assert notree["verify"]["ok"] is False
    assert "tree table's row was removed" in notree["verify"]["reason"]
    assert notree["error"].startswith("CorruptLog:"), notree
    for name in ("clean.db", "clean.jsonl"):
        report = seen[name]["verify"]
        assert report["ok"], (name, report)
        assert (report["size"], report["root"]) == (N, root(hashes).hex())
        assert (seen[name]["head"], seen[name]["records"]) == (N, N), seen[name]
        assert seen[name]["topics"] == [topic().topic]
        assert seen[name]["append"].startswith("refused:"), seen[name]
        assert "read-only" in seen[name]["append"]
    torn = seen["torn.jsonl"]
    assert (torn["verify"]["ok"], torn["verify"]["first_bad_position"]) == (False, N)
    assert torn["verify"]["line"] == N
    assert "no newline" in torn["verify"]["reason"]
    assert torn["verify"]["root"] == root(hashes[:-1]).hex()  # the complete lines verify
    assert (torn["head"], torn["records"]) == (N - 1, N - 1)
    cut = seen["batch.jsonl"]
    assert (cut["verify"]["ok"], cut["verify"]["line"]) == (False, batch)
    assert (cut["head"], cut["records"]) == (batch - 1, batch - 1)
    assert state(ledgers) == before, "something in the read-only copy changed"


def test_verify_leaves_a_torn_jsonl_line_where_it_is_and_reports_it(tmp_path: Path) -> None:
    path = tmp_path / "torn.jsonl"
    hashes = build(path)
    lose_the_last_newline(path)
    content = path.read_bytes()
    report = verify_url(str(path))
    assert (report.ok, report.first_bad_position, report.line) == (False, N, N)
    assert report.size == N - 1
    assert report.root == root(hashes[:-1])
    assert path.read_bytes() == content
    assert not Path(f"{path}.torn").exists()


def test_a_read_only_jsonl_ledger_reads_past_a_torn_line_and_keeps_it_for_verify(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "torn.jsonl"
    build(path)
    lose_the_last_newline(path)
    with caplog.at_level(logging.WARNING), open_store(str(path), read_only=True) as store:
        assert store.head() == N - 1
        assert [r.position for r in store.read()] == list(range(1, N))
        damage = store.unrepaired()
        assert damage is not None
        assert (damage.line, damage.position) == (N, N)
    # A writable open still moves it aside, as before.
    with Ledger.open(str(path)) as lg:
        assert lg.head == N - 1
    assert Path(f"{path}.torn").exists()


def test_a_removed_sqlite_tree_row_is_reported_and_never_made_again(tmp_path: Path) -> None:
    """The tree row is made with the tables and moved by every append.

    Removed while records are stored, it would have hidden a truncation or a
    rewrite: verify reports it and writes nothing; a writable open refuses
    rather than make the row again over whatever the records now are.
    """
    path = tmp_path / "notree.db"
    build(path)
    remove_the_tree_row(path)
    content, mtime = path.read_bytes(), path.stat().st_mtime_ns
    report = verify_url(str(path))
    assert report.ok is False
    assert "tree table's row was removed" in (report.reason or "")
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (content, mtime)
    with pytest.raises(CorruptLog, match="row was removed"):
        Ledger.open(str(path))
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM tree").fetchone() == (0,)
    finally:
        conn.close()


def test_a_record_rewritten_under_a_shrunken_tree_row_is_caught(tmp_path: Path) -> None:
    """Rows added without the tree row are folded into it; rows it covers must be its own.

    A record rewritten with its hash recomputed shows against the stored tree
    row; shrinking the row to cover fewer records (so that the edge would be
    rebuilt from the rewritten hashes) does not hide it.
    """
    path = tmp_path / "rehashed.db"
    build(path)
    conn = sqlite3.connect(path)
    try:
        rehash_sqlite_record(conn, 1, "Casualties", "Casualtiez")
        conn.execute("UPDATE tree SET size = 3")  # six records (two subtrees), so three is valid
        conn.commit()
    finally:
        conn.close()
    report = verify_url(str(path))
    assert report.ok is False
    assert "does not match" in (report.reason or "")


@pytest.mark.parametrize("url", ["{path}", "sqlite:///{path}?mode=ro"])
def test_a_read_only_sqlite_store_refuses_appends_and_creates_nothing(
    tmp_path: Path, url: str
) -> None:
    path = tmp_path / "log.db"
    build(path)
    store = open_store(url.format(path=path), read_only=url == "{path}")
    with store:
        assert store.read_only
        assert store.head() == N
        with pytest.raises(StoreUnavailable, match="read-only"):
            store.write([], N)
    with pytest.raises(StoreUnavailable, match="no such ledger file"):
        open_store(str(tmp_path / "missing.db"), read_only=True)
    with pytest.raises(StoreUnavailable, match="no such ledger file"):
        open_store(str(tmp_path / "missing.jsonl"), read_only=True)
    with pytest.raises(StoreUnavailable, match="no such ledger file"):
        open_store(f"sqlite:///{tmp_path / 'missing.db'}?mode=rw")
    assert sorted(p.name for p in tmp_path.iterdir() if "missing" in p.name) == []


@pytest.mark.parametrize("suffix", [".db", ".jsonl"])
def test_verify_of_a_name_too_long_for_the_file_system_is_a_store_error(
    tmp_path: Path, suffix: str
) -> None:
    url = str(tmp_path / ("a" * 300 + suffix))
    with pytest.raises(StoreUnavailable, match="cannot read it"):
        verify_url(url)
    with pytest.raises(StoreUnavailable):
        Ledger.open(url, read_only=True)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_read_only_open_of_a_named_pipe_is_refused_without_waiting(tmp_path: Path) -> None:
    import threading

    pipe = tmp_path / "events.jsonl"
    os.mkfifo(pipe)
    raised: list[BaseException] = []

    def open_it() -> None:
        try:
            Ledger.open(str(pipe), read_only=True)
        except BaseException as exc:  # the test asserts which
            raised.append(exc)

    opening = threading.Thread(target=open_it, daemon=True)
    opening.start()
    opening.join(10)
    if opening.is_alive():
        os.close(os.open(pipe, os.O_WRONLY))  # a writer lets the blocked open return
        opening.join(10)
        pytest.fail("a read-only open of a named pipe waited for a writer")
    (exc,) = raised
    assert isinstance(exc, StoreUnavailable)
    assert "is not a regular file" in str(exc)


@pytest.mark.parametrize("read_only", [True, False])
@pytest.mark.parametrize("what", ["a link to /dev/null", "a named pipe"])
def test_a_sqlite_ledger_path_that_is_not_a_regular_file_is_refused_as_such(
    tmp_path: Path, read_only: bool, what: str
) -> None:
    path = tmp_path / "ledger.db"
    if what == "a named pipe":
        os.mkfifo(path)
    else:
        path.symlink_to(os.devnull)
    with pytest.raises(StoreUnavailable, match=r"ledger\.db is not a regular file"):
        Ledger.open(str(path), read_only=read_only)
    with pytest.raises(StoreUnavailable, match=r"ledger\.db is not a regular file"):
        verify_url(str(path))
    assert not (tmp_path / "ledger.db-wal").exists()


def test_verify_of_a_directory_says_it_is_one(tmp_path: Path) -> None:
    (tmp_path / "ledger.db").mkdir()
    with pytest.raises(StoreUnavailable, match=r"ledger\.db: is a directory, not a ledger file"):
        verify_url(str(tmp_path / "ledger.db"))


def test_a_read_only_memory_store_refuses_appends() -> None:
    with Ledger.open("memory://", read_only=True) as lg:
        assert lg.head == 0
        with pytest.raises(StoreUnavailable, match="read-only"):
            lg.append(SourceDescribed(source="a", name="A"))


# -- PostgreSQL ----------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_read_only_postgresql_store_reads_and_writes_nothing(postgres_url: str) -> None:
    url = with_ledger(postgres_url, f"ro{uuid.uuid4().hex[:12]}")
    with Ledger.open(url) as lg:
        lg.extend(EVENTS)
        expected = lg.topics()
    conninfo, name = split_url(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DELETE FROM ledger_model_meta WHERE ledger = %s", (name,))
    with Ledger.open(url, read_only=True) as lg:
        assert lg.store.read_only
        assert lg.topics() == expected  # folded in memory: the read model is stale
        assert lg.verify().ok
        with pytest.raises(StoreUnavailable, match="read-only"):
            lg.append(SourceDescribed(source="a", name="A"))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        found = conn.execute("SELECT count(*) FROM ledger_model_meta WHERE ledger = %s", (name,))
        assert found.fetchone() == (0,), "a read-only store wrote the read model"


@pytest.mark.postgres
def test_a_read_only_postgresql_store_creates_no_tables(postgres_url: str) -> None:
    schema = f"ro_{uuid.uuid4().hex[:10]}"
    conninfo, _ = split_url(postgres_url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = with_ledger(postgres_url, "x") + f"&schema={schema}"
    with pytest.raises(StoreUnavailable, match="no ledger tables"):
        open_store(url, read_only=True)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchone()
        assert found == (0,)


def test_a_read_only_jsonl_ledger_leaves_out_an_interrupted_batch_and_names_its_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "batch.jsonl"
    build(path)
    batch = interrupt_a_batch(path)
    content = path.read_bytes()
    with open_store(str(path), read_only=True) as store:
        damage = store.unrepaired()
        assert damage is not None
        assert (damage.line, damage.position) == (batch, batch)
        assert store.head() == batch - 1
        assert [r.position for r in store.read()] == list(range(1, batch))
    assert path.read_bytes() == content
    assert Path(f"{path}.pending").read_bytes() != b""  # the announcement is left as it was
    # A writable open settles it, as before.
    with caplog.at_level(logging.WARNING, logger="ledger"), Ledger.open(str(path)) as lg:
        assert lg.head == batch - 1
    assert Path(f"{path}.torn").exists()
    # The warning names the batch's first line (it said line 1: nothing was indexed yet).
    assert "a batch append was interrupted; moved" in caplog.text
    assert f"(from line {batch})" in caplog.text


def test_a_record_slipped_in_before_position_1_is_reported(tmp_path: Path) -> None:
    """Reads start at position 1; a table made again without its CHECK could hide rows before."""
    path = tmp_path / "zero.db"
    build(path)
    conn = sqlite3.connect(path)
    try:
        conn.executescript(
            "CREATE TABLE copy AS SELECT * FROM events; DROP TABLE events;"
            "CREATE TABLE events (position INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE,"
            " type TEXT, schema INTEGER, recorded_at TEXT, data TEXT, hash TEXT);"
            "INSERT INTO events SELECT * FROM copy; DROP TABLE copy;"
            "INSERT INTO events SELECT 0, 'forged', type, schema, recorded_at, data, hash"
            " FROM events WHERE position = 1;"
        )
    finally:
        conn.close()
    report = verify_url(str(path))
    assert report.ok is False
    assert "before position 1 (at 0)" in (report.reason or "")
    with pytest.raises(CorruptLog, match="positions start at 1"):
        Ledger.open(str(path))


def test_a_pending_announcement_inside_a_line_is_refused_and_nothing_moved(
    tmp_path: Path,
) -> None:
    """A writer announces a batch where the log ends, after a newline; no other byte."""
    path = tmp_path / "planted.jsonl"
    build(path)
    content = path.read_bytes()
    Path(f"{path}.pending").write_bytes(b"5 %d\n" % (len(content) + 100))
    with pytest.raises(CorruptLog, match="inside a line"):
        Ledger.open(str(path))
    assert path.read_bytes() == content
    assert not Path(f"{path}.torn").exists()
    assert verify_url(str(path)).ok is False


WRITER = """
import sys
from ledger import Ledger, SourceDescribed
with Ledger.open(sys.argv[1]) as lg:
    print("ready", flush=True)
    for i in range(int(sys.argv[2])):
        lg.append(SourceDescribed(source=f"src/{i % 7}", name=f"Source {i}"))
"""


def test_a_read_only_sqlite_tree_read_beside_a_writer_raises_no_false_alarm(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The tree row and the head are read in one snapshot: read in two, an append
    # committed between them looked like records the tree row does not cover,
    # logged a warning and made the reader rehash the whole log.
    path = tmp_path / "busy.db"
    build(path)
    argv = [sys.executable, "-c", WRITER, str(path), "800"]
    writer = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    assert writer.stdout.readline() == "ready\n"
    store = open_store(str(path), read_only=True)
    sizes = []
    try:
        with caplog.at_level(logging.WARNING, logger="ledger"):
            while writer.poll() is None:
                sizes.append(store.tree().size)
    finally:
        writer.wait(timeout=120)
        writer.stdout.close()
    try:
        assert writer.returncode == 0
        assert len(set(sizes)) > 10, "the writer and the reader did not overlap"
        assert sizes == sorted(sizes)
        assert [r.message for r in caplog.records] == []
        assert store.tree().root() == root([bytes.fromhex(r.hash) for r in store.read()])
    finally:
        store.close()
