"""The codec: events to stored rows (the wire format) and back.

- ``rows``: ``StoredRow``, its leaf bytes and the size limit;
- ``timestamps``: UTC timestamps as the wire writes them;
- ``canonical``: why a stored data text is not canonical JSON (error messages);
- ``fast``: fast decoders and encoders, generated from each event type's
  attrs fields and their rules;
- ``registry``: ``Codec``, the event types it knows, their schemas, fast
  paths and upcasters.
"""

from __future__ import annotations

from ledger.codec.registry import Codec, EventType, make_codec, make_converter
from ledger.codec.rows import MAX_RECORD_BYTES, RowValues, StoredRow, leaf_bytes, oversize
from ledger.codec.timestamps import format_timestamp, parse_timestamp
from ledger.domain.records import Recorded

__all__ = [
    "MAX_RECORD_BYTES",
    "Codec",
    "EventType",
    "Recorded",
    "RowValues",
    "StoredRow",
    "format_timestamp",
    "leaf_bytes",
    "make_codec",
    "make_converter",
    "oversize",
    "parse_timestamp",
]
