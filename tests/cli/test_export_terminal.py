"""`ledger export` on a terminal shows stored text harmlessly; to a pipe or file, byte for byte."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.cli.export import for_terminal, is_terminal
from ledger.export import COLUMNS
from tests.cli.conftest import Run
from tests.cli.hostile import ATTACKS, HOSTILE, hostile_ledger, raw_controls

#: The delimiters and line ends the formats write on purpose.
_STRUCTURE = {"csv": ("\r\n",), "tsv": ("\r\n", "\t"), "json": (), "jsonl": ()}


def _ledger(*args: str | Path, terminal: bool) -> bytes:
    """Run the ledger command with its stdout on a pseudo-terminal (raw mode) or a pipe."""
    command = [sys.executable, "-m", "ledger", *map(str, args)]
    if not terminal:
        return subprocess.run(command, capture_output=True, check=True, timeout=120).stdout
    tty = pytest.importorskip("tty")
    main, child = os.openpty()
    tty.setraw(child)  # no newline translation: the bytes as the program wrote them
    with subprocess.Popen(command, stdout=child, stderr=subprocess.PIPE) as proc:
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the program closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(main)
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks)


def _unstructured(text: str, fmt: str) -> str:
    for mark in _STRUCTURE[fmt]:
        text = text.replace(mark, " ")
    return text


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_ledger(tmp_path_factory.mktemp("hostile") / "h.db")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
@pytest.mark.parametrize("fmt", sorted(_STRUCTURE))
def test_export_on_a_terminal_cannot_drive_it(hostile: Path, fmt: str) -> None:
    shown = _ledger("export", hostile, "--what", "figures", "--format", fmt, terminal=True)
    text = shown.decode("utf-8")
    assert "s" in text  # something was exported
    assert raw_controls(_unstructured(text, fmt)) == []


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_json_on_a_terminal_is_the_same_data(hostile: Path) -> None:
    shown = _ledger("export", hostile, "--what", "figures", "--format", "json", terminal=True)
    piped = _ledger("export", hostile, "--what", "figures", "--format", "json", terminal=False)
    assert raw_controls(piped.decode("utf-8"))  # the pipe is byte-faithful: controls and all
    assert json.loads(shown) == json.loads(piped)
    assert any(HOSTILE in str(row["quote"]) for row in json.loads(shown))


def test_export_to_a_pipe_or_a_file_is_byte_faithful(
    run: Run, hostile: Path, tmp_path: Path
) -> None:
    piped = _ledger("export", hostile, "--what", "figures", terminal=False)
    assert ATTACKS["title"].encode() in piped
    out = tmp_path / "f.csv"
    run("export", hostile, "--what", "figures", "-o", out)
    assert out.read_bytes() == "\ufeff".encode() + piped  # the same, with Excel's BOM
    assert run("export", hostile, "--what", "figures").stdout_bytes == piped  # not a terminal


def test_csv_on_a_terminal_shows_controls_as_escapes_in_their_cells() -> None:
    rows = [{"topic": "t\x1b[2J", "source": "s\u202e", "claim_id": None, "low": 5}]
    shown = for_terminal(rows, COLUMNS["figures"][:4], "csv").decode("utf-8")
    assert shown.startswith("topic,source,claim_id,low\r\n")
    assert "t\\x1b[2J,s\\u202e,,5\r\n" in shown
    tsv = for_terminal([{"topic": "a\tb", "source": ("x\x07", "y")}], ["topic", "source"], "tsv")
    assert tsv.decode("utf-8") == "topic\tsource\r\na\\tb\tx\\x07;y\r\n"


def test_only_an_interactive_stream_is_a_terminal() -> None:
    assert not is_terminal(io.StringIO())
    closed = io.StringIO()
    closed.close()
    assert not is_terminal(closed)
    if sys.platform != "win32":
        main, child = os.openpty()
        with os.fdopen(child, "w") as stream:
            assert is_terminal(stream)
        os.close(main)
