"""A topic's timeline: its range and consensus after each event that changed them.

Folds the log once with the built-in projection, reading the topic's view
after every event that touched it (views are cached, so an untouched topic
costs a lookup), rather than re-folding the log per position with as_of.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Literal

import attrs

from ledger.domain.events import to_timestamp
from ledger.domain.figures import Interval
from ledger.domain.records import Recorded
from ledger.domain.views import Consensus
from ledger.errors import UnknownTopic
from ledger.projections.protocol import LedgerProjection, in_view, stated_of

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


def _claim_of(record: Recorded) -> str | None:
    event = record.event
    found: str | None = getattr(event, "claim_id", None) or getattr(event, "target", None)
    return found


class _Watcher:
    """Folds records and notes a Step whenever the topic's range or consensus moves."""

    def __init__(self, topic: str, window: timedelta | None) -> None:
        self.topic = topic
        self.window = window
        self.reader = LedgerProjection().initial()
        self.steps: list[Step] = []
        self._last: tuple[Interval | None, Consensus | None] = (None, None)

    def apply(self, record: Recorded) -> bool:
        """Fold a record; whether it touched the topic (or a part of it, or a voice)."""
        facts = self.reader.facts
        self.reader.refresh()
        facts.apply(record.position, record.event)
        hits = facts.dirty
        return bool(hits) and ("" in hits or self._reaches(hits))

    def _reaches(self, hits: set[str]) -> bool:
        stack, seen = [self.topic], set()
        while stack:
            name = stack.pop()
            if name in hits:
                return True
            if name not in seen:
                seen.add(name)
                stack.extend(self.reader.facts.parts_of(name))
        return False

    def note(self, record: Recorded, stated_at: datetime | None) -> None:
        if not self.reader.facts.mentioned(self.topic):
            return
        view = self.reader.topic(self.topic, self.window)
        now = (view.range, view.consensus)
        if now == self._last:
            return
        self._last = now
        self.steps.append(
            Step(
                position=record.position,
                stated_at=stated_at,
                event_type=record.type,
                source=getattr(record.event, "source", None),
                claim_id=_claim_of(record),
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
    window: timedelta | None = None,
) -> list[Step]:
    """The steps of a topic's range and consensus, in log order or in stated-time order.

    ``position`` and ``stated`` bound the fold as ``Ledger.as_of`` does. In
    stated order each step is the topic as of one stated_at (what
    ``as_of(stated=t)`` shows), so the steps move forward in stated time even
    when the log recorded late reports after earlier ones; each step is
    labelled with the last event of that moment that touched the topic.
    """
    cutoff = None if stated is None else to_timestamp(stated)
    kept = list(in_view(records, position, cutoff))
    watcher = _Watcher(topic, window)
    if order == "log":
        for record in kept:
            if watcher.apply(record):
                watcher.note(record, stated_of(record.event))
    else:
        # Definitions have no stated time and always count, as in as_of(stated=...).
        timed = []
        for record in kept:
            if stated_of(record.event) is None:
                watcher.apply(record)
            else:
                timed.append(record)
        timed.sort(key=lambda r: (stated_of(r.event), r.position))
        for when, group in groupby(timed, key=lambda r: stated_of(r.event)):
            label = None
            for record in group:
                if watcher.apply(record):
                    label = record
            if label is not None:
                watcher.note(label, when)
    if not watcher.reader.facts.mentioned(topic):
        raise UnknownTopic(topic)
    return watcher.steps
