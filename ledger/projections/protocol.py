"""The projection seam (DESIGN §7): a projection is an initial state and a step over records.

A user's projection is a class with two methods::

    class FiguresPerMonth:
        def initial(self) -> dict[tuple[str, str], int]:
            return {}

        def step(self, state, record):
            event = record.event
            if isinstance(event, ledger.FigureReported):
                key = (event.source, event.stated_at.strftime("%Y-%m"))
                state[key] = state.get(key, 0) + 1
            return state

``Ledger.project`` runs it over the log (now, or as of a position or stated
time) and ``Ledger.track`` keeps it current as records are appended. The
built-in views are a projection of the same kind (``LedgerProjection``).

``in_view`` is the one definition of which records a view as of a position
or a stated time folds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol, TypeVar

from ledger.domain.events import Event
from ledger.domain.records import Recorded
from ledger.projections.facts import Facts
from ledger.projections.reader import Reader

__all__ = ["LedgerProjection", "Projection", "fold", "in_view", "stated_by", "stated_of"]

S = TypeVar("S")


class Projection(Protocol[S]):
    """A fold over the log: an initial state and a step that folds one record into it."""

    def initial(self) -> S:
        """The state before any record."""
        ...

    def step(self, state: S, record: Recorded) -> S:
        """The state after one more record (it may be the same object, changed)."""
        ...


def fold(projection: Projection[S], records: Iterable[Recorded]) -> S:
    """The state a projection reaches over records, in the order given."""
    state = projection.initial()
    step = projection.step
    for record in records:
        state = step(state, record)
    return state


def stated_of(event: Event) -> datetime | None:
    """When an event's statement was made; None for definitions and descriptions."""
    stated: datetime | None = getattr(event, "stated_at", None)
    return stated


def stated_by(event: Event, stated: datetime | None) -> bool:
    """Whether a view as stated up to ``stated`` folds the event (None: every event does).

    Events stated at or before ``stated`` count; TopicDefined and
    SourceDescribed, which have no stated time, always count.
    """
    if stated is None:
        return True
    when = stated_of(event)
    return when is None or when <= stated


def in_view(
    records: Iterable[Recorded], position: int | None = None, stated: datetime | None = None
) -> Iterator[Recorded]:
    """The records a view as of (position, stated) folds (DESIGN §4 Time travel), in log order.

    Events 1..position (all when None), and of those only the ones
    ``stated_by`` keeps.
    """
    for record in records:
        if position is not None and record.position > position:
            return
        if stated_by(record.event, stated):
            yield record


class LedgerProjection:
    """The built-in views as a projection: the state is a ``Reader`` over the folded facts."""

    def initial(self) -> Reader:
        """No facts yet."""
        return Reader(Facts())

    def step(self, state: Reader, record: Recorded) -> Reader:
        """Fold one record into the facts."""
        state.facts.apply(record.position, record.event)
        return state
