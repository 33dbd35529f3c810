"""The authoring format: JSON Lines that people write while transcribing an article.

One event per line, ``{"type": "FigureReported", ...}``, with the event's
fields as keys. It is kinder to write than the wire format:

- dates may be plain ISO dates (``"2025-01-12"``, midnight UTC) or full
  timestamps with an offset;
- a figure may be written as words, ``{"phrase": "more than 3,000",
  "unit": "people"}`` (optionally with ``"convention"``), resolved at import
  with :func:`ledger.domain.phrases.parse_figure` so the stored figure keeps both the
  numbers and the words; or as numbers, ``{"low": 200, "high": 400, "best":
  300, "unit": "people"}``;
- ``event_id`` may be left out: it is then derived from the line's content,
  so importing the same file twice stores nothing the second time.

Blank lines are skipped. The whole file is checked before anything is
appended; a file with bad lines appends nothing and :class:`ImportFailed`
lists up to 20 of them with their reasons.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson

from ledger.codec import parse_timestamp
from ledger.domain.events import EVENT_TYPES, Event, FigureReported
from ledger.domain.figures import Figure
from ledger.domain.phrases import parse_figure
from ledger.errors import ImportFailed, LedgerError
from ledger.projections.state import LedgerState
from ledger.projections.validation import check_each

__all__ = ["MAX_LISTED", "event_from_mapping", "read_events"]

#: How many bad lines ImportFailed lists.
MAX_LISTED = 20

_TYPES: dict[str, type[Event]] = {cls.__name__: cls for cls in EVENT_TYPES}
_TIMESTAMPS = ("stated_at", "as_of")
_FIGURE_KEYS = {"low", "high", "low_open", "high_open", "best", "unit", "phrase", "rule"}
_PHRASE_KEYS = {"phrase", "unit", "convention"}


def _figure(value: Any) -> Figure:
    if not isinstance(value, Mapping):
        raise ValueError("figure: must be an object")
    keys = set(value)
    if keys <= _PHRASE_KEYS and "phrase" in keys and not keys & {"low", "high"}:
        convention = value.get("convention", "wikimpacts-2024")
        return parse_figure(value["phrase"], value.get("unit", ""), convention)
    extra = keys - _FIGURE_KEYS
    if extra:
        raise ValueError(f"figure: unknown field(s) {', '.join(sorted(extra))}")
    if "low" not in keys or "high" not in keys:
        raise ValueError('figure: give "phrase" and "unit", or "low", "high" and "unit"')
    return Figure(**value)


def event_from_mapping(obj: Any) -> Event:
    """An event from one authoring-format object; ValueError or LedgerError says why not."""
    if not isinstance(obj, Mapping):
        raise ValueError("a line must be a JSON object")
    fields = dict(obj)
    tag = fields.pop("type", None)
    cls = _TYPES.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise ValueError(f"type: {tag!r} is not one of {', '.join(sorted(_TYPES))}")
    if "event_id" not in fields:
        canonical = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        fields["event_id"] = hashlib.sha256(canonical).hexdigest()[:32]
    for name in _TIMESTAMPS:
        if name in fields:
            try:
                fields[name] = parse_timestamp(fields[name])
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
    if cls is FigureReported and "figure" in fields:
        fields["figure"] = _figure(fields["figure"])
    try:
        return cls(**fields)
    except TypeError as exc:
        # attrs names the missing or unexpected keyword; say it in field terms.
        message = str(exc).split("__init__() ", 1)[-1]
        raise ValueError(f"{tag}: {message}") from None


def read_events(
    path: str | Path,
    state: LedgerState,
    *,
    stored: Callable[[list[Event]], dict[str, bool]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Event]:
    """Every event of an authoring file, checked against state; ImportFailed lists bad lines.

    ``stored`` tells which events the log already holds (event_id -> same
    payload); those are not checked again, so re-importing a file is a no-op.
    """
    try:
        lines = Path(path).read_bytes().split(b"\n")
    except OSError as exc:
        raise ImportFailed(str(path), [(0, f"cannot read the file: {exc.strerror}")], 1) from None
    problems: list[tuple[int, str]] = []
    events: list[Event] = []
    numbers: list[int] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, 1):
        if progress is not None:
            progress(number, len(lines))
        if not raw.strip():
            continue
        try:
            event = event_from_mapping(orjson.loads(raw))
        except orjson.JSONDecodeError as exc:
            problems.append((number, f"not JSON: {exc}"))
        except (ValueError, LedgerError) as exc:
            problems.append((number, str(exc)))
        else:
            first = seen.setdefault(event.event_id, number)
            if first != number:
                problems.append((number, f"event_id {event.event_id!r} repeats line {first}"))
                continue
            events.append(event)
            numbers.append(number)
    known = stored(events) if stored is not None else {}
    for index, event in enumerate(events):
        if known.get(event.event_id) is False:
            problems.append(
                (numbers[index], f"event_id {event.event_id!r} is stored with another payload")
            )
    fresh = [i for i, e in enumerate(events) if e.event_id not in known]
    for index, error in check_each(state, [events[i] for i in fresh]):
        problems.append((numbers[fresh[index]], str(error)))
    if problems:
        problems.sort()
        raise ImportFailed(str(path), problems[:MAX_LISTED], len(problems))
    return events
