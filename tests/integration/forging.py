"""What the tamper tests do to a stored record: rewrite it and recompute its hash.

A record whose hash is recomputed over its rewritten leaf bytes passes the
check of each record against its own hash: only the Merkle tree (the stored
edge, a checkpoint) can show it.
"""

from __future__ import annotations

import sqlite3

import attrs

from ledger.codec import StoredRow
from ledger.merkle import leaf_hash

__all__ = ["rehash_sqlite_record", "rehashed"]


def rehashed(row: StoredRow) -> StoredRow:
    """The row with the hash its leaf bytes give, so only the fault under test remains."""
    return attrs.evolve(row, hash=leaf_hash(row.leaf_bytes()).hex())


def rehash_sqlite_record(conn: sqlite3.Connection, position: int, old: str, new: str) -> None:
    """In an open ledger file: drop its guards, replace old by new in a record, recompute its hash.

    The append-only triggers on ``events`` and ``tree`` are dropped, so the
    caller may go on to change the tree row too.
    """
    for trigger in ("events_no_update", "tree_only_grows"):
        conn.execute(f"DROP TRIGGER {trigger}")
    found = conn.execute("SELECT * FROM events WHERE position = ?", (position,)).fetchone()
    row = StoredRow(*found)
    forged = rehashed(attrs.evolve(row, data=row.data.replace(old, new)))
    assert forged.data != row.data
    conn.execute(
        "UPDATE events SET data = ?, hash = ? WHERE position = ?",
        (forged.data, forged.hash, position),
    )
