"""User mistakes end in one clean line and a documented exit code, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ledger import __version__
from tests.cli.conftest import ROOT, Run


def _ledger(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_python_dash_m_ledger_runs_the_cli(tmp_path: Path) -> None:
    done = _ledger("--help")
    assert done.returncode == 0
    assert "Usage: ledger" in done.stdout
    assert "topics" in done.stdout


def test_a_ledger_error_in_a_real_process_is_one_line_and_exit_1(tmp_path: Path) -> None:
    done = _ledger("show", str(tmp_path / "none.db"), "t")
    assert done.returncode == 1
    assert done.stderr == (
        f"Error: {tmp_path / 'none.db'}: no such ledger "
        f"(create one with `ledger init {tmp_path / 'none.db'}`)\n"
    )
    assert done.stdout == ""


def test_an_unknown_store_kind_is_a_ledger_error(run: Run, tmp_path: Path) -> None:
    result = run("init", tmp_path / "x.txt", code=1)
    assert result.stderr.startswith("Error: ")
    assert "cannot tell the store" in result.stderr
    result = run("init", "ftp://example.org/x", code=1)
    assert "unknown store scheme 'ftp'" in result.stderr


def test_a_store_that_is_a_directory(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "dir.db"
    folder.mkdir()
    result = run("topics", folder, code=1)
    assert "is a directory" in result.stderr


def test_a_corrupt_store_names_the_line(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "bad.jsonl"
    store.write_text("this is not a ledger\n")
    result = run("log", store, code=1)
    assert result.stderr.startswith("Error: ")
    assert "line 1" in result.stderr
    assert "Traceback" not in result.output


def test_usage_errors_exit_2(run: Run, tmp_path: Path) -> None:
    assert "No such command" in run("frobnicate", code=2).stderr
    assert "Missing argument" in run("show", tmp_path / "x.db", code=2).stderr
    assert (
        "Missing option '--stated'"
        in run("dispute", tmp_path / "x.db", "c", "--source", "s", code=2).stderr
    )


def test_version(run: Run) -> None:
    assert __version__ in run("--version").output


def test_a_password_in_a_store_url_is_never_printed(run: Run) -> None:
    pytest.importorskip("psycopg")
    result = run("topics", "postgresql://reader:s3cret@127.0.0.1:1/ledger", code=1)
    assert "s3cret" not in result.output
    assert "postgresql://reader:***@127.0.0.1:1/ledger" in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://reader@127.0.0.1:1/ledger?password=s3cret",
        "postgresql://reader@127.0.0.1:1/ledger?sslmode=disable&PassWord=s3cret",
        "postgresql://reader:s3cret@127.0.0.1:1/ledger?ledger=k",
    ],
)
def test_no_form_of_password_is_printed(run: Run, url: str) -> None:
    pytest.importorskip("psycopg")
    result = run("show", url, "t", code=1)
    assert "s3cret" not in result.output
    assert result.stderr.startswith("Error: postgresql://reader")
    assert "***" in result.stderr
    assert ":*** cannot" not in result.stderr  # the store is named whole, then the message


def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path: Path) -> None:
    # `ledger verify x | head -0`: the pipe's reader is gone before the first line.
    store = tmp_path / "log.db"
    assert _ledger("init", str(store)).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledger", "verify", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert b"Error" not in err
    assert b"Traceback" not in err
    assert proc.returncode == 1


def test_an_output_in_a_missing_directory_is_named_before_anything_is_written(
    tmp_path: Path,
) -> None:
    store = tmp_path / "log.db"
    assert _ledger("init", str(store)).returncode == 0
    target = tmp_path / "nodir" / "report.html"
    done = _ledger("report", str(store), "-o", str(target))
    assert done.returncode == 1
    assert done.stderr == f"Error: -o {target}: no such directory {target.parent}\n"
    assert not target.parent.exists()
