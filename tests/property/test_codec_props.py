"""The codec round trip (DESIGN.md §3) for every event type over generated valid events.

Events are compared with the type of every number spelled out as well as by
``==``: ``3 == 3.0`` in Python, and the round trip must keep ints ints.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import (
    ClaimMade,
    CorruptLog,
    Figure,
    FigureReported,
    InvalidEvent,
    Ledger,
    SourceDescribed,
    TopicDefined,
)
from ledger.codec import RowValues, StoredRow, format_timestamp, make_codec, parse_timestamp
from ledger.codec.fast import fast_timestamp
from ledger.domain.durations import format_duration, parse_duration, parse_window
from ledger.domain.events import Event, to_timestamp
from ledger.merkle import leaf_hash
from ledger.testing.strategies import (
    EVENT_STRATEGIES,
    figures,
    numbers,
    timestamps,
    topics_defined,
)

CODEC = make_codec()
BASE = datetime(2025, 1, 13, tzinfo=UTC)
#: Every event type, TopicDefined with and without a freshness window.
ALL_EVENTS: dict[str, st.SearchStrategy[Any]] = {
    **EVENT_STRATEGIES,
    "TopicDefined": st.builds(
        lambda topic, window: attrs.evolve(topic, window=window),
        topics_defined(),
        st.none() | st.timedeltas(min_value=timedelta(0)),
    ),
}
events: st.SearchStrategy[Event] = st.one_of(*ALL_EVENTS.values())
#: Schema-1 records, as older versions of the code wrote them.
V1_TOPIC = '{"description":null,"parts":[],"title":"Kursk","topic":"kursk","unit":"people"}'
V1_SOURCE = '{"affiliation":null,"kind":"media","name":"Meduza","source":"meduza"}'


def rehash(row: StoredRow) -> StoredRow:
    """The row with the hash of its own leaf bytes, so only the fault under test remains."""
    return attrs.evolve(row, hash=leaf_hash(row.leaf_bytes()).hex())


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


@pytest.mark.parametrize("tag", sorted(ALL_EVENTS))
@given(data=st.data(), position=st.integers(1, 2**40), recorded_at=timestamps)
def test_every_event_type_survives_encode_and_decode(
    tag: str, data: st.DataObject, position: int, recorded_at: datetime
) -> None:
    event: Event = data.draw(ALL_EVENTS[tag])
    row = CODEC.encode(position, event, recorded_at)
    record = CODEC.decode(row)
    assert row.type == tag
    assert same(record.event, event)
    assert (record.position, record.event_id) == (position, event.event_id)
    assert record.recorded_at == recorded_at
    assert record.recorded_at.tzinfo is UTC


@pytest.mark.parametrize("tag", sorted(ALL_EVENTS))
@given(data=st.data(), recorded_at=timestamps)
def test_every_event_type_survives_a_json_line_and_its_hash_is_the_leaf_hash(
    tag: str, data: st.DataObject, recorded_at: datetime
) -> None:
    event: Event = data.draw(ALL_EVENTS[tag])
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


@pytest.mark.parametrize("text", ["", "2025-01-13T09:00:00", "yesterday", None, 5])
def test_a_recorded_at_that_is_not_a_utc_timestamp_text_never_decodes(text: object) -> None:
    # Whatever the fast path read before: it remembers the last timestamp it read.
    good = CODEC.encode(
        4, ClaimMade(claim_id="c", topic="t", source="s", statement="x", stated_at=BASE), BASE
    )
    assert CODEC.decode(good).recorded_at == BASE
    assert fast_timestamp(text) is None
    with pytest.raises(CorruptLog) as caught:
        CODEC.decode(attrs.evolve(good, recorded_at=text))
    assert caught.value.position == 4


def test_a_fresh_process_reads_no_timestamp_from_an_empty_text() -> None:
    # The fast path remembers the last timestamp it read; before the first, nothing.
    script = (
        "from ledger.codec import make_codec\n"
        "from ledger.codec.fast import fast_timestamp\n"
        "assert fast_timestamp('') is None\n"
        "row = (1, 'e', 'ClaimRetracted', 1, '',"
        ' \'{"reason":null,"source":"s","stated_at":"2025-01-13T00:00:00Z","target":"t"}\','
        " '00' * 32)\n"
        "try:\n"
        "    make_codec().decode_values(row)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "CorruptLog"


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
    event: Event = data.draw(st.one_of(*(ALL_EVENTS[k] for k in kinds)))
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
    TopicDefined(topic="t", title="T", unit="u", window=timedelta.max),
    TopicDefined(topic="t", title="T", unit="u", window=timedelta(0)),
    TopicDefined(topic="t", title="T", unit="u", window=timedelta(days=1, microseconds=1)),
    SourceDescribed(source="s", name="名前", kind="ngo", affiliation="un/ocha", reliability="A"),
]


@pytest.mark.parametrize("event", EDGE_EVENTS, ids=lambda e: type(e).__name__)
def test_edge_values_survive_the_codec_exactly(event: Event) -> None:
    back = CODEC.decode(CODEC.encode(1, event, datetime(2025, 1, 13, tzinfo=NEPAL))).event
    assert same(back, event)


# -- TopicDefined.window: ISO 8601 durations on the wire ---------------------------

windows = st.timedeltas(min_value=timedelta(0))
CANONICAL_DURATION = re.compile(
    r"P(?:[1-9][0-9]*D)?(?:T(?:(?:[1-9]|1[0-9]|2[0-3])H)?(?:[1-9]|[1-5][0-9])?M?"
    r"(?:(?:0|[1-9][0-9]?)(?:\.[0-9]*[1-9])?S)?)?"
)


@given(topic=topics_defined(), window=st.none() | windows, recorded_at=timestamps)
def test_a_topic_keeps_its_window_through_the_codec(
    topic: TopicDefined, window: timedelta | None, recorded_at: datetime
) -> None:
    event = attrs.evolve(topic, window=window)
    row = CODEC.encode(3, event, recorded_at)
    assert row.schema == 2
    stored = orjson.loads(row.data)["window"]
    assert stored == (None if window is None else format_duration(window))
    assert same(CODEC.decode(row).event, event)


@given(window=windows)
def test_a_duration_is_written_in_one_canonical_form_that_reads_back(window: timedelta) -> None:
    text = format_duration(window)
    assert parse_duration(text) == window
    assert re.fullmatch(r"P(?:[0-9]+D)?(?:T(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9.]+S)?)?", text)
    assert text not in ("P", "PT")
    assert not text.endswith("T")
    days, rest = text[1:].partition("T")[0], text.partition("T")[2]
    assert ("D" in days) == (window.days > 0)
    # Each unit below its carry (no 24H, 60M or 60S), and no zero parts but PT0S.
    for number, unit in re.findall(r"([0-9.]+)([HMS])", rest):
        assert float(number) < {"H": 24, "M": 60, "S": 60}[unit]
        assert float(number) > 0 or text == "PT0S"
    assert not re.search(r"\.[0-9]*0S", text)


@pytest.mark.parametrize(
    ("window", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(days=3), "P3D"),
        (timedelta(hours=12), "PT12H"),
        (timedelta(days=1, hours=6), "P1DT6H"),
        (timedelta(minutes=90), "PT1H30M"),
        (timedelta(seconds=1.5), "PT1.5S"),
        (timedelta(microseconds=1), "PT0.000001S"),
        (timedelta.max, "P999999999DT23H59M59.999999S"),
    ],
)
def test_the_canonical_duration_forms(window: timedelta, text: str) -> None:
    assert format_duration(window) == text
    assert parse_duration(text) == window


@given(
    weeks=st.integers(0, 1000),
    days=st.integers(0, 10_000),
    hours=st.integers(0, 100),
    minutes=st.integers(0, 10_000),
    seconds=st.integers(0, 10**6),
    micros=st.integers(0, 999_999),
)
def test_any_fixed_length_iso_duration_reads_as_its_length(
    weeks: int, days: int, hours: int, minutes: int, seconds: int, micros: int
) -> None:
    fraction = f".{micros:06d}" if micros else ""
    text = f"P{days}DT{hours}H{minutes}M{seconds}{fraction}S"
    expected = timedelta(
        days=days, hours=hours, minutes=minutes, seconds=seconds, microseconds=micros
    )
    assert parse_duration(text) == expected
    assert parse_duration(f"P{weeks}W") == timedelta(weeks=weeks)
    # A non-canonical text reads as the same window, and the codec writes it canonically.
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "P1Y",
        "P2M",
        "P1Y2M3D",
        "-P1D",
        "P-1D",
        "PT-5S",
        "P",
        "PT",
        "P1DT",
        "PT1.5H",
        "P0.5D",
        "p3d",
        " P3D",
        "P3D ",
        "3d",
        "PT0.1234567S",
        "P1W2D",
        "P1000000000D",
        "P٣D",
        "",
    ],
)
def test_a_duration_of_no_fixed_length_or_malformed_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_duration(text)


@given(
    parts=st.lists(
        st.tuples(st.integers(0, 999), st.sampled_from("wdhms")),
        min_size=1,
        max_size=5,
        unique_by=lambda p: p[1],
    ).map(lambda ps: sorted(ps, key=lambda p: "wdhms".index(p[1]))),
    upper=st.booleans(),
    spaced=st.booleans(),
)
def test_a_window_as_people_type_it_is_the_sum_of_its_parts(
    parts: list[tuple[int, str]], upper: bool, spaced: bool
) -> None:
    text = (" " if spaced else "").join(f"{n}{u.upper() if upper else u}" for n, u in parts)
    unit = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    expected = sum((timedelta(**{unit[u]: n}) for n, u in parts), timedelta(0))
    assert parse_window(text) == expected
    assert parse_window(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["", "3", "three days", "1.5h", "3mo", "-3d", "P1M", "1d-2h", "d"])
def test_a_window_people_cannot_have_meant_is_an_invalid_event_naming_window(text: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_window(text)
    assert caught.value.field == "window"


def test_a_window_that_is_not_text_is_an_invalid_event_naming_window() -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_window(3)  # type: ignore[arg-type]
    assert caught.value.field == "window"


@pytest.mark.parametrize(
    "window", ['"P1Y"', '"-P1D"', '"PT"', '"3d"', '"P1DT24"', "3", "true", "[]", '"P1000000000D"']
)
def test_a_malformed_or_negative_stored_window_is_a_corrupt_log_naming_the_position(
    window: str,
) -> None:
    good = CODEC.encode(9, TopicDefined(topic="t", title="T"), datetime(2025, 1, 1, tzinfo=UTC))
    data = good.data.replace('"window":null', f'"window":{window}')
    bad = attrs.evolve(good, data=orjson.dumps(orjson.loads(data), option=SORTED).decode())
    with pytest.raises(CorruptLog) as caught:
        CODEC.decode(bad)
    assert caught.value.position == 9
    assert "window" in str(caught.value)
    with pytest.raises(CorruptLog):
        CODEC.decode_values(values_of(bad))


# -- data must be the canonical JSON of its content -------------------------------

SORTED = orjson.OPT_SORT_KEYS


def values_of(row: StoredRow) -> RowValues:
    return (row.position, row.event_id, row.type, row.schema, row.recorded_at, row.data, row.hash)


def assert_refused(row: StoredRow) -> None:
    """Every decode path raises CorruptLog naming the row's position and the form."""
    for decode in (CODEC.decode, CODEC.decode_event):
        with pytest.raises(CorruptLog, match="data is not in canonical form") as caught:
            decode(row)
        assert caught.value.position == row.position
        assert f"position {row.position}" in str(caught.value)
    with pytest.raises(CorruptLog, match="data is not in canonical form"):
        CODEC.decode_values(values_of(row))


def reordered(value: Any) -> Any:
    """The same JSON value with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


@st.composite
def old_and_new_rows(draw: st.DrawFn) -> StoredRow:
    """A stored row of any event type at its current schema, or a schema-1 record."""
    if draw(st.booleans()):
        event = draw(events)
        return CODEC.encode(draw(st.integers(1, 2**40)), event, BASE)
    data = draw(st.sampled_from([V1_TOPIC, V1_SOURCE]))
    tag = "TopicDefined" if "title" in data else "SourceDescribed"
    return rehash(
        StoredRow(draw(st.integers(1, 99)), "v1", tag, 1, "2023-05-01T12:00:00Z", data, "")
    )


@given(row=old_and_new_rows(), data=st.data())
def test_a_repeated_key_is_refused_on_every_path(row: StoredRow, data: st.DataObject) -> None:
    fields = orjson.loads(row.data)
    key = data.draw(st.sampled_from(sorted(fields)))
    # The repetition first: orjson keeps the last value, which is the valid one.
    value = data.draw(st.none() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=3))
    repeat = orjson.dumps({key: value})
    assert_refused(rehash(attrs.evolve(row, data="{" + repeat.decode()[1:-1] + "," + row.data[1:])))
    # Inside the figure too.
    figure = fields.get("figure")
    if isinstance(figure, dict):
        text = row.data.replace('"figure":{', '"figure":{"low":null,', 1)
        assert_refused(rehash(attrs.evolve(row, data=text)))


@given(row=old_and_new_rows(), data=st.data())
def test_data_in_another_layout_is_refused_on_every_path(
    row: StoredRow, data: st.DataObject
) -> None:
    fields = orjson.loads(row.data)
    layouts = [
        json.dumps(fields, ensure_ascii=False),  # spaces after , and :
        json.dumps(fields, ensure_ascii=False, indent=data.draw(st.integers(0, 2))),
        json.dumps(fields, separators=(",", ":")).replace('":', '" :', 1),
        " " + row.data,
        row.data + "\n",
    ]
    if len(fields) > 1:
        layouts.append(orjson.dumps(reordered(fields)).decode())
    key = data.draw(st.sampled_from(sorted(fields)))
    # An escape where a plain character is canonical.
    layouts.append(row.data.replace(f'"{key}":', f'"\\u{ord(key[0]):04x}{key[1:]}":', 1))
    text = data.draw(st.sampled_from(layouts))
    assert orjson.loads(text) == fields
    assert_refused(rehash(attrs.evolve(row, data=text)))


@given(row=old_and_new_rows(), data=st.data())
def test_data_decodes_exactly_when_it_is_its_own_canonical_encoding(
    row: StoredRow, data: st.DataObject
) -> None:
    fields = orjson.loads(row.data)
    text = json.dumps(
        data.draw(st.sampled_from([fields, reordered(fields)])),
        ensure_ascii=data.draw(st.booleans()),
        separators=data.draw(st.sampled_from([(",", ":"), (", ", ":"), (",", ": ")])),
    )
    stored = rehash(attrs.evolve(row, data=text))
    if text.encode() == orjson.dumps(orjson.loads(text), option=SORTED):
        assert CODEC.decode(stored).event == CODEC.decode(row).event
    else:
        assert_refused(stored)


# -- timestamps at the ends of the calendar ------------------------------------------


@given(
    when=st.sampled_from(
        [
            "0001-01-01T00:00:00",
            "0001-01-01T13:59:59.999999",
            "9999-12-31T23:00:00",
            "9999-12-31T10:00:01",
        ]
    ),
    minutes=st.integers(-14 * 60 + 1, 14 * 60 - 1).filter(bool),
)
def test_a_timestamp_whose_instant_leaves_the_calendar_in_utc_is_a_value_error(
    when: str, minutes: int
) -> None:
    sign, size = ("+" if minutes > 0 else "-"), abs(minutes)
    text = f"{when}{sign}{size // 60:02d}:{size % 60:02d}"
    try:
        instant = datetime.fromisoformat(when) - timedelta(minutes=minutes)
    except OverflowError:
        with pytest.raises(ValueError, match="out of range"):
            parse_timestamp(text)
        return
    value = parse_timestamp(text)
    assert value.tzinfo is UTC
    assert value == instant.replace(tzinfo=UTC)


@pytest.mark.parametrize("text", ["9999-12-31T23:00:00-14:00", "0001-01-01T00:00:00+14:00"])
def test_the_calendar_s_ends_with_an_offset_are_out_of_range(text: str) -> None:
    with pytest.raises(ValueError, match="out of range"):
        parse_timestamp(text)
    with pytest.raises(ValueError, match="out of range"):
        to_timestamp(datetime.fromisoformat(text))


def spelled(x: float) -> str:
    """A float as the canonical JSON spells it (docs/storage.md, "Byte for byte").

    The shortest digits that read back as the same float, as ``repr`` gives
    them; plain decimals from 1e-5 up to 1e16 (``repr`` switches to an
    exponent below 1e-4), an exponent with its sign and no leading zero
    outside that range.
    """
    text = repr(x)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    if 1e-5 <= abs(x) < 1e-4:
        digits = mantissa.lstrip("-").replace(".", "")
        return f"{'-' if x < 0 else ''}0.{'0' * (-int(exponent) - 1)}{digits}"
    return f"{mantissa}e{exponent[0]}{exponent[1:].lstrip('0')}"


@given(x=st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_is_spelled_as_the_storage_doc_says(x: float) -> None:
    lg = Ledger.open("memory://")
    lg.append(
        FigureReported(
            claim_id="c",
            topic="t",
            source="s",
            figure=Figure(x, x, unit="u"),
            stated_at=date(2025, 1, 1),
        )
    )
    (row,) = lg.rows(0)
    assert f'"low":{spelled(x)},' in row.data


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (2.5, "2.5"),
        (3.0, "3.0"),
        (-0.0, "-0.0"),
        (0.0001, "0.0001"),
        (2.5e-05, "0.000025"),
        (1e-05, "0.00001"),
        (9.9e-06, "9.9e-6"),
        (1e-07, "1e-7"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e+16"),
        (1.5e300, "1.5e+300"),
        (5e-324, "5e-324"),
    ],
)
def test_the_documented_float_spellings(x: float, text: str) -> None:
    assert spelled(x) == text
    assert orjson.dumps(x).decode() == text


@given(quote=st.text(max_size=40))
def test_a_string_is_spelled_as_python_s_json_without_ascii_escapes(quote: str) -> None:
    lg = Ledger.open("memory://")
    try:
        lg.append(
            ClaimMade(
                claim_id="c",
                topic="t",
                source="s",
                statement="x",
                quote=quote,
                stated_at=date(2025, 1, 1),
            )
        )
    except InvalidEvent:
        return  # text the events refuse (NUL, say) is never stored
    (row,) = lg.rows(0)
    assert f'"quote":{json.dumps(quote, ensure_ascii=False)},' in row.data
