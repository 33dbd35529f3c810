"""The built-in projection's facts as stored rows: one JSON text per value.

A read model keeps each table's rows as ``(table, part, item) -> text``; this
module is the one place that says how each table's values are written and
read back. Datetimes are canonical UTC timestamps, figures the list of their
eight fields, windows ``[days, seconds, microseconds]`` (exact).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson

from ledger.projections.facts import DefinitionFact, FigureRow, SourceFact

__all__ = ["decode_value", "decoder", "encode_value", "encoder"]


_NUMBERS = (int, float, type(None))
_TEXTS = (str, type(None))


def _figure_in(v: list[Any]) -> FigureRow:
    # Rows this projection wrote from valid figures: their shapes are checked
    # (a damaged row is refused and the read model rebuilt), not every rule of
    # Figure again, which would cost half of reading every topic.
    low, high, low_open, high_open, best, unit, phrase, rule = v
    if (
        type(low) not in _NUMBERS
        or type(high) not in _NUMBERS
        or type(best) not in _NUMBERS
        or type(low_open) is not bool
        or type(high_open) is not bool
        or type(unit) is not str
        or type(phrase) not in _TEXTS
        or type(rule) not in _TEXTS
    ):
        raise ValueError(f"{v!r} is not a figure")
    return (low, high, low_open, high_open, best, unit, phrase, rule)


def _flag(v: Any) -> bool:
    if type(v) is not bool:
        raise ValueError(f"{v!r} is not true or false")
    return v


def _sources(v: Any) -> tuple[str, ...]:
    # Checked as _figure_in checks a figure: its shape (a list of texts).
    if type(v) is not list or not all(type(s) is str for s in v):
        raise ValueError(f"{v!r} is not a list of sources")
    return tuple(v)


def _count(v: Any) -> int:
    if type(v) is not int or v < 1:
        raise ValueError(f"{v!r} is not a count of disputes")
    return v


def _window_out(w: timedelta | None) -> list[int] | None:
    return None if w is None else [w.days, w.seconds, w.microseconds]


def _window_in(v: list[int] | None) -> timedelta | None:
    return None if v is None else timedelta(days=v[0], seconds=v[1], microseconds=v[2])


_Encode = Callable[[Any], Any]
_Decode = Callable[[Any], Any]
# Datetimes go to orjson as they are: with OPT_UTC_Z it writes them as
# format_timestamp does (UTC, a Z suffix, microseconds only when present), in C.
# A fact whose fields are stored as they stand is written as its tuple: the
# field order of each NamedTuple is the order of its stored list (a figure's
# row, nested, is the list of its eight fields). Claims, history entries,
# current figures, propositions and disputes are read back as the plain
# tuples the fold keeps of them.
_OPTIONS = orjson.OPT_UTC_Z
# Rows hold the canonical UTC text orjson wrote; fromisoformat reads it back, in C.
_T = datetime.fromisoformat


def _same(value: Any) -> Any:
    return value


_CODECS: dict[str, tuple[_Encode, _Decode]] = {
    "meta": (_same, _same),
    "parent": (_same, _same),
    "retraction": (_same, _same),
    "orphan": (_same, _same),
    "active": (_same, _count),
    "definition": (
        lambda d: [d.position, d.unit, list(d.parts), _window_out(d.window)],
        lambda v: DefinitionFact(v[0], v[1], tuple(v[2]), _window_in(v[3])),
    ),
    "source": (tuple, lambda v: SourceFact(v[0], v[1])),
    "claim": (
        tuple,
        lambda v: (v[0], v[1], v[2], v[3], _T(v[4]), v[5]),
    ),
    "figure": (
        tuple,
        lambda v: (v[0], v[1], _T(v[2]), _T(v[3]), _figure_in(v[4]), _flag(v[5]), _sources(v[6])),
    ),
    # A row of history is the list of entries one write added to a topic
    # (ledger.projections.tables.Entries): [claim_id, source, position, stated_at] each.
    "history": (
        _same,
        lambda v: [(e[0], e[1], e[2], _T(e[3])) for e in v],
    ),
    "proposition": (
        tuple,
        lambda v: (v[0], v[1], _T(v[2]), v[3], _flag(v[4]), _sources(v[5])),
    ),
    "dispute": (
        tuple,
        lambda v: (v[0], v[1], v[2], v[3]),
    ),
}


def encode_value(table: str, value: Any) -> str:
    """A fact of a table as the JSON text a read model stores."""
    return encoder(table)(value)


def encoder(table: str) -> Callable[[Any], str]:
    """``encode_value`` for one table, looked up once (KeyError for an unknown table)."""
    shape = _CODECS[table][0]
    dumps, options = orjson.dumps, _OPTIONS
    if shape is _same:
        return lambda value: dumps(value, option=options).decode()
    return lambda value: dumps(shape(value), option=options).decode()


def decode_value(table: str, text: str) -> Any:
    """A fact of a table read back from its JSON text; ValueError (or a LedgerError) if damaged."""
    return decoder(table)(text)


def decoder(table: str) -> Callable[[str], Any]:
    """``decode_value`` for one table, looked up once (KeyError for an unknown table)."""
    shape = _CODECS[table][1]
    loads = orjson.loads
    if shape is _same:
        return loads
    return lambda text: shape(loads(text))
