"""The store interface: the only place the log touches I/O.

A store keeps stored rows (the wire format's columns) in position order and
the Merkle tree's right edge beside them. It knows nothing of events beyond
their event_id and nothing of projections: the Ledger encodes, validates and
folds; the store writes atomically and refuses a write whose expected head is
stale.
"""

from __future__ import annotations

import abc
import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Self

from ledger.codec import RowValues, StoredRow
from ledger.errors import CorruptLog, StoreUnavailable
from ledger.merkle import CompactRange
from ledger.stores.readmodel import ModelWrite, ReadModel
from ledger.stores.urls import redact

__all__ = ["LAST_POSITION", "Clock", "Store", "file_identity", "utc_now"]

Clock = Callable[[], datetime]

#: The greatest position a store can hold (a signed 64-bit integer, as SQLite and
#: PostgreSQL keep it): no record lies after it, so none can be asked for.
LAST_POSITION = 2**63 - 1


def utc_now() -> datetime:
    """The store's default clock: the current time in UTC."""
    return datetime.now(UTC)


def file_identity(path: str) -> tuple[int, int] | None:
    """The (device, inode) of the file at path, None when there is none: which file it is."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return (found.st_dev, found.st_ino)


class Store(abc.ABC):
    """An append-only sequence of stored rows with gapless positions from 1."""

    #: The URL the store was opened with (a PostgreSQL store's with its password redacted).
    url: str
    #: Where recorded_at comes from; injectable for tests.
    clock: Clock
    #: Whether positions are line numbers of a file (JSON Lines), for error messages.
    numbered_lines: bool = False
    #: Whether the store was opened read-only: it refuses writes and never repairs.
    read_only: bool = False

    @abc.abstractmethod
    def head(self) -> int:
        """The last position, 0 when empty, as the store holds it now."""

    @abc.abstractmethod
    def read(self, after: int = 0) -> Iterator[StoredRow]:
        """The rows after a position, in position order."""

    def scan(self, after: int = 0) -> Iterator[RowValues]:
        """read(), as plain tuples of the StoredRow fields in order: a replay's hot path."""
        for row in self.read(after):
            yield (
                row.position,
                row.event_id,
                row.type,
                row.schema,
                row.recorded_at,
                row.data,
                row.hash,
            )

    def read_positions(self, positions: Sequence[int]) -> Iterator[StoredRow]:
        """The rows at these positions (ascending, all at most head), in that order."""
        wanted = iter(positions)
        target = next(wanted, None)
        if target is None:
            return
        for row in self.read(target - 1):
            if row.position == target:
                yield row
                target = next(wanted, None)
                if target is None:
                    return
        raise CorruptLog(f"position {target} is missing", position=target)

    def model(self, name: str) -> ReadModel | None:
        """The read model of the projection called name, kept beside the log; None: not kept."""
        return None

    @abc.abstractmethod
    def find(self, event_ids: Sequence[str]) -> dict[str, StoredRow]:
        """The stored rows among these event_ids, by event_id."""

    def check_writable(self, where: str | None = None) -> None:
        """StoreUnavailable when the store was opened read-only (every write asks first)."""
        if self.read_only:
            place = self.url if where is None else where
            raise StoreUnavailable(f"{place}: the store was opened read-only: cannot append")

    @abc.abstractmethod
    def write(
        self, rows: Sequence[StoredRow], expected_head: int, model: ModelWrite | None = None
    ) -> bool:
        """Store rows atomically at expected_head + 1..; ConcurrencyError if the head moved.

        With ``model``, also store the read-model rows the records changed
        (in the same transaction where the store has them). Whether the model
        changes were stored (True when there were none): a store may leave
        its read model behind the log, to be caught up later, never the
        other way round.
        """

    def write_folding(
        self,
        rows: Sequence[StoredRow],
        expected_head: int,
        fold: Callable[[], ModelWrite | None],
        *,
        waits: bool = False,
    ) -> tuple[bool, ModelWrite | None]:
        """``write()``, with the read-model changes made by fold: (written, what fold made).

        The caller folds the records into its projection in ``fold`` and
        returns what to store with them. fold runs at most once (a store may
        refuse the batch before or after it: a ConcurrencyError writes
        nothing either way). By default it runs first and the rows are
        written after it; a store whose server stores the records while this
        process works (PostgreSQL) sends them first and folds while they are
        stored.

        ``waits``: fold will return None (its changes wait in memory for a
        later write), so the records may be committed while it runs: SQLite
        commits (a file sync) in a thread of its own meanwhile.
        """
        model = fold()
        return self.write(rows, expected_head, model), model

    @abc.abstractmethod
    def tree(self) -> CompactRange:
        """The right edge of the Merkle tree over every stored leaf hash."""

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Hold the log's writer turn across catch-up, validation and write; optional."""
        return contextlib.nullcontext()

    def reading(self) -> contextlib.AbstractContextManager[None]:
        """Read one consistent state of the log and its read models for the block's duration.

        No write may happen inside the block. Stores whose every read is
        consistent (memory://) need not do anything.
        """
        return contextlib.nullcontext()

    def replaced(self) -> bool:
        """Whether the store's file was removed or replaced since it was opened.

        A follower polls a file store through the file it opened: one removed
        or renamed over would never show another record. Stores without a
        file of their own (memory://, PostgreSQL) are never replaced.
        """
        return False

    def unrepaired(self) -> CorruptLog | None:
        """Damage the store read past without repairing it, or None; verify reports it.

        A writable JSON Lines store moves a torn last line (an interrupted
        append) aside when it opens; a read-only one cannot, so it reads the
        complete lines before it and keeps the damage here.
        """
        return None

    @staticmethod
    def repeats(earlier: int) -> str:
        """What ``stored_fault`` says of a record repeating the event_id at ``earlier``."""
        return f"it repeats the event_id of the record at position {earlier}"

    def stored_fault(self) -> tuple[int, str] | None:
        """The first record whose columns disagree in a way its hash cannot show, and why; or None.

        ``verify`` asks, inside ``reading()``, after the hashes: a record
        repeating an earlier record's event_id (the key of idempotent
        appends: the log was written around the store, its table made again
        without the unique index), or a column kept for queries that says
        otherwise than the hashed text it mirrors. Stores that refuse these
        as they read (JSON Lines), or keep no such column, need not look.
        """
        return None

    def __repr__(self) -> str:
        mode = " read-only" if self.read_only else ""
        return f"<{type(self).__name__} {redact(getattr(self, 'url', '?'))!r}{mode}>"

    def close(self) -> None:  # noqa: B027 - nothing to release by default
        """Release files, connections and locks."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
