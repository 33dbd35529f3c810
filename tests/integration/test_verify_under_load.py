"""verify while another process appends: one consistent prefix, no false alarm, real damage found.

A writer process appends one record after another while a verifier process
verifies in a loop, on every durable store. Every report must be ok (each a
prefix of the growing log), the sizes must show that the log grew under the
verifier, and once a byte of a stored record is altered every later report
must name that record's position.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.stores.urls import split_url
from tests.pg_server import with_ledger

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("load_child.py")
ROUNDS = 40
DAMAGED = 3


def _child(*args: str, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as errors:
        return subprocess.Popen(
            [sys.executable, str(CHILD), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            cwd=ROOT,
        )


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """Start a process that appends to a URL until the test ends."""
    started: list[subprocess.Popen[bytes]] = []

    def start(url: str) -> None:
        proc = _child("append", url, log=tmp_path / "writer.log")
        started.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line == b"ready\n", (tmp_path / "writer.log").read_text()

    yield start
    for proc in started:
        proc.kill()
        proc.communicate()


def verified(url: str, rounds: int, log: Path) -> list[dict[str, Any]]:
    """The reports of a verifier process that verifies url `rounds` times."""
    proc = _child("verify", url, str(rounds), log=log)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, log.read_text()
    return [json.loads(line) for line in out.splitlines()]


def alter_a_byte(kind: str, url: str) -> None:
    """Flip one byte of the claim_id of the figure at DAMAGED, behind the ledger's back."""
    if kind == "jsonl":
        with open(url, "r+b") as file:
            fcntl.flock(file, fcntl.LOCK_EX)  # no append is half-written meanwhile
            lines = file.read().split(b"\n")
            offset = sum(len(line) + 1 for line in lines[: DAMAGED - 1])
            at = lines[DAMAGED - 1].index(b'"claim_id":"') + len(b'"claim_id":"')
            file.seek(offset + at)
            byte = file.read(1)
            file.seek(offset + at)
            file.write(bytes([byte[0] ^ 1]))
        return
    if kind == "sqlite":
        import sqlite3

        conn = sqlite3.connect(url, timeout=60, isolation_level=None)
        try:
            found = conn.execute("SELECT data FROM events WHERE position = ?", (DAMAGED,))
            (data,) = found.fetchone()
            at = data.index('"claim_id":"') + len('"claim_id":"')
            forged = data[:at] + chr(ord(data[at]) ^ 1) + data[at + 1 :]
            conn.execute("DROP TRIGGER IF EXISTS events_no_update")
            conn.execute("UPDATE events SET data = ? WHERE position = ?", (forged, DAMAGED))
        finally:
            conn.close()
        return
    conninfo, name = split_url(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        # As a superuser can: with triggers off for the session.
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "UPDATE ledger_events SET data = overlay(data placing"
            ' chr(ascii(substr(data, strpos(data, \'"claim_id":"\') + 12, 1)) # 1)'
            ' from strpos(data, \'"claim_id":"\') + 12 for 1)'
            " WHERE ledger = %s AND position = %s",
            (name, DAMAGED),
        )


@pytest.fixture(params=["jsonl", "sqlite", "postgresql"])
def durable(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(kind, url) of a new ledger of each durable store."""
    kind: str = request.param
    if kind == "postgresql":
        base = request.getfixturevalue("postgres_url")
        return kind, with_ledger(base, f"load{uuid.uuid4().hex[:12]}")
    return kind, str(tmp_path / f"load.{'jsonl' if kind == 'jsonl' else 'db'}")


@pytest.mark.slow
def test_verify_under_load_never_cries_wolf_and_still_finds_an_altered_byte(
    durable: tuple[str, str], writer: Callable[[str], None], tmp_path: Path
) -> None:
    kind, url = durable
    writer(url)
    time.sleep(0.5)  # a few records before the first verify
    reports = verified(url, ROUNDS, tmp_path / "verifier.log")
    assert len(reports) == ROUNDS
    alarms = [r for r in reports if not r["ok"]]
    assert not alarms, f"{len(alarms)} false alarms in {ROUNDS} verifies: {alarms[:3]}"
    # The read model was compared under the appends, not merely skipped.
    compared = [r for r in reports if r["read_model_agrees"] is True]
    assert len(compared) >= ROUNDS // 4, [r["read_model"] for r in reports[1::2]]
    sizes = [r["size"] for r in reports]
    assert len(set(sizes)) >= ROUNDS // 4, f"the log hardly grew under the verifier: {sizes}"

    alter_a_byte(kind, url)
    damaged = verified(url, 8, tmp_path / "verifier.log")
    for _ in range(5):
        # On a busy machine eight verifies can all fall between two appends: verify
        # again, later, until the damage has been found under a growing log.
        if len({r["size"] for r in damaged}) > 1:
            break
        time.sleep(0.5)
        damaged += verified(url, 4, tmp_path / "verifier.log")
    assert {r["first_bad_position"] for r in damaged} == {DAMAGED}, damaged
    assert all("stored hash" in r["reason"] for r in damaged), damaged[0]
    assert len({r["size"] for r in damaged}) > 1, "the writer stopped: the test proved less"
    assert os.path.exists(url) or kind == "postgresql"
