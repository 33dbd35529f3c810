"""Durations: ISO 8601 text on the wire, and the short forms people type.

The wire form of a ``timedelta`` (``TopicDefined.window``) is an ISO 8601
duration. ``format_duration`` writes the canonical form:

- days, then a ``T`` and hours, minutes and seconds, each only when not zero:
  ``P3D``, ``PT12H``, ``P1DT6H``, ``PT1H30M``; never weeks, and hours stay
  below 24 (a day is 24 hours: a window measures elapsed time, not calendar
  days across a daylight-saving change);
- seconds with a fraction only when there are microseconds, trailing zeros
  left out: ``PT0.5S``, ``PT1.000001S``;
- zero is ``PT0S``; ``timedelta.max`` is ``P999999999DT23H59M59.999999S``.

``parse_duration`` reads that form and any other ISO 8601 duration of fixed
length: weeks, days, hours, minutes and seconds (``P2W``, ``PT36H``,
``P1DT24H``), a fraction on the seconds only, at most six digits of it.
Years and months are refused (they have no fixed length), as are negative
durations and anything beyond ``timedelta.max``.

``parse_window`` is for people: ``3d``, ``12h``, ``90m``, ``45s``, ``1d12h``,
``2w`` (any case, spaces allowed between the parts) and ISO 8601 durations.
"""

from __future__ import annotations

import re
from datetime import timedelta

from ledger.errors import InvalidEvent

__all__ = ["format_duration", "parse_duration", "parse_window"]

_US_PER = {"W": 604_800_000_000, "D": 86_400_000_000, "H": 3_600_000_000, "M": 60_000_000}
_MAX_US = (timedelta.max.days * 86_400 + timedelta.max.seconds) * 1_000_000 + 999_999
# Eighteen digits are far beyond timedelta.max in any unit, and keep int() cheap.
_N = "[0-9]{1,18}"
_ISO = re.compile(
    rf"P(?:(?P<W>{_N})W|(?:(?P<D>{_N})D)?"
    rf"(?:T(?=[0-9])(?:(?P<H>{_N})H)?(?:(?P<M>{_N})M)?(?:(?P<S>{_N})(?:[.,](?P<F>[0-9]{{1,6}}))?S)?)?)"
).fullmatch
_SHORT = re.compile(
    rf"(?:(?P<W>{_N})\s*w)?\s*(?:(?P<D>{_N})\s*d)?\s*(?:(?P<H>{_N})\s*h)?\s*"
    rf"(?:(?P<M>{_N})\s*m)?\s*(?:(?P<S>{_N})(?:\.(?P<F>[0-9]{{1,6}}))?\s*s)?",
    re.IGNORECASE,
).fullmatch


def format_duration(value: timedelta) -> str:
    """The canonical ISO 8601 text of a duration of zero or more (see the module docstring)."""
    if value < timedelta(0):
        raise ValueError(f"{value} is negative: a duration on the wire is zero or more")
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    date = f"{value.days}D" if value.days else ""
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if value.microseconds:
        time += f"{seconds}.{value.microseconds:06d}".rstrip("0") + "S"
    elif seconds or not (date or time):
        time += f"{seconds}S"
    return f"P{date}T{time}" if time else f"P{date}"


def parse_duration(text: str) -> timedelta:
    """The timedelta of an ISO 8601 duration of fixed length; ValueError says what is wrong."""
    if not isinstance(text, str):
        raise ValueError(f"expected an ISO 8601 duration string, not {type(text).__name__}")
    found = _ISO(text)
    if found is None or found.lastindex is None:  # no match, or "P" alone
        raise ValueError(_why_not(text))
    return _total(text, found.groupdict())


def parse_window(text: str) -> timedelta:
    """A window as people type it ('3d', '12h', '90m', '45s', '1d12h') or ISO 8601 ('P3D')."""
    if not isinstance(text, str):
        raise InvalidEvent(f"must be a duration text, not {type(text).__name__}", field="window")
    stripped = text.strip()
    try:
        if stripped[:1] in ("P", "p"):
            return parse_duration(stripped.upper())
        found = _SHORT(stripped)
        if found is None or found.lastindex is None:
            raise ValueError(
                f"{text!r} is not a duration: write days, hours, minutes or seconds such as "
                "'3d', '12h', '90m', '45s', '1d12h', or ISO 8601 such as 'P3D'"
            )
        return _total(text, found.groupdict())
    except ValueError as exc:
        raise InvalidEvent(str(exc), field="window") from None


def _total(text: str, parts: dict[str, str | None]) -> timedelta:
    micros = sum(_US_PER[unit] * int(parts[unit] or 0) for unit in _US_PER)
    micros += int(parts["S"] or 0) * 1_000_000 + int((parts["F"] or "").ljust(6, "0"))
    if micros > _MAX_US:
        raise ValueError(f"{text!r} is longer than the longest duration ({timedelta.max})")
    return timedelta(microseconds=micros)


def _why_not(text: str) -> str:
    if text.startswith("-"):
        return f"{text!r} is negative: a duration is zero or more"
    if text in ("P", "PT"):
        return f"{text!r} names no length: write at least one number, as in 'PT0S'"
    if text.startswith("P") and re.search("[0-9][YM]", text.partition("T")[0]):
        return f"{text!r} counts years or months, which have no fixed length: count days"
    if re.search("[.,][0-9]{7,}S$", text):
        return f"{text!r} is finer than a microsecond"
    return (
        f"{text!r} is not an ISO 8601 duration of days, hours, minutes and seconds "
        "(such as 'P3D', 'PT12H' or 'P1DT6H'; a fraction on the seconds only)"
    )
