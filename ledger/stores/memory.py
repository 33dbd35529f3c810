"""The memory:// store: the log in a list, for tests and throwaway ledgers."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from ledger.codec import StoredRow
from ledger.errors import ConcurrencyError, DuplicateEvent
from ledger.merkle import CompactRange
from ledger.stores.base import Clock, Store, utc_now
from ledger.stores.readmodel import ModelWrite

__all__ = ["MemoryStore"]


class MemoryStore(Store):
    """Rows in a Python list; gone when the process ends."""

    def __init__(self, url: str = "memory://", clock: Clock = utc_now) -> None:
        self.url = url
        self.clock = clock
        self._rows: list[StoredRow] = []
        self._ids: dict[str, StoredRow] = {}
        self._tree = CompactRange()
        self._lock = threading.Lock()

    def head(self) -> int:
        return len(self._rows)

    def read(self, after: int = 0) -> Iterator[StoredRow]:
        yield from self._rows[max(after, 0) :]

    def read_positions(self, positions: Sequence[int]) -> Iterator[StoredRow]:
        rows = self._rows
        for position in positions:
            yield rows[position - 1]

    def find(self, event_ids: Sequence[str]) -> dict[str, StoredRow]:
        return {i: self._ids[i] for i in event_ids if i in self._ids}

    def write(
        self, rows: Sequence[StoredRow], expected_head: int, model: ModelWrite | None = None
    ) -> bool:
        with self._lock:
            if len(self._rows) != expected_head:
                raise ConcurrencyError(expected_head, len(self._rows))
            for row in rows:
                if row.event_id in self._ids:
                    raise DuplicateEvent(row.event_id, self._ids[row.event_id].position)
            self._rows.extend(rows)
            self._ids.update((r.event_id, r) for r in rows)
            self._tree.extend([bytes.fromhex(r.hash) for r in rows])
        # No read model: a memory ledger folds everything in memory.
        return model is None

    def tree(self) -> CompactRange:
        return self._tree.copy()
