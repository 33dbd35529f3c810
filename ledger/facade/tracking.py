"""A user's projection kept current: each read of its state folds only what is new.

A projection that also names itself and says how its state is written
(``name``, ``version``, ``dump(state) -> str``, ``load(text) -> state``: a
``PersistedProjection``) is kept in the store beside the log, as the
built-in views are (docs/projections.md): ``Ledger.track`` starts from the
state stored there, after checking that it covers a prefix of this very log
(its Merkle edge) at the projection's version, and stores the state again
after each read that folded new records. Like the built-in read model it is
a cache, never evidence: a missing, foreign, older or unreadable one is
folded again from the first record, with a warning, never an error.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar, runtime_checkable

from ledger.domain.figures import surrogate_in
from ledger.domain.records import Recorded
from ledger.errors import InvalidEvent, StoreError
from ledger.facade.keeper import covers_a_prefix
from ledger.merkle import CompactRange
from ledger.projections.protocol import Projection
from ledger.stores.base import Store
from ledger.stores.readmodel import ModelReadOnly, ReadModel

__all__ = ["PersistedProjection", "Tracked"]

log = logging.getLogger("ledger")

S = TypeVar("S")

#: Where a persisted projection's state lives in its read model: one row.
_TABLE, _PART, _ITEM = "state", "", ""


@runtime_checkable
class PersistedProjection(Protocol[S]):
    """A projection whose state is kept in the store, under its name and version."""

    #: The read model's name in the store ("ledger" is the built-in views').
    name: str
    #: The shape of the stored state: a state stored at another version is folded again.
    version: int

    def initial(self) -> S:
        """The state before any record."""
        ...

    def step(self, state: S, record: Recorded) -> S:
        """The state after one more record."""
        ...

    def dump(self, state: S) -> str:
        """The state as text, to store."""
        ...

    def load(self, text: str) -> S:
        """A state from the text ``dump`` gave."""
        ...


class Tracked(Generic[S]):
    """A projection folded over the log, and kept current as records are appended.

    Records appended by this process or by others are folded the next time
    ``state`` (or ``refresh()``) is read, each exactly once, in log order.
    """

    def __init__(
        self,
        projection: Projection[S],
        records: Callable[[int], Iterator[Recorded]],
        store: Store | None = None,
    ) -> None:
        self.projection = projection
        self._records = records
        self._state = projection.initial()
        self._position = 0
        self._keep: _Kept[S] | None = None
        if store is not None and isinstance(projection, PersistedProjection):
            model = store.model(projection.name)
            if model is not None:
                self._keep = _Kept(projection, model, store)
                with store.reading():  # the checkpoint, the log's edge and rows: one state
                    found = self._keep.start()
                if found is not None:
                    self._state, self._position = found

    @property
    def position(self) -> int:
        """The last position folded."""
        return self._position

    @property
    def state(self) -> S:
        """The projection's state at the log's head now."""
        return self.refresh()

    def refresh(self) -> S:
        """Fold the records appended since the last read; the state.

        The state and the position move together, record by record: when
        ``step`` raises, the error propagates and the tracker stands after
        the last record folded, so the next read folds the failing record
        again (a step that changed its state in place before raising leaves
        that change; one that returns a new state leaves nothing). A
        persisted projection's state is stored after a read that folded.
        """
        step, state, keep = self.projection.step, self._state, self._keep
        start = self._position
        try:
            for record in self._records(self._position):
                state = step(state, record)
                self._state, self._position = state, record.position
                if keep is not None:
                    keep.edge.append(record.hash)
        except BaseException:
            if keep is not None and self._position != start:
                # What was folded is stored; the step's error is the one to see.
                with contextlib.suppress(InvalidEvent):
                    keep.save(self._state, self._position)
            raise
        if keep is not None and self._position != start:
            keep.save(self._state, self._position)
        return state


class _Kept(Generic[S]):
    """A persisted projection's state in its read model: read at the start, stored after folds."""

    def __init__(self, projection: PersistedProjection[S], model: ReadModel, store: Store):
        self.projection = projection
        self.model = model
        self.store = store
        #: The Merkle edge of the log at the position folded.
        self.edge = CompactRange()
        #: The stored checkpoint's position a save lands on (None: none stored, or not ours).
        self.expected: int | None = None
        self.reset = False
        self.writable = not store.read_only

    def start(self) -> tuple[S, int] | None:
        """The stored state and its position, if it covers a prefix of this log at this version."""
        name = self.projection.name
        try:
            found = self.model.checkpoint()
            if found is None:
                return None
            self.expected = found.position
            tree = self.store.tree()
            if found.version != self.projection.version or not covers_a_prefix(
                self.store, found.edge, tree
            ):
                log.warning(
                    "%s: the stored state of projection %r is of another version or another "
                    "log: folding it again from the first record",
                    self.store.url,
                    name,
                )
                self.reset = True
                return None
            text = self.model.load(_TABLE, [_PART]).get(_PART, {}).get(_ITEM)
            if text is None:
                raise ValueError("its state row is missing")
            state = self.projection.load(text)
        except Exception as exc:  # a cache that does not read back, whatever load raises
            log.warning(
                "%s: the stored state of projection %r does not read back (%s): folding it "
                "again from the first record",
                self.store.url,
                name,
                exc,
            )
            self.reset = True
            return None
        self.edge = found.edge.copy()
        return state, found.position

    def save(self, state: S, position: int) -> None:
        """Store the state at position; another process's newer one, or a read-only store, wins."""
        if not self.writable or self.edge.size != position:
            return
        text = self.projection.dump(state)
        wrong = "is not text" if not isinstance(text, str) else surrogate_in(text)
        if wrong is not None:
            raise InvalidEvent(
                f"projection {self.projection.name!r}: what dump() returned {wrong}: "
                "it must return text (str) for the store to keep",
                field="projection",
            )
        change = (_TABLE, _PART, _ITEM, text)
        try:
            stored = self.model.replace(
                self.projection.version,
                [change],
                self.edge,
                expected=self.expected,
                reset=self.reset,
            )
            if not stored:
                # Another process stored its state meanwhile: one behind ours is replaced
                # (both cover a prefix of the log), a newer one is kept.
                found = self.model.checkpoint()
                behind = found is None or (
                    found.version == self.projection.version and found.position <= position
                )
                if not behind:
                    return
                self.expected = None if found is None else found.position
                stored = self.model.replace(
                    self.projection.version, [change], self.edge, expected=self.expected
                )
        except ModelReadOnly as exc:
            # A role that may not write, or tables of another shape: folded, not stored.
            log.warning(
                "%s: the state of projection %r is not stored (%s); it is folded in memory",
                self.store.url,
                self.projection.name,
                exc,
            )
            self.writable = False
            return
        except StoreError as exc:
            log.warning(
                "%s: the state of projection %r was not stored (%s)",
                self.store.url,
                self.projection.name,
                exc,
            )
            return
        if stored:
            self.expected, self.reset = position, False
