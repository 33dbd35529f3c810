"""Schema evolution: stored v1 records read back as v2 events, their bytes untouched.

SourceDescribed gained ``reliability`` in schema 2; schema 1 records are
upcast on read (reliability "F", "cannot be judged"). TopicDefined gained
``window`` in schema 2; schema 1 records are upcast to no window. The v1 rows
are written straight to each durable store, as an older version of the code
wrote them.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from ledger import CorruptLog, Ledger, SourceDescribed, TopicDefined, UnsupportedRecord
from ledger.codec import StoredRow
from ledger.stores import open_store
from ledger.stores.base import Store

V1_DATA = orjson.dumps(
    {"affiliation": None, "kind": "media", "name": "Meduza", "source": "meduza"},
    option=orjson.OPT_SORT_KEYS,
).decode()


V1_TOPIC = orjson.dumps(
    {
        "description": "Deaths in the Kursk incursion",
        "parts": ["kursk/killed-mil", "kursk/killed-civ"],
        "title": "Kursk deaths",
        "topic": "kursk/killed",
        "unit": "people",
    },
    option=orjson.OPT_SORT_KEYS,
).decode()


def v1_row(
    position: int = 1,
    *,
    schema: int = 1,
    data: str = V1_DATA,
    kind: str = "SourceDescribed",
    event_id: str = "v1-meduza",
) -> StoredRow:
    """A record as schema 1 stored it (by default SourceDescribed: no reliability field)."""
    when = "2023-05-01T12:00:00Z"
    row = StoredRow(position, event_id, kind, schema, when, data, "")
    digest = hashlib.sha256(b"\x00" + row.leaf_bytes()).hexdigest()
    return StoredRow(position, row.event_id, row.type, schema, when, data, digest)


def adding(data: str, **fields: object) -> str:
    """Canonical data with fields added."""
    return orjson.dumps({**orjson.loads(data), **fields}, option=orjson.OPT_SORT_KEYS).decode()


def v1_topic(position: int = 1, data: str = V1_TOPIC) -> StoredRow:
    """A TopicDefined record as schema 1 stored it: no window field."""
    return v1_row(position, data=data, kind="TopicDefined", event_id="v1-kursk")


@pytest.fixture(params=["jsonl", "sqlite", "postgresql"])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty durable store."""
    if request.param == "jsonl":
        yield str(tmp_path / "evolution.jsonl")
    elif request.param == "sqlite":
        yield str(tmp_path / "evolution.db")
    else:
        base = request.getfixturevalue("postgres_url")
        name = f"evolution{uuid.uuid4().hex[:12]}"
        yield f"{base}{'&' if '?' in base else '?'}ledger={name}"


def stored_bytes(url: str) -> object:
    """The record as the medium holds it, read around the store."""
    if url.endswith(".jsonl"):
        return Path(url).read_bytes().split(b"\n")[0]
    if url.endswith(".db"):
        conn = sqlite3.connect(url)
        try:
            return conn.execute("SELECT * FROM events WHERE position = 1").fetchone()
        finally:
            conn.close()
    with open_store(url) as store:
        return next(store.read())


def read_all(url: str) -> None:
    """Open a ledger and read every record, closing the store whatever happens."""
    store = open_store(url)
    try:
        list(Ledger(store).records())
    finally:
        store.close()


def write_raw(url: str, rows: list[StoredRow]) -> None:
    store: Store = open_store(url)
    try:
        store.write(rows, 0)
    finally:
        store.close()


def test_a_v1_source_reads_back_as_a_v2_event(durable_url: str) -> None:
    stored = v1_row()
    write_raw(durable_url, [stored])
    before = stored_bytes(durable_url)

    with Ledger.open(durable_url) as lg:
        (record,) = list(lg.records())
        assert record.event == SourceDescribed(
            source="meduza", name="Meduza", kind="media", reliability="F", event_id="v1-meduza"
        )
        assert lg.source("meduza") == record.event
        # The hash still covers the stored bytes, which say schema 1.
        (row,) = list(lg.rows())
        assert row == stored
        assert row.schema == 1
        assert record.hash == hashlib.sha256(b"\x00" + row.leaf_bytes()).digest()
        assert record.hash == bytes.fromhex(stored.hash)
        assert lg.store.tree().root() == record.hash  # a one-leaf tree's root is the leaf
        # Re-appending the upcast event is idempotent: same event_id, same meaning.
        assert lg.append(record.event) == record
        assert lg.head == 1
        newer = lg.append(SourceDescribed(source="meduza", name="Meduza", reliability="B"))
        assert newer.position == 2

    with Ledger.open(durable_url) as lg:
        rows = list(lg.rows())
        assert [r.schema for r in rows] == [1, 2]
        assert rows[0] == stored
        assert lg.source("meduza").reliability == "B"  # type: ignore[union-attr]
    assert stored_bytes(durable_url) == before, "the v1 record was rewritten"


def test_a_schema_newer_than_the_code_is_refused_naming_the_position(durable_url: str) -> None:
    write_raw(durable_url, [v1_row(schema=3)])
    with pytest.raises(UnsupportedRecord) as caught:
        read_all(durable_url)
    assert caught.value.position == 1
    assert "schema 3" in str(caught.value)
    assert "position 1" in str(caught.value)


def test_an_unknown_type_is_refused_naming_the_position(durable_url: str) -> None:
    row = v1_row()
    unknown = StoredRow(1, row.event_id, "TroopsMoved", 1, row.recorded_at, row.data, row.hash)
    write_raw(durable_url, [unknown])
    with pytest.raises(UnsupportedRecord) as caught:
        read_all(durable_url)
    assert caught.value.position == 1
    assert "TroopsMoved" in str(caught.value)


def test_the_v1_record_keeps_its_recorded_at(durable_url: str) -> None:
    write_raw(durable_url, [v1_row()])
    with Ledger.open(durable_url) as lg:
        assert next(lg.records()).recorded_at == datetime(2023, 5, 1, 12, tzinfo=UTC)


def test_a_v1_topic_reads_back_with_no_window_its_bytes_untouched(durable_url: str) -> None:
    stored = v1_topic()
    write_raw(durable_url, [stored])
    before = stored_bytes(durable_url)
    expected = TopicDefined(
        topic="kursk/killed",
        title="Kursk deaths",
        unit="people",
        parts=("kursk/killed-mil", "kursk/killed-civ"),
        description="Deaths in the Kursk incursion",
        event_id="v1-kursk",
    )

    with Ledger.open(durable_url) as lg:
        (record,) = list(lg.records())
        assert record.event == expected
        assert record.event.window is None  # type: ignore[union-attr]
        (row,) = list(lg.rows())
        assert row == stored
        assert record.hash == hashlib.sha256(b"\x00" + row.leaf_bytes()).digest()
        assert record.hash == bytes.fromhex(stored.hash)
        assert lg.verify().ok
        # Re-appending the upcast event is idempotent: same event_id, same meaning.
        assert lg.append(record.event) == record
        assert lg.head == 1
        windowed = lg.append(
            TopicDefined(
                topic="kursk/killed",
                title="Kursk deaths",
                unit="people",
                parts=expected.parts,
                window=timedelta(days=3),
            )
        )
        assert windowed.position == 2

    with Ledger.open(durable_url) as lg:
        rows = list(lg.rows())
        assert [r.schema for r in rows] == [1, 2]
        assert rows[0] == stored
        assert '"window":"P3D"' in rows[1].data
        assert lg.topic("kursk/killed").window == timedelta(days=3)
        assert lg.verify().ok
    assert stored_bytes(durable_url) == before, "the v1 record was rewritten"


@pytest.mark.parametrize(
    ("stored", "field"),
    [
        (v1_topic(data=adding(V1_TOPIC, window="P3D")), "window"),
        (v1_row(data=adding(V1_DATA, reliability="A")), "reliability"),
    ],
    ids=["TopicDefined", "SourceDescribed"],
)
def test_a_v1_record_holding_a_field_of_a_later_schema_is_corrupt(
    durable_url: str, stored: StoredRow, field: str
) -> None:
    # The upcaster would otherwise overwrite the value silently.
    write_raw(durable_url, [stored])
    with pytest.raises(CorruptLog) as caught:
        read_all(durable_url)
    assert caught.value.position == 1
    assert f"{field!r} did not exist" in str(caught.value)
