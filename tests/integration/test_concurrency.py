"""Several writer processes on one file: 4 x 200 appends give positions 1..800, none lost.

A reader process reads views while they write; each view it reads is the
replay of the log at the head it read, and after the round the read model's
views are the replay of the whole log (check_log).
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from ledger import Ledger
from tests.integration.writer_child import Writer, check_log, read_while_writing

WRITERS = 4
APPENDS = 200


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".jsonl", ".db"])
def test_four_writer_processes_get_gapless_distinct_positions(tmp_path: Path, suffix: str) -> None:
    url = str(tmp_path / f"shared{suffix}")
    spawn = multiprocessing.get_context("spawn")
    with open(tmp_path / "writers.log", "wb") as log:
        # All four create the file at once: opening must be safe to race too.
        writers = [Writer(url, f"w{k}", APPENDS, 1, log) for k in range(WRITERS)]
        try:
            for writer in writers:
                writer.wait_ready()
            # A reader in a process of its own checks each view it reads against a replay.
            views = spawn.Queue()
            reader = spawn.Process(target=read_while_writing, args=(url, 8.0, views))
            reader.start()
            for writer in writers:
                writer.go()
            acks = [writer.acknowledged() for writer in writers]
            checked = views.get(timeout=120)
            reader.join(timeout=60)
        finally:
            # A writer that failed must not outlive the test with its pipes open.
            for writer in writers:
                writer.stop()
    assert not isinstance(checked, str), checked
    assert checked[1] == [], f"views that were not a replay of the log at {checked[1]}"
    assert checked[0] > 0, "the reader never read a view while the log stood still"
    problems = [w.proc.returncode for w in writers if w.proc.returncode != 0]
    assert not problems, (tmp_path / "writers.log").read_text()

    acked = {event_id: position for batches in acks for b in batches for position, event_id in b}
    assert len(acked) == WRITERS * APPENDS
    assert sorted(acked.values()) == list(range(1, WRITERS * APPENDS + 1))
    assert check_log(url, acked) == WRITERS * APPENDS
    interleaved = 0
    for batches in acks:
        # Each writer's own appends keep its order.
        positions = [position for b in batches for position, _ in b]
        assert positions == sorted(positions)
        interleaved += positions != list(range(positions[0], positions[0] + APPENDS))
    assert interleaved, "the writers never raced: the test proved nothing"
    with Ledger.open(url) as lg:
        assert len({r.event_id for r in lg.records()}) == WRITERS * APPENDS
