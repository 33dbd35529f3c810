"""The six event types of the log: frozen, validated, pure values."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any, Literal

import attrs

from ledger.domain.figures import Figure
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
    return isinstance(value, str) and _SLUG.fullmatch(value) is not None


def to_timestamp(value: object) -> datetime:
    """A timezone-aware UTC datetime from a datetime or a bare date (midnight UTC)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError(f"datetime {value.isoformat()} has no timezone")
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError(f"datetime {value.isoformat()} is out of range in UTC") from None
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ValueError(f"must be a datetime or a date, not {type(value).__name__}")


def _timestamp(value: object) -> Any:
    # Converters cannot name their field, so a bad value passes through
    # unchanged and the validator below reports it with the field name.
    try:
        return to_timestamp(value)
    except ValueError:
        return value


def _check_timestamp(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    try:
        to_timestamp(value)
    except ValueError as exc:
        raise InvalidEvent(str(exc), field=attribute.name) from None


def _check_slug(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not is_slug(value):
        raise InvalidEvent(
            f"{value!r} is not a slug (lowercase a-z 0-9 . _ - segments joined by '/')",
            field=attribute.name,
        )


def _check_optional_slug(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _check_slug(inst, attribute, value)


def _check_slugs(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple):
        raise InvalidEvent("must be a sequence of slugs", field=attribute.name)
    for i, item in enumerate(value):
        if not is_slug(item):
            raise InvalidEvent(f"item {i}: {item!r} is not a slug", field=attribute.name)


def _to_tuple(value: object) -> Any:
    if isinstance(value, list | tuple):
        return tuple(value)
    return value


def _check_text(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent("must be a non-empty string", field=attribute.name)


def _check_optional_text(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidEvent("must be a string or None", field=attribute.name)


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value not in choices:
            raise InvalidEvent(
                f"{value!r} is not one of {', '.join(choices)}", field=attribute.name
            )

    return check


def _check_figure(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Figure):
        raise InvalidEvent(f"must be a Figure, not {type(value).__name__}", field=attribute.name)


def _new_id() -> str:
    return uuid.uuid4().hex


def _event_id() -> Any:
    return attrs.field(factory=_new_id, validator=_check_text)


def _slug() -> Any:
    return attrs.field(validator=_check_slug)


def _stamp() -> Any:
    return attrs.field(converter=_timestamp, validator=_check_timestamp)


def _via() -> Any:
    return attrs.field(default=(), converter=_to_tuple, validator=_check_slugs)


def _opt_text() -> Any:
    return attrs.field(default=None, validator=_check_optional_text)


@attrs.frozen(kw_only=True)
class ClaimMade:
    """A source states something that can be affirmed or denied."""

    claim_id: str = _slug()
    topic: str = _slug()
    source: str = _slug()
    statement: str = attrs.field(validator=_check_text)
    proposition: str = attrs.field(
        default=attrs.Factory(lambda self: self.claim_id, takes_self=True),
        validator=_check_slug,
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
    topic: str = _slug()
    source: str = _slug()
    figure: Figure = attrs.field(validator=_check_figure)
    stated_at: datetime = _stamp()
    as_of: datetime = attrs.field(
        default=attrs.Factory(lambda self: self.stated_at, takes_self=True),
        converter=_timestamp,
        validator=_check_timestamp,
    )
    via: tuple[str, ...] = _via()
    quote: str | None = _opt_text()
    url: str | None = _opt_text()
    event_id: str = _event_id()


@attrs.frozen(kw_only=True)
class ClaimDisputed:
    """A source disputes another source's claim."""

    target: str = _slug()
    source: str = _slug()
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
    source: str = _slug()
    reason: str | None = _opt_text()
    stated_at: datetime = _stamp()
    event_id: str = _event_id()


def _check_unit(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidEvent("must be a non-empty string or None", field=attribute.name)


@attrs.frozen(kw_only=True)
class TopicDefined:
    """Names a topic, its unit and, for a composite topic, the parts it sums."""

    topic: str = _slug()
    title: str = attrs.field(validator=_check_text)
    unit: str | None = attrs.field(default=None, validator=_check_unit)
    parts: tuple[str, ...] = attrs.field(default=(), converter=_to_tuple, validator=_check_slugs)
    description: str | None = _opt_text()
    event_id: str = _event_id()

    def __attrs_post_init__(self) -> None:
        if self.topic in self.parts:
            raise InvalidEvent(f"topic {self.topic!r} cannot be its own part", field="parts")
        if len(set(self.parts)) != len(self.parts):
            raise InvalidEvent("a part is listed twice", field="parts")


@attrs.frozen(kw_only=True)
class SourceDescribed:
    """Says who a source is: its name, kind, affiliation and reliability."""

    source: str = _slug()
    name: str = attrs.field(validator=_check_text)
    kind: str = attrs.field(default="other", validator=_one_of(SOURCE_KINDS))
    affiliation: str | None = attrs.field(default=None, validator=_check_optional_slug)
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
