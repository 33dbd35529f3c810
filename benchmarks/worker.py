"""The harness's end of a process it drives one command at a time.

The builders (``benchmarks.build``) and the appenders (``benchmarks.appends``)
each run alone in a process of their own, with an older tree's ``ledger``
first on ``PYTHONPATH`` if asked, and answer each line the harness writes to
their stdin with one JSON line on stdout. Driving several in turn puts them
in lock-step: whatever else the machine does at a moment (load, the disk's
fsync latency) falls on all of them alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import orjson

__all__ = ["Worker", "child_env", "reply"]

ROOT = Path(__file__).resolve().parent.parent


def child_env(code: Path | None = None) -> dict[str, str]:
    """The environment of a benchmark's child process: code's ``ledger`` first, if given.

    Then the caller's PYTHONPATH (so that a ledger exported elsewhere, a
    "before" tree, is the one imported), then this repository; the child is
    not run with cwd=ROOT, which ``-m`` would put ahead of them all.
    """
    paths = [str(code) if code else None, os.environ.get("PYTHONPATH"), str(ROOT)]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


class Worker:
    """One ``python ARGS`` process, asked one command at a time."""

    def __init__(self, args: list[str], *, name: str, log: Path, code: Path | None = None) -> None:
        """Start ``python ARGS`` with code's ``ledger`` first if given; wait for its first line."""
        self.name = name
        self._log = log
        self._stderr: IO[str] = log.open("w")
        self._process = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            cwd=log.parent,
            env=child_env(code),
        )
        self.ready = self._answer()

    def ask(self, command: str) -> dict[str, Any]:
        """Send one command and wait for its answer."""
        assert self._process.stdin is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        return self._answer()

    def _answer(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait()
            self._stderr.flush()
            tail = self._log.read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"the {self.name} died: {' / '.join(tail)}")
        return dict(orjson.loads(line))

    def close(self) -> dict[str, Any]:
        """Ask it to close, and end the process; what it reported."""
        try:
            return self.ask("close")
        finally:
            self.kill()

    def kill(self) -> None:
        """End the process if it still runs, and close the pipes."""
        process = self._process
        if process.stdin is not None and not process.stdin.closed:
            process.stdin.close()  # a worker still reading its commands closes its ledger and ends
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._stderr.close()


def reply(message: dict[str, Any]) -> None:
    """The worker's end: one JSON line on stdout."""
    sys.stdout.write(orjson.dumps(message).decode() + "\n")
    sys.stdout.flush()
