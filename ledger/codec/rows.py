"""Stored rows: the wire format's columns, and the leaf bytes they hash to.

The leaf bytes are the canonical JSON of the record without ``hash`` (keys
sorted, no insignificant whitespace, UTF-8) and ``hash = SHA-256(0x00 ‖ leaf)``.
Every store keeps ``data`` as the exact canonical text, so any store can
rebuild the leaf bytes, and so the hash, byte for byte.
"""

from __future__ import annotations

import attrs
import orjson

__all__ = ["MAX_RECORD_BYTES", "RowValues", "StoredRow", "leaf_bytes", "oversize"]

#: Records whose leaf bytes exceed this are refused at append and reported on read.
MAX_RECORD_BYTES = 1024 * 1024
#: A stored row as a plain tuple: position, event_id, type, schema, recorded_at, data, hash.
RowValues = tuple[int, str, str, int, str, str, str]


@attrs.frozen
class StoredRow:
    """A record as stores keep it: the wire format's columns, data as canonical text."""

    position: int
    event_id: str
    type: str
    schema: int
    recorded_at: str
    data: str
    hash: str

    def leaf_bytes(self) -> bytes:
        """The canonical JSON of the record without its hash: the Merkle leaf."""
        return leaf_bytes(
            self.data.encode(),
            orjson.dumps(self.event_id),
            self.position,
            orjson.dumps(self.recorded_at),
            self.schema,
            orjson.dumps(self.type),
        )

    def to_line(self) -> bytes:
        """The record as one JSON Lines line, without the newline."""
        return b"".join(
            (
                b'{"position":',
                str(self.position).encode(),
                b',"event_id":',
                orjson.dumps(self.event_id),
                b',"type":',
                orjson.dumps(self.type),
                b',"schema":',
                str(self.schema).encode(),
                b',"recorded_at":',
                orjson.dumps(self.recorded_at),
                b',"data":',
                self.data.encode(),
                b',"hash":',
                orjson.dumps(self.hash),
                b"}",
            )
        )


def leaf_bytes(
    data: bytes, event_id: bytes, position: int, recorded_at: bytes, schema: int, kind: bytes
) -> bytes:
    # Keys in sorted order; data is already canonical text, spliced as is so
    # that the hash covers exactly the bytes the store holds. The other
    # arguments are JSON already (orjson.dumps of the strings).
    return b"".join(
        (
            b'{"data":',
            data,
            b',"event_id":',
            event_id,
            b',"position":',
            str(position).encode(),
            b',"recorded_at":',
            recorded_at,
            b',"schema":',
            str(schema).encode(),
            b',"type":',
            kind,
            b"}",
        )
    )


def oversize(row: StoredRow) -> int | None:
    """The leaf size of a row over MAX_RECORD_BYTES, else None."""
    # A character is at most 4 bytes in UTF-8: only long rows need the exact count.
    if 4 * (len(row.data) + len(row.event_id)) + 200 <= MAX_RECORD_BYTES:
        return None
    size = len(row.leaf_bytes())
    return size if size > MAX_RECORD_BYTES else None
