"""The six event types of the log: frozen, validated, pure values.

Each field's rule is a ``Rule`` (``ledger.domain.figures``) declared once
below; it is the field's attrs validator, and the codec builds its fast
decoders from the same objects. Cross-field rules live in
``__attrs_post_init__``, which the fast decoders run too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import attrs

from ledger.domain.figures import OPTIONAL_TEXT, REPEATS, TEXT, Figure, Rule, surrogate_in
from ledger.errors import InvalidEvent

__all__ = [
    "EVENT_TYPES",
    "SOURCE_KINDS",
    "ClaimDisputed",
    "ClaimMade",
    "ClaimRetracted",
    "Event",
    "FigureReported",
    "SourceDescribed",
    "TopicDefined",
    "events_in",
    "is_slug",
    "to_timestamp",
]

_SLUG = re.compile(r"[a-z0-9._-]+(?:/[a-z0-9._-]+)*")
SOURCE_KINDS = (
    "government",
    "military",
    "intelligence",
    "official",
    "media",
    "ngo",
    "individual",
    "other",
)
RELIABILITY_GRADES = ("A", "B", "C", "D", "E", "F")
STANCES = ("affirms", "denies")


def is_slug(value: object) -> bool:
    """Whether value is a slug: lowercase [a-z0-9._-] segments joined by '/'."""
    return SLUG.keeps(value)


def to_timestamp(value: object) -> datetime:
    """A timezone-aware UTC datetime from a datetime or a bare date (midnight UTC).

    Raises ValueError (never OverflowError) for anything else, naive datetimes
    and instants that fall outside the calendar in UTC.
    """
    if isinstance(value, datetime):
        try:
            offset = value.utcoffset()
            if offset is None:
                raise ValueError(f"datetime {value.isoformat()} has no timezone")
            moved = value.astimezone(UTC)
        except ValueError:
            raise
        except (OverflowError, TypeError) as exc:
            raise ValueError(f"datetime {value!r} is out of range in UTC ({exc})") from None
        except Exception as exc:  # a tzinfo's own fault
            raise ValueError(f"datetime {value!r} cannot be read in UTC ({exc!r})") from None
        if type(moved) is datetime and moved.tzinfo is UTC:
            return moved
        # A subclass (pandas.Timestamp) or another UTC object: the same instant, plainly.
        return datetime(*moved.timetuple()[:6], moved.microsecond, tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ValueError(f"must be a datetime or a date, not {type(value).__name__}")


def _timestamp(value: object) -> Any:
    # Converters cannot name their field, so a bad value passes through
    # unchanged and the rule below reports it with the field name.
    try:
        return to_timestamp(value)
    except ValueError:
        return value


def _why_timestamp(value: object) -> str:
    try:
        to_timestamp(value)
    except ValueError as exc:
        return str(exc)
    return f"{value!r} is not in UTC"  # a converter always gives UTC; only a bypass gets here


def _in_utc(value: datetime) -> bool:
    return value.tzinfo is UTC


def _why_slug(value: object) -> str:
    return f"{value!r} is not a slug (lowercase a-z 0-9 . _ - segments joined by '/')"


def _why_slugs(value: object) -> str:
    if not isinstance(value, tuple):
        return "must be a sequence of slugs"
    bad = next(i for i, item in enumerate(value) if not SLUG.keeps(item))
    return f"item {bad}: {value[bad]!r} is not a slug"


def _to_tuple(value: object) -> Any:
    if isinstance(value, list | tuple):
        return tuple(value)
    return value


def _one_of(choices: tuple[str, ...]) -> Rule:
    return Rule(
        str,
        lambda value: f"{value!r} is not one of {', '.join(choices)}",
        frozenset(choices).__contains__,
    )


def _plain_timedelta(value: timedelta | None) -> timedelta | None:
    # A subclass (pandas.Timedelta) is kept by value, as days, seconds and microseconds.
    if isinstance(value, timedelta) and type(value) is not timedelta:
        return timedelta(value.days, value.seconds, value.microseconds)
    return value


def _why_unit(value: object) -> str:
    if isinstance(value, str) and value and value.isspace():
        return "must be text, not only whitespace, or None"
    return surrogate_in(value) or "must be a non-empty string or None"


def _why_window(value: object) -> str:
    if isinstance(value, timedelta):
        return f"{value} is negative: a window is zero or more"
    return f"must be a timedelta of zero or more, or None, not {type(value).__name__}"


def _not_negative(value: timedelta) -> bool:
    return value >= timedelta(0)


#: A slug: lowercase [a-z0-9._-] segments joined by '/' (ASCII, so always UTF-8).
SLUG = Rule(str, _why_slug, _SLUG.fullmatch)
OPTIONAL_SLUG = attrs.evolve(SLUG, optional=True)
#: A tuple of slugs (lists are made tuples by the field's converter).
SLUGS = Rule(tuple, _why_slugs, item=SLUG)
#: A timezone-aware datetime, in UTC once the field's converter has run.
TIMESTAMP = Rule(datetime, _why_timestamp, _in_utc)
#: A non-empty unit, or None for a qualitative topic.
UNIT = attrs.evolve(TEXT, optional=True, why=_why_unit)
#: A freshness window: a timedelta of zero or more, or None.
WINDOW = Rule(timedelta, _why_window, _not_negative, optional=True)
FIGURE = Rule(Figure, lambda value: f"must be a Figure, not {type(value).__name__}")


def _new_id() -> str:
    return uuid.uuid4().hex


def _plain_str(value: object) -> object:
    # A subclass of str (a caller's id type) is kept by value: stores keep the id
    # as a column, and one that holds objects (memory://) must give back a str.
    if isinstance(value, str) and type(value) is not str:
        return str.__str__(value)
    return value


def _event_id() -> Any:
    return attrs.field(factory=_new_id, converter=_plain_str, validator=TEXT)


def _slug() -> Any:
    return attrs.field(validator=SLUG)


def _name() -> Any:
    # Topics and sources repeat across the log: a decoder may keep one copy of each.
    return attrs.field(validator=SLUG, metadata={REPEATS: True})


def _text() -> Any:
    return attrs.field(validator=TEXT)


def _stamp() -> Any:
    return attrs.field(converter=_timestamp, validator=TIMESTAMP)


def _via() -> Any:
    return attrs.field(default=(), converter=_to_tuple, validator=SLUGS)


def _opt_text() -> Any:
    return attrs.field(default=None, validator=OPTIONAL_TEXT)


@attrs.frozen(kw_only=True)
class ClaimMade:
    """A source states something that can be affirmed or denied."""

    claim_id: str = _slug()
    topic: str = _name()
    source: str = _name()
    statement: str = _text()
    proposition: str = attrs.field(
        default=attrs.Factory(lambda self: self.claim_id, takes_self=True), validator=SLUG
    )
    stance: Literal["affirms", "denies"] = attrs.field(
        default="affirms", validator=_one_of(STANCES)
    )
    stated_at: datetime = _stamp()
    via: tuple[str, ...] = _via()
    quote: str | None = _opt_text()
    url: str | None = _opt_text()
    event_id: str = _event_id()


@attrs.frozen(kw_only=True)
class FigureReported:
    """A source gives a figure on a topic."""

    claim_id: str = _slug()
    topic: str = _name()
    source: str = _name()
    figure: Figure = attrs.field(validator=FIGURE)
    stated_at: datetime = _stamp()
    as_of: datetime = attrs.field(
        default=attrs.Factory(lambda self: self.stated_at, takes_self=True),
        converter=_timestamp,
        validator=TIMESTAMP,
    )
    via: tuple[str, ...] = _via()
    quote: str | None = _opt_text()
    url: str | None = _opt_text()
    event_id: str = _event_id()


@attrs.frozen(kw_only=True)
class ClaimDisputed:
    """A source disputes another source's claim."""

    target: str = _slug()
    source: str = _name()
    reason: str | None = _opt_text()
    stated_at: datetime = _stamp()
    via: tuple[str, ...] = _via()
    quote: str | None = _opt_text()
    url: str | None = _opt_text()
    event_id: str = _event_id()


@attrs.frozen(kw_only=True)
class ClaimRetracted:
    """A source withdraws one of its own claims."""

    target: str = _slug()
    source: str = _name()
    reason: str | None = _opt_text()
    stated_at: datetime = _stamp()
    event_id: str = _event_id()


@attrs.frozen(kw_only=True)
class TopicDefined:
    """Names a topic, its unit, the parts a composite topic sums and its freshness window."""

    topic: str = _name()
    title: str = _text()
    unit: str | None = attrs.field(default=None, validator=UNIT)
    parts: tuple[str, ...] = attrs.field(default=(), converter=_to_tuple, validator=SLUGS)
    description: str | None = _opt_text()
    #: How long a figure stays fresh (DESIGN.md §4 Freshness); None: always.
    window: timedelta | None = attrs.field(
        default=None, converter=_plain_timedelta, validator=WINDOW
    )
    event_id: str = _event_id()

    def __attrs_post_init__(self) -> None:
        if self.topic in self.parts:
            raise InvalidEvent(f"topic {self.topic!r} cannot be its own part", field="parts")
        if len(set(self.parts)) != len(self.parts):
            raise InvalidEvent("a part is listed twice", field="parts")


@attrs.frozen(kw_only=True)
class SourceDescribed:
    """Says who a source is: its name, kind, affiliation and reliability."""

    source: str = _name()
    name: str = _text()
    kind: str = attrs.field(default="other", validator=_one_of(SOURCE_KINDS))
    affiliation: str | None = attrs.field(default=None, validator=OPTIONAL_SLUG)
    reliability: str = attrs.field(default="F", validator=_one_of(RELIABILITY_GRADES))
    event_id: str = _event_id()


Event = ClaimMade | FigureReported | ClaimDisputed | ClaimRetracted | TopicDefined | SourceDescribed
EVENT_TYPES: tuple[type[Event], ...] = (
    ClaimMade,
    FigureReported,
    ClaimDisputed,
    ClaimRetracted,
    TopicDefined,
    SourceDescribed,
)


def events_in(events: object) -> Iterator[Event]:
    """The events of an iterable, each checked to be one: InvalidEvent naming the item if not."""
    try:
        found = iter(events)  # type: ignore[call-overload]
    except TypeError:
        raise InvalidEvent("must be an iterable of events", field="events") from None
    for i, event in enumerate(found):
        if not isinstance(event, EVENT_TYPES):
            raise InvalidEvent(f"item {i}: {type(event).__name__} is not an event", field="event")
        yield event
