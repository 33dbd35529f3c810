"""ledger init, import and copy; and copy_ledger, the library function behind copy."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from ledger import Ledger, ValidationError
from ledger.facade.transfer import copy_ledger
from ledger.io import importing
from tests.cli.conftest import SEED_EVENTS, Run, run_json


def test_init_creates_an_empty_ledger(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "new.db"
    result = run("init", store)
    assert "created an empty ledger" in result.output
    assert store.exists()
    with Ledger.open(str(store)) as lg:
        assert lg.head == 0


def test_init_creates_a_jsonl_file_too(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "new.jsonl"
    run("init", store)
    assert store.exists()
    assert "0 records" not in run("log", store).output


def test_init_refuses_a_ledger_with_records(run: Run, seed_db: Path) -> None:
    result = run("init", seed_db, code=1)
    assert "already holds 36 record(s)" in result.stderr


def test_import_stores_every_event_and_says_how_many(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "k.db"
    result = run("import", store, SEED_EVENTS)
    assert "imported 36 new record(s)" in result.output
    with Ledger.open(str(store)) as lg:
        assert lg.head == 36


@pytest.mark.parametrize(
    ("name", "text"),
    [("empty.jsonl", "\n"), ("header.csv", "topic,source,phrase,unit,stated_at\n")],
)
def test_importing_a_file_without_events_says_so(
    run: Run, tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = run("import", tmp_path / "k.db", tmp_path / name)
    assert f"{name} holds no events; nothing imported" in result.output
    assert "already stored" not in result.output


def test_importing_the_same_file_twice_stores_nothing_new(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "k.jsonl"
    run("import", store, SEED_EVENTS)
    result = run("import", store, SEED_EVENTS)
    assert "all 36 event(s)" in result.output
    assert "already stored" in result.output
    with Ledger.open(str(store)) as lg:
        assert lg.head == 36


def _bad_file(tmp_path: Path) -> Path:
    lines = [
        json.dumps({"type": "TopicDefined", "topic": "t", "title": "T", "unit": "people"}),
        "{not json",
        json.dumps(
            {
                "type": "FigureReported",
                "claim_id": "a",
                "topic": "t",
                "source": "s",
                "figure": {"phrase": "a great many", "unit": "people"},
                "stated_at": "2025-01-12",
            }
        ),
        json.dumps({"type": "Nonsense"}),
    ]
    path = tmp_path / "bad.events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_malformed_import_lists_every_bad_line_and_stores_nothing(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    result = run("import", seed_db, _bad_file(tmp_path), code=1)
    err = result.stderr
    assert err.startswith("Error: ")
    assert "3 bad line(s), nothing imported" in err
    for line in (2, 3, 4):
        assert f"line {line}: " in err
    assert "a great many" in err
    assert "Traceback" not in result.output
    with Ledger.open(str(seed_db)) as lg:
        assert lg.head == 36


def test_a_refused_import_into_a_new_store_leaves_no_file_behind(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "fresh.db"
    run("import", store, _bad_file(tmp_path), code=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.events.jsonl"]


def test_importing_a_missing_file_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    result = run("import", tmp_path / "k.db", tmp_path / "missing.jsonl", code=2)
    assert "does not exist" in result.stderr
    assert not (tmp_path / "k.db").exists()


def test_a_long_import_shows_progress_and_still_imports(run: Run, tmp_path: Path) -> None:
    from ledger.cli.store import LONG

    lines = [
        json.dumps(
            {
                "type": "SourceDescribed",
                "source": f"s{i}",
                "name": f"Source {i}",
                "event_id": f"e{i}",
            }
        )
        for i in range(LONG + 5)
    ]
    path = tmp_path / "long.events.jsonl"
    path.write_text("\n".join(lines))
    result = run("import", tmp_path / "long.db", path)
    assert result.stderr == ""  # the bar is drawn only on a terminal, and cleared after
    with Ledger.open(str(tmp_path / "long.db")) as lg:
        assert lg.head == LONG + 5


def test_the_progress_bar_draws_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ledger.cli.store import progress_bar

    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then treats stderr as a terminal
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    with progress_bar("testing", threshold=10) as update:
        for n in range(1, 101):
            update(n, 100)
    assert "testing" in capsys.readouterr().err


def _rows(url: str) -> list[tuple[int, str, str, str]]:
    with Ledger.open(url) as lg:
        return [(r.position, r.recorded_at, r.data, r.hash) for r in lg.rows()]


def test_copy_makes_identical_records_in_another_kind_of_store(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    jsonl = tmp_path / "copy.jsonl"
    result = run("copy", seed_db, jsonl)
    assert "copied 36 record(s)" in result.output
    back = tmp_path / "back.db"
    run("copy", jsonl, back)
    assert _rows(str(seed_db)) == _rows(str(jsonl)) == _rows(str(back))
    with Ledger.open(str(seed_db)) as a, Ledger.open(str(back)) as b:
        assert a.store.tree().root() == b.store.tree().root()


def test_copy_from_jsonl_to_jsonl_is_byte_identical(seed_jsonl: Path, tmp_path: Path) -> None:
    target = tmp_path / "again.jsonl"
    assert copy_ledger(str(seed_jsonl), str(target)) == 36
    assert target.read_bytes() == seed_jsonl.read_bytes()


def test_copy_refuses_a_destination_that_holds_records(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.jsonl"
    run("copy", seed_db, other)
    result = run("copy", seed_db, other, code=1)
    assert "holds 36 record(s)" in result.stderr
    with pytest.raises(ValidationError, match="only to an empty ledger"):
        copy_ledger(str(seed_db), str(other))


def test_copy_from_a_missing_store_is_an_error(run: Run, tmp_path: Path) -> None:
    result = run("copy", tmp_path / "none.db", tmp_path / "out.db", code=1)
    assert "no such ledger" in result.stderr
    assert not (tmp_path / "out.db").exists()


@pytest.mark.postgres
def test_copy_through_postgresql_keeps_every_byte(
    run: Run, seed_db: Path, tmp_path: Path, postgres_url: str
) -> None:
    import uuid

    from tests.pg_server import with_ledger

    server = with_ledger(postgres_url, f"copy-{uuid.uuid4().hex[:12]}")
    run("copy", seed_db, server)
    back = tmp_path / "back.jsonl"
    run("copy", server, back)
    assert _rows(str(seed_db)) == _rows(server) == _rows(str(back))
    assert run_json(run, "topics", server) == run_json(run, "topics", seed_db)


@pytest.mark.parametrize("label", ["importing [b]x[/b] [/] [link=https://e.example]y", "{0} {x}"])
def test_the_progress_bar_shows_a_file_name_as_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], label: str
) -> None:
    from ledger.cli.store import progress_bar

    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "200")
    with progress_bar(label + " \x1b]0;pwned\x07", threshold=10) as update:
        for n in range(1, 101):
            update(n, 100)
    err = capsys.readouterr().err
    assert label in err  # neither markup nor a format string
    assert "\\x1b]0;pwned\\x07" in err
    assert "\x07" not in err


def test_store_and_file_names_are_printed_through_the_sanitiser(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "v\x1b[2J.db"
    result = run("init", store)
    assert "v\\x1b[2J.db: created an empty ledger" in result.stdout
    assert "\x1b" not in result.stdout
    events = tmp_path / "e\u202e.jsonl"
    events.write_text('{"type": "TopicDefined", "topic": "t", "title": "T", "unit": "x"}\n')
    result = run("import", store, events)
    assert "e\\u202e.jsonl" in result.stdout
    assert "\u202e" not in result.stdout
    copied = run("copy", store, tmp_path / "c\x9b.jsonl").stdout
    assert "c\\x9b.jsonl" in copied


@pytest.mark.parametrize("suffix", [".jsonl", ".db"])
def test_a_copy_is_read_through_its_read_model_with_no_warning(
    run: Run, seed_db: Path, tmp_path: Path, suffix: str
) -> None:
    # copy stores the records without the read model, then builds it: before,
    # every read-only read of a copy warned and folded the whole log in memory.
    target = tmp_path / f"copy{suffix}"
    run("copy", seed_db, target)
    shown = run("topics", target)
    assert shown.stderr == ""
    assert shown.output == run("topics", seed_db).output
    with Ledger.open(str(target), read_only=True) as lg:
        assert lg.verify().read_model_agrees is True


def test_a_read_only_open_without_a_read_model_says_none_is_stored(
    seed_jsonl: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "bare.jsonl"
    target.write_bytes(seed_jsonl.read_bytes())  # the log alone, no read model beside it
    with Ledger.open(str(target), read_only=True) as lg:
        assert lg.topics()
    assert "no read model stored beside the log yet" in caplog.text
    assert "does not match" not in caplog.text


def test_import_reads_a_named_pipe_and_refuses_a_directory(run: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "events.jsonl"
    os.mkfifo(fifo)
    feeder = threading.Thread(target=lambda: fifo.write_bytes(SEED_EVENTS.read_bytes()))
    feeder.start()
    try:
        result = run("import", tmp_path / "k.db", fifo)
    finally:
        feeder.join(timeout=30)
    assert "imported 36 new record(s)" in result.output
    refused = run("import", tmp_path / "k.db", tmp_path, code=2)
    assert "is a directory" in refused.stderr


def test_an_import_interrupted_says_how_many_records_it_stored(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C printed only "Aborted!"; the batches before it stay stored.
    monkeypatch.setattr(importing, "IMPORT_BATCH", 10)
    calls = []
    extend = Ledger.extend

    def interrupted(self: Ledger, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return extend(self, *args, **kwargs)

    monkeypatch.setattr(Ledger, "extend", interrupted)
    store = tmp_path / "k.db"
    result = run("import", store, SEED_EVENTS, code=1)
    assert result.stderr == (
        f"Error: interrupted: 20 new record(s) of {SEED_EVENTS} were stored in {store} "
        "before it stopped (head 20); importing the file again adds the rest\n"
    )
    monkeypatch.setattr(Ledger, "extend", extend)
    assert "imported 16 new record(s)" in run("import", store, SEED_EVENTS).output


def test_copy_to_a_ledger_in_memory_is_refused_as_such(run: Run, seed_db: Path) -> None:
    # Each open of memory:// is a new ledger: the check said the copy had 0 records.
    result = run("copy", seed_db, "memory://", code=1)
    assert result.stderr == (
        "Error: memory://: a ledger in memory cannot be a copy's destination\n"
    )
