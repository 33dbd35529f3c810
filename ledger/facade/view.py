"""Read-only queries over the built-in projection: the ledger now, or as of a moment."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, TypeVar

from ledger.domain.events import (
    ClaimMade,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
    events_in,
)
from ledger.domain.freshness import check_window
from ledger.domain.views import Dispute, HistoryEntry, PropositionView, TopicView
from ledger.errors import InvalidEvent, UnknownTopic
from ledger.projections.protocol import LedgerProjection
from ledger.projections.reader import Reader

__all__ = ["LedgerView"]

T = TypeVar("T")


class LedgerView:
    """Read-only queries over the built-in views: the ledger now, or as of a moment.

    Every query asks the one projection (``ledger.projections.reader``), so
    the CLI, the report, the charts and a user's code see the same answers.
    """

    def __init__(self, reader: Reader) -> None:
        self._fixed = reader

    @classmethod
    def replay(cls, events: Iterable[Event]) -> LedgerView:
        """The views of these events at positions 1, 2, …, folded from scratch in memory."""
        reader = LedgerProjection().initial()
        for position, event in enumerate(events_in(events), 1):
            reader.facts.apply(position, event)
        return cls(reader)

    def _ask(self, query: Callable[[Reader], T], *, whole: bool = False) -> T:
        """Answer a query from the projection (a fixed view: as it is).

        ``whole``: the query reads every topic (a ledger opened with
        ``tune_gc`` reads it with the collector paused).
        """
        return query(self._fixed)

    @property
    def position(self) -> int:
        """The last position folded into this view."""
        return self._ask(lambda r: r.facts.position)

    def topic(self, topic: str, *, window: timedelta | None = None) -> TopicView:
        """One topic's current figures, range and consensus; UnknownTopic if never mentioned.

        ``window`` overrides the topic's own freshness window (``timedelta.max``
        sets it aside: every current figure counts).
        """
        in_force = check_window(window)
        _check_topic(topic)
        return self._ask(lambda r: r.topic(topic, in_force))

    def topics(self, *, window: timedelta | None = None) -> list[TopicView]:
        """Every topic mentioned, sorted by topic, each under ``window`` or its own."""
        in_force = check_window(window)
        return self._ask(lambda r: r.topics(in_force), whole=True)

    def history(self, topic: str, source: str | None = None) -> list[HistoryEntry]:
        """Every FigureReported on a topic (of one source), by (stated_at, position)."""
        _check_topic(topic)
        if source is not None:
            _check_text("source", source)
        return self._ask(lambda r: r.history(topic, source))

    def propositions(self, topic: str | None = None) -> list[PropositionView]:
        """Every proposition with claims, sorted by (topic, proposition)."""
        if topic is not None:
            _check_topic(topic)
        return self._ask(lambda r: r.propositions(topic), whole=topic is None)

    def disputes(self, topic: str | None = None, proposition: str | None = None) -> list[Dispute]:
        """Every dispute of a claim in the view (of claims on one proposition), in log order."""
        if topic is not None:
            _check_topic(topic)
        if proposition is not None:
            _check_text("proposition", proposition)
        return self._ask(lambda r: r.disputes(topic, proposition), whole=topic is None)

    def active_disputes(self, topic: str | None = None) -> dict[str, int]:
        """How many active disputes each topic has (one topic's; topics without any left out).

        What counting ``disputes(topic)`` whose ``active`` is set gives, for
        every topic in one query: for tables of every topic.
        """
        if topic is not None:
            _check_topic(topic)
        return self._ask(lambda r: r.active_disputes(topic))

    def statements(self, topic: str, proposition: str) -> list[ClaimMade]:
        """The current claim of each source on a proposition, sorted by source."""
        _check_topic(topic)
        _check_text("proposition", proposition)
        return self._ask(lambda r: r.statements(topic, proposition))

    def claim(self, claim_id: str) -> ClaimMade | FigureReported | None:
        """The ClaimMade or FigureReported with this claim_id, or None."""
        given: object = claim_id
        if not isinstance(given, str):
            return None
        return self._ask(lambda r: r.claim(claim_id))

    def source(self, source: str) -> SourceDescribed | None:
        """The latest description of a source, or None."""
        given: object = source
        if not isinstance(given, str):
            return None
        return self._ask(lambda r: r.source(source))

    def definition(self, topic: str) -> TopicDefined | None:
        """The latest TopicDefined of a topic, or None."""
        given: object = topic
        if not isinstance(given, str):
            return None
        return self._ask(lambda r: r.definition(topic))

    def to_pandas(self, what: str, **options: Any) -> Any:
        """An export (``ledger.export``) as a pandas DataFrame; needs the ``pandas`` extra."""
        from ledger.export import to_pandas  # the export layer, and pandas, only when asked

        return to_pandas(self, what, **options)


def _check_topic(topic: object) -> None:
    # A topic that is not even a string names no topic in the ledger.
    if not isinstance(topic, str):
        raise UnknownTopic(topic)  # type: ignore[arg-type]


def _check_text(field: str, value: object) -> None:
    if not isinstance(value, str):
        raise InvalidEvent(f"must be a string, not {type(value).__name__}", field=field)
