"""The codec round trip (DESIGN.md §3) for every event type over generated valid events.

Events are compared with the type of every number spelled out as well as by
``==``: ``3 == 3.0`` in Python, and the round trip must keep ints ints.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone

import attrs
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import ClaimMade, Figure, FigureReported, Ledger, SourceDescribed, TopicDefined
from ledger.codec import StoredRow, format_timestamp, make_codec, parse_timestamp
from ledger.domain.events import Event
from tests.property.strategies import EVENT_STRATEGIES, figures, numbers, timestamps

CODEC = make_codec()


def typed(value: object) -> object:
    """A value with the type of every number spelled out, fold aside (it means nothing in UTC)."""
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return (type(value), tuple(typed(getattr(value, f.name)) for f in fields))
    if isinstance(value, tuple):
        return tuple(typed(v) for v in value)
    if isinstance(value, datetime):
        return (datetime, value.replace(fold=0), value.utcoffset())
    return (type(value), value)


def same(a: object, b: object) -> bool:
    return a == b and typed(a) == typed(b)


@pytest.mark.parametrize("tag", sorted(EVENT_STRATEGIES))
@given(data=st.data(), position=st.integers(1, 2**40), recorded_at=timestamps)
def test_every_event_type_survives_encode_and_decode(
    tag: str, data: st.DataObject, position: int, recorded_at: datetime
) -> None:
    event: Event = data.draw(EVENT_STRATEGIES[tag])
    row = CODEC.encode(position, event, recorded_at)
    record = CODEC.decode(row)
    assert row.type == tag
    assert same(record.event, event)
    assert (record.position, record.event_id) == (position, event.event_id)
    assert record.recorded_at == recorded_at
    assert record.recorded_at.tzinfo is UTC


@pytest.mark.parametrize("tag", sorted(EVENT_STRATEGIES))
@given(data=st.data(), recorded_at=timestamps)
def test_every_event_type_survives_a_json_line_and_its_hash_is_the_leaf_hash(
    tag: str, data: st.DataObject, recorded_at: datetime
) -> None:
    event: Event = data.draw(EVENT_STRATEGIES[tag])
    line = CODEC.encode(7, event, recorded_at).to_line()
    wire = orjson.loads(line)
    assert list(wire) == ["position", "event_id", "type", "schema", "recorded_at", "data", "hash"]
    row = StoredRow(
        wire["position"],
        wire["event_id"],
        wire["type"],
        wire["schema"],
        wire["recorded_at"],
        orjson.dumps(wire["data"], option=orjson.OPT_SORT_KEYS).decode(),
        wire["hash"],
    )
    assert same(CODEC.decode(row).event, event)
    # The leaf: the canonical JSON of the record without its hash.
    leaf = orjson.dumps({k: v for k, v in wire.items() if k != "hash"}, option=orjson.OPT_SORT_KEYS)
    assert row.leaf_bytes() == leaf
    assert wire["hash"] == hashlib.sha256(b"\x00" + leaf).hexdigest()


@given(figure=figures(numbers))
def test_figures_keep_ints_ints_floats_floats_and_unbounded_ends(figure: Figure) -> None:
    event = FigureReported(
        claim_id="c",
        topic="t",
        source="s",
        figure=figure,
        stated_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    back = CODEC.decode(CODEC.encode(1, event, datetime(2024, 1, 2, tzinfo=UTC))).event
    assert isinstance(back, FigureReported)
    for name in ("low", "high", "best"):
        assert type(getattr(back.figure, name)) is type(getattr(figure, name))
    assert same(back.figure, figure)


@given(when=timestamps)
def test_any_offset_is_normalised_to_utc_and_keeps_its_microseconds(when: datetime) -> None:
    event = ClaimMade(claim_id="c", topic="t", source="s", statement="x", stated_at=when)
    back = CODEC.decode(CODEC.encode(1, event, when)).event
    assert back.stated_at == when
    assert back.stated_at.tzinfo is UTC
    assert back.stated_at.microsecond == when.astimezone(UTC).microsecond


@given(when=timestamps)
def test_timestamps_format_as_utc_with_a_z_and_parse_back(when: datetime) -> None:
    text = format_timestamp(when)
    assert text.endswith("Z")
    assert parse_timestamp(text) == when
    assert ("." in text) == (when.microsecond != 0)


@given(
    data=st.data(),
    offset=st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m)),
)
def test_a_ledger_gives_back_every_event_it_stored(data: st.DataObject, offset: timedelta) -> None:
    # Only events that pass validation on an empty ledger: no disputes or retractions.
    kinds = ["ClaimMade", "TopicDefined", "SourceDescribed"]
    event: Event = data.draw(st.one_of(*(EVENT_STRATEGIES[k] for k in kinds)))
    lg = Ledger.open("memory://", clock=lambda: datetime(2025, 1, 13, tzinfo=UTC) + offset)
    lg.append(event)
    (record,) = lg.records()
    assert same(record.event, event)


NEPAL = timezone(timedelta(hours=5, minutes=45))
EDGE_EVENTS: list[Event] = [
    FigureReported(
        claim_id="c/1",
        topic="kursk/troops",
        source="gov/ua",
        figure=Figure(3000, 3500.0, best=3000.5, unit="soldiers", phrase="more than 3,000"),
        stated_at=datetime(2024, 8, 6, 9, 30, 0, 1, tzinfo=NEPAL),
        as_of=date(2024, 8, 1),
        via=("media/tass", "media/reuters"),
        quote="«Более 3000» — “quoted” 𝔘\u2028\x00",
    ),
    FigureReported(
        claim_id="c/2",
        topic="t",
        source="s",
        figure=Figure(None, 2.0**-1074, high_open=True, unit="ħ"),
        stated_at=datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ),
    FigureReported(
        claim_id="c/3",
        topic="t",
        source="s",
        figure=Figure(-(2**63), 2**63 - 1, True, True, unit="u"),
        stated_at=datetime(1, 1, 1, tzinfo=UTC),
    ),
    FigureReported(
        claim_id="c/4",
        topic="t",
        source="s",
        figure=Figure(-0.0, 1.7976931348623157e308, best=0, unit="u"),
        stated_at=date(2024, 2, 29),
    ),
    TopicDefined(topic="t", title="Ω", unit=None, parts=("a", "b/c")),
    SourceDescribed(source="s", name="名前", kind="ngo", affiliation="un/ocha", reliability="A"),
]


@pytest.mark.parametrize("event", EDGE_EVENTS, ids=lambda e: type(e).__name__)
def test_edge_values_survive_the_codec_exactly(event: Event) -> None:
    back = CODEC.decode(CODEC.encode(1, event, datetime(2025, 1, 13, tzinfo=NEPAL))).event
    assert same(back, event)
