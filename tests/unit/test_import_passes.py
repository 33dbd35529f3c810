"""An import's two passes read the same bytes; a ledger changed between them is reported truly.

``Ledger.import_events`` checks the whole file, then reads it again to
append. It copies the file first, so a file saved again during the import,
or a pipe that can be read only once, gives both passes the same lines; and
when another writer changes the ledger after the check so that a later batch
no longer fits, the error names the file's line and how many events went in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

import pytest

from ledger import ClaimMade, ImportFailed, Ledger
from ledger.io import importing

HEADER = "type,source,topic,claim_id,statement,proposition,stance,stated_at"


def claims(count: int) -> list[str]:
    return [
        f"ClaimMade,src/{i % 3},k/t,c{i},said {i},p{i},affirms,2025-01-{1 + i % 28:02d}"
        for i in range(count)
    ]


def sheet(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_file_saved_again_during_the_check_imports_what_was_checked(tmp_path: Path) -> None:
    path = sheet(tmp_path / "claims.csv", claims(6))
    lg = Ledger.open(str(tmp_path / "l.db"))
    resaved: list[int] = []

    def progress(done: int, total: int) -> None:
        if not resaved:  # while the check reads, someone saves the file with a bad row
            sheet(path, [*claims(6), "ClaimMade,src/0,k/t,c99,said,p99,perhaps,2025-01-01"])
            resaved.append(done)

    imported = lg.import_events(path, progress=progress)
    assert resaved
    assert (imported.events, imported.added, lg.head) == (6, 6, 6)
    assert sorted(r.event.claim_id for r in lg.records()) == sorted(f"c{i}" for i in range(6))


def test_a_pipe_is_read_once_and_every_event_of_it_is_stored(tmp_path: Path) -> None:
    # Read twice, a pipe gave its lines to the check and none to the append,
    # and the import said every event was already stored.
    fifo = tmp_path / "events.csv"
    os.mkfifo(fifo)
    content = "\n".join([HEADER, *claims(5)]) + "\n"

    def feed() -> None:
        with open(fifo, "w", encoding="utf-8") as pipe:
            pipe.write(content)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        lg = Ledger.open("memory://")
        imported = lg.import_events(fifo)
    finally:
        writer.join(timeout=30)
    assert (imported.events, imported.added, lg.head) == (5, 5, 5)


def test_the_copy_is_removed_and_errors_name_the_file_given(tmp_path: Path) -> None:
    before = set(os.listdir(tempfile.gettempdir()))
    path = sheet(
        tmp_path / "bad.csv", [*claims(2), "ClaimMade,src/0,k/t,c9,said,p9,perhaps,2025-01-01"]
    )
    with pytest.raises(ImportFailed) as caught:
        Ledger.open("memory://").import_events(path)
    assert caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}: 1 bad line(s), nothing imported: line 4: ")
    assert set(os.listdir(tempfile.gettempdir())) <= before


def test_a_ledger_changed_after_the_check_names_the_line_and_what_went_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "IMPORT_BATCH", 2)
    store = str(tmp_path / "l.db")
    path = sheet(tmp_path / "claims.csv", claims(6))
    lg, other = Ledger.open(store), Ledger.open(store)
    taken: list[int] = []

    def progress(done: int, total: int) -> None:
        if done == total and not taken:  # the check is at its last line: another writer
            other.append(
                ClaimMade(
                    claim_id="c4",
                    topic="k/t",
                    source="src/9",
                    statement="x",
                    stated_at=date(2025, 1, 2),
                )
            )
            taken.append(other.head)

    with pytest.raises(ImportFailed) as caught:
        lg.import_events(path, progress=progress)
    failed = caught.value
    assert taken == [1]
    # Lines 2-3 and 4-5 went in as two batches; line 6 (c4) no longer fits.
    assert failed.imported == 4
    assert failed.problems == [
        (6, "claim_id 'c4' is already used (the ledger changed after the file was checked)")
    ]
    assert failed.problems[0].column == "claim_id"
    assert "4 event(s) imported before it: line 6: " in str(failed)
    assert lg.head == 5
    # Put right (the line dropped), importing the file again adds only the rest.
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:5] + lines[6:]) + "\n", encoding="utf-8")
    assert lg.import_events(path).added == 1
    other.close()
    lg.close()


def test_copies_left_by_killed_imports_are_removed_and_live_ones_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An import killed by SIGKILL cannot remove its copy; the next import does.
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(importing.tempfile, "tempdir", str(scratch))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    left = scratch / f"ledger-import-{gone.pid}-abc.csv"
    live = scratch / f"ledger-import-{os.getpid()}-def.csv"
    other = scratch / "ledger-import-notes.txt"
    for path in (left, live, other):
        path.write_text("x")
    path = sheet(tmp_path / "claims.csv", claims(2))
    assert Ledger.open("memory://").import_events(path).added == 2
    assert sorted(p.name for p in scratch.iterdir()) == sorted([live.name, other.name])
