"""The memory:// store: the log in a list, for tests and throwaway ledgers."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence

from ledger.codec import StoredRow
from ledger.errors import ConcurrencyError
from ledger.merkle import CompactRange
from ledger.stores.admission import admit
from ledger.stores.base import Clock, Store, utc_now
from ledger.stores.readmodel import ModelWrite

__all__ = ["MemoryStore"]


class MemoryStore(Store):
    """Rows in a Python list; gone when the process ends."""

    def __init__(
        self, url: str = "memory://", clock: Clock = utc_now, *, read_only: bool = False
    ) -> None:
        self.url = url
        self.clock = clock
        # Read-only is of little use for a log that starts empty, but callers that
        # open every store read-only for reading may name memory:// too.
        self.read_only = bool(read_only)
        self._rows: list[StoredRow] = []
        self._ids: dict[str, StoredRow] = {}
        self._tree = CompactRange()
        self._lock = threading.RLock()

    def read_only_view(self) -> MemoryStore:
        """A read-only store on the same rows, as a reader in another process sees a file."""
        view = MemoryStore(self.url, self.clock, read_only=True)
        view._rows, view._ids, view._tree, view._lock = (
            self._rows,
            self._ids,
            self._tree,
            self._lock,
        )
        return view

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
        self.check_writable()
        with self._lock:
            if len(self._rows) != expected_head:
                raise ConcurrencyError(expected_head, len(self._rows))
            ids = self._ids
            leaves = admit(
                rows, expected_head, stored=lambda i: ids[i].position if i in ids else None
            )
            self._rows.extend(rows)
            ids.update((r.event_id, r) for r in rows)
            self._tree.extend(leaves)
        # No read model: a memory ledger folds everything in memory.
        return model is None

    def tree(self) -> CompactRange:
        with self._lock:
            return self._tree.copy()

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        # Writers wait for the block: rows, head and tree stay one state.
        with self._lock:
            yield
