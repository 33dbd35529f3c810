"""Bad stored data: each fault raises a LedgerError naming the line or position.

A corpus of damaged JSON Lines files and SQLite rows, the torn-line rules,
and hypothesis fuzzing of the record decoder and of the JSON Lines reader:
whatever the stored bytes, only LedgerError subclasses may escape.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import (
    CorruptLog,
    Ledger,
    LedgerError,
    RecordTooLarge,
    StoreUnavailable,
    TopicDefined,
    UnsupportedRecord,
)
from ledger.codec import StoredRow, make_codec
from ledger.stores import open_store
from ledger.stores.jsonl import JsonlStore

from .contract.builders import claim, describe, figure, topic
from .forging import rehashed

NOW = datetime(2025, 1, 13, 9, 0, tzinfo=UTC)
CODEC = make_codec()
EVENTS = [topic(), figure(1), claim(2), describe()]
BIG = "x" * (10 * 1024 * 1024)


#: A TopicDefined as schema 1 stored it: no window.
V1_TOPIC = (
    '{"description":null,"parts":[],"title":"Casualties","topic":"kursk/casualties",'
    '"unit":"people"}'
)
#: The current schema's TopicDefined data, with its window to replace.
TOPIC_DATA = CODEC.event_data(topic())


def v1_topic(data: str) -> dict[str, Any]:
    """Changes that make a row a schema-1 TopicDefined with this data."""
    return {"type": "TopicDefined", "schema": 1, "data": data}


def with_window(window: str) -> dict[str, Any]:
    """Changes that make a row a schema-2 TopicDefined whose window is the JSON text window."""
    data = TOPIC_DATA.replace('"window":null', f'"window":{window}')
    return {"type": "TopicDefined", "schema": 2, "data": data}


def repeated_key(data: str) -> str:
    """Canonical-looking data with its first key given twice (orjson keeps the last)."""
    key = next(iter(orjson.loads(data)))
    return '{"' + key + '":"first",' + data[1:]


def spaced(data: str) -> str:
    """The same data with a space after each separator."""
    return json.dumps(orjson.loads(data), ensure_ascii=False)


def reversed_keys(data: str) -> str:
    """The same data with its keys in reverse order, no spaces."""
    fields = orjson.loads(data)
    return json.dumps(dict(reversed(fields.items())), separators=(",", ":"), ensure_ascii=False)


def row(position: int, **changes: Any) -> StoredRow:
    """A valid stored row at position (the event is EVENTS[position - 1]) with changes."""
    good = CODEC.encode(position, EVENTS[(position - 1) % len(EVENTS)], NOW)
    return attrs.evolve(good, **changes)


def line(position: int, **changes: Any) -> bytes:
    """The JSON Lines line of row(position, **changes)."""
    return rehashed(row(position, **changes)).to_line()


def edited(position: int, edit: Callable[[dict[str, Any]], object]) -> bytes:
    """A valid line re-serialized after edit(record) changed the parsed record."""
    record = orjson.loads(line(position))
    edit(record)
    return json.dumps(record).encode()


def read_all(url: str) -> None:
    """Open a ledger and read every record, closing the store whatever happens."""
    store = open_store(url)
    try:
        list(Ledger(store).records())
    finally:
        store.close()


# -- JSON Lines -----------------------------------------------------------

# (id, lines after the good line 1, exception, where): where is the 1-based
# line the error must name; the file is line(1) + the lines, each with "\n".
JSONL_CORPUS: list[tuple[str, list[bytes], type[LedgerError], int]] = [
    ("truncated JSON", [line(2)[:45]], CorruptLog, 2),
    ("an empty line", [b"", line(2)], CorruptLog, 2),
    ("a JSON array", [b"[1, 2, 3]"], CorruptLog, 2),
    ("a JSON string", [b'"position"'], CorruptLog, 2),
    ("position as a string", [edited(2, lambda r: r.update(position="2"))], CorruptLog, 2),
    ("position true", [edited(2, lambda r: r.update(position=True))], CorruptLog, 2),
    ("position as a float", [edited(2, lambda r: r.update(position=2.0))], CorruptLog, 2),
    ("schema as a string", [edited(2, lambda r: r.update(schema="1"))], CorruptLog, 2),
    ("data as a string", [edited(2, lambda r: r.update(data="{}"))], CorruptLog, 2),
    ("data as null", [edited(2, lambda r: r.update(data=None))], CorruptLog, 2),
    ("hash as a number", [edited(2, lambda r: r.update(hash=12))], CorruptLog, 2),
    ("hash not hex", [edited(2, lambda r: r.update(hash="zz" * 32))], CorruptLog, 2),
    ("hash too short", [edited(2, lambda r: r.update(hash="ab"))], CorruptLog, 2),
    ("event_id null", [edited(2, lambda r: r.update(event_id=None))], CorruptLog, 2),
    ("recorded_at a number", [edited(2, lambda r: r.update(recorded_at=5))], CorruptLog, 2),
    ("a missing key", [edited(2, lambda r: r.pop("type"))], CorruptLog, 2),
    ("an extra key", [edited(2, lambda r: r.update(note="hi"))], CorruptLog, 2),
    ("NaN", [line(2).replace(b'"low":100', b'"low":NaN')], CorruptLog, 2),
    ("Infinity", [line(2).replace(b'"high":200', b'"high":Infinity')], CorruptLog, 2),
    ("a number too large", [line(2).replace(b'"high":200', b'"high":1e999')], CorruptLog, 2),
    ("invalid UTF-8", [line(2).replace(b"Kursk", b"K\xffrsk")], CorruptLog, 2),
    ("a lone surrogate", [line(2).replace(b"Kursk", b"K\xed\xa0\x80rsk")], CorruptLog, 2),
    ("a 10 MB string", [line(2, data=json.dumps({"s": BIG}))], CorruptLog, 2),
    ("a 10 MB line", [b"[" + b"1," * (5 * 1024 * 1024) + b"1]"], CorruptLog, 2),
    ("a repeated position", [line(1)], CorruptLog, 2),
    ("a missing position", [line(3)], CorruptLog, 2),
    ("a position out of order", [line(2), line(4), line(3)], CorruptLog, 3),
    ("a repeated event_id", [line(2, event_id=row(1).event_id)], CorruptLog, 2),
    # Structurally sound lines whose records do not decode: the codec names the position.
    ("an unknown type", [line(2, type="TroopsMoved")], UnsupportedRecord, 2),
    ("a newer schema", [line(2, schema=2)], UnsupportedRecord, 2),
    ("schema 0", [line(2, schema=0)], CorruptLog, 2),
    ("data missing a field", [line(2, data='{"topic":"kursk/casualties"}')], CorruptLog, 2),
    ("a field of the wrong type", [line(2), line(3, data='{"claim_id":5}')], CorruptLog, 3),
    ("a bad recorded_at", [line(2, recorded_at="yesterday")], CorruptLog, 2),
    ("a naive recorded_at", [line(2, recorded_at="2025-01-13T09:00:00")], CorruptLog, 2),
    # Data that is not the canonical JSON of its content.
    ("a repeated key", [line(2, data=repeated_key(row(2).data))], CorruptLog, 2),
    ("data with spaces", [line(2, data=spaced(row(2).data))], CorruptLog, 2),
    ("data keys out of order", [line(2, data=reversed_keys(row(2).data))], CorruptLog, 2),
    ("a repeated key in a v1 record", [line(2, **v1_topic(repeated_key(V1_TOPIC)))], CorruptLog, 2),
    # Windows that are no duration of fixed length, or negative.
    ("a negative window", [line(2, **with_window('"-P1D"'))], CorruptLog, 2),
    ("a window in months", [line(2, **with_window('"P1M"'))], CorruptLog, 2),
    ("a window in seconds", [line(2, **with_window("86400"))], CorruptLog, 2),
    ("a malformed window", [line(2, **with_window('"P1DT"'))], CorruptLog, 2),
    ("a window past timedelta.max", [line(2, **with_window('"P1000000000D"'))], CorruptLog, 2),
    (
        "a window in a v1 record",
        [line(2, **v1_topic(V1_TOPIC[:-1] + ',"window":"P3D"}'))],
        CorruptLog,
        2,
    ),
]


@pytest.mark.parametrize(
    ("lines", "error", "where"),
    [pytest.param(lines, error, where, id=name) for name, lines, error, where in JSONL_CORPUS],
)
def test_damaged_jsonl_raises_naming_the_line(
    tmp_path: Path, lines: list[bytes], error: type[LedgerError], where: int
) -> None:
    path = tmp_path / "damaged.jsonl"
    content = b"".join(x + b"\n" for x in [line(1), *lines])
    path.write_bytes(content)
    with pytest.raises(LedgerError) as caught:
        read_all(str(path))
    assert isinstance(caught.value, error), repr(caught.value)
    assert where in (getattr(caught.value, "line", None), getattr(caught.value, "position", None))
    assert f"line {where}" in str(caught.value) or f"position {where}" in str(caught.value)
    assert path.read_bytes() == content, "a damaged log must never be rewritten"
    assert not Path(f"{path}.torn").exists()


def test_structural_damage_is_found_by_the_store_itself_on_open(tmp_path: Path) -> None:
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(line(1) + b"\n" + line(3) + b"\n")
    with pytest.raises(CorruptLog) as caught:
        JsonlStore(str(path))
    assert caught.value.line == 2


def test_damage_appended_by_another_process_is_found_on_catch_up(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with Ledger.open(str(path)) as lg:
        lg.append(EVENTS[0])
        with open(path, "ab") as other:
            other.write(b'{"position": "two"}\n')
        with pytest.raises(CorruptLog) as caught:
            lg.append(EVENTS[1])
        assert caught.value.line == 2
        with pytest.raises(CorruptLog):
            _ = lg.head


def test_a_torn_last_line_is_moved_aside_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "log.jsonl"
    torn = line(3)[:30]
    path.write_bytes(line(1) + b"\n" + line(2) + b"\n" + torn)
    with caplog.at_level(logging.WARNING, logger="ledger.stores.jsonl"):
        lg = Ledger.open(str(path))
    with lg:
        assert [r.position for r in lg.records()] == [1, 2]
        assert lg.append(claim(7)).position == 3
    assert Path(f"{path}.torn").read_bytes() == torn + b"\n"
    assert path.read_bytes().startswith(line(1) + b"\n" + line(2) + b"\n")
    (warning,) = [r for r in caplog.records if r.name == "ledger.stores.jsonl"]
    assert warning.levelno == logging.WARNING
    assert "line 3" in warning.getMessage()
    assert ".torn" in warning.getMessage()


def test_a_second_torn_line_is_appended_to_the_side_file(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(line(1) + b"\n" + b'{"position":2,"ev')
    Ledger.open(str(path)).close()
    with open(path, "ab") as file:
        file.write(b'{"position":2,"event_id":"x')
    Ledger.open(str(path)).close()
    assert Path(f"{path}.torn").read_bytes() == (
        b'{"position":2,"ev\n{"position":2,"event_id":"x\n'
    )
    assert path.read_bytes() == line(1) + b"\n"


def test_a_line_torn_while_the_store_is_open_is_moved_aside_before_the_next_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.jsonl"
    with Ledger.open(str(path)) as lg:
        lg.append(EVENTS[0])
        with open(path, "ab") as other:  # a writer that died mid-append
            other.write(b'{"position":2,"event_')
        assert lg.append(EVENTS[1]).position == 2
    assert Path(f"{path}.torn").read_bytes() == b'{"position":2,"event_\n'
    with Ledger.open(str(path)) as lg:
        assert [r.event for r in lg.records()] == EVENTS[:2]


def test_a_torn_line_that_is_whole_json_is_still_only_moved_aside(tmp_path: Path) -> None:
    # Without its newline a record was never acknowledged: it must not be merged.
    path = tmp_path / "log.jsonl"
    path.write_bytes(line(1) + b"\n" + line(2))
    with Ledger.open(str(path)) as lg:
        assert lg.head == 1
    assert Path(f"{path}.torn").read_bytes() == line(2) + b"\n"


def test_a_log_replaced_while_open_refuses_appends_that_would_be_lost(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with Ledger.open(str(path)) as lg:
        lg.append(EVENTS[0])
        copy = tmp_path / "edited.jsonl"
        copy.write_bytes(path.read_bytes())
        os.replace(copy, path)  # what an editor's "save" does
        with pytest.raises(StoreUnavailable, match="replaced"):
            lg.append(EVENTS[1])
    with Ledger.open(str(path)) as lg:
        assert lg.head == 1


@pytest.mark.parametrize("suffix", [".jsonl", ".db"])
def test_a_schema_1_topic_reads_with_no_window_and_its_hash_still_verifies(
    tmp_path: Path, suffix: str
) -> None:
    old = rehashed(row(1, event_id="v1-topic", **v1_topic(V1_TOPIC)))
    path = str(tmp_path / f"old{suffix}")
    store = open_store(path)
    try:
        store.write([old, row(2)], 0)
    finally:
        store.close()
    with Ledger.open(path) as lg:
        first, second = lg.records()
        assert first.event == TopicDefined(
            topic="kursk/casualties", title="Casualties", unit="people", event_id="v1-topic"
        )
        assert first.event.window is None  # type: ignore[union-attr]
        assert first.hash == bytes.fromhex(old.hash)
        assert second.event == EVENTS[1]
        assert lg.verify().ok
        # The stored bytes, which say schema 1, are never rewritten.
        assert list(lg.rows()) == [old, row(2)]


# -- SQLite ---------------------------------------------------------------


def _sqlite_with(tmp_path: Path, bad: tuple[Any, ...], *, unchecked: bool = False) -> str:
    """A ledger file with one good event at position 1 and a raw row `bad` inserted after."""
    path = str(tmp_path / "damaged.db")
    with Ledger.open(path) as lg:
        lg.append(EVENTS[0])
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        if unchecked:
            conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute(
            "INSERT INTO events (position, event_id, type, schema, recorded_at, data, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            bad,
        )
    finally:
        conn.close()
    return path


def _raw(position: int = 2, **changes: Any) -> tuple[Any, ...]:
    try:
        r = rehashed(row(position, **changes))
    except (AttributeError, TypeError):  # a wrong type has no leaf bytes: keep the good hash
        r = rehashed(row(position))
    # Apply the changes last, so that a bad hash or a wrong type is what gets stored.
    r = attrs.evolve(r, **changes)
    return (r.position, r.event_id, r.type, r.schema, r.recorded_at, r.data, r.hash)


SQLITE_CORPUS: list[tuple[str, tuple[Any, ...], bool, type[LedgerError], int]] = [
    ("truncated JSON data", _raw(data='{"claim_id": "c'), False, CorruptLog, 2),
    ("data NaN", _raw(data='{"low": NaN}'), False, CorruptLog, 2),
    ("data a JSON array", _raw(data="[1, 2]"), False, CorruptLog, 2),
    ("data missing a field", _raw(data='{"topic": "kursk/x"}'), False, CorruptLog, 2),
    ("an unknown type", _raw(type="TroopsMoved"), False, UnsupportedRecord, 2),
    ("a newer schema", _raw(schema=7), False, UnsupportedRecord, 2),
    ("schema 0", _raw(schema=0), False, CorruptLog, 2),
    ("a 10 MB string", _raw(data=json.dumps({"s": BIG})), False, RecordTooLarge, 2),
    ("schema as text", _raw(schema="one"), True, CorruptLog, 2),
    ("data as an integer", _raw(data=5), True, CorruptLog, 2),
    ("event_id as a blob", _raw(event_id=b"\x00\x01"), True, CorruptLog, 2),
    ("hash as a blob", _raw(hash=b"\x01" * 32), True, CorruptLog, 2),
    ("hash not hex", _raw(hash="zz" * 32), False, CorruptLog, 2),
    ("a missing position", _raw(3), False, CorruptLog, 2),
    ("a repeated key", _raw(data=repeated_key(row(2).data)), False, CorruptLog, 2),
    ("data with spaces", _raw(data=spaced(row(2).data)), False, CorruptLog, 2),
    ("data keys out of order", _raw(data=reversed_keys(row(2).data)), False, CorruptLog, 2),
    ("a negative window", _raw(**with_window('"-PT1S"')), False, CorruptLog, 2),
    ("a window in years", _raw(**with_window('"P1Y"')), False, CorruptLog, 2),
    (
        "a repeated key in a v1 record",
        _raw(**v1_topic(repeated_key(V1_TOPIC))),
        False,
        CorruptLog,
        2,
    ),
]


@pytest.mark.parametrize(
    ("bad", "unchecked", "error", "where"),
    [pytest.param(b, u, e, w, id=name) for name, b, u, e, w in SQLITE_CORPUS],
)
def test_damaged_sqlite_rows_raise_naming_the_position(
    tmp_path: Path, bad: tuple[Any, ...], unchecked: bool, error: type[LedgerError], where: int
) -> None:
    path = _sqlite_with(tmp_path, bad, unchecked=unchecked)
    with pytest.raises(LedgerError) as caught:
        read_all(path)
    assert isinstance(caught.value, error), repr(caught.value)
    assert getattr(caught.value, "position", None) == where
    assert f"position {where}" in str(caught.value)


def test_invalid_utf8_in_a_sqlite_row_raises_naming_the_position(tmp_path: Path) -> None:
    path = _sqlite_with(tmp_path, _raw())
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER events_no_update")  # an outside hand, not the ledger
        conn.execute("UPDATE events SET data = CAST(x'7b22ff227d' AS TEXT) WHERE position = 2")
    finally:
        conn.close()
    with pytest.raises(CorruptLog) as caught:
        read_all(path)
    assert caught.value.position == 2
    assert "UTF-8" in str(caught.value)


def test_sqlite_refuses_to_update_or_delete_stored_rows(tmp_path: Path) -> None:
    path = str(tmp_path / "log.db")
    with Ledger.open(path) as lg:
        lg.append(EVENTS[0])
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in ("UPDATE events SET type = 'x'", "DELETE FROM events"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
    finally:
        conn.close()


# -- fuzzing --------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["2024-08-06T00:00:00Z", "kursk/casualties", "src/a", "affirms"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=16,
)
TYPES = [
    "ClaimMade",
    "FigureReported",
    "ClaimDisputed",
    "ClaimRetracted",
    "TopicDefined",
    "SourceDescribed",
    "Unknown",
    "",
]


@st.composite
def data_texts(draw: st.DrawFn) -> str:
    """Arbitrary JSON, or a real event's data with one field set to an arbitrary value."""
    if draw(st.booleans()):
        return json.dumps(draw(json_values))  # NaN and Infinity included
    base = orjson.loads(draw(st.sampled_from([*map(CODEC.event_data, EVENTS), V1_TOPIC])))
    key = draw(st.sampled_from([*base, "extra"]))
    return json.dumps({**base, key: draw(json_values)})


@given(
    position=st.integers(1, 2**63),
    event_id=st.text(max_size=40),
    type_=st.sampled_from(TYPES) | st.text(max_size=20),
    schema=st.integers(-3, 4),
    recorded_at=st.sampled_from(["2025-01-13T09:00:00Z", "2025-01-13"]) | st.text(max_size=30),
    data=data_texts(),
    hash_=st.sampled_from(["00" * 32]) | st.text(max_size=70),
)
def test_the_record_decoder_raises_only_ledger_errors(
    position: int,
    event_id: str,
    type_: str,
    schema: int,
    recorded_at: str,
    data: str,
    hash_: str,
) -> None:
    stored = StoredRow(position, event_id, type_, schema, recorded_at, data, hash_)
    with contextlib.suppress(LedgerError):
        CODEC.decode(stored)


_files = count()


@given(
    record=st.dictionaries(
        st.sampled_from(["position", "event_id", "type", "schema", "recorded_at", "data", "hash"])
        | st.text(max_size=8),
        json_values,
    )
    | json_values,
    keep=st.booleans(),
)
def test_any_json_line_opens_or_raises_only_ledger_errors(
    tmp_path_factory: pytest.TempPathFactory, record: Any, keep: bool
) -> None:
    path = tmp_path_factory.getbasetemp() / f"fuzz{next(_files)}.jsonl"
    if keep and isinstance(record, dict):
        # Mostly valid records, so the fuzz reaches the deeper checks.
        record = {**orjson.loads(line(1)), **record}
    path.write_bytes(json.dumps(record).encode() + b"\n")
    with contextlib.suppress(LedgerError):
        read_all(str(path))


@given(raw=st.binary(max_size=300))
def test_any_bytes_open_or_raise_only_ledger_errors(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    path = tmp_path_factory.getbasetemp() / f"bytes{next(_files)}.jsonl"
    path.write_bytes(line(1) + b"\n" + raw)
    with contextlib.suppress(LedgerError):
        read_all(str(path))
