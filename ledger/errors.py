"""Every error the ledger raises, under one root.

Each error names what was wrong and where, in its message and as attributes
(``field``, ``claim_id``, ``topic``, ``position``, ``line``), so callers can
act on it without parsing text::

    LedgerError
    ├── ValidationError            bad input: nothing was written
    │   ├── InvalidEvent           a field breaks its own rule (.field)
    │   │   └── InvalidFigure      a Figure or Interval invariant (.field)
    │   │       └── UnparseableFigure   words that name no figure (.text)
    │   ├── DuplicateClaim         claim_id already used (.claim_id)
    │   ├── UnknownClaim           dispute/retraction of no such claim (.claim_id)
    │   ├── RetractedClaim         dispute/retraction of a retracted claim
    │   ├── SelfDispute            a source disputing its own claim
    │   ├── ForeignRetraction      a retraction by someone else than the source
    │   ├── UnitMismatch           a unit that differs from the topic's (.topic)
    │   ├── CompositeCycle         composite parts that loop back (.topic)
    │   └── ImportFailed           authoring file with bad lines (.problems)
    ├── UnknownTopic               a topic never mentioned (.topic)
    ├── StoreError                 the log could not be read or written
    │   ├── ConcurrencyError       the head moved (.expected, .actual)
    │   ├── DuplicateEvent         event_id stored with another payload
    │   ├── RecordTooLarge         a record over the size limit
    │   ├── StoreUnavailable       bad URL, unwritable path, server down
    │   └── CorruptLog             stored bytes that do not decode (.line, .position)
    │       └── UnsupportedRecord  unknown type or newer schema (.position)
    ├── InvalidProof               a Merkle proof or checkpoint does not verify
    └── SignatureError             a checkpoint signature or key is wrong
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

__all__ = [
    "CompositeCycle",
    "ConcurrencyError",
    "CorruptLog",
    "DuplicateClaim",
    "DuplicateEvent",
    "ForeignRetraction",
    "ImportFailed",
    "InvalidEvent",
    "InvalidFigure",
    "InvalidProof",
    "LedgerError",
    "RecordTooLarge",
    "RetractedClaim",
    "SelfDispute",
    "SignatureError",
    "StoreError",
    "StoreUnavailable",
    "UnitMismatch",
    "UnknownClaim",
    "UnknownTopic",
    "UnparseableFigure",
    "UnsupportedRecord",
    "ValidationError",
]


class LedgerError(Exception):
    """Root of every error raised by claims-ledger."""


class ValidationError(LedgerError, ValueError):
    """Input the ledger refuses; nothing was written."""

    #: The index of the event at fault in a batch given to ``extend``, when known.
    item: int | None = None


class InvalidEvent(ValidationError):
    """A field of an event breaks its own rule."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class InvalidFigure(InvalidEvent):
    """A Figure or Interval breaks one of its invariants."""


class UnparseableFigure(InvalidFigure):
    """Words that no rule of the convention turns into a figure."""

    def __init__(self, text: str, convention: str) -> None:
        self.text = text
        self.convention = convention
        super().__init__(f"cannot read a figure from {text!r} under convention {convention!r}")


class _ClaimError(ValidationError):
    def __init__(self, message: str, *, claim_id: str) -> None:
        self.claim_id = claim_id
        super().__init__(message)


class DuplicateClaim(_ClaimError):
    """A claim_id that the ledger already holds."""

    def __init__(self, claim_id: str) -> None:
        super().__init__(f"claim_id {claim_id!r} is already used", claim_id=claim_id)


class UnknownClaim(_ClaimError):
    """A dispute or retraction whose target claim does not exist."""

    def __init__(self, claim_id: str) -> None:
        super().__init__(f"target: no claim {claim_id!r} in the ledger", claim_id=claim_id)


class RetractedClaim(_ClaimError):
    """A dispute or retraction of a claim that is already retracted."""

    def __init__(self, claim_id: str) -> None:
        super().__init__(f"target: claim {claim_id!r} is retracted", claim_id=claim_id)


class SelfDispute(_ClaimError):
    """A source disputing its own claim."""

    def __init__(self, claim_id: str, source: str) -> None:
        self.source = source
        super().__init__(
            f"source: {source!r} cannot dispute its own claim {claim_id!r}", claim_id=claim_id
        )


class ForeignRetraction(_ClaimError):
    """A retraction by a source other than the claim's source."""

    def __init__(self, claim_id: str, source: str, owner: str) -> None:
        self.source = source
        self.owner = owner
        super().__init__(
            f"source: {source!r} cannot retract claim {claim_id!r}, which {owner!r} made",
            claim_id=claim_id,
        )


class UnitMismatch(ValidationError):
    """A unit that differs from the unit its topic already has."""

    def __init__(self, topic: str, expected: str | None, got: str | None) -> None:
        self.topic = topic
        self.expected = expected
        self.got = got
        super().__init__(f"unit: topic {topic!r} is counted in {expected!r}, not {got!r}")


class CompositeCycle(ValidationError):
    """Composite topic parts that lead back to the topic itself."""

    def __init__(self, topic: str, path: Sequence[str]) -> None:
        self.topic = topic
        self.path = tuple(path)
        super().__init__(f"parts: topic {topic!r} would contain itself ({' -> '.join(path)})")


class ImportFailed(ValidationError):
    """An authoring file with bad lines; nothing was appended.

    Unless ``imported`` says otherwise: the file checked whole, then another
    writer changed the ledger while its events were appended in batches, and
    a later batch no longer fit (the batches before it are stored; importing
    the file again adds the rest once the line is put right).
    """

    def __init__(
        self, path: str, problems: Sequence[tuple[int, str]], total: int, *, imported: int = 0
    ) -> None:
        self.path = path
        self.problems = list(problems)
        self.total = total
        self.imported = imported
        shown = "; ".join(f"line {line}: {reason}" for line, reason in self.problems)
        more = f" (and {total - len(self.problems)} more)" if total > len(self.problems) else ""
        done = f"{imported} event(s) imported before it" if imported else "nothing imported"
        super().__init__(f"{path}: {total} bad line(s), {done}: {shown}{more}")


class UnknownTopic(LedgerError, LookupError):
    """A topic that no event in the view mentions."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        super().__init__(f"no topic {topic!r} in the ledger")

    def __str__(self) -> str:
        return str(self.args[0])


class StoreError(LedgerError):
    """The log could not be read or written."""


class ConcurrencyError(StoreError):
    """The head moved past the position the writer expected."""

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"expected_position: expected head {expected}, the head is {actual}")


class DuplicateEvent(StoreError):
    """An event_id already stored with a different payload."""

    def __init__(self, event_id: str, position: int) -> None:
        self.event_id = event_id
        self.position = position
        super().__init__(
            f"event_id {event_id!r} is stored at position {position} with another payload"
        )


class RecordTooLarge(StoreError, ValueError):
    """A record whose encoding exceeds the store's size limit."""

    #: The index of the event at fault in a batch given to ``extend``, when known.
    item: int | None = None

    def __init__(
        self, size: int, limit: int, *, position: int | None = None, item: int | None = None
    ) -> None:
        self.size = size
        self.limit = limit
        self.position = position
        self.item = item
        where = f"position {position}: " if position is not None else ""
        super().__init__(f"{where}record of {size} bytes exceeds the limit of {limit} bytes")


class StoreUnavailable(StoreError):
    """A store that cannot be opened: bad URL, unwritable path, server down."""


class CorruptLog(StoreError):
    """Stored bytes that do not decode into a record."""

    def __init__(
        self, message: str, *, line: int | None = None, position: int | None = None
    ) -> None:
        self.line = line
        self.position = position
        where = []
        if line is not None:
            where.append(f"line {line}")
        if position is not None:
            where.append(f"position {position}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class UnsupportedRecord(CorruptLog):
    """A record of an unknown type or of a schema newer than this code knows."""


class InvalidProof(LedgerError, ValueError):
    """A Merkle proof, receipt or checkpoint that does not verify."""


class SignatureError(LedgerError):
    """A checkpoint signature, or a key file, that is wrong."""


# -- what error messages show (not errors themselves: kept out of __all__) ------------

#: How many characters of a value an error message shows.
_SHOWN = 80
#: Integers up to this many bits are shown in full (about 80 digits).
_WIDEST_SHOWN_BITS = 256
# A message longer than this (a value echoed by a rule) keeps its ends only.
_LONGEST_MESSAGE = 400


def brief(value: object) -> str:
    """A value for an error message: its repr, cut to about 80 characters with its length.

    An integer too long to print in full (Python refuses past 4,300 digits)
    is shown by its size.
    """
    if isinstance(value, int) and value.bit_length() > _WIDEST_SHOWN_BITS:
        digits = int(value.bit_length() * math.log10(2)) + 1
        return f"{'a negative' if value < 0 else 'an'} integer of about {digits:,} digits"
    text = repr(value)
    if len(text) <= _SHOWN + 2:
        return text
    if isinstance(value, str):
        return f"{text[:_SHOWN]}…{text[0]} ({len(value):,} characters)"
    return f"{text[:_SHOWN]}… ({len(text):,} characters)"


def clipped(message: str, values: Iterable[object] = ()) -> str:
    """A message from elsewhere with the long values it echoes (repr or as is) cut short.

    Whatever is still too long keeps its beginning (the field) and its end (the reason).
    """
    for value in values:
        if isinstance(value, str) and len(value) > _SHOWN and value in message:
            message = message.replace(repr(value), brief(value))
            message = message.replace(value, f"{value[:_SHOWN]}… ({len(value):,} characters)")
    if len(message) <= _LONGEST_MESSAGE:
        return message
    head, tail = _LONGEST_MESSAGE * 2 // 3, _LONGEST_MESSAGE // 3
    cut = len(message) - head - tail
    return f"{message[:head]} … ({cut:,} characters cut) … {message[-tail:]}"
