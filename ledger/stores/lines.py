"""JSON Lines lines: the one layout a record's line may have, read back exactly as stored.

Line n holds the record at position n, written by ``StoredRow.to_line()``:
the seven wire keys in order, each once, no whitespace between them, and
``data`` as its canonical text. ``parse_line`` refuses, as ``CorruptLog``
naming the line, anything else a parser might still accept (another layout,
a repeated key, which readers resolve differently, a wrong type or
position), and hands the data text on exactly as the line holds it, never
re-encoded, so that the leaf bytes verify hashes are the stored bytes.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from ledger.codec import MAX_RECORD_BYTES, StoredRow
from ledger.codec.canonical import repeated_key
from ledger.errors import CorruptLog, brief
from ledger.merkle import HASH_SIZE

__all__ = ["MAX_LINE", "parse_line"]

WIRE_KEYS = frozenset(("position", "event_id", "type", "schema", "recorded_at", "data", "hash"))
_HEX = re.compile(r"[0-9a-f]{64}")
#: A line is the leaf bytes rearranged plus ,"hash":"<64 hex>" (74 bytes).
MAX_LINE = MAX_RECORD_BYTES + 10 + 2 * HASH_SIZE


def parse_line(line: bytes, number: int) -> StoredRow:
    """The StoredRow on line `number`, or CorruptLog naming the line."""
    if len(line) > MAX_LINE:
        raise CorruptLog(
            f"record of {len(line)} bytes exceeds the limit of {MAX_RECORD_BYTES} bytes",
            line=number,
        )
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise CorruptLog(f"not a JSON record: {exc}", line=number) from None
    if type(obj) is not dict:
        raise CorruptLog(f"a JSON {type(obj).__name__}, not a record object", line=number)
    if obj.keys() != WIRE_KEYS:
        missing = sorted(WIRE_KEYS - obj.keys())
        extra = sorted(obj.keys() - WIRE_KEYS)
        raise CorruptLog(f"keys: missing {missing}, unexpected {extra}", line=number)
    position = obj["position"]
    if type(position) is not int:
        raise CorruptLog(f"position {brief(position)} is not an integer", line=number)
    if position != number:
        raise CorruptLog(
            f"position {position} on line {number}: positions must follow line numbers",
            line=number,
            position=position,
        )
    for key in ("event_id", "type", "recorded_at", "hash"):
        if type(obj[key]) is not str:
            raise CorruptLog(f"{key} must be a string", line=number, position=position)
    if type(obj["schema"]) is not int:
        raise CorruptLog("schema must be an integer", line=number, position=position)
    if type(obj["data"]) is not dict:
        raise CorruptLog("data must be a JSON object", line=number, position=position)
    if not _HEX.fullmatch(obj["hash"]):
        raise CorruptLog("hash must be 64 lowercase hex digits", line=number, position=position)
    return StoredRow(
        position,
        obj["event_id"],
        obj["type"],
        obj["schema"],
        obj["recorded_at"],
        _data_text(line, obj, number),
        obj["hash"],
    )


def _data_text(line: bytes, obj: dict[str, Any], number: int) -> str:
    """The data value's text exactly as the line holds it, so the leaf bytes are the stored bytes.

    The line must be laid out as the store writes it (``StoredRow.to_line``):
    the wire keys in order, each once, no whitespace between them. The data
    text is never re-encoded: text that is not canonical goes to the codec
    as it is, which refuses it, naming the position.
    """
    prefix = b"".join(
        (
            b'{"position":%d,"event_id":' % obj["position"],
            orjson.dumps(obj["event_id"]),
            b',"type":',
            orjson.dumps(obj["type"]),
            b',"schema":%d,"recorded_at":' % obj["schema"],
            orjson.dumps(obj["recorded_at"]),
            b',"data":',
        )
    )
    suffix = b',"hash":"' + obj["hash"].encode() + b'"}'
    where = {"line": number, "position": number}
    if len(line) > len(prefix) + len(suffix) and line.startswith(prefix) and line.endswith(suffix):
        text = line[len(prefix) : len(line) - len(suffix)]
        # The usual case, checked in C: the text is the canonical JSON of its value.
        if text == orjson.dumps(obj["data"], option=orjson.OPT_SORT_KEYS):
            return text.decode()
        repeated = repeated_key(line)
        if repeated is not None:
            raise CorruptLog(f"the key {brief(repeated)} is repeated", **where)
        return text.decode()
    repeated = repeated_key(line)
    if repeated is not None:
        raise CorruptLog(f"the key {brief(repeated)} is repeated", **where)
    raise CorruptLog(
        "the line is not laid out as the store writes it (the wire keys in order, "
        "no spaces): its stored bytes are not its record's",
        **where,
    )
