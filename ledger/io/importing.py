"""What every authoring format shares: problems, stable ids, and an import's two passes.

A format reader turns a file into a stream of ``(line, Event | Problem)``,
one item per event-bearing line or row, read as it goes. ``check`` runs that
stream against the ledger's state and keeps only what the check needs: the
event_ids seen so far (to refuse a repeat), the line of each new event (an
8-byte slot), the validation overlay of :func:`check_each`, and the first
``MAX_LISTED`` problems with a count of the rest. The events themselves are
not kept: the caller reads the file again and ``append_checked`` appends
them in batches. ``pinned`` gives both passes one private copy of the file.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import os
import re
import shutil
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

import orjson

from ledger.domain.events import Event
from ledger.errors import (
    CompositeCycle,
    DuplicateClaim,
    ForeignRetraction,
    ImportFailed,
    InvalidEvent,
    RetractedClaim,
    SelfDispute,
    UnitMismatch,
    UnknownClaim,
    ValidationError,
    brief,
    clipped,
)
from ledger.projections.facts import Facts
from ledger.projections.validation import check_each

__all__ = [
    "IMPORT_BATCH",
    "MAX_LISTED",
    "Parsed",
    "Problem",
    "Problems",
    "Stored",
    "append_checked",
    "check",
    "check_path",
    "check_progress",
    "content_id",
    "first_event",
    "open_file",
    "pinned",
]

#: How many bad lines ImportFailed lists.
MAX_LISTED = 20
#: How many events are looked up in the store at once.
_CHUNK = 1_000

#: Which events the log already holds: event_id -> whether with the same payload.
Stored = Callable[[list[Event]], dict[str, bool]]


class Problem(tuple[int, str]):
    """One bad line: ``(line, reason)``, with the column (or field) and the value at fault.

    It unpacks as the ``(line, reason)`` pair :class:`ImportFailed` lists;
    ``column`` and ``value`` say where in the line, when a single cell or
    field is at fault.
    """

    column: str | None
    value: str | None

    def __new__(
        cls, line: int, reason: str, *, column: str | None = None, value: Any = None
    ) -> Problem:
        made = super().__new__(cls, (line, reason))
        made.column = column
        made.value = None if value is None else str(value)
        return made

    @property
    def line(self) -> int:
        """The line the bad event starts on (1-based)."""
        return self[0]

    @property
    def reason(self) -> str:
        """What is wrong, naming the column and its value where one is at fault."""
        return self[1]


#: One item of a format reader's stream: the line an event starts on, and the
#: event or what is wrong with it.
Parsed = tuple[int, Event | Problem]


class Problems:
    """The first MAX_LISTED problems by line, and how many there were in all."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.first: list[Problem] = []
        self.total = 0

    def add(self, problem: Problem) -> None:
        """Count a problem; keep it if it is among the first MAX_LISTED lines."""
        self.total += 1
        if len(self.first) < MAX_LISTED or problem < self.first[-1]:
            bisect.insort(self.first, problem)
            del self.first[MAX_LISTED:]

    def raise_if_any(self) -> None:
        """ImportFailed listing the problems, if there are any."""
        if self.total:
            raise ImportFailed(self.label, self.first, self.total)


def content_id(content: Mapping[str, Any]) -> str:
    """A stable event_id from what a line says: the SHA-256 of its canonical JSON, 32 hex digits."""
    canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()[:32]


def check(
    label: str,
    items: Iterable[Parsed],
    state: Facts,
    *,
    stored: Stored | None = None,
) -> int:
    """Check a reader's stream against state; ImportFailed lists the bad lines. Returns the events.

    ``stored`` tells which events the log already holds; those are not
    checked again, so re-importing a file is a no-op, and one stored with
    another payload is a problem.
    """
    problems = Problems(label)
    seen: dict[str, int] = {}
    lines = array("Q")  # the line of each event handed to validation, by index
    count = 0

    def fresh() -> Iterator[Event]:
        nonlocal count
        for chunk in _chunks(items):
            events: list[tuple[int, Event]] = []
            for line, parsed in chunk:
                if isinstance(parsed, Problem):
                    problems.add(parsed)
                    continue
                event_id = parsed.event_id
                first = seen.setdefault(event_id, line)
                if first != line:
                    problems.add(
                        Problem(
                            line,
                            f"event_id {brief(event_id)} repeats line {first}",
                            column="event_id",
                            value=event_id,
                        )
                    )
                    continue
                events.append((line, parsed))
            count += len(events)
            known = stored([e for _, e in events]) if stored is not None and events else {}
            for line, event in events:
                same = known.get(event.event_id)
                if same is None:
                    lines.append(line)
                    yield event
                elif not same:
                    problems.add(
                        Problem(
                            line,
                            f"event_id {brief(event.event_id)} is stored with another payload",
                            column="event_id",
                            value=event.event_id,
                        )
                    )

    # check_each only iterates over what it is given; the stream is never held whole.
    for index, error in check_each(state, cast(Sequence[Event], fresh())):
        column, value = _at_fault(error)
        message = clipped(str(error), [value])
        problems.add(Problem(lines[index], message, column=column, value=value))
    problems.raise_if_any()
    return count


def first_event(label: str, parsed: Parsed) -> Event:
    """The event of one parsed item; ImportFailed naming its line when it is a problem."""
    _, found = parsed
    if isinstance(found, Problem):
        raise ImportFailed(label, [found], 1)
    return found


def _chunks(items: Iterable[Parsed]) -> Iterator[list[Parsed]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, _CHUNK)):
        yield chunk


def _at_fault(error: ValidationError) -> tuple[str | None, str | None]:
    """The field a validation rule names, and its value, for a Problem's column."""
    if isinstance(error, DuplicateClaim):
        return "claim_id", error.claim_id
    if isinstance(error, UnknownClaim | RetractedClaim):
        return "target", error.claim_id
    if isinstance(error, SelfDispute | ForeignRetraction):
        return "source", error.source
    if isinstance(error, UnitMismatch):
        return "unit", error.got
    if isinstance(error, CompositeCycle):
        return "parts", ";".join(error.path[1:-1]) or None
    if isinstance(error, InvalidEvent):
        return error.field, None
    return None, None


# -- the file's name and the progress callback -----------------------------------


def check_path(path: object) -> str:
    """The path of a file to read, as text; InvalidEvent naming ``path`` if it is not one."""
    try:
        name = os.fspath(path)  # type: ignore[call-overload]
    except TypeError:
        raise InvalidEvent(
            f"must be a file path (str or os.PathLike), not {type(path).__name__}", field="path"
        ) from None
    if not isinstance(name, str):
        raise InvalidEvent(
            f"must be a file path as text (str or pathlib.Path), not {type(name).__name__}",
            field="path",
        )
    if "\x00" in name:
        raise InvalidEvent(f"{brief(name)} holds a NUL character", field="path")
    return name


def check_progress(progress: object) -> None:
    """InvalidEvent naming ``progress`` unless it is None or a callable."""
    if progress is not None and not callable(progress):
        raise InvalidEvent(
            "must be a callable taking (lines_read, total_lines), or None, "
            f"not {type(progress).__name__}",
            field="progress",
        )


def open_file(path: object) -> tuple[str, BinaryIO]:
    """A file to read, opened in binary, with its name; InvalidEvent naming it if it cannot be."""
    name = check_path(path)
    try:
        return name, open(name, "rb")
    except OSError as exc:
        # The whole name (no longer than the system allows, or open would have said so).
        shown = repr(name) if len(name) <= 4096 else brief(name)
        raise InvalidEvent(f"cannot read {shown}: {exc.strerror or exc}", field="path") from None


# -- one copy of the file for both passes ----------------------------------------


@contextlib.contextmanager
def pinned(path: object) -> Iterator[str]:
    """A private copy of the file at path, for the duration of an import; removed after.

    An import reads its file twice: once to check every line, once to append.
    A file saved again between the two, or a pipe that can be read only once,
    would give the second pass other lines than the first checked. The copy
    (in the temporary directory, under the file's suffix, which says its
    format) gives both passes the same bytes. InvalidEvent naming ``path``
    when the file cannot be read or copied.
    """
    name, source = open_file(path)
    # The suffix says the format (.csv, .tsv, else JSON Lines); nothing longer or odder.
    suffix = Path(name).suffix.lower()
    suffix = suffix if len(suffix) <= 8 and suffix[1:].isalnum() and suffix.isascii() else ""
    _sweep()
    try:
        fd, copy = tempfile.mkstemp(prefix=f"{_COPY_PREFIX}{os.getpid()}-", suffix=suffix)
    except OSError as exc:
        source.close()
        raise InvalidEvent(
            f"cannot import {brief(name)}: cannot make its copy in {tempfile.gettempdir()}: "
            f"{exc.strerror or exc}",
            field="path",
        ) from None
    try:
        with source, os.fdopen(fd, "wb") as target:
            try:
                shutil.copyfileobj(source, target, 1 << 20)
            except OSError as exc:
                where = f"its copy in {tempfile.gettempdir()}"
                raise InvalidEvent(
                    f"cannot import {brief(name)}: cannot read it or write {where}: "
                    f"{exc.strerror or exc}",
                    field="path",
                ) from None
        yield copy
    finally:
        with contextlib.suppress(OSError):
            os.unlink(copy)


#: The name of an import's copy: the prefix, the importing process's id, a random part.
_COPY_PREFIX = "ledger-import-"
_COPY = re.compile(rf"{_COPY_PREFIX}([0-9]+)-")


def _sweep() -> None:
    """Remove the copies that imports killed before they could (SIGKILL) left behind.

    Only a copy whose process is gone: another import's, still running, stays.
    """
    with contextlib.suppress(OSError), os.scandir(tempfile.gettempdir()) as entries:
        for entry in entries:
            found = _COPY.match(entry.name)
            if found is None or not entry.is_file(follow_symlinks=False):
                continue
            try:
                os.kill(int(found[1]), 0)
            except ProcessLookupError:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
            except (OSError, OverflowError, ValueError):
                continue  # another user's process, or no such id: leave it


#: How many events an import appends per transaction.
IMPORT_BATCH = 10_000


def append_checked(
    label: str, items: Iterable[Parsed], extend: Callable[[list[Event]], int]
) -> int:
    """Append a checked file's events in batches of IMPORT_BATCH; how many were new.

    ``extend`` appends a batch (all of it or none) and says how many of its
    events were new. The file was checked whole first; if the ledger changed
    since (another writer) so that a batch no longer fits, ImportFailed names
    the line and says how many events of the file went in before it.
    """
    added = 0
    lines: list[int] = []
    batch: list[Event] = []

    def flush() -> None:
        nonlocal added
        try:
            added += extend(batch)
        except ValidationError as exc:
            if exc.item is None or isinstance(exc, ImportFailed):
                raise
            column, value = _at_fault(exc)
            reason = str(exc).removeprefix(f"item {exc.item}: ")
            reason = f"{clipped(reason, [value])} (the ledger changed after the file was checked)"
            problem = Problem(lines[exc.item], reason, column=column, value=value)
            raise ImportFailed(label, [problem], 1, imported=added) from None
        lines.clear()
        batch.clear()

    for parsed in items:
        batch.append(first_event(label, parsed))
        lines.append(parsed[0])
        if len(batch) == IMPORT_BATCH:
            flush()
    if batch:
        flush()
    return added
