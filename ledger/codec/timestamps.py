"""Timestamps on the wire: UTC, ISO 8601, a Z suffix."""

from __future__ import annotations

from datetime import UTC, datetime

from ledger.errors import brief

__all__ = ["format_timestamp", "parse_timestamp"]


def format_timestamp(value: datetime) -> str:
    """A UTC timestamp as ISO 8601 with a Z suffix; microseconds only when present."""
    # isoformat pads the year to four digits and writes microseconds only when
    # there are some, which is the canonical form; it is also much faster than strftime.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def parse_timestamp(text: str) -> datetime:
    """The inverse of format_timestamp; also accepts offsets and plain dates.

    Raises ValueError (never OverflowError) for anything else, and for an
    instant that falls outside the calendar in UTC.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a timestamp string, not {type(text).__name__}")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{brief(text)} is not an ISO 8601 timestamp") from None
    if value.tzinfo is None:
        if "T" in text or " " in text:
            raise ValueError(f"timestamp {brief(text)} has no timezone")
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"timestamp {brief(text)} is out of range in UTC") from None
