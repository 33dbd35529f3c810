"""Fast decoders and encoders, generated from the attrs field definitions and their rules.

The cattrs converter (``ledger.codec.registry``) is the definition of the
wire format. For speed, this module writes a decoder and an encoder for each
event type by walking ``attrs.fields(cls)``, as attrs writes ``__init__`` and
cattrs its hooks; it restates no rule:

- a field's wire form follows from its type: ``str``, ``bool`` and numbers
  are JSON scalars of exactly that type, a ``datetime`` is a timestamp text,
  a ``timedelta`` an ISO 8601 duration, a ``tuple`` a list, an attrs class
  (``Figure``) an object decoded the same way;
- a field's check is its validator, a ``ledger.domain.figures.Rule``: its
  test runs on the value the wire form gives;
- the checks across fields are the class's own ``__attrs_post_init__``.

A decoder builds the object without calling ``__init__`` and returns None
the moment anything is unusual (a value it does not vouch for, a missing or
extra key, a timestamp with an offset), so that the converter decodes the
record again and raises the error it would have raised. Property tests hold
both paths equal to the converter for every event type.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Literal, get_args, get_origin

import attrs
import orjson

from ledger.codec.timestamps import format_timestamp
from ledger.domain.durations import format_duration, parse_duration
from ledger.domain.figures import REPEATS, Rule

__all__ = [
    "ENCODE_OPTIONS",
    "FastDecoder",
    "FastEncoder",
    "Unusual",
    "decoder",
    "encoder",
    "fast_timestamp",
    "read_recorded_at",
]

#: decode(data, event_id): the event of a record's parsed data, or None when unsure.
FastDecoder = Callable[[Any, Any], Any]
#: encode(event): the event's fields as the converter unstructures them, event_id left out.
FastEncoder = Callable[[Any], dict[str, Any]]

#: How event data is written: sorted keys, and UTC datetimes with a Z suffix.
ENCODE_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z

#: Fields given to a decoder beside the data, not inside it.
OUTSIDE = ("event_id",)

_SCALARS = (str, bool, int, float)
_NONE = type(None)
_new = object.__new__


class Unusual(Exception):
    """Anything the fast path does not vouch for: let the converter decide."""


# -- timestamps ---------------------------------------------------------------


def _timestamp_reader() -> Callable[[Any], datetime]:
    """A reader of canonical 'Z' timestamps that remembers the last one it read.

    Neighbouring records share timestamps (a batch's recorded_at, a figure's
    as_of and stated_at); most others are distinct, so a larger cache costs
    more than parsing.
    """
    # Nothing equals a fresh object(): the first text is always parsed.
    last: tuple[object, datetime] = (object(), datetime.min)
    fromisoformat = datetime.fromisoformat

    def read(text: Any) -> datetime:
        nonlocal last
        seen = last  # one read of the pair: threads may share the reader
        if text == seen[0]:
            return seen[1]
        if type(text) is not str or not text.endswith("Z"):
            raise Unusual
        try:
            value = fromisoformat(text)  # reads the Z itself, as UTC
        except ValueError:
            raise Unusual from None
        if value.tzinfo is not UTC:
            raise Unusual
        last = (text, value)
        return value

    return read


#: read_recorded_at(text): a record's canonical recorded_at; raises Unusual otherwise.
read_recorded_at = _timestamp_reader()
# A figure's as_of is its stated_at, most of the time: one reader for both.
_stated_at = _timestamp_reader()


def fast_timestamp(text: Any) -> datetime | None:
    """A canonical 'Z' timestamp (recorded_at), parsed quickly; None when unusual."""
    try:
        return read_recorded_at(text)
    except Unusual:
        return None


def _stamp_out(value: datetime) -> datetime | str:
    # orjson writes a UTC datetime under OPT_UTC_Z exactly as format_timestamp
    # does, in C; events hold UTC datetimes (their converters make them so).
    return value if value.tzinfo is UTC else format_timestamp(value)


# -- what a field looks like on the wire ----------------------------------------


@attrs.frozen
class _Wire:
    """A field's wire form: its type without None, whether None may stand, its rule."""

    name: str
    kind: Any
    #: None may stand on the wire: the type allows it and so does the rule.
    nullable: bool
    rule: Rule | None
    repeats: bool
    #: The type allows None (what an encoder must write as null).
    optional: bool = False

    @property
    def scalars(self) -> tuple[type, ...]:
        """The exact JSON types of a scalar field, () for a structured one."""
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        if get_origin(self.kind) is Literal:
            kinds = tuple({type(a) for a in get_args(self.kind)})
        return kinds if all(k in _SCALARS for k in kinds) else ()


def _wire(cls: type, field: attrs.Attribute[Any]) -> _Wire:
    kind: Any = field.type
    nullable = False
    if isinstance(kind, types.UnionType) or get_origin(kind) is typing.Union:
        args = get_args(kind)
        rest = tuple(a for a in args if a is not _NONE)
        kind, nullable = (rest[0] if len(rest) == 1 else rest), len(rest) < len(args)
    rule = field.validator
    if rule is not None and not isinstance(rule, Rule):
        raise TypeError(f"{cls.__name__}.{field.name}: a fast path needs a Rule as validator")
    if not field.init or field.alias != field.name:
        raise TypeError(f"{cls.__name__}.{field.name}: a fast path needs a plain init field")
    allowed = nullable and (rule is None or rule.optional)
    return _Wire(field.name, kind, allowed, rule, bool(field.metadata.get(REPEATS)), nullable)


def _fields(cls: type) -> tuple[attrs.Attribute[Any], ...]:
    attrs.resolve_types(cls)
    return tuple(attrs.fields(cls))


# -- decoders -------------------------------------------------------------------


class _Writer:
    """The source of one generated function and the names it uses."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.scope: dict[str, Any] = {"Unusual": Unusual, "new": _new}

    def name(self, prefix: str, value: Any) -> str:
        name = f"{prefix}_{len(self.scope)}"
        self.scope[name] = value
        return name

    def add(self, indent: int, *lines: str) -> None:
        self.lines += ["    " * indent + line for line in lines]

    def compile(self, label: str, function: str) -> Any:
        code = compile("\n".join(self.lines), f"<fast {label}>", "exec")
        exec(code, self.scope)
        return self.scope[function]


def _check_scalar(out: _Writer, wire: _Wire, kinds: tuple[type, ...], var: str = "v") -> str:
    """The condition under which a scalar breaks its wire type or its rule."""
    rule = wire.rule
    if len(kinds) == 1:
        test = f"type({var}) is not {out.name('kind', kinds[0])}"
    else:
        test = f"type({var}) not in {out.name('kinds', kinds)}"
    if rule is not None:
        _covers(wire, rule, kinds)
        if rule.test is not None:
            test += f" or not {out.name('test', rule.test)}({var})"
    return test


def _first_seen(wire: _Wire, seen: dict[str, str]) -> Callable[[Any], str]:
    """The check of a repeating text, run once per distinct value, which it keeps one copy of."""
    rule = wire.rule
    if rule is not None:
        _covers(wire, rule, (str,))

    def first(value: Any) -> str:
        if type(value) is not str or (rule is not None and not rule.keeps(value)):
            raise Unusual
        kept = sys.intern(value)
        if len(seen) > 100_000:
            seen.clear()
        seen[kept] = kept
        return kept

    return first


def _field_lines(out: _Writer, wire: _Wire, indent: int) -> None:
    """Lines that turn the wire value v into the field's value v, or raise."""
    rule, kind, kinds = wire.rule, wire.kind, wire.scalars
    if kinds == (str,) and wire.repeats:
        seen: dict[str, str] = {}
        first = out.name("first", _first_seen(wire, seen))
        seen_name = out.name("seen", seen)
        out.add(indent, f"w = {seen_name}.get(v)", f"v = {first}(v) if w is None else w")
        return
    if kinds:
        out.add(indent, f"if {_check_scalar(out, wire, kinds)}:", "    raise Unusual")
        return
    if kind is datetime:
        out.add(indent, f"v = {out.name('stamp', _stated_at)}(v)")
    elif kind is timedelta:
        out.add(indent, f"v = {out.name('duration', parse_duration)}(v)")
    elif get_origin(kind) is tuple and get_args(kind)[1:] == (Ellipsis,):
        item = get_args(kind)[0]
        if item not in _SCALARS:
            raise TypeError(f"{wire.name}: no fast path for tuples of {item!r}")
        each = _Wire(wire.name, item, False, rule.item if rule else None, False)
        out.add(
            indent,
            "if type(v) is not list:",
            "    raise Unusual",
            "for item in v:",
            f"    if {_check_scalar(out, each, (item,), 'item')}:",
            "        raise Unusual",
            "v = tuple(v)",
        )
        kind = tuple
    elif attrs.has(kind):
        out.add(indent, f"v = {out.name('build', _builder(kind))}(v)")
    else:
        raise TypeError(f"{wire.name}: no fast path for fields of type {kind!r}")
    if rule is not None:
        _covers(wire, rule, (kind,))
        if rule.test is not None:
            out.add(indent, f"if not {out.name('test', rule.test)}(v):", "    raise Unusual")


def _covers(wire: _Wire, rule: Rule, kinds: tuple[type, ...]) -> None:
    # What the wire gives must be of the rule's kind, or the fast path would
    # skip a check the validator makes.
    ok = all(k in rule.kinds if rule.exact else issubclass(k, rule.kinds) for k in kinds)
    if not ok or (rule.item is not None and kinds != (tuple,)):
        raise TypeError(f"{wire.name}: the wire gives {kinds}, the rule wants {rule.kind}")


def _body(out: _Writer, cls: type, indent: int) -> None:
    fields = _fields(cls)
    inside = [f for f in fields if f.name not in OUTSIDE]
    out.scope["cls"] = cls
    out.add(
        indent,
        f"if type(data) is not dict or len(data) != {len(inside)}:",
        "    raise Unusual",
        "obj = new(cls)",
    )
    for field in fields:
        wire = _wire(cls, field)
        source = field.name if field.name in OUTSIDE else f"data[{field.name!r}]"
        out.add(indent, f"v = {source}")
        if wire.nullable:
            out.add(indent, "if v is not None:")
            _field_lines(out, wire, indent + 1)
        else:
            _field_lines(out, wire, indent)
        out.add(indent, f"{out.name('set', _setter(cls, field.name))}(obj, v)")
    post = getattr(cls, "__attrs_post_init__", None)
    if post is not None:
        out.add(indent, f"{out.name('post', post)}(obj)")


def _setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    # The slot's own descriptor: faster than object.__setattr__, which looks it up.
    slot = cls.__dict__.get(name)
    if type(slot).__name__ != "member_descriptor":
        raise TypeError(f"{cls.__name__}.{name} is not a slot")
    return slot.__set__  # type: ignore[no-any-return, union-attr]


@cache
def _builder(cls: type) -> Callable[[Any], Any]:
    """build(data) -> an instance of an attrs class held in a field; raises when unusual."""
    out = _Writer()
    out.add(0, "def build(data):")
    _body(out, cls, 1)
    out.add(1, "return obj")
    return out.compile(f"builder of {cls.__name__}", "build")  # type: ignore[no-any-return]


def decoder(cls: type) -> FastDecoder:
    """decode(data, event_id): the event of a record's parsed data, or None when unsure."""
    return _decoder(cls)


def encoder(cls: type) -> FastEncoder:
    """encode(obj): its fields as the converter unstructures them, event_id left out."""
    return _encoder(cls)


@cache
def _decoder(cls: type) -> FastDecoder:
    out = _Writer()
    out.add(0, f"def decode(data, {', '.join(OUTSIDE)}):", "    try:")
    _body(out, cls, 2)
    out.add(2, "return obj")
    # InvalidEvent is a ValueError: a check across fields that the record breaks.
    out.add(1, "except (Unusual, KeyError, TypeError, ValueError):", "    return None")
    return out.compile(f"decoder of {cls.__name__}", "decode")  # type: ignore[no-any-return]


# -- encoders -------------------------------------------------------------------


def _write(kind: Any) -> Callable[[Any], Any] | None:
    """How a value of a field type is written, None when orjson writes it as it is."""
    if kind is datetime:
        return _stamp_out
    if kind is timedelta:
        return format_duration
    if get_origin(kind) is tuple:
        return list
    if attrs.has(kind):
        return encoder(kind)
    return None


@cache
def _encoder(cls: type) -> FastEncoder:
    out = _Writer()
    items = []
    out.add(0, "def encode(obj):")
    for field in _fields(cls):
        if field.name in OUTSIDE:
            continue
        wire = _wire(cls, field)
        write = _write(wire.kind)
        value = f"obj.{field.name}"
        if write is not None:
            name = out.name("write", write)
            if wire.optional:
                out.add(1, f"v_{field.name} = {value}")
                value = f"None if v_{field.name} is None else {name}(v_{field.name})"
            else:
                value = f"{name}({value})"
        items.append(f"{field.name!r}: {value}")
    out.add(1, "return {" + ", ".join(items) + "}")
    return out.compile(f"encoder of {cls.__name__}", "encode")  # type: ignore[no-any-return]
