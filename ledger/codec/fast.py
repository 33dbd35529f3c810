"""A fast path for encoding and decoding the common event types.

The cattrs converter in ``ledger.codec`` is the definition of decoding. This
module only speeds up the records that are well formed: one table names each
field with the check that decodes it (every rule the attrs validators check)
and the function that writes it back. Decoding builds the objects without
running the validators a second time and returns None the moment anything is
unusual, so the converter decodes the record again and raises the error it
would have raised. Property tests hold both paths equal to the converter.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from ledger.domain.events import (
    STANCES,
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
)
from ledger.domain.figures import Figure

__all__ = ["ENCODE_OPTIONS", "FAST_DECODERS", "FAST_ENCODERS", "fast_timestamp"]

_SLUG = re.compile(r"[a-z0-9._-]+(?:/[a-z0-9._-]+)*").fullmatch
_INT_MIN, _INT_MAX = -(2**63), 2**63
_new = object.__new__
_set = object.__setattr__


def _setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    # The slot's own descriptor: faster than object.__setattr__, which looks it up.
    slot = getattr(cls, name)
    assert type(slot).__name__ == "member_descriptor", f"{cls.__name__}.{name} is not a slot"
    return slot.__set__  # type: ignore[no-any-return]


# Timestamps repeat (a day's reports share a date); parse each text once.
_stamps: dict[str, datetime] = {}


class _Unusual(Exception):
    """Anything the fast path does not vouch for: let the converter decide."""


def _stamp(text: Any) -> datetime:
    found = _stamps.get(text) if type(text) is str else None
    if found is not None:
        return found
    if type(text) is not str or not text.endswith("Z"):
        raise _Unusual
    try:
        value = datetime.fromisoformat(text)  # reads the Z itself, as UTC
    except ValueError:
        raise _Unusual from None
    if value.tzinfo is not UTC:
        raise _Unusual
    if len(_stamps) > 100_000:
        _stamps.clear()
    _stamps[text] = value
    return value


def fast_timestamp(text: Any) -> datetime | None:
    """A canonical 'Z' timestamp, parsed once per distinct text; None when unusual."""
    try:
        return _stamp(text)
    except _Unusual:
        return None


def _slug(value: Any) -> str:
    if type(value) is not str or _SLUG(value) is None:
        raise _Unusual
    return value


def _text(value: Any) -> str:
    if type(value) is not str or not value.strip():
        raise _Unusual
    return value


def _optional(value: Any) -> str | None:
    if value is not None and type(value) is not str:
        raise _Unusual
    return value


def _checked_once(check: Callable[[Any], str], limit: int) -> Callable[[Any], str]:
    """check, for texts that repeat: each one checked once, and one copy of it kept."""
    seen: dict[str, str] = {}

    def checked(value: Any) -> str:
        found = seen.get(value) if type(value) is str else None
        if found is not None:
            return found
        found = sys.intern(check(value))
        if len(seen) > limit:
            seen.clear()
        seen[found] = found
        return found

    return checked


# Topics and sources repeat across millions of records, units on every figure.
_name = _checked_once(_slug, 100_000)
_unit = _checked_once(_text, 10_000)


def _via(value: Any) -> tuple[str, ...]:
    if type(value) is not list:
        raise _Unusual
    for item in value:
        _slug(item)
    return tuple(value)


def _number(value: Any) -> int | float | None:
    kind = type(value)
    if value is None or (kind is float and math.isfinite(value)):
        return value  # type: ignore[no-any-return]
    if kind is int and _INT_MIN <= value < _INT_MAX:
        return value  # type: ignore[no-any-return]
    raise _Unusual


def _inside(x: float, low: Any, high: Any, low_open: bool, high_open: bool) -> bool:
    if low is not None and (x < low or (low_open and x == low)):
        return False
    return not (high is not None and (x > high or (high_open and x == high)))


def _figure(d: Any) -> Figure:
    # Eight keys, each read below (a missing one is a KeyError): exactly these.
    if type(d) is not dict or len(d) != 8:
        raise _Unusual
    low, high, best = d["low"], d["high"], d["best"]
    # Nearly every bound is a plain int: test that inline, the rest in _number.
    if type(low) is not int or not _INT_MIN <= low < _INT_MAX:
        low = _number(low)
    if type(high) is not int or not _INT_MIN <= high < _INT_MAX:
        high = _number(high)
    if best is not None:
        best = _number(best)
    low_open, high_open = d["low_open"], d["high_open"]
    if type(low_open) is not bool or type(high_open) is not bool:
        raise _Unusual
    if (
        low is not None
        and high is not None
        and (low > high or (low == high and (low_open or high_open)))
    ):
        raise _Unusual
    if (low is None and low_open) or (high is None and high_open):
        raise _Unusual
    if best is not None and not _inside(best, low, high, low_open, high_open):
        raise _Unusual
    figure = _new(Figure)
    _set_low(figure, low)
    _set_high(figure, high)
    _set_low_open(figure, low_open)
    _set_high_open(figure, high_open)
    _set_best(figure, best)
    # Units and rule names repeat on every figure: keep one copy of each.
    _set_unit(figure, _unit(d["unit"]))
    _set_phrase(figure, _optional(d["phrase"]))
    rule = _optional(d["rule"])
    _set_rule(figure, rule if rule is None else sys.intern(rule))
    return figure


_set_low, _set_high = _setter(Figure, "low"), _setter(Figure, "high")
_set_low_open, _set_high_open = _setter(Figure, "low_open"), _setter(Figure, "high_open")
_set_best, _set_unit = _setter(Figure, "best"), _setter(Figure, "unit")
_set_phrase, _set_rule = _setter(Figure, "phrase"), _setter(Figure, "rule")


# -- encoding ---------------------------------------------------------------

#: How event data is written: sorted keys, and UTC datetimes with a Z suffix.
ENCODE_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z


def _stamp_out(value: datetime) -> datetime | str:
    # Events carry UTC datetimes (their converters normalise them), which
    # orjson writes exactly as format_timestamp does under OPT_UTC_Z, in C.
    if value.tzinfo is UTC:
        return value
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _figure_data(f: Figure) -> dict[str, Any]:
    return {
        "low": f.low,
        "high": f.high,
        "low_open": f.low_open,
        "high_open": f.high_open,
        "best": f.best,
        "unit": f.unit,
        "phrase": f.phrase,
        "rule": f.rule,
    }


def _stance(value: Any) -> str:
    if value not in STANCES:
        raise _Unusual
    return value  # type: ignore[no-any-return]


def _same(value: Any) -> Any:
    return value


# Each common event type's fields in the converter's order: the check that
# decodes a field, and how the field is written back. event_id is separate.
Field = tuple[str, Callable[[Any], Any], Callable[[Any], Any]]
_FIELDS: dict[type, tuple[Field, ...]] = {
    FigureReported: (
        ("claim_id", _slug, _same),
        ("topic", _name, _same),
        ("source", _name, _same),
        ("figure", _figure, _figure_data),
        ("stated_at", _stamp, _stamp_out),
        ("as_of", _stamp, _stamp_out),
        ("via", _via, list),
        ("quote", _optional, _same),
        ("url", _optional, _same),
    ),
    ClaimMade: (
        ("claim_id", _slug, _same),
        ("topic", _name, _same),
        ("source", _name, _same),
        ("statement", _text, _same),
        ("proposition", _slug, _same),
        ("stance", _stance, _same),
        ("stated_at", _stamp, _stamp_out),
        ("via", _via, list),
        ("quote", _optional, _same),
        ("url", _optional, _same),
    ),
    ClaimDisputed: (
        ("target", _slug, _same),
        ("source", _name, _same),
        ("reason", _optional, _same),
        ("stated_at", _stamp, _stamp_out),
        ("via", _via, list),
        ("quote", _optional, _same),
        ("url", _optional, _same),
    ),
    ClaimRetracted: (
        ("target", _slug, _same),
        ("source", _name, _same),
        ("reason", _optional, _same),
        ("stated_at", _stamp, _stamp_out),
    ),
}


def _decoder(cls: type[Event]) -> Callable[[Any, Any], Event | None]:
    # Written out field by field (no loop, no lookups), as attrs writes its __init__:
    # this runs once per record of a replay.
    fields = _FIELDS[cls]
    scope: dict[str, Any] = {
        "cls": cls,
        "new": _new,
        "Unusual": _Unusual,
        "set_event_id": _setter(cls, "event_id"),
    }
    lines = [
        "def decode(data, event_id):",
        "    if type(data) is not dict or type(event_id) is not str or not event_id.strip():",
        "        return None",
        "    # As many keys as fields, each read below: exactly the fields.",
        f"    if len(data) != {len(fields)}:",
        "        return None",
        "    event = new(cls)",
        "    try:",
    ]
    for i, (name, check, _) in enumerate(fields):
        scope[f"check_{i}"] = check
        scope[f"set_{i}"] = _setter(cls, name)
        lines.append(f"        set_{i}(event, check_{i}(data[{name!r}]))")
    lines += [
        "    except (Unusual, KeyError, TypeError, ValueError):",
        "        return None",
        "    set_event_id(event, event_id)",
        "    return event",
    ]
    exec(compile("\n".join(lines), f"<fast decoder of {cls.__name__}>", "exec"), scope)
    return scope["decode"]  # type: ignore[no-any-return]


def _encoder(cls: type[Event]) -> Callable[[Any], dict[str, Any]]:
    fields = _FIELDS[cls]

    def encode(event: Any) -> dict[str, Any]:
        return {name: write(getattr(event, name)) for name, _, write in fields}

    return encode


#: (type tag, schema) -> decode(data, event_id), returning None when unsure.
FAST_DECODERS: dict[tuple[str, int], Callable[[Any, Any], Event | None]] = {
    (cls.__name__, 1): _decoder(cls) for cls in _FIELDS
}

#: event class -> its fields as the converter unstructures them, event_id left out.
FAST_ENCODERS: dict[type, Callable[[Any], dict[str, Any]]] = {cls: _encoder(cls) for cls in _FIELDS}
