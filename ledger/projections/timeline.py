"""A topic's history: its range and consensus after each event that changed them.

Folds the log once with LedgerState, reading the topic's view after every
event (the state caches views, so an untouched topic costs a lookup), rather
than re-folding the log per position with as_of.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from itertools import groupby
from typing import Literal

import attrs

from ledger.codec import Recorded
from ledger.domain.events import Event, to_timestamp
from ledger.domain.figures import Interval
from ledger.domain.views import Consensus
from ledger.errors import UnknownTopic
from ledger.projections.state import LedgerState

__all__ = ["Order", "Step", "topic_timeline"]

Order = Literal["log", "stated"]


@attrs.frozen
class Step:
    """A topic's range and consensus right after the event that changed them."""

    position: int
    stated_at: datetime | None
    event_type: str
    source: str | None
    claim_id: str | None
    figures: int
    range: Interval | None
    consensus: Consensus | None


def _stated(event: Event) -> datetime | None:
    return getattr(event, "stated_at", None)


def _claim_of(event: Event) -> str | None:
    return getattr(event, "claim_id", None) or getattr(event, "target", None)


class _Watcher:
    """Folds events and notes a Step whenever the topic's range or consensus moves."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.state = LedgerState()
        self.steps: list[Step] = []
        self._last: tuple[Interval | None, Consensus | None] = (None, None)

    def apply(self, record: Recorded) -> None:
        self.state.apply(record.position, record.event)

    def note(self, record: Recorded, stated_at: datetime | None) -> None:
        if self.topic not in self.state.mentioned:
            return
        view = self.state.topic(self.topic)
        now = (view.range, view.consensus)
        if now == self._last:
            return
        self._last = now
        event = record.event
        self.steps.append(
            Step(
                position=record.position,
                stated_at=stated_at,
                event_type=type(event).__name__,
                source=getattr(event, "source", None),
                claim_id=_claim_of(event),
                figures=len(view.figures),
                range=view.range,
                consensus=view.consensus,
            )
        )


def topic_timeline(
    records: Iterable[Recorded],
    topic: str,
    *,
    order: Order = "log",
    position: int | None = None,
    stated: datetime | date | None = None,
) -> list[Step]:
    """The steps of a topic's range and consensus, in log order or in stated-time order.

    ``position`` and ``stated`` bound the fold as ``Ledger.as_of`` does. In
    stated order each step is the topic as of one stated_at (what
    ``as_of(stated=t)`` shows), so the steps move forward in stated time even
    when the log recorded late reports after earlier ones.
    """
    cutoff = None if stated is None else to_timestamp(stated)
    kept = []
    for record in records:
        if position is not None and record.position > position:
            break
        when = _stated(record.event)
        if cutoff is not None and when is not None and when > cutoff:
            continue
        kept.append(record)
    watcher = _Watcher(topic)
    if order == "log":
        for record in kept:
            watcher.apply(record)
            watcher.note(record, _stated(record.event))
    else:
        # Definitions have no stated time and always count, as in as_of(stated=...).
        timed = []
        for record in kept:
            if _stated(record.event) is None:
                watcher.apply(record)
            else:
                timed.append(record)
        timed.sort(key=lambda r: (_stated(r.event), r.position))
        for when, group in groupby(timed, key=lambda r: _stated(r.event)):
            batch = list(group)
            for record in batch:
                watcher.apply(record)
            watcher.note(batch[-1], when)
    if topic not in watcher.state.mentioned:
        raise UnknownTopic(topic)
    return watcher.steps
