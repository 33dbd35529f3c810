"""Several processes meeting one lagging read model: never an error, never a false alarm.

A writer that ends without ``close()`` leaves the read model behind the log
(its large batches' changes waited in its memory). The processes that open
the ledger next each catch it up; only one can store each chunk first. The
others must give way and stand on what was stored, not fail the query or
the append that found the read model behind. Beside a JSON Lines log the
catch-up writes the side file under the log's exclusive lock, so a reader
holding the shared lock (``Store.reading()``, which verify's comparison of
the rows runs in) never sees the rows move under it.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from ledger import FigureReported, Ledger, LedgerView, TopicDefined
from ledger.stores.readmodel import ModelCheckpoint, ReadModel
from ledger.stores.sqlite import SQLiteStore
from tests.integration.contract.builders import figure

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 3
ROUNDS = 3
LAG = 3_000

# Opens the ledger, says so, waits for the word, then asks or appends.
CHILD = """
import sys
from ledger import Ledger, TopicDefined
lg = Ledger.open(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
try:
    if sys.argv[2] == "append":
        lg.append(TopicDefined(topic="race/" + sys.argv[3], title="Race", unit="people"))
    lg.topics()
    lg.close()
except Exception as exc:
    print(type(exc).__name__, exc, flush=True)
    raise SystemExit(1)
print("ok", flush=True)
"""


def spread(start: int, count: int) -> list[FigureReported]:
    """count figures, each on a topic of its own: a batch whose changes wait in the writer."""
    return [
        attrs.evolve(figure(n, f"src/{n % 7}", n, n + 10), topic=f"spread/{n}")
        for n in range(start, start + count)
    ]


def lagging(path: Path, lag: int = LAG) -> int:
    """A ledger whose read model stands lag records behind its log; the model's position."""
    with Ledger.open(str(path)) as lg:
        lg.append(TopicDefined(topic="spread/0", title="Spread", unit="people"))
    writer = Ledger.open(str(path))
    for start in range(0, lag, 1_500):
        writer.extend(spread(start, 1_500))
    writer.store.close()  # no close(): the waiting changes are lost, as in a crash
    return stored_at(path)


def stored_at(path: Path) -> int:
    with Ledger.open(str(path), read_only=True) as lg:
        model = lg.store.model("ledger")
        assert model is not None
        found = model.checkpoint()
        return 0 if found is None else found.position


def replayed(path: Path) -> tuple[object, ...]:
    with Ledger.open(str(path), read_only=True) as lg:
        view = LedgerView.replay(r.event for r in lg.records())
    return view.topics(), view.propositions(), view.disputes()


Child = Callable[[Path, str, str], "subprocess.Popen[str]"]


@pytest.fixture
def child() -> Iterator[Child]:
    """Start a process that opens a ledger and waits for the word; all ended after the test."""
    started: list[subprocess.Popen[str]] = []

    def start(path: Path, what: str, tag: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), what, tag],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        started.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.communicate()


def go(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()


@pytest.mark.parametrize("suffix", [".db", ".jsonl"])
@pytest.mark.parametrize("what", ["query", "append"])
def test_processes_catching_up_one_read_model_at_once_all_get_their_answer(
    tmp_path: Path, child: Child, suffix: str, what: str
) -> None:
    for round_ in range(ROUNDS):
        path = tmp_path / f"round{round_}{suffix}"
        assert lagging(path) < LAG
        procs = [child(path, what, f"{round_}-{i}") for i in range(PROCESSES)]
        for proc in procs:  # all at once: each finds the read model behind
            go(proc)
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, out + err
            assert out == "ok\n"
        with Ledger.open(str(path)) as lg:
            assert lg.head == LAG + 1 + (PROCESSES if what == "append" else 0)
            assert (lg.topics(), lg.propositions(), lg.disputes()) == replayed(path)
            assert stored_at(path) == lg.head


def test_a_catch_up_beside_a_jsonl_log_waits_for_a_reader_of_the_log(
    tmp_path: Path, child: Child
) -> None:
    path = tmp_path / "log.jsonl"
    behind = lagging(path)
    with Ledger.open(str(path), read_only=True) as reader, reader.store.reading():
        proc = child(path, "query", "")
        go(proc)
        time.sleep(1.0)
        # The catch-up waits for the shared lock to go: the rows stand still.
        assert proc.poll() is None
        assert stored_at(path) == behind
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    assert stored_at(path) == LAG + 1


class _Outrun(ReadModel):
    """A read model another process always stores a chunk into first (replace says so)."""

    def __init__(self, inner: ReadModel) -> None:
        self.name = inner.name
        self._inner = inner

    def checkpoint(self) -> ModelCheckpoint | None:
        return self._inner.checkpoint()

    def load(self, table: str, parts: Collection[str]) -> dict[str, dict[str, str]]:
        return self._inner.load(table, parts)

    def load_all(self, table: str) -> dict[str, dict[str, str]]:
        return self._inner.load_all(table)

    def replace(self, *args: Any, **kwargs: Any) -> bool:
        return False  # another process always stored first


class _OutrunStore(SQLiteStore):
    def model(self, name: str) -> ReadModel | None:
        inner = super().model(name)
        return None if inner is None else _Outrun(inner)


def test_a_ledger_that_keeps_losing_the_catch_up_folds_in_memory_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "log.db"
    behind = lagging(path, 1_500)
    with caplog.at_level(logging.WARNING, logger="ledger"):
        lg = Ledger(_OutrunStore(path))
        try:
            assert (lg.topics(), lg.propositions(), lg.disputes()) == replayed(path)
            lg.append(TopicDefined(topic="late", title="Late", unit="people"))
            assert lg.topic("late").unit == "people"
        finally:
            lg.close()
    assert "cannot be brought to the log's head: folding the log in memory" in caplog.text
    assert stored_at(path) == behind  # nothing was stored over the other processes' rows
