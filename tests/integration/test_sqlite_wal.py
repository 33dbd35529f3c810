"""A SQLite writer's write-ahead log: long enough for bulk loads, never a loss.

A writer lets the log grow to ``WAL_CHECKPOINT_PAGES`` pages (64 MiB) before
copying it back into the database, rather than SQLite's default 1,000 pages
(4 MiB): batches touch the same index and read-model pages again and again,
and a longer log copies each back once. Readers see every committed record
meanwhile, and a clean close leaves the database alone holding them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ledger import Figure, FigureReported, Ledger
from ledger.stores.sqlite import WAL_CHECKPOINT_PAGES
from ledger.testing.builders import when

#: Past what SQLite's default would let the log reach before reusing it: 4 MiB
#: and one transaction (the largest, a read-model write, is a few MiB here).
PAST_DEFAULT = 24 * 1024 * 1024


def batch(start: int, size: int) -> list[FigureReported]:
    """Figures of many sources on many topics (random event_ids, as by default)."""
    return [
        FigureReported(
            claim_id=f"c{n}",
            topic=f"region/incident-{n % 97}",
            source=f"src/s{n % 31}",
            figure=Figure(n, n + 10, unit="people"),
            stated_at=when(n),
        )
        for n in range(start, start + size)
    ]


def test_a_bulk_writer_lets_the_log_grow_and_readers_see_every_record(tmp_path: Path) -> None:
    assert WAL_CHECKPOINT_PAGES * 4096 > 2 * PAST_DEFAULT
    path = tmp_path / "bulk.db"
    wal = Path(f"{path}-wal")
    written = 0
    with Ledger.open(str(path)) as lg:
        while wal.stat().st_size <= PAST_DEFAULT and written < 200_000:
            lg.extend(batch(written, 2_000))
            written += 2_000
            with Ledger.open(str(path), read_only=True) as reader:
                assert reader.head == written
        # SQLite's default would have copied the log back and reused it from
        # its start long before: it never grows much past 4 MiB and a batch.
        assert wal.stat().st_size > PAST_DEFAULT
        assert lg.head == written
    # A clean close copies the log back: the database alone holds every record.
    assert not wal.exists() or wal.stat().st_size == 0
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == written
    finally:
        conn.close()
    with Ledger.open(str(path), read_only=True) as reader:
        assert reader.head == written
        assert len(reader.topics()) == 97
        assert reader.verify().ok
