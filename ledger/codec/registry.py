"""The one codec: events to canonical bytes and back, with schema upcasting.

A record on the wire is one JSON object::

    {"position":1,"event_id":"…","type":"FigureReported","schema":1,
     "recorded_at":"2025-01-13T09:00:00Z","data":{…},"hash":"<hex>"}

``ledger.codec.rows`` holds the stored row and its leaf bytes; this module
turns events into rows and rows back into events. Each registered event type
has a fast decoder and encoder (``ledger.codec.fast``), generated from its
attrs fields and their rules, keyed by (tag, schema); the cattrs converter
stays the definition, and decodes whatever the fast path steps aside from.

``data`` must be the canonical JSON of its content (keys sorted, no
insignificant whitespace, each key once, numbers and strings as orjson writes
them): a record whose text is anything else (a repeated key, which readers
resolve differently, another key order, spaces) does not decode.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs
import cattrs
import orjson

from ledger.codec.canonical import not_canonical
from ledger.codec.fast import (
    ENCODE_OPTIONS,
    FastDecoder,
    FastEncoder,
    Unusual,
    decoder,
    encoder,
    fast_timestamp,
    read_recorded_at,
)
from ledger.codec.rows import MAX_RECORD_BYTES, RowValues, StoredRow, leaf_bytes, oversize
from ledger.codec.timestamps import format_timestamp, parse_timestamp
from ledger.domain.durations import format_duration, parse_duration
from ledger.domain.events import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
)
from ledger.domain.records import Recorded
from ledger.errors import CorruptLog, InvalidEvent, RecordTooLarge, UnsupportedRecord, brief

__all__ = ["Codec", "EventType", "make_codec", "make_converter"]

# Data this short cannot make a record over the limit, whatever its characters.
_SAFE_CHARS = MAX_RECORD_BYTES // 4 - 1000

_SORTED = orjson.OPT_SORT_KEYS

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _strict(kind: type, name: str) -> Callable[[Any, Any], Any]:
    def hook(value: Any, _: Any) -> Any:
        if type(value) is not kind:
            raise ValueError(f"expected {name}, got {type(value).__name__}")
        return value

    return hook


def _number(value: Any, _: Any) -> int | float | None:
    if value is None or (type(value) in (int, float)):
        return value  # type: ignore[no-any-return]
    raise ValueError(f"expected a number or null, got {type(value).__name__}")


def _slugs(value: Any, _: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def _timestamp(value: Any, _: Any) -> datetime:
    return parse_timestamp(value)


def _duration(value: Any, _: Any) -> timedelta:
    return parse_duration(value)


def make_converter() -> cattrs.Converter:
    """A dedicated cattrs converter for events: strict types, no extra keys."""
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(str, _strict(str, "a string"))
    conv.register_structure_hook(bool, _strict(bool, "a boolean"))
    conv.register_structure_hook(int | float | None, _number)
    conv.register_structure_hook_func(lambda t: t == tuple[str, ...], _slugs)
    conv.register_structure_hook(datetime, _timestamp)
    conv.register_unstructure_hook(datetime, format_timestamp)
    conv.register_structure_hook(timedelta, _duration)
    conv.register_unstructure_hook(timedelta, format_duration)
    conv.register_unstructure_hook(tuple, list)
    return conv


@attrs.frozen
class EventType:
    """A registered event type: its class, stable tag, current schema and fast paths."""

    cls: type[Event]
    tag: str
    schema: int
    #: decode(data, event_id) of a current-schema record's parsed data; None when unsure.
    fast_decode: FastDecoder = attrs.field(repr=False)
    #: encode(event): the fields as the converter unstructures them, event_id left out.
    fast_encode: FastEncoder = attrs.field(repr=False)

    #: The tag as a JSON string, as it stands in a leaf.
    json: bytes = attrs.field(
        init=False, default=attrs.Factory(lambda self: orjson.dumps(self.tag), takes_self=True)
    )


def _adding(key: str, value: object) -> Upcaster:
    """An upcaster that adds a field the older schema did not have (ValueError if present)."""

    def upcast(data: dict[str, Any]) -> dict[str, Any]:
        if key in data:
            raise ValueError(f"the field {key!r} did not exist in this schema")
        return {**data, key: value}

    return upcast


# Schema 1 of SourceDescribed predates Admiralty grades; such sources
# "cannot be judged", which is grade F.
_source_described_v1_to_v2 = _adding("reliability", "F")
# Schema 1 of TopicDefined predates freshness windows: no window, every
# current figure counts.
_topic_defined_v1_to_v2 = _adding("window", None)


class Codec:
    """Encodes events to stored rows and decodes rows back, upcasting old schemas."""

    def __init__(self) -> None:
        self._converter = make_converter()
        self._by_tag: dict[str, EventType] = {}
        self._by_cls: dict[type, EventType] = {}
        # Shortcuts for well-formed records of a current schema, by tag: (schema, decoder).
        # The converter stays the definition.
        self._fast: dict[str, tuple[int, FastDecoder]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    @property
    def converter(self) -> cattrs.Converter:
        """The cattrs converter: the definition of decoding, which the fast paths must match."""
        return self._converter

    @property
    def types(self) -> tuple[EventType, ...]:
        """The registered event types, in the order of registration."""
        return tuple(self._by_tag.values())

    def register(self, cls: type[Event], schema: int, *, tag: str | None = None) -> EventType:
        """Register an event type at its current schema, with fast paths built from its fields."""
        kind = EventType(cls, tag or cls.__name__, schema, decoder(cls), encoder(cls))
        if kind.tag in self._by_tag or cls in self._by_cls:
            raise ValueError(f"{kind.tag} is registered already")
        self._by_tag[kind.tag] = kind
        self._by_cls[cls] = kind
        self._fast[kind.tag] = (schema, kind.fast_decode)
        return kind

    def fast_decoder(self, tag: str, schema: int) -> FastDecoder | None:
        """The fast decoder of records of tag at schema; None for older schemas."""
        found = self._fast.get(tag)
        return found[1] if found is not None and found[0] == schema else None

    def register_upcaster(self, tag: str, from_schema: int, upcaster: Upcaster) -> None:
        """Register how data of schema from_schema of tag becomes from_schema + 1.

        An upcaster raises ValueError for data the old schema could not hold;
        the record is then reported as CorruptLog at its position.
        """
        self._upcasters[(tag, from_schema)] = upcaster

    def tag_of(self, event: Event) -> EventType:
        """The registered type of an event."""
        try:
            return self._by_cls[type(event)]
        except KeyError:
            raise InvalidEvent(f"{type(event).__name__} is not an event type") from None

    def event_data(self, event: Event) -> str:
        """The canonical JSON text of an event's fields, without its event_id."""
        # The fast encoder writes what the converter would (a property test holds them equal).
        fields = self.tag_of(event).fast_encode(event)
        return orjson.dumps(fields, option=ENCODE_OPTIONS).decode()

    def respelled(self, row: StoredRow, recorded: Recorded) -> str | None:
        """Why a decoded row's text is not the codec's own spelling of its record, or None.

        A record of the event type's current schema must be stored as this
        codec writes it: the same data text (no key left out for its default,
        no timestamp with an offset instead of Z) and recorded_at. Decoding
        is lenient where the meaning is the same; ``verify`` is not, since
        such text hashes differently from the canonical leaf of its record.
        An older schema's text is upcast, never spelled again, so it is not
        compared.
        """
        kind = self.tag_of(recorded.event)
        if row.schema == kind.schema:
            data = self.event_data(recorded.event)
            if data != row.data:
                why = not_canonical(row.data, data.encode())
                return f"its data is not the canonical text of its event: {why}"
        stamp = format_timestamp(recorded.recorded_at)
        if stamp != row.recorded_at:
            return f"its recorded_at {brief(row.recorded_at)} is not spelled canonically ({stamp})"
        return None

    def encode(self, position: int, event: Event, recorded_at: datetime) -> StoredRow:
        """The stored row for event at position; refuses records over the size limit."""
        return self.encode_many(position - 1, [event], recorded_at)[0]

    def encode_many(
        self, head: int, events: Sequence[Event], recorded_at: datetime
    ) -> list[StoredRow]:
        """The stored rows for events at head + 1, head + 2, …, all recorded at one moment.

        Refuses (RecordTooLarge, its ``item`` the index in events) any record over the size limit.
        """
        stamp = format_timestamp(recorded_at)
        stamp_json = orjson.dumps(stamp)
        dumps, sha256 = orjson.dumps, hashlib.sha256
        rows: list[StoredRow] = []
        for position, event in enumerate(events, head + 1):
            kind = self.tag_of(event)
            data = self.event_data(event)
            event_id = event.event_id
            leaf = leaf_bytes(
                data.encode(), dumps(event_id), position, stamp_json, kind.schema, kind.json
            )
            if len(leaf) > MAX_RECORD_BYTES:
                raise RecordTooLarge(len(leaf), MAX_RECORD_BYTES, item=position - head - 1)
            digest = sha256(b"\x00" + leaf).hexdigest()
            rows.append(StoredRow(position, event_id, kind.tag, kind.schema, stamp, data, digest))
        return rows

    def decode_event(self, row: StoredRow, *, line: int | None = None) -> Event:
        """The event of a stored row, as decode gives it, without building the Recorded."""
        values = (row.position, row.event_id, row.type, row.schema, row.recorded_at, row.data)
        return self.decode_values((*values, row.hash), line=line)

    def decode_values(self, values: RowValues, *, line: int | None = None) -> Event:
        """decode_event of a row given as the tuple of its fields (Store.scan)."""
        event = self._decode_fast(values)
        return event if event is not None else self._decode_checked(StoredRow(*values), line).event

    def decode(self, row: StoredRow, *, line: int | None = None) -> Recorded:
        """The Recorded for a stored row; CorruptLog names the position on any fault."""
        values = (row.position, row.event_id, row.type, row.schema, row.recorded_at, row.data)
        event = self._decode_fast((*values, row.hash))
        if event is None:
            return self._decode_checked(row, line)
        # Both were checked by the fast path (the timestamp is parsed once per text).
        recorded_at = fast_timestamp(row.recorded_at)
        assert recorded_at is not None
        return Recorded(row.position, row.event_id, recorded_at, event, bytes.fromhex(row.hash))

    def _decode_fast(self, values: RowValues) -> Event | None:
        # The replay's hot path: a well-formed record of a current schema.
        # None sends anything else down the checked path.
        _, event_id, kind, schema, recorded_at, data, digest = values
        found = self._fast.get(kind) if type(kind) is str else None
        if (
            found is None
            or found[0] != schema
            or type(schema) is not int
            or type(data) is not str
            or len(data) >= _SAFE_CHARS
            or type(digest) is not str
        ):
            return None
        try:
            read_recorded_at(recorded_at)
            fields = orjson.loads(data)
            # Canonical text only: the stored text must be what re-encoding its
            # content gives. A repeated key (which orjson resolves to the last
            # one) drops bytes from the re-encoding, as other layouts change
            # them, so this one comparison in C is sound and the cheapest check.
            if orjson.dumps(fields, option=_SORTED) != data.encode():
                return None
            bytes.fromhex(digest)
            return found[1](fields, event_id)  # type: ignore[no-any-return]
        except (Unusual, orjson.JSONDecodeError, ValueError, TypeError):
            return None

    def _decode_checked(self, row: StoredRow, line: int | None) -> Recorded:
        where = {"line": line, "position": row.position}
        kind = self._by_tag.get(row.type)
        if kind is None:
            raise UnsupportedRecord(f"unknown event type {brief(row.type)}", **where)
        if type(row.schema) is not int or row.schema < 1:
            raise CorruptLog(f"schema {brief(row.schema)} is not a positive integer", **where)
        if row.schema > kind.schema:
            raise UnsupportedRecord(
                f"{row.type} schema {row.schema} is newer than this code knows ({kind.schema})",
                **where,
            )
        if type(row.data) is not str:
            raise CorruptLog(f"data is {type(row.data).__name__}, not text", **where)
        size = oversize(row)
        if size is not None:
            raise RecordTooLarge(size, MAX_RECORD_BYTES, position=row.position)
        try:
            data = orjson.loads(row.data)
        except orjson.JSONDecodeError as exc:
            raise CorruptLog(f"data is not JSON: {exc}", **where) from None
        if not isinstance(data, dict):
            raise CorruptLog("data is not a JSON object", **where)
        canonical = orjson.dumps(data, option=_SORTED)
        if canonical != row.data.encode():
            why = not_canonical(row.data, canonical)
            raise CorruptLog(f"data is not in canonical form: {why}", **where)
        data = self._upcast(kind, row.schema, data, where)
        try:
            event = self._converter.structure({**data, "event_id": row.event_id}, kind.cls)
            recorded_at = parse_timestamp(row.recorded_at)
        except Exception as exc:  # cattrs groups, validators: all mean corrupt data here
            raise CorruptLog(f"{row.type} does not decode: {_describe(exc)}", **where) from None
        try:
            digest = bytes.fromhex(row.hash)
        except (ValueError, TypeError):
            raise CorruptLog(f"hash {brief(row.hash)} is not hex", **where) from None
        return Recorded(row.position, row.event_id, recorded_at, event, digest)

    def _upcast(
        self, kind: EventType, schema: int, data: dict[str, Any], where: dict[str, Any]
    ) -> dict[str, Any]:
        for version in range(schema, kind.schema):
            upcaster = self._upcasters.get((kind.tag, version))
            if upcaster is None:
                raise UnsupportedRecord(
                    f"no upcaster for {kind.tag} schema {version} -> {version + 1}", **where
                )
            try:
                data = upcaster(data)
            except ValueError as exc:
                raise CorruptLog(f"{kind.tag} schema {version}: {exc}", **where) from None
        return data


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        inner = [_describe(e) for e in exc.exceptions]
        notes = [n for e in exc.exceptions for n in getattr(e, "__notes__", [])]
        return "; ".join(f"{n}: {i}" for n, i in zip(notes, inner, strict=False)) or "; ".join(
            inner
        )
    return str(exc)


def make_codec() -> Codec:
    """The codec for this version of the ledger: every event type, its schema and upcasters."""
    codec = Codec()
    codec.register(ClaimMade, 1)
    codec.register(FigureReported, 1)
    codec.register(ClaimDisputed, 1)
    codec.register(ClaimRetracted, 1)
    codec.register(TopicDefined, 2)
    codec.register(SourceDescribed, 2)
    codec.register_upcaster("TopicDefined", 1, _topic_defined_v1_to_v2)
    codec.register_upcaster("SourceDescribed", 1, _source_described_v1_to_v2)
    return codec
