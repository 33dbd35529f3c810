"""Crash tests with real processes: SIGKILL a writer at random moments, 20+ rounds per store.

Each round starts a writer_child that appends batches of 1..4 events and
prints each acknowledgement after extend returns; the test kills it 50-300
ms later and reopens the log: every acknowledged event must be there at its
acknowledged position, positions gapless, every record decoding, every batch
whole, the Merkle edge right, and the views read from the read model those
of a replay of the log. The next round's writer opens the same file,
so it also recovers from whatever the previous kill left. In the "waiting"
rounds the writer keeps its read-model changes in memory for a while (as
large batches do), so the kills leave the read model behind the log.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from ledger import Ledger
from tests.integration.contract.builders import claim
from tests.integration.writer_child import Writer, check_log

ROUNDS = 20


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".jsonl", ".db"])
@pytest.mark.parametrize("wait", [None, (2, 12)], ids=["inline", "waiting"])
def test_acknowledged_appends_survive_sigkill(
    tmp_path: Path, suffix: str, wait: tuple[int, int] | None, caplog: pytest.LogCaptureFixture
) -> None:
    url = str(tmp_path / f"crash{suffix}")
    rng = random.Random(f"crash{suffix}{wait}")
    acked: dict[str, int] = {}
    caught_up = 0
    with open(tmp_path / "writers.log", "wb") as log:
        for n in range(ROUNDS):
            # waiting: the writer keeps its read-model changes in memory for up
            # to 12 records, so most kills lose some and the next open catches up.
            writer = Writer(url, f"r{n}", 0, 4, log, wait=wait)
            try:
                writer.wait_ready()
                writer.go()
                if n == 0:
                    # However slow the disk, at least one batch is acknowledged to check.
                    writer.wait_for_ack()
                time.sleep(rng.uniform(0.05, 0.3))
                os.kill(writer.proc.pid, signal.SIGKILL)
                batches = writer.acknowledged()
            finally:
                writer.stop()
            assert writer.proc.returncode == -signal.SIGKILL, (tmp_path / "writers.log").read_text()
            acked.update((event_id, position) for batch in batches for position, event_id in batch)
            caplog.clear()
            head = check_log(url, acked)
            assert head >= len(acked)
            caught_up += any("catching up" in r.getMessage() for r in caplog.records)
            if suffix == ".db" and wait is None:
                # Small appends write the read model in the records' own transaction:
                # a kill can never leave it behind the log, so nothing is caught up.
                assert not [r for r in caplog.records if "read model" in r.getMessage()]
    assert acked, "no writer acknowledged anything: the rounds were too short"
    if wait is not None:
        assert caught_up, "no kill left the read model behind the log: nothing was tested"


def _written(tmp_path: Path) -> tuple[bytes, list[tuple[int, int, int]]]:
    """A JSON Lines log of single appends and batches, and each append's (start, end, rows)."""
    path = tmp_path / "source.jsonl"
    spans: list[tuple[int, int, int]] = []
    with Ledger.open(str(path)) as lg:
        for n, size in enumerate([1, 3, 1, 1, 4, 2, 1, 5, 1]):
            start = path.stat().st_size
            lg.extend([claim(100 * n + k, statement="é" * (50 + 37 * k)) for k in range(size)])
            spans.append((start, path.stat().st_size, size))
    return path.read_bytes(), spans


def test_jsonl_recovers_from_any_prefix_a_power_cut_can_leave(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # What survives a power cut is some prefix of the file (plus the batch
    # announcement, fsynced before the batch): try line ends, bytes just
    # before them, and random bytes inside lines.
    full, spans = _written(tmp_path)
    ends = [end for _, end, _ in spans]
    inside = random.Random(7).sample(range(1, len(full)), 50)
    cuts = sorted({*inside, *ends, *(end - 1 for end in ends)})
    with Ledger.open(str(tmp_path / "source.jsonl")) as lg:
        source = list(lg.rows())
    for cut in cuts:
        image = tmp_path / f"cut{cut}.jsonl"
        image.write_bytes(full[:cut])
        start, end, size = next(s for s in spans if s[0] < cut <= s[1])
        if size > 1:
            # The writer had announced the batch it was writing.
            Path(f"{image}.pending").write_bytes(b"%d %d\n" % (start, end))
        kept = sum(n for _, e, n in spans if e <= cut)
        caplog.clear()
        with Ledger.open(str(image)) as lg:
            assert list(lg.rows()) == source[:kept]
            assert lg.store.tree().size == kept
            assert lg.append(claim(9999)).position == kept + 1
        torn = Path(f"{image}.torn")
        if cut == end:
            assert not torn.exists()
        else:
            assert torn.read_bytes().rstrip(b"\n") == full[start:cut].rstrip(b"\n")
            assert image.read_bytes().startswith(full[:start])
            assert any("moved" in r.getMessage() for r in caplog.records)
