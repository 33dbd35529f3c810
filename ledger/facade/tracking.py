"""A user's projection kept current: each read of its state folds only what is new."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from ledger.domain.records import Recorded
from ledger.projections.protocol import Projection

__all__ = ["Tracked"]

S = TypeVar("S")


class Tracked(Generic[S]):
    """A projection folded over the log, and kept current as records are appended.

    Records appended by this process or by others are folded the next time
    ``state`` (or ``refresh()``) is read, each exactly once, in log order.
    """

    def __init__(self, projection: Projection[S], records: Callable[[int], Iterator[Recorded]]):
        self.projection = projection
        self._records = records
        self._state = projection.initial()
        self._position = 0

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
        that change; one that returns a new state leaves nothing).
        """
        step, state = self.projection.step, self._state
        for record in self._records(self._position):
            state = step(state, record)
            self._state, self._position = state, record.position
        return state
