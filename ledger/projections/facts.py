"""The built-in projection's facts (DESIGN §4) and the fold that keeps them: pure.

The fold keeps facts, not conclusions, each in a table partitioned by topic
(or by claim, source or part for the lookups the rules need):

========== ============ ========================================================
table      partition    rows
========== ============ ========================================================
meta       topic        "" -> first figure's unit: every topic mentioned
definition topic        "" -> its latest TopicDefined (position, unit, parts, window)
parent     part topic   composite -> True: the composites that sum it
source     source       "" -> its latest SourceDescribed (position, affiliation)
claim      claim_id     "" -> topic, source, kind, position, stated_at, proposition
figure     topic        source -> its most recent figure (claim, position, times,
                        figure, whether retracted, who disputes it)
history    topic        claim_id -> every figure reported (source, position, stated_at);
                        stored grouped: one row per topic per write (``Entries``)
proposition topic       "proposition|source" -> the source's most recent claim on it
                        (claim, position, stated_at, stance, retracted, disputers)
dispute    topic        position -> a dispute of one of the topic's claims
retraction topic        claim_id -> the source that retracted it (its own)
active     topic        "" -> how many of its disputes are active (none: no row)
orphan     claim_id     position -> a dispute or retraction folded before its claim
========== ============ ========================================================

A current claim's row (a source's most recent figure, or its most recent
claim on a proposition) carries what the views ask of it: whether its source
retracted it, and the source of every dispute of it by another source, in
log order. A claim is current from the moment it is folded or never (a later
claim of the same source supersedes it for good), so the disputes the row
gathers are all of the claim's. Each topic's count of active disputes (those
that bear on a current, unretracted claim) is kept up to date as claims are
disputed, retracted and superseded. Reading every topic, or counting every
topic's active disputes, then needs neither the disputes nor the
retractions, nor every current claim on every proposition.

Every row the fold keeps for a claim, a history entry, a current figure, a
current claim on a proposition or a dispute is a plain tuple of its fields,
in the order of its NamedTuple (``ClaimFact``, ``HistoryFact``,
``FigureFact``, ``PropositionFact``, ``DisputeFact``), and a figure is held
as the plain tuple of its fields (``figure_row``; ``figure_of`` builds it
back): the garbage collector stops tracking a tuple of strings, numbers and
datetimes, never a NamedTuple or a Figure, and a long fold holds hundreds of
thousands of them, which every full collection would otherwise walk. The
accessors below (``claim()``, ``history_of()``, ``figure()``,
``propositions_of()``, ``disputes_of()``) give them as their NamedTuples.
A fold that keeps every event by position (a fold from the first record:
``as_of``, replays, memory://) writes no history rows as it goes:
``history_of()`` reads them from those events when first asked.

Because facts are kept by key rather than by arrival, the fold does not
depend on the order of events with distinct ``stated_at``, and a table can
be loaded partition by partition from a store (``ledger.projections.tables``)
with the same result as a fold from the first record. Views are rendered
from the facts by ``ledger.projections.reader``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, assert_never

from ledger.domain.events import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
)
from ledger.domain.figures import Figure, Number
from ledger.projections.tables import ABSENT, Entries, Loader, Lookup, Table

__all__ = [
    "CLAIM",
    "FIGURE",
    "ClaimFact",
    "DefinitionFact",
    "DisputeFact",
    "Facts",
    "FigureFact",
    "FigureRow",
    "HistoryFact",
    "PropositionFact",
    "SourceFact",
    "figure_of",
    "figure_row",
    "supersedes",
]

#: The kinds of claim: a FigureReported or a ClaimMade.
FIGURE, CLAIM = "F", "C"

# A fact built from the tuple of its fields, in field order: what a NamedTuple's
# own constructor does, without its Python-level call (the fold's hottest line);
# also how a plain tuple of a claim's or a history entry's fields is read as one.
_fact: Any = tuple.__new__

#: A figure as the fold keeps it: Figure's fields, in Figure's order
#: (low, high, low_open, high_open, best, unit, phrase, rule).
FigureRow = tuple[
    Number | None, Number | None, bool, bool, Number | None, str, str | None, str | None
]


def figure_row(f: Figure) -> FigureRow:
    """A figure's fields as a plain tuple, in Figure's order."""
    return (f.low, f.high, f.low_open, f.high_open, f.best, f.unit, f.phrase, f.rule)


_new, _set = object.__new__, object.__setattr__


def figure_of(row: FigureRow) -> Figure:
    """The figure a row holds, built back without checking Figure's rules again.

    Only for rows of valid figures: those ``figure_row`` gave, or read back
    from a read model whose rows' shapes were checked.
    """
    low, high, low_open, high_open, best, unit, phrase, rule = row
    figure: Figure = _new(Figure)
    _set(figure, "low", low)
    _set(figure, "high", high)
    _set(figure, "low_open", low_open)
    _set(figure, "high_open", high_open)
    _set(figure, "best", best)
    _set(figure, "unit", unit)
    _set(figure, "phrase", phrase)
    _set(figure, "rule", rule)
    return figure


class ClaimFact(NamedTuple):
    """What the fold remembers of every claim: where it is and whose it is."""

    topic: str
    source: str
    kind: str
    position: int
    stated_at: datetime
    proposition: str | None


class FigureFact(NamedTuple):
    """A source's most recent figure on a topic."""

    claim_id: str
    position: int
    stated_at: datetime
    as_of: datetime
    figure: FigureRow
    #: Whether its source retracted it (then it bears no dispute).
    retracted: bool
    #: The source of each dispute of it by another source, in log order.
    against: tuple[str, ...]


class HistoryFact(NamedTuple):
    """One figure reported on a topic."""

    source: str
    position: int
    stated_at: datetime


class PropositionFact(NamedTuple):
    """A source's most recent claim on a proposition."""

    claim_id: str
    position: int
    stated_at: datetime
    stance: str
    #: Whether its source retracted it (then it bears no dispute).
    retracted: bool
    #: The source of each dispute of it by another source, in log order.
    against: tuple[str, ...]


class DisputeFact(NamedTuple):
    """A dispute of a claim on the topic."""

    target: str
    source: str
    position: int
    reason: str | None


class DefinitionFact(NamedTuple):
    """A topic's latest TopicDefined, as the projections use it."""

    position: int
    unit: str | None
    parts: tuple[str, ...]
    window: timedelta | None


class SourceFact(NamedTuple):
    """A source's latest SourceDescribed, as the projections use it."""

    position: int
    affiliation: str | None


def supersedes(stated_at: datetime, position: int, current: tuple[Any, ...] | None) -> bool:
    """Whether a claim at (stated_at, position) comes after the current one (DESIGN §4 order).

    ``current`` is a FigureFact's or a PropositionFact's row: position second,
    stated_at third.
    """
    if current is None:
        return True
    other: datetime = current[2]
    return other < stated_at or (other == stated_at and current[1] < position)


class Facts:
    """Everything the built-in views need, folded from events one at a time.

    Without a loader every table is whole: the facts of a fold from the first
    record. With one, partitions are loaded from a store's read model when
    first needed, and ``events`` is a cache of the events read back by
    position; every change is pending until the facade stores it.
    """

    def __init__(self, loader: Loader | None = None) -> None:
        self.position = 0
        self.meta = Lookup("meta", loader)
        self.definitions = Lookup("definition", loader)
        self.parents = Table("parent", loader)
        self.sources = Lookup("source", loader)
        self.claims = Lookup("claim", loader)
        self.figures = Table("figure", loader)
        # The fold only writes a topic's history; its queries read it back.
        # Stored grouped, a row per topic per write (Entries); a value's position is its second.
        self.history = Entries("history", loader, position=1)
        self.propositions = Table("proposition", loader)
        self.disputes = Table("dispute", loader)
        self.retractions = Table("retraction", loader)
        self.active = Lookup("active", loader)
        self.orphans = Table("orphan", loader)
        #: Events by position: every claim, definition and description folded
        #: (a fold from the first record), or those read back so far.
        self.events: dict[int, Event] = {}
        self.keeps_events = loader is None
        #: A fold that keeps its events keeps no history table as it goes: the
        #: entries are read from the events on the first ``history_of`` (most
        #: such folds, ``as_of`` and replays, are never asked), then kept.
        self._histories: dict[str, dict[str, tuple[str, int, datetime]]] | None = None
        #: The topics whose views fold steps changed since a reader last
        #: looked ("" when every view may change, as a new affiliation does).
        self.dirty: set[str] = set()

    @property
    def tables(self) -> tuple[Table, ...]:
        """Every table, in a fixed order."""
        return (
            self.meta,
            self.definitions,
            self.parents,
            self.sources,
            self.claims,
            self.figures,
            self.history,
            self.propositions,
            self.disputes,
            self.retractions,
            self.active,
            self.orphans,
        )

    def whole(self) -> None:
        """The store holds no rows yet: every table is whole in memory, nothing to load."""
        for table in self.tables:
            table.assume_whole()

    # -- the fold ---------------------------------------------------------

    def apply(self, position: int, event: Event) -> None:
        """Fold one event, recorded at position."""
        if position > self.position:
            self.position = position
        match event:
            case FigureReported():
                self._figure(position, event)
            case ClaimMade():
                self._claim(position, event)
            case ClaimDisputed():
                self._dispute(position, event)
            case ClaimRetracted():
                self._retract(position, event)
            case TopicDefined():
                self._define(position, event)
            case SourceDescribed():
                self._describe(position, event)
            case _:
                assert_never(event)

    def _mention(self, topic: str, unit: str | None) -> None:
        first = self.meta.value(topic)
        if first is ABSENT or (first is None and unit is not None):
            # The topic's first figure gives the unit a definition may not.
            self.meta.put(topic, "", unit)

    def _figure(self, position: int, event: FigureReported) -> None:
        claim_id, topic, source = event.claim_id, event.topic, event.source
        claims, figures = self.claims, self.figures
        # A claim_id seen twice can only come from a fold that skips
        # validation; the first one stands, as it would have in the log.
        if claims.get(claim_id) is not None:
            return
        stated_at = event.stated_at
        claims.put(claim_id, "", (topic, source, FIGURE, position, stated_at, None))
        self._mention(topic, event.figure.unit)
        if self.keeps_events:
            self.events[position] = event
            if self._histories is not None:
                self._histories.setdefault(topic, {})[claim_id] = (source, position, stated_at)
        else:
            self.history.put(topic, claim_id, (source, position, stated_at))
        current = figures.get(topic, source)
        # Most figures are a source's first on their topic: nothing to compare.
        if current is None or supersedes(stated_at, position, current):
            fact = (claim_id, position, stated_at, event.as_of, figure_row(event.figure), False, ())
            figures.put(topic, source, fact)
            self.dirty.add(topic)
            if current is not None:
                self._superseded(topic, current)
        if self._may_have_orphans():
            self._adopt(claim_id)

    def _claim(self, position: int, event: ClaimMade) -> None:
        claim_id, topic, source = event.claim_id, event.topic, event.source
        if self.claims.get(claim_id) is not None:
            return
        stated_at = event.stated_at
        fact = (topic, source, CLAIM, position, stated_at, event.proposition)
        self.claims.put(claim_id, "", fact)
        if self.keeps_events:
            self.events[position] = event
        self._mention(topic, None)
        key = f"{event.proposition}|{source}"
        current = self.propositions.get(topic, key)
        if supersedes(stated_at, position, current):
            self.propositions.put(
                topic, key, (claim_id, position, stated_at, event.stance, False, ())
            )
            if current is not None:
                self._superseded(topic, current)
        if self._may_have_orphans():
            self._adopt(claim_id)

    def _dispute(self, position: int, event: ClaimDisputed) -> None:
        claim = self.claim(event.target)
        if claim is None:
            self._orphan(position, event)
            return
        if self.keeps_events:
            self.events[position] = event
        fact = (event.target, event.source, position, event.reason)
        self.disputes.put(claim.topic, str(position), fact)
        self.dirty.add(claim.topic)
        if event.source == claim.source:
            return  # a source disputing its own claim: no dispute of it
        found = self._current_row(event.target, claim)
        if found is not None and not found[2][-2]:
            table, key, row = found
            table.put(claim.topic, key, (*row[:-1], (*row[-1], event.source)))
            self._count(claim.topic, 1)

    def _retract(self, position: int, event: ClaimRetracted) -> None:
        claim = self.claim(event.target)
        if claim is None:
            self._orphan(position, event)
            return
        if self.keeps_events:
            self.events[position] = event
        # Only the claim's own source can retract it; validated logs hold no other.
        if event.source == claim.source:
            self.retractions.put(claim.topic, event.target, event.source)
            self.dirty.add(claim.topic)
            found = self._current_row(event.target, claim)
            if found is not None and not found[2][-2]:
                table, key, row = found
                table.put(claim.topic, key, (*row[:-2], True, row[-1]))
                self._count(claim.topic, -len(row[-1]))

    def _define(self, position: int, event: TopicDefined) -> None:
        topic = event.topic
        old = self.definitions.get(topic)
        for part in old.parts if old is not None else ():
            self.parents.delete(part, topic)
        for part in event.parts:
            self.parents.put(part, topic, True)
        fact = DefinitionFact(position, event.unit, event.parts, event.window)
        self.definitions.put(topic, "", fact)
        self.events[position] = event
        self._mention(topic, None)
        self.dirty.add(topic)

    def _describe(self, position: int, event: SourceDescribed) -> None:
        self.sources.put(event.source, "", SourceFact(position, event.affiliation))
        self.events[position] = event
        self.dirty.add("")

    def _current_row(
        self, claim_id: str, claim: ClaimFact
    ) -> tuple[Table, str, tuple[Any, ...]] | None:
        """The claim's row, if it is its source's current claim: its table, item and row."""
        if claim.kind == FIGURE:
            table, key = self.figures, claim.source
        else:
            table, key = self.propositions, f"{claim.proposition}|{claim.source}"
        row: tuple[Any, ...] | None = table.get(claim.topic, key)
        return None if row is None or row[0] != claim_id else (table, key, row)

    def _superseded(self, topic: str, row: tuple[Any, ...]) -> None:
        """A current claim's row replaced: its disputes no longer bear (if they did)."""
        if row[-1] and not row[-2]:
            self._count(topic, -len(row[-1]))

    def _count(self, topic: str, change: int) -> None:
        """Change a topic's count of active disputes (a row only while it is not zero)."""
        count = (self.active.get(topic) or 0) + change
        if count:
            self.active.put(topic, "", count)
        else:
            self.active.delete(topic)

    def _orphan(self, position: int, event: ClaimDisputed | ClaimRetracted) -> None:
        # A dispute or retraction folded before its claim (a log written
        # without validation): kept until the claim comes, if it ever does.
        self.events[position] = event
        self.orphans.put(event.target, str(position), True)

    def _adopt(self, claim_id: str) -> None:
        rows = self.orphans.part(claim_id)
        if not rows:
            return
        positions = sorted(int(p) for p in rows)
        for p in positions:
            self.orphans.delete(claim_id, str(p))
        for p in positions:
            event = self.events.get(p)
            if event is not None:
                self.apply(p, event)

    def _may_have_orphans(self) -> bool:
        return not self.orphans.whole or bool(self.orphans.data)

    # -- facts for the rules and views -------------------------------------

    def claim(self, claim_id: str) -> ClaimFact | None:
        """What the fold knows of a claim, or None."""
        found: tuple[Any, ...] | None = self.claims.get(claim_id)
        return None if found is None else _fact(ClaimFact, found)

    def history_of(self, topic: str) -> dict[str, HistoryFact]:
        """Every figure reported on a topic, by claim_id."""
        if not self.keeps_events:
            rows = self.history.part(topic)
        else:
            if self._histories is None:
                # Every FigureReported folded is kept by position (the first of
                # a claim_id only): the same entries the table would hold.
                found: dict[str, dict[str, tuple[str, int, datetime]]] = {}
                for position, event in self.events.items():
                    if isinstance(event, FigureReported):
                        entry = (event.source, position, event.stated_at)
                        found.setdefault(event.topic, {})[event.claim_id] = entry
                self._histories = found
            rows = self._histories.get(topic, {})
        return {c: _fact(HistoryFact, h) for c, h in rows.items()}

    def figure_at(self, position: int, row: FigureRow) -> Figure:
        """The figure of the FigureReported at position, whose row is given.

        The reported Figure itself when its event is in memory (a fold that
        keeps its events, or one read back), else built back from the row.
        """
        event = self.events.get(position)
        if isinstance(event, FigureReported):
            return event.figure
        return figure_of(row)

    def figure(self, topic: str, source: str) -> FigureFact | None:
        """A source's most recent figure on a topic, or None."""
        found: tuple[Any, ...] | None = self.figures.get(topic, source)
        return None if found is None else _fact(FigureFact, found)

    def propositions_of(self, topic: str) -> dict[str, PropositionFact]:
        """Each source's most recent claim on each proposition, by "proposition|source"."""
        return {k: _fact(PropositionFact, p) for k, p in self.propositions.part(topic).items()}

    def disputes_of(self, topic: str) -> dict[str, DisputeFact]:
        """Every dispute of the topic's claims, by position."""
        return {k: _fact(DisputeFact, d) for k, d in self.disputes.part(topic).items()}

    def active_disputes(self, topic: str) -> int:
        """How many disputes bear on the topic's current, unretracted claims."""
        found: int | None = self.active.get(topic)
        return found or 0

    def is_retracted(self, claim_id: str) -> bool:
        """Whether the claim's own source retracted it."""
        claim = self.claim(claim_id)
        return claim is not None and self.retractions.get(claim.topic, claim_id) is not None

    def mentioned(self, topic: object) -> bool:
        """Whether any event mentions the topic."""
        return isinstance(topic, str) and self.meta.value(topic) is not ABSENT

    def topic_names(self) -> list[str]:
        """Every topic mentioned, sorted."""
        return self.meta.parts()

    def definition(self, topic: str) -> DefinitionFact | None:
        """The topic's latest definition, or None."""
        found: DefinitionFact | None = self.definitions.get(topic)
        return found

    def unit_of(self, topic: str) -> str | None:
        """The topic's unit: its TopicDefined unit, else its first figure's."""
        defined = self.definition(topic)
        if defined is not None and defined.unit is not None:
            return defined.unit
        first: str | None = self.meta.get(topic)
        return first

    def parts_of(self, topic: str) -> tuple[str, ...]:
        """The parts a composite topic sums; empty for a plain topic."""
        defined = self.definition(topic)
        return defined.parts if defined is not None else ()

    def parents_of(self, topic: str) -> list[str]:
        """The composites that sum the topic, sorted."""
        return sorted(self.parents.part(topic))

    def voice_of(self, source: str) -> str:
        """A source's voice: its latest affiliation, else its own slug."""
        described: SourceFact | None = self.sources.get(source)
        if described is None or described.affiliation is None:
            return source
        return described.affiliation

    # -- loading ahead ------------------------------------------------------

    def prefetch(self, events: Sequence[Event]) -> None:
        """Load, a few requests in all, every partition folding and checking events will read."""
        claims: set[str] = set()
        figured: set[str] = set()
        claimed: set[str] = set()
        defined: set[str] = set()
        targets: set[str] = set()
        for event in events:
            match event:
                case FigureReported():
                    claims.add(event.claim_id)
                    figured.add(event.topic)
                case ClaimMade():
                    claims.add(event.claim_id)
                    claimed.add(event.topic)
                case ClaimDisputed() | ClaimRetracted():
                    targets.add(event.target)
                case TopicDefined():
                    defined.add(event.topic)
                    defined.update(event.parts)
                case SourceDescribed():
                    pass
                case _:
                    assert_never(event)
        self.claims.fetch(claims | targets)
        # The topics of the claims disputed or retracted: their retractions decide.
        aimed = {c.topic for c in map(self.claim, targets) if c is not None}
        self.meta.fetch(figured | claimed | defined)
        self.definitions.fetch(figured | defined)
        self.parents.fetch(figured | claimed)
        # A dispute or retraction changes its claim's row if the claim is current.
        self.figures.fetch(figured | aimed)
        self.propositions.fetch(claimed | aimed)
        self.retractions.fetch(aimed)
        self.active.fetch(figured | claimed | aimed)
        # Orphans come only from logs written without validation: few or none.
        # All of them in one request, once, rather than a request every batch.
        self.orphans.fetch_all()

    def orphans_of(self, events: Iterable[Event]) -> list[int]:
        """Positions of the disputes and retractions stored before these events' claims.

        Only those whose events are not in memory: the fold adopts them when
        their claim comes, so they must be read back from the log first (a
        writer in another session than the one that folded them). After
        ``prefetch(events)`` this asks nothing of the store.
        """
        if not self._may_have_orphans():
            return []
        found: list[int] = []
        for event in events:
            if isinstance(event, FigureReported | ClaimMade):
                positions = map(int, self.orphans.part(event.claim_id))
                found.extend(p for p in positions if p not in self.events)
        return found

    def fetch_topics(self, topics: Iterable[str]) -> None:
        """Load the partitions of these topics that the fold and the rules read."""
        names = list(topics)
        for table in (
            self.meta,
            self.definitions,
            self.parents,
            self.figures,
            self.propositions,
            self.retractions,
            self.active,
        ):
            table.fetch(names)
