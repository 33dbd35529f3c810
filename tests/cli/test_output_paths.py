"""-o never names the ledger, a file beside it or an input; each is written whole or not at all."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from ledger.cli._common import CliError
from ledger.cli._output import SIDE_SUFFIXES, atomic_file, check_output, write_output
from tests.cli.conftest import CASUALTIES, Run

STORES = ["seed_db", "seed_jsonl"]


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _commands(store: str, out: str) -> list[list[str]]:
    commands = [
        ["report", store, "-o", out],
        ["checkpoint", store, "-o", out],
        ["prove", store, "1", "-o", out],
    ]
    if out.endswith((".png", ".svg")):
        commands.append(["plot", store, CASUALTIES, "-o", out])
    return commands


def _refused(run: Run, folder: Path, args: list[str]) -> str:
    before = _listing(folder)
    result = run(*args, code=1)
    assert result.stderr.startswith("Error: -o "), result.stderr
    assert "refusing to overwrite it" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert _listing(folder) == before  # nothing written, nothing moved
    return result.stderr


@pytest.mark.parametrize("store", STORES)
def test_output_naming_the_store_is_refused_and_the_ledger_kept(
    run: Run, store: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    path: Path = request.getfixturevalue(store)
    monkeypatch.chdir(path.parent)
    for out in (str(path), path.name, f"./{path.name}", f"sub/../{path.name}"):
        for args in _commands(path.name, out):
            message = _refused(run, path.parent, args)
            assert "is the ledger" in message


def test_an_sqlite_url_store_is_protected_too(
    run: Run, seed_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(seed_db.parent)
    for url in ("sqlite:///kursk.db", f"sqlite:///{seed_db}", "sqlite:///kursk%2Edb?mode=ro"):
        for args in _commands(url, "kursk.db"):
            _refused(run, seed_db.parent, args)


@pytest.mark.parametrize("suffix", SIDE_SUFFIXES)
def test_every_side_file_of_the_store_is_refused(
    run: Run, seed_db: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(seed_db.parent)
    for args in _commands("kursk.db", f"kursk.db{suffix}"):
        assert "side file" in _refused(run, seed_db.parent, args)


def test_the_side_files_named_by_the_issue_are_covered() -> None:
    named = {"-wal", "-shm", "-journal", ".torn", ".pending", ".lock", ".snapshot", ".readmodel"}
    assert named <= set(SIDE_SUFFIXES)


@pytest.mark.parametrize("store", STORES)
def test_a_symlink_or_hard_link_to_the_store_is_refused(
    run: Run, store: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(store)
    for name in ("out.html", "out.png", "out.svg"):
        (path.parent / name).symlink_to(path.name)
    os.link(path, path.parent / "hard.html")
    for out in ("out.html", "out.png", "out.svg", "hard.html"):
        for args in _commands(str(path), str(path.parent / out)):
            _refused(run, path.parent, args)


def test_a_symlink_to_a_side_file_that_does_not_exist_yet_is_refused(
    run: Run, seed_jsonl: Path
) -> None:
    (seed_jsonl.parent / "r.json").symlink_to(seed_jsonl.name + ".torn")
    _refused(
        run,
        seed_jsonl.parent,
        ["prove", str(seed_jsonl), "1", "-o", str(seed_jsonl.parent / "r.json")],
    )
    assert not (seed_jsonl.parent / (seed_jsonl.name + ".torn")).exists()


def test_checkpoint_never_writes_over_its_signing_key(run: Run, seed_db: Path) -> None:
    pytest.importorskip("cryptography")
    prefix = seed_db.parent / "k"
    run("keygen", "example.org/k", "-o", prefix)
    key = prefix.with_suffix(".key")
    message = _refused(
        run, seed_db.parent, ["checkpoint", str(seed_db), "--sign", str(key), "-o", str(key)]
    )
    assert "the input file" in message


def test_an_output_next_to_the_store_is_still_written(run: Run, seed_db: Path) -> None:
    out = seed_db.parent / "kursk.db.html"  # shares the store's name, is not a side file
    run("report", seed_db, "-o", out)
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    run("checkpoint", seed_db, "-o", seed_db.parent / "kursk.db.txt")
    run("prove", seed_db, "2", "-o", seed_db.parent / "kursk.db.json")


def test_outputs_replace_an_older_file_whole(run: Run, seed_db: Path) -> None:
    out = seed_db.parent / "r.json"
    out.write_text("x" * 100_000)  # longer than the receipt: a write in place would leave a tail
    run("prove", seed_db, "1", "-o", out)
    assert out.read_text(encoding="utf-8").rstrip().endswith("}")
    assert sorted(p.name for p in seed_db.parent.iterdir() if p.name.startswith(".")) == []


def test_a_failed_write_leaves_neither_half_a_file_nor_a_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("the old report")

    class Boom(Exception):
        pass

    def write_half(path: Path) -> None:
        with atomic_file(path) as file:
            file.write(b"half of the new rep")
            raise Boom

    with pytest.raises(Boom):
        write_half(target)
    assert target.read_text() == "the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    fresh = tmp_path / "new.html"
    with pytest.raises(Boom):
        write_half(fresh)
    assert not fresh.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_an_atomic_write_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "private.txt"
    target.write_text("old")
    target.chmod(0o600)
    write_output(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o600


def test_an_exclusive_write_refuses_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "k.key"
    target.write_text("secret")
    with pytest.raises(FileExistsError):
        write_output(target, "other", exclusive=True)
    assert target.read_text() == "secret"
    assert [p.name for p in tmp_path.iterdir()] == ["k.key"]


def test_check_output_compares_real_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "v.db").write_bytes(b"")
    (tmp_path / "d").mkdir()
    shutil.copy(tmp_path / "v.db", tmp_path / "d" / "copy.db")
    for refused in ("v.db", "./v.db", "d/../v.db", str(tmp_path / "v.db-wal")):
        with pytest.raises(CliError):
            check_output(refused, stores=["sqlite:///v.db"])
    assert check_output("d/copy.db", stores=["v.db"]) == Path("d/copy.db")
    assert check_output("v.db", stores=["memory://", "postgresql://h/db"]) == Path("v.db")
    with pytest.raises(CliError, match="is a directory"):
        check_output("d", stores=["v.db"])


def test_a_symlinked_output_stays_a_symlink_and_its_file_is_replaced(
    run: Run, seed_db: Path
) -> None:
    target = seed_db.parent / "topics.csv"
    target.write_text("the old export")
    link = seed_db.parent / "latest.csv"
    link.symlink_to(target.name)
    run("export", seed_db, "--what", "topics", "-o", link)
    assert link.is_symlink()
    assert os.readlink(link) == "topics.csv"
    assert target.read_text(encoding="utf-8-sig").startswith("topic,")
    assert not [p.name for p in seed_db.parent.iterdir() if p.name.startswith(".")]


def test_an_output_that_is_a_pipe_is_written_through_not_replaced(run: Run, seed_db: Path) -> None:
    """-o /dev/stdout, -o >(gzip > x.gz), a named pipe: the bytes go in; the path stays."""
    fifo = seed_db.parent / "pipe"
    os.mkfifo(fifo)
    # The reading end, open first and not blocking: the export fits the pipe's buffer.
    reading = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        run("export", seed_db, "--what", "topics", "-o", fifo)
        got = os.read(reading, 1 << 20)
    finally:
        os.close(reading)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the pipe was replaced by a file"
    assert got.decode("utf-8-sig").startswith("topic,")


@pytest.mark.parametrize(
    "command",
    [["prove", "{store}", "1"], ["report", "{store}"], ["export", "{store}", "--what", "topics"]],
)
def test_an_output_path_ending_in_a_slash_is_a_directory_and_refused(
    run: Run, seed_db: Path, command: list[str]
) -> None:
    before = _listing(seed_db.parent)
    args = [a.format(store=seed_db) for a in command]
    result = run(*args, "-o", f"{seed_db.parent / 'out'}/", code=1)
    assert "is a directory" in result.stderr
    assert _listing(seed_db.parent) == before
    assert not (seed_db.parent / "out").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["prove", "{store}", "1"],
        ["report", "{store}"],
        ["export", "{store}", "--what", "topics"],
        ["checkpoint", "{store}"],
    ],
)
@pytest.mark.parametrize(
    ("out", "why"),
    [("/dev/full", "No space left on device"), ("/proc/out.txt", "No such file or directory")],
)
def test_a_failed_write_names_the_output_the_user_gave(
    run: Run, seed_db: Path, command: list[str], out: str, why: str
) -> None:
    if not os.path.exists(out.rsplit("/", 1)[0] or "/") or (
        out == "/dev/full" and not os.path.exists(out)
    ):
        pytest.skip(f"{out} is Linux's")
    args = [a.format(store=seed_db) for a in command]
    result = run(*args, "-o", out, code=1)
    assert result.stderr == f"Error: -o {out}: {why}\n"  # not a temporary file beside it


@pytest.mark.parametrize("prefix", ["{dir}/", "{dir}", ""])
def test_keygen_refuses_a_prefix_that_names_no_file(
    run: Run, tmp_path: Path, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where "" would write .key and .pub
    given = prefix.format(dir=tmp_path)
    result = run("keygen", "example.org/k", "-o", given, code=1)
    assert result.stderr.startswith(f"Error: -o {given!r}: ")
    assert "not a prefix" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no hidden .key or .pub
