"""What an export holds: one plain dict a row, the same columns in every format.

``rows(view, what)`` asks any object with the read methods of :class:`ReadView`
(a ``Ledger``, or a view of it as of a moment) and yields dicts whose values
are plain Python: ``str``, ``int``, ``float``, ``bool``, ``None`` (not
given, or an unbounded end), ``datetime`` (UTC), ``timedelta`` and tuples of
strings. The writers and ``to_pandas`` turn them into text, JSON or columns.
docs/spreadsheets.md describes every column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import Any, Protocol

import attrs

from ledger.domain.events import ClaimMade, FigureReported, SourceDescribed, TopicDefined
from ledger.domain.views import (
    CurrentFigure,
    Dispute,
    HistoryEntry,
    PropositionView,
    TopicView,
)
from ledger.errors import InvalidEvent

__all__ = ["COLUMNS", "KINDS", "WHAT", "ReadView", "Row", "rows"]

Row = dict[str, Any]


class ReadView(Protocol):
    """The read methods an export asks of a ledger or of a view of it."""

    @property
    def position(self) -> int:
        """The last log position the view folded."""

    def topics(self, *, window: timedelta | None = None) -> Sequence[TopicView]:
        """Every topic, sorted, under a window (None: each topic's own)."""

    def topic(self, topic: str, *, window: timedelta | None = None) -> TopicView:
        """One topic under a window."""

    def propositions(self, topic: str | None = None) -> Sequence[PropositionView]:
        """Every proposition with claims, sorted by (topic, proposition)."""

    def statements(self, topic: str, proposition: str) -> Sequence[ClaimMade]:
        """The current claim of each source on a proposition, sorted by source."""

    def disputes(self, topic: str | None = None) -> Sequence[Dispute]:
        """Every dispute of a claim, in log order."""

    def claim(self, claim_id: str) -> ClaimMade | FigureReported | None:
        """The ClaimMade or FigureReported with this claim_id, or None."""

    def definition(self, topic: str) -> TopicDefined | None:
        """The latest TopicDefined of a topic, or None."""

    def source(self, source: str) -> SourceDescribed | None:
        """The latest description of a source, or None."""

    def history(self, topic: str, source: str | None = None) -> Sequence[HistoryEntry]:
        """Every FigureReported on a topic, by (stated_at, position)."""


#: Each column's kind: text, number (int or float), int, bool, time, duration, list.
_FIGURE = (
    ("low", "number"),
    ("high", "number"),
    ("low_open", "bool"),
    ("high_open", "bool"),
    ("best", "number"),
    ("unit", "text"),
    ("phrase", "text"),
    ("rule", "text"),
)
_SAID = (("stated_at", "time"), ("as_of", "time"), ("via", "list"), ("quote", "text"))
_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "topics": (
        ("topic", "text"),
        ("title", "text"),
        ("unit", "text"),
        ("sources", "int"),
        ("range_low", "number"),
        ("range_high", "number"),
        ("range_low_open", "bool"),
        ("range_high_open", "bool"),
        ("consensus_low", "number"),
        ("consensus_high", "number"),
        ("consensus_low_open", "bool"),
        ("consensus_high_open", "bool"),
        ("level", "text"),
        ("estimate", "number"),
        ("supporters", "list"),
        ("dissenters", "list"),
        ("stale", "int"),
        ("latest", "time"),
    ),
    "figures": (
        ("topic", "text"),
        ("source", "text"),
        ("claim_id", "text"),
        *_FIGURE,
        *_SAID,
        ("url", "text"),
        ("derived", "bool"),
        ("stale", "bool"),
        ("disputed_by", "list"),
    ),
    "claims": (
        ("topic", "text"),
        ("proposition", "text"),
        ("source", "text"),
        ("claim_id", "text"),
        ("stance", "text"),
        ("statement", "text"),
        ("stated_at", "time"),
        ("via", "list"),
        ("quote", "text"),
        ("url", "text"),
        ("disputed_by", "list"),
    ),
    "propositions": (
        ("topic", "text"),
        ("proposition", "text"),
        ("status", "text"),
        ("affirmed_by", "list"),
        ("denied_by", "list"),
    ),
    "history": (
        ("topic", "text"),
        ("source", "text"),
        ("claim_id", "text"),
        ("position", "int"),
        *_FIGURE,
        *_SAID,
        ("url", "text"),
        ("retracted", "bool"),
        ("current", "bool"),
    ),
    "definitions": (
        ("type", "text"),
        ("topic", "text"),
        ("title", "text"),
        ("unit", "text"),
        ("parts", "list"),
        ("description", "text"),
        ("window", "duration"),
        ("source", "text"),
        ("name", "text"),
        ("kind", "text"),
        ("affiliation", "text"),
        ("reliability", "text"),
    ),
}
#: What can be exported.
WHAT = tuple(_KINDS)
#: The columns of each export, in order.
COLUMNS = {what: tuple(name for name, _ in kinds) for what, kinds in _KINDS.items()}
#: The kind of each column of each export (for typed columns: pandas).
KINDS = {what: dict(kinds) for what, kinds in _KINDS.items()}


@attrs.frozen
class _Scope:
    window: timedelta | None
    prefix: str | None

    def holds(self, topic: str) -> bool:
        return self.prefix is None or topic.startswith(self.prefix)

    def topics(self, view: ReadView) -> list[TopicView]:
        return [t for t in view.topics(window=self.window) if self.holds(t.topic)]


def rows(
    view: ReadView,
    what: str,
    *,
    window: timedelta | None = None,
    topic_prefix: str | None = None,
) -> Iterator[Row]:
    """The rows of one export (``WHAT``) of a view, as dicts with the columns ``COLUMNS[what]``.

    ``window`` is the freshness window the topics are read under (None:
    each topic's own); ``topic_prefix`` keeps the topics whose slug starts
    with it.
    """
    producer = _PRODUCERS.get(what) if isinstance(what, str) else None
    if producer is None:
        raise InvalidEvent(f"{what!r} is not one of {', '.join(WHAT)}", field="what")
    if topic_prefix is not None and not isinstance(topic_prefix, str):
        raise InvalidEvent("must be a string or None", field="topic_prefix")
    return producer(view, _Scope(window, topic_prefix or None))


def _topics(view: ReadView, scope: _Scope) -> Iterator[Row]:
    for t in scope.topics(view):
        definition = view.definition(t.topic)
        spread, consensus = t.range, t.consensus
        agreed = consensus.interval if consensus is not None else None
        yield {
            "topic": t.topic,
            "title": definition.title if definition is not None else None,
            "unit": t.unit,
            "sources": len(t.figures),
            "range_low": spread.low if spread else None,
            "range_high": spread.high if spread else None,
            "range_low_open": spread.low_open if spread else None,
            "range_high_open": spread.high_open if spread else None,
            "consensus_low": agreed.low if agreed else None,
            "consensus_high": agreed.high if agreed else None,
            "consensus_low_open": agreed.low_open if agreed else None,
            "consensus_high_open": agreed.high_open if agreed else None,
            "level": consensus.level if consensus else None,
            "estimate": consensus.estimate if consensus else None,
            "supporters": consensus.supporters if consensus else (),
            "dissenters": consensus.dissenters if consensus else (),
            "stale": len(t.stale),
            "latest": t.latest,
        }


def _figure_cells(figure: Any) -> Row:
    return {
        "low": figure.low,
        "high": figure.high,
        "low_open": figure.low_open,
        "high_open": figure.high_open,
        "best": figure.best,
        "unit": figure.unit,
        "phrase": figure.phrase,
        "rule": figure.rule,
    }


def _said(event: ClaimMade | FigureReported | None) -> Row:
    """When and how a claim was said: stated_at, as_of, via, quote, url."""
    if event is None:
        return {"stated_at": None, "as_of": None, "via": (), "quote": None, "url": None}
    as_of = event.as_of if isinstance(event, FigureReported) else None
    return {
        "stated_at": event.stated_at,
        "as_of": as_of,
        "via": event.via,
        "quote": event.quote,
        "url": event.url,
    }


def _figures(view: ReadView, scope: _Scope) -> Iterator[Row]:
    for t in scope.topics(view):
        for current in t.figures:
            yield _figure_row(view, t.topic, current)


def _figure_row(view: ReadView, topic: str, current: CurrentFigure) -> Row:
    event = view.claim(current.claim_id) if current.claim_id is not None else None
    said = _said(event)
    if event is None:
        # A derived figure: its time is the earliest of the parts' it sums.
        said["as_of"] = current.reference_time
    return {
        "topic": topic,
        "source": current.source,
        "claim_id": current.claim_id,
        **_figure_cells(current.figure),
        **said,
        "derived": current.derived,
        "stale": current.stale,
        "disputed_by": current.disputed_by,
    }


def _claims(view: ReadView, scope: _Scope) -> Iterator[Row]:
    against: dict[str, dict[str, set[str]]] = {}
    for p in view.propositions():
        if not scope.holds(p.topic):
            continue
        if p.topic not in against:
            found: dict[str, set[str]] = {}
            for d in view.disputes(p.topic):
                if d.active:
                    found.setdefault(d.target, set()).add(d.source)
            against = {p.topic: found}  # propositions come sorted by topic
        for claim in view.statements(p.topic, p.proposition):
            said = _said(claim)
            del said["as_of"]
            yield {
                "topic": claim.topic,
                "proposition": claim.proposition,
                "source": claim.source,
                "claim_id": claim.claim_id,
                "stance": claim.stance,
                "statement": claim.statement,
                **said,
                "disputed_by": tuple(sorted(against[p.topic].get(claim.claim_id, ()))),
            }


def _propositions(view: ReadView, scope: _Scope) -> Iterator[Row]:
    for p in view.propositions():
        if scope.holds(p.topic):
            yield {
                "topic": p.topic,
                "proposition": p.proposition,
                "status": p.status,
                "affirmed_by": p.affirmed_by,
                "denied_by": p.denied_by,
            }


def _history(view: ReadView, scope: _Scope) -> Iterator[Row]:
    for t in scope.topics(view):
        for entry in view.history(t.topic):
            event = view.claim(entry.claim_id)
            yield {
                "topic": t.topic,
                "source": entry.source,
                "claim_id": entry.claim_id,
                "position": entry.position,
                **_figure_cells(entry.figure),
                **_said(event if isinstance(event, FigureReported) else None),
                "stated_at": entry.stated_at,
                "as_of": entry.reference_time,
                "retracted": entry.retracted,
                "current": entry.current,
            }


_EMPTY_DEFINITION = dict.fromkeys(COLUMNS["definitions"])


def _definitions(view: ReadView, scope: _Scope) -> Iterator[Row]:
    topics = scope.topics(view)
    # Who speaks in these topics: the sources of figures, claims and disputes,
    # and the intermediaries their figures and claims came through.
    sources: set[str] = set()
    for t in topics:
        for f in t.figures:
            sources.add(f.source)
            said = view.claim(f.claim_id) if f.claim_id is not None else None
            if said is not None:
                sources.update(said.via)
    for p in view.propositions():
        if scope.holds(p.topic):
            sources.update(p.affirmed_by, p.denied_by)
            for claim in view.statements(p.topic, p.proposition):
                sources.update(claim.via)
    sources.update(d.source for d in view.disputes() if scope.holds(d.topic))
    for slug in sorted(sources):
        described = view.source(slug)
        if described is not None:
            yield _EMPTY_DEFINITION | {
                "type": "SourceDescribed",
                "source": described.source,
                "name": described.name,
                "kind": described.kind,
                "affiliation": described.affiliation,
                "reliability": described.reliability,
            }
    for t in topics:
        defined = view.definition(t.topic)
        if defined is not None:
            window: timedelta | None = getattr(defined, "window", None)
            yield _EMPTY_DEFINITION | {
                "type": "TopicDefined",
                "topic": defined.topic,
                "title": defined.title,
                "unit": defined.unit,
                "parts": defined.parts,
                "description": defined.description,
                "window": window,
            }


_PRODUCERS: dict[str, Callable[[ReadView, _Scope], Iterator[Row]]] = {
    "topics": _topics,
    "figures": _figures,
    "claims": _claims,
    "propositions": _propositions,
    "history": _history,
    "definitions": _definitions,
}
