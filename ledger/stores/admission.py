"""Row admission: what every store checks before it writes rows, declared once.

A batch may be written at ``head + 1, head + 2, …`` only if its positions
follow the head, no event_id repeats within it (or, where the store can tell
cheaply, is stored already), no record is over ``MAX_RECORD_BYTES``, every
hash is 64 lowercase hex digits, and, for stores whose text cannot hold NUL
(PostgreSQL), no text column holds one. ``admit`` returns the rows' leaf
hashes, ready for the Merkle edge, or raises the error that refuses them;
nothing is written in that case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ledger.codec import MAX_RECORD_BYTES, StoredRow, oversize
from ledger.errors import DuplicateEvent, InvalidEvent, RecordTooLarge, StoreError, brief

__all__ = ["admit"]

_HEX = re.compile(r"[0-9a-f]{64}")
_TEXT_COLUMNS = ("event_id", "type", "recorded_at", "data")


def admit(
    rows: Sequence[StoredRow],
    head: int,
    *,
    stored: Callable[[str], int | None] | None = None,
    nul_free: bool = False,
) -> list[bytes]:
    """The leaf hashes of rows that may be stored at head + 1..; else the error refusing them.

    ``stored(event_id)`` gives the position of an event_id the store already
    holds, when the store can tell without I/O (the others find out from
    their unique index). ``nul_free``: refuse NUL in text columns.
    """
    leaves: list[bytes] = []
    batch: set[str] = set()
    for position, row in enumerate(rows, head + 1):
        if row.position != position:
            raise StoreError(
                f"row {brief(row.event_id)} has position {row.position}, expected {position}"
            )
        earlier = stored(row.event_id) if stored is not None else None
        if earlier is not None or row.event_id in batch:
            raise DuplicateEvent(row.event_id, earlier or position)
        batch.add(row.event_id)
        if nul_free:
            for field in _TEXT_COLUMNS:
                if "\x00" in getattr(row, field):
                    raise InvalidEvent(
                        f"position {position}: PostgreSQL text cannot hold NUL characters",
                        field=field,
                    )
        size = oversize(row)
        if size is not None:
            raise RecordTooLarge(size, MAX_RECORD_BYTES, position=position)
        if not isinstance(row.hash, str) or not _HEX.fullmatch(row.hash):
            raise StoreError(
                f"position {position}: hash {brief(row.hash)} is not 64 lowercase hex digits"
            )
        leaves.append(bytes.fromhex(row.hash))
    return leaves
