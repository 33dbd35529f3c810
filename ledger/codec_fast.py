"""A fast path for decoding the common event types on replay.

The cattrs converter in ``ledger.codec`` is the definition of decoding. This
module only speeds up the records that are well formed: each function checks
every rule the attrs validators check, builds the objects without running
them a second time, and returns None the moment anything is unusual, so the
converter decodes the record again and raises the error it would have
raised. A property test holds the two paths equal.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ledger.events import (
    STANCES,
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
)
from ledger.figures import Figure

__all__ = ["FAST_DECODERS", "FAST_ENCODERS", "fast_timestamp"]

_SLUG = re.compile(r"[a-z0-9._-]+(?:/[a-z0-9._-]+)*").fullmatch
_INT_MIN, _INT_MAX = -(2**63), 2**63
_new = object.__new__
_set = object.__setattr__

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
        value = datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise _Unusual from None
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


def _name(value: Any) -> str:
    # Topics and sources repeat across millions of records: keep one copy each.
    return sys.intern(_slug(value))


def _text(value: Any) -> str:
    if type(value) is not str or not value.strip():
        raise _Unusual
    return value


def _optional(value: Any) -> str | None:
    if value is not None and type(value) is not str:
        raise _Unusual
    return value


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
    low, high, best = _number(d["low"]), _number(d["high"]), _number(d["best"])
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
    _set(figure, "low", low)
    _set(figure, "high", high)
    _set(figure, "low_open", low_open)
    _set(figure, "high_open", high_open)
    _set(figure, "best", best)
    # Units and rule names repeat on every figure: keep one copy of each.
    _set(figure, "unit", sys.intern(_text(d["unit"])))
    _set(figure, "phrase", _optional(d["phrase"]))
    rule = _optional(d["rule"])
    _set(figure, "rule", rule if rule is None else sys.intern(rule))
    return figure


def _figure_reported(d: dict[str, Any], event_id: str) -> FigureReported:
    if len(d) != 9:
        raise _Unusual
    event = _new(FigureReported)
    _set(event, "claim_id", _slug(d["claim_id"]))
    _set(event, "topic", _name(d["topic"]))
    _set(event, "source", _name(d["source"]))
    _set(event, "figure", _figure(d["figure"]))
    _set(event, "stated_at", _stamp(d["stated_at"]))
    _set(event, "as_of", _stamp(d["as_of"]))
    _set(event, "via", _via(d["via"]))
    _set(event, "quote", _optional(d["quote"]))
    _set(event, "url", _optional(d["url"]))
    _set(event, "event_id", event_id)
    return event


def _claim_made(d: dict[str, Any], event_id: str) -> ClaimMade:
    if len(d) != 10 or d["stance"] not in STANCES:
        raise _Unusual
    event = _new(ClaimMade)
    _set(event, "claim_id", _slug(d["claim_id"]))
    _set(event, "topic", _name(d["topic"]))
    _set(event, "source", _name(d["source"]))
    _set(event, "statement", _text(d["statement"]))
    _set(event, "proposition", _slug(d["proposition"]))
    _set(event, "stance", d["stance"])
    _set(event, "stated_at", _stamp(d["stated_at"]))
    _set(event, "via", _via(d["via"]))
    _set(event, "quote", _optional(d["quote"]))
    _set(event, "url", _optional(d["url"]))
    _set(event, "event_id", event_id)
    return event


def _claim_disputed(d: dict[str, Any], event_id: str) -> ClaimDisputed:
    if len(d) != 7:
        raise _Unusual
    event = _new(ClaimDisputed)
    _set(event, "target", _slug(d["target"]))
    _set(event, "source", _name(d["source"]))
    _set(event, "reason", _optional(d["reason"]))
    _set(event, "stated_at", _stamp(d["stated_at"]))
    _set(event, "via", _via(d["via"]))
    _set(event, "quote", _optional(d["quote"]))
    _set(event, "url", _optional(d["url"]))
    _set(event, "event_id", event_id)
    return event


def _claim_retracted(d: dict[str, Any], event_id: str) -> ClaimRetracted:
    if len(d) != 4:
        raise _Unusual
    event = _new(ClaimRetracted)
    _set(event, "target", _slug(d["target"]))
    _set(event, "source", _name(d["source"]))
    _set(event, "reason", _optional(d["reason"]))
    _set(event, "stated_at", _stamp(d["stated_at"]))
    _set(event, "event_id", event_id)
    return event


def _guarded(build: Callable[[dict[str, Any], str], Event]) -> Callable[[Any, Any], Event | None]:
    def decode(data: Any, event_id: Any) -> Event | None:
        if type(data) is not dict or type(event_id) is not str or not event_id.strip():
            return None
        try:
            return build(data, event_id)
        except (_Unusual, KeyError, TypeError, ValueError):
            return None

    return decode


#: (type tag, schema) -> decode(data, event_id), returning None when unsure.
FAST_DECODERS: dict[tuple[str, int], Callable[[Any, Any], Event | None]] = {
    ("FigureReported", 1): _guarded(_figure_reported),
    ("ClaimMade", 1): _guarded(_claim_made),
    ("ClaimDisputed", 1): _guarded(_claim_disputed),
    ("ClaimRetracted", 1): _guarded(_claim_retracted),
}


# -- encoding ---------------------------------------------------------------

_texts: dict[datetime, str] = {}


def _stamp_text(value: datetime) -> str:
    # Events carry UTC datetimes (their converters normalise them); the same
    # instant repeats across a day's reports, so format each once.
    found = _texts.get(value)
    if found is None or value.tzinfo is not UTC:
        found = value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
        if len(_texts) > 100_000:
            _texts.clear()
        _texts[value] = found
    return found


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


def _figure_reported_data(e: Any) -> dict[str, Any]:
    return {
        "claim_id": e.claim_id,
        "topic": e.topic,
        "source": e.source,
        "figure": _figure_data(e.figure),
        "stated_at": _stamp_text(e.stated_at),
        "as_of": _stamp_text(e.as_of),
        "via": list(e.via),
        "quote": e.quote,
        "url": e.url,
    }


def _claim_made_data(e: Any) -> dict[str, Any]:
    return {
        "claim_id": e.claim_id,
        "topic": e.topic,
        "source": e.source,
        "statement": e.statement,
        "proposition": e.proposition,
        "stance": e.stance,
        "stated_at": _stamp_text(e.stated_at),
        "via": list(e.via),
        "quote": e.quote,
        "url": e.url,
    }


def _claim_disputed_data(e: Any) -> dict[str, Any]:
    return {
        "target": e.target,
        "source": e.source,
        "reason": e.reason,
        "stated_at": _stamp_text(e.stated_at),
        "via": list(e.via),
        "quote": e.quote,
        "url": e.url,
    }


def _claim_retracted_data(e: Any) -> dict[str, Any]:
    return {
        "target": e.target,
        "source": e.source,
        "reason": e.reason,
        "stated_at": _stamp_text(e.stated_at),
    }


#: event class -> its fields as the converter unstructures them, event_id left out.
FAST_ENCODERS: dict[type, Callable[[Any], dict[str, Any]]] = {
    FigureReported: _figure_reported_data,
    ClaimMade: _claim_made_data,
    ClaimDisputed: _claim_disputed_data,
    ClaimRetracted: _claim_retracted_data,
}
