"""The six events (DESIGN.md §2): defaults, slugs, timestamps and every malformed field."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any

import attrs
import pytest

from ledger import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Figure,
    FigureReported,
    InvalidEvent,
    InvalidFigure,
    Ledger,
    SourceDescribed,
    TopicDefined,
)
from ledger.domain.durations import parse_window
from ledger.events import to_timestamp

WHEN = datetime(2024, 1, 1, 12, tzinfo=UTC)
FIGURE = Figure(1, 2, unit="people")

GOOD: dict[type[Any], dict[str, Any]] = {
    ClaimMade: {
        "claim_id": "c1",
        "topic": "kursk/troops",
        "source": "gov/ua",
        "statement": "Troops are in Kursk.",
        "stated_at": WHEN,
    },
    FigureReported: {
        "claim_id": "c1",
        "topic": "kursk/troops",
        "source": "gov/ua",
        "figure": FIGURE,
        "stated_at": WHEN,
    },
    ClaimDisputed: {"target": "c1", "source": "gov/ru", "stated_at": WHEN},
    ClaimRetracted: {"target": "c1", "source": "gov/ua", "stated_at": WHEN},
    TopicDefined: {"topic": "kursk/troops", "title": "Troops"},
    SourceDescribed: {"source": "gov/ua", "name": "Government of Ukraine"},
}


def make(cls: type[Any], **changes: Any) -> Any:
    return cls(**{**GOOD[cls], **changes})


@pytest.mark.parametrize("cls", list(GOOD))
def test_every_event_gets_a_fresh_uuid4_hex_event_id(cls: type[Any]) -> None:
    first, second = make(cls), make(cls)
    assert re.fullmatch(r"[0-9a-f]{32}", first.event_id)
    assert first.event_id != second.event_id


@pytest.mark.parametrize("cls", list(GOOD))
def test_every_event_is_a_frozen_keyword_only_value(cls: type[Any]) -> None:
    event = make(cls, event_id="e1")
    assert event == make(cls, event_id="e1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.event_id = "e2"
    with pytest.raises(TypeError):
        cls(*GOOD[cls].values())


def test_a_claim_defaults_to_affirming_its_own_claim_id_as_proposition() -> None:
    claim = make(ClaimMade)
    assert claim.proposition == "c1"
    assert claim.stance == "affirms"
    assert claim.via == ()
    assert (claim.quote, claim.url) == (None, None)


def test_a_figure_describes_the_time_it_was_stated_unless_told() -> None:
    assert make(FigureReported).as_of == WHEN
    earlier = datetime(2023, 12, 1, tzinfo=UTC)
    assert make(FigureReported, as_of=earlier).as_of == earlier


def test_a_source_cannot_be_judged_until_graded() -> None:
    source = make(SourceDescribed)
    assert source.reliability == "F"
    assert source.affiliation is None


def test_a_topic_without_parts_is_not_composite_and_may_have_no_unit() -> None:
    topic = make(TopicDefined)
    assert topic.parts == ()
    assert topic.unit is None


def test_a_bare_date_means_midnight_utc() -> None:
    claim = make(ClaimMade, stated_at=date(2024, 8, 6))
    assert claim.stated_at == datetime(2024, 8, 6, tzinfo=UTC)
    assert claim.stated_at.tzinfo is UTC


def test_a_non_utc_offset_is_normalised_to_the_same_instant_in_utc() -> None:
    kyiv = timezone(timedelta(hours=3))
    claim = make(ClaimMade, stated_at=datetime(2024, 8, 6, 9, 30, 0, 123456, tzinfo=kyiv))
    assert claim.stated_at == datetime(2024, 8, 6, 6, 30, 0, 123456, tzinfo=UTC)
    assert claim.stated_at.utcoffset() == timedelta(0)


def test_a_list_of_intermediaries_is_kept_as_a_tuple_nearest_first() -> None:
    claim = make(ClaimMade, via=["media/tass", "media/reuters"])
    assert claim.via == ("media/tass", "media/reuters")


def test_composite_parts_are_kept_as_a_tuple() -> None:
    topic = make(TopicDefined, parts=["a/x", "a/y"])
    assert topic.parts == ("a/x", "a/y")


@pytest.mark.parametrize(
    "slug", ["a", "a/b", "kursk/nk-troops/casualties", "x.y_z-0", "0/1/2", "a..b", "-"]
)
def test_lowercase_segments_joined_by_slashes_are_slugs(slug: str) -> None:
    assert make(ClaimMade, topic=slug).topic == slug


BAD_SLUGS = ["", "Kursk", "kursk troops", "/kursk", "kursk/", "kursk//troops", "kürsk", "a\n"]

# (name, event type, changes, field the error must name)
BAD_EVENTS: list[tuple[str, type[Any], dict[str, Any], str]] = [
    *[
        (f"{field} {slug!r}", cls, {field: slug}, field)
        for slug in BAD_SLUGS
        for cls, field in [
            (ClaimMade, "claim_id"),
            (ClaimMade, "topic"),
            (ClaimMade, "source"),
            (ClaimMade, "proposition"),
            (FigureReported, "claim_id"),
            (ClaimDisputed, "target"),
            (ClaimRetracted, "source"),
            (TopicDefined, "topic"),
            (SourceDescribed, "source"),
        ]
    ],
    ("slug not a string", ClaimMade, {"topic": 7}, "topic"),
    ("naive datetime", ClaimMade, {"stated_at": datetime(2024, 1, 1)}, "stated_at"),
    ("naive as_of", FigureReported, {"as_of": datetime(2024, 1, 1)}, "as_of"),
    ("string timestamp", ClaimDisputed, {"stated_at": "2024-01-01"}, "stated_at"),
    ("missing-type timestamp", ClaimRetracted, {"stated_at": None}, "stated_at"),
    (
        "timestamp out of range in utc",
        ClaimMade,
        {"stated_at": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))},
        "stated_at",
    ),
    ("bad stance", ClaimMade, {"stance": "maybe"}, "stance"),
    ("stance in capitals", ClaimMade, {"stance": "Affirms"}, "stance"),
    ("empty statement", ClaimMade, {"statement": ""}, "statement"),
    ("blank statement", ClaimMade, {"statement": " \t"}, "statement"),
    ("statement not a string", ClaimMade, {"statement": 3}, "statement"),
    ("via a string", ClaimMade, {"via": "media/tass"}, "via"),
    ("via a set", FigureReported, {"via": {"media/tass"}}, "via"),
    ("via None", ClaimDisputed, {"via": None}, "via"),
    ("via with a bad slug", ClaimMade, {"via": ("media/tass", "Bad Slug")}, "via"),
    ("quote not a string", ClaimMade, {"quote": 3}, "quote"),
    ("url not a string", FigureReported, {"url": b"http://x"}, "url"),
    ("reason not a string", ClaimRetracted, {"reason": 1}, "reason"),
    ("empty event_id", ClaimMade, {"event_id": ""}, "event_id"),
    ("event_id not a string", TopicDefined, {"event_id": 5}, "event_id"),
    ("empty title", TopicDefined, {"title": ""}, "title"),
    ("empty unit", TopicDefined, {"unit": ""}, "unit"),
    ("non-string unit", TopicDefined, {"unit": 1}, "unit"),
    ("parts a string", TopicDefined, {"parts": "a/x"}, "parts"),
    ("parts with a bad slug", TopicDefined, {"parts": ("a/x", "A")}, "parts"),
    ("a topic as its own part", TopicDefined, {"parts": ("kursk/troops",)}, "parts"),
    ("a part listed twice", TopicDefined, {"parts": ("a/x", "a/x")}, "parts"),
    ("description not a string", TopicDefined, {"description": 2}, "description"),
    ("empty name", SourceDescribed, {"name": ""}, "name"),
    ("bad kind", SourceDescribed, {"kind": "blogger"}, "kind"),
    ("kind in capitals", SourceDescribed, {"kind": "Media"}, "kind"),
    ("bad reliability", SourceDescribed, {"reliability": "G"}, "reliability"),
    ("lowercase reliability", SourceDescribed, {"reliability": "a"}, "reliability"),
    ("affiliation not a slug", SourceDescribed, {"affiliation": "Kremlin"}, "affiliation"),
    ("figure not a Figure", FigureReported, {"figure": {"low": 1}}, "figure"),
    ("negative window", TopicDefined, {"window": timedelta(microseconds=-1)}, "window"),
    ("window in seconds", TopicDefined, {"window": 3600}, "window"),
    ("window as text", TopicDefined, {"window": "P3D"}, "window"),
    ("window as a date", TopicDefined, {"window": date(2024, 1, 1)}, "window"),
    # A byte that was not UTF-8, passed through surrogateescape (click does this).
    *[
        (f"lone surrogate in {field}", cls, {field: f"x{char}y"}, field)
        for char in ("\udcff", "\ud800", "\udfff")
        for cls, field in [
            (ClaimMade, "statement"),
            (ClaimMade, "quote"),
            (FigureReported, "url"),
            (ClaimDisputed, "reason"),
            (ClaimRetracted, "reason"),
            (TopicDefined, "title"),
            (TopicDefined, "unit"),
            (TopicDefined, "description"),
            (SourceDescribed, "name"),
            (ClaimMade, "event_id"),
            (ClaimMade, "topic"),
        ]
    ],
    ("lone surrogate in via", FigureReported, {"via": ("a", "b\udcff")}, "via"),
]


@pytest.mark.parametrize(
    ("cls", "changes", "field"),
    [pytest.param(c, ch, f, id=name) for name, c, ch, f in BAD_EVENTS],
)
def test_a_malformed_event_is_refused_naming_its_field_and_nothing_is_written(
    cls: type[Any], changes: dict[str, Any], field: str
) -> None:
    lg = Ledger.open("memory://")
    with pytest.raises(InvalidEvent) as caught:
        lg.append(make(cls, **changes))
    assert not isinstance(caught.value, InvalidFigure)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}:")
    assert lg.head == 0
    assert list(lg.records()) == []


@pytest.mark.parametrize(
    "kind",
    ["government", "military", "intelligence", "official", "media", "ngo", "individual", "other"],
)
def test_each_kind_of_source_in_the_design_is_accepted(kind: str) -> None:
    assert make(SourceDescribed, kind=kind).kind == kind


@pytest.mark.parametrize("grade", list("ABCDEF"))
def test_every_admiralty_grade_is_a_reliability(grade: str) -> None:
    assert make(SourceDescribed, reliability=grade).reliability == grade


@pytest.mark.parametrize("stance", ["affirms", "denies"])
def test_a_claim_affirms_or_denies(stance: str) -> None:
    assert make(ClaimMade, stance=stance).stance == stance


def test_a_topic_has_no_window_unless_given_one() -> None:
    assert make(TopicDefined).window is None
    assert make(TopicDefined, window=timedelta(days=3)).window == timedelta(days=3)
    assert make(TopicDefined, window=timedelta(0)).window == timedelta(0)
    assert make(TopicDefined, window=timedelta.max).window == timedelta.max


def test_the_window_is_a_keyword_field_after_the_description() -> None:
    names = [f.name for f in attrs.fields(TopicDefined)]
    assert names[names.index("description") + 1] == "window"
    assert attrs.fields(TopicDefined).window.kw_only


class Span(timedelta):
    """A timedelta subclass, as pandas.Timedelta is one."""


def test_a_window_of_a_timedelta_subclass_is_kept_by_value() -> None:
    window = make(TopicDefined, window=Span(hours=12)).window
    assert type(window) is timedelta
    assert window == timedelta(hours=12)


def test_a_negative_window_is_refused_with_what_is_wrong() -> None:
    with pytest.raises(InvalidEvent, match="negative") as caught:
        make(TopicDefined, window=timedelta(days=-3))
    assert caught.value.field == "window"


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("3d", timedelta(days=3)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1d 12h", timedelta(days=1, hours=12)),
        ("2w", timedelta(weeks=2)),
        ("P3D", timedelta(days=3)),
        ("PT12H", timedelta(hours=12)),
        ("p1dt6h", timedelta(days=1, hours=6)),
        ("0s", timedelta(0)),
    ],
)
def test_a_window_as_people_write_it(text: str, window: timedelta) -> None:
    assert parse_window(text) == window


@pytest.mark.parametrize("text", ["", "3", "3 days", "P1M", "P1Y", "-3d", "1.5d", "soon"])
def test_a_window_that_names_no_fixed_length_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_window(text)
    assert caught.value.field == "window"
    assert str(caught.value).startswith("window:")


def test_a_surrogate_is_named_in_the_error_as_an_escape() -> None:
    with pytest.raises(InvalidEvent) as caught:
        make(ClaimMade, statement="K\udcffrsk")
    assert "'\\udcff' at index 1" in str(caught.value)
    assert "not UTF-8" in str(caught.value)


@pytest.mark.parametrize(
    "stated_at",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-14))),
        datetime.max.replace(tzinfo=timezone(-timedelta(hours=23, minutes=59))),
    ],
)
def test_an_instant_outside_the_calendar_in_utc_is_a_value_error_never_an_overflow(
    stated_at: datetime,
) -> None:
    with pytest.raises(ValueError, match="out of range in UTC"):
        to_timestamp(stated_at)
    with pytest.raises(InvalidEvent) as caught:
        make(ClaimMade, stated_at=stated_at)
    assert caught.value.field == "stated_at"


class Moment(datetime):
    """A datetime subclass, as pandas.Timestamp is one."""


class _BrokenZone(tzinfo):
    """A timezone whose offset cannot be had: its own error, not a ValueError."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise KeyError("no such zone")

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None


def test_a_timezone_that_fails_in_its_own_way_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidEvent, match=r"stated_at: .*cannot be read in UTC .*no such zone"):
        ClaimMade(
            claim_id="c1",
            topic="t/a",
            source="s",
            statement="x",
            stated_at=datetime(2025, 1, 1, tzinfo=_BrokenZone()),
        )


def test_a_datetime_subclass_becomes_a_plain_utc_datetime_of_the_same_instant() -> None:
    kyiv = timezone(timedelta(hours=3))
    stamp = to_timestamp(Moment(2024, 8, 6, 9, 30, 0, 5, tzinfo=kyiv))
    assert type(stamp) is datetime
    assert stamp.tzinfo is UTC
    assert stamp == datetime(2024, 8, 6, 6, 30, 0, 5, tzinfo=UTC)


def test_optional_text_fields_accept_unicode() -> None:
    claim = make(ClaimMade, statement="Войска в Курске ✓", quote="“quoted”")
    assert claim.statement == "Войска в Курске ✓"
