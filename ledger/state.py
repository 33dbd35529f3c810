"""The projection state: a deterministic fold of the log, updated one event at a time.

The fold keeps facts, not conclusions: for each (topic, source) the key of its
most recent figure, every claim, every retraction and dispute by target. Views
are computed from these facts on demand and cached per topic until an event
touches the topic, so an append costs O(1) here and a query re-renders only
the topics that changed. Because the facts are kept by key rather than by
arrival, the fold does not depend on the order of events with distinct
``stated_at``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import attrs

from ledger.consensus import find_consensus, hull
from ledger.errors import InvalidFigure, UnknownTopic
from ledger.events import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
)
from ledger.figures import Figure, Interval, Number
from ledger.views import CurrentFigure, Dispute, PropositionStatus, PropositionView, TopicView

__all__ = ["Claim", "LedgerState"]

OrderKey = tuple[datetime, int]


@attrs.frozen
class Claim:
    """What the fold remembers of a ClaimMade or FigureReported."""

    claim_id: str
    topic: str
    source: str
    stated_at: datetime
    position: int
    event: ClaimMade | FigureReported

    @property
    def key(self) -> OrderKey:
        """The order of claims: by stated_at, then by position."""
        return (self.stated_at, self.position)


class LedgerState:
    """Everything the projections need, folded from events in log order."""

    def __init__(self) -> None:
        self.position = 0
        self.claims: dict[str, Claim] = {}
        self.retractions: dict[str, set[str]] = defaultdict(set)
        self.disputes: dict[str, list[tuple[int, ClaimDisputed]]] = defaultdict(list)
        self.definitions: dict[str, TopicDefined] = {}
        self.sources: dict[str, SourceDescribed] = {}
        self.mentioned: set[str] = set()
        self.first_unit: dict[str, str] = {}
        # topic -> source -> claim_id of its most recent figure
        self.latest_figure: dict[str, dict[str, str]] = {}
        # (topic, proposition) -> source -> claim_id of its most recent claim
        self.latest_claim: dict[tuple[str, str], dict[str, str]] = {}
        self.parents: dict[str, set[str]] = defaultdict(set)
        self._views: dict[str, TopicView] = {}

    # -- the fold ---------------------------------------------------------

    def apply(self, position: int, event: Event) -> None:
        """Fold one event, recorded at position, into the state."""
        self.position = position
        if isinstance(event, FigureReported):
            if not self._claim(position, event):
                return
            self.first_unit.setdefault(event.topic, event.figure.unit)
            sources = self.latest_figure.setdefault(event.topic, {})
            current = sources.get(event.source)
            if current is None or self.claims[current].key < (event.stated_at, position):
                sources[event.source] = event.claim_id
        elif isinstance(event, ClaimMade):
            if not self._claim(position, event):
                return
            sources = self.latest_claim.setdefault((event.topic, event.proposition), {})
            current = sources.get(event.source)
            if current is None or self.claims[current].key < (event.stated_at, position):
                sources[event.source] = event.claim_id
        elif isinstance(event, ClaimDisputed):
            self.disputes[event.target].append((position, event))
            self._touch_claim(event.target)
        elif isinstance(event, ClaimRetracted):
            self.retractions[event.target].add(event.source)
            self._touch_claim(event.target)
        elif isinstance(event, TopicDefined):
            old = self.definitions.get(event.topic)
            for part in old.parts if old else ():
                self.parents[part].discard(event.topic)
            for part in event.parts:
                self.parents[part].add(event.topic)
            self.definitions[event.topic] = event
            self.mentioned.add(event.topic)
            self._touch(event.topic)
        elif isinstance(event, SourceDescribed):
            self.sources[event.source] = event

    def _claim(self, position: int, event: ClaimMade | FigureReported) -> bool:
        # A claim_id seen twice can only come from a fold that skips validation;
        # the first one stands, as it would have when the log was written.
        if event.claim_id in self.claims:
            return False
        self.claims[event.claim_id] = Claim(
            event.claim_id, event.topic, event.source, event.stated_at, position, event
        )
        self.mentioned.add(event.topic)
        self._touch(event.topic)
        return True

    def _touch_claim(self, claim_id: str) -> None:
        claim = self.claims.get(claim_id)
        if claim is not None:
            self._touch(claim.topic)

    def _touch(self, topic: str) -> None:
        # A composite's view depends on its parts, so invalidate upwards.
        stack = [topic]
        seen: set[str] = set()
        while stack:
            t = stack.pop()
            if t in seen:
                continue
            seen.add(t)
            self._views.pop(t, None)
            stack.extend(self.parents.get(t, ()))

    # -- facts ------------------------------------------------------------

    def is_retracted(self, claim_id: str) -> bool:
        """Whether the claim's own source retracted it."""
        claim = self.claims.get(claim_id)
        return claim is not None and claim.source in self.retractions.get(claim_id, ())

    def disputers(self, claim_id: str) -> tuple[str, ...]:
        """The sources disputing a claim, sorted, its own source left out."""
        claim = self.claims.get(claim_id)
        if claim is None:
            return ()
        found = {d.source for _, d in self.disputes.get(claim_id, ())}
        found.discard(claim.source)
        return tuple(sorted(found))

    def unit_of(self, topic: str) -> str | None:
        """The topic's unit: its TopicDefined unit, else its first figure's."""
        defined = self.definitions.get(topic)
        if defined is not None and defined.unit is not None:
            return defined.unit
        return self.first_unit.get(topic)

    def parts_of(self, topic: str) -> tuple[str, ...]:
        """The parts a composite topic sums; empty for a plain topic."""
        defined = self.definitions.get(topic)
        return defined.parts if defined else ()

    # -- views ------------------------------------------------------------

    def topic_names(self) -> list[str]:
        """Every topic mentioned so far, sorted."""
        return sorted(self.mentioned)

    def topic(self, topic: str) -> TopicView:
        """The view of one topic; UnknownTopic if no event mentions it."""
        if topic not in self.mentioned:
            raise UnknownTopic(topic)
        view = self._views.get(topic)
        if view is None:
            view = self._render(topic)
            self._views[topic] = view
        return view

    def _render(self, topic: str) -> TopicView:
        figures = self._current(topic, {})
        pairs = [(f.source, f.figure) for f in figures]
        unit = self.unit_of(topic)
        if unit is None and figures:
            unit = figures[0].figure.unit
        return TopicView(
            topic=topic,
            unit=unit,
            figures=figures,
            range=hull([f for _, f in pairs]),
            consensus=find_consensus(pairs),
        )

    def _direct(self, topic: str) -> dict[str, CurrentFigure | None]:
        found: dict[str, CurrentFigure | None] = {}
        for source, claim_id in self.latest_figure.get(topic, {}).items():
            if self.is_retracted(claim_id):
                found[source] = None
                continue
            event = self.claims[claim_id].event
            assert isinstance(event, FigureReported)
            found[source] = CurrentFigure(
                source, event.figure, claim_id, False, self.disputers(claim_id)
            )
        return found

    def _current(
        self, topic: str, memo: dict[str, tuple[CurrentFigure, ...]]
    ) -> tuple[CurrentFigure, ...]:
        if topic in memo:
            return memo[topic]
        memo[topic] = ()  # a guard: validated logs have no cycles
        cached = self._views.get(topic)
        if cached is not None:
            memo[topic] = cached.figures
            return cached.figures
        direct = self._direct(topic)
        current = {s: f for s, f in direct.items() if f is not None}
        parts = self.parts_of(topic)
        if parts:
            by_part = [{f.source: f for f in self._current(p, memo)} for p in parts]
            common = set.intersection(*(set(p) for p in by_part))
            unit = self.unit_of(topic) or next(
                (f.figure.unit for p in by_part for f in p.values()), None
            )
            for source in sorted(common):
                if current.get(source) is None and unit is not None:
                    current[source] = _derive(source, [p[source] for p in by_part], unit)
        result = tuple(current[s] for s in sorted(current))
        memo[topic] = result
        return result

    def propositions(self, topic: str | None = None) -> list[PropositionView]:
        """Every (topic, proposition) with claims, sorted; one topic's when given."""
        if topic is not None and topic not in self.mentioned:
            raise UnknownTopic(topic)
        keys = sorted(k for k in self.latest_claim if topic is None or k[0] == topic)
        return [self._proposition(t, p) for t, p in keys]

    def _proposition(self, topic: str, proposition: str) -> PropositionView:
        current: dict[str, ClaimMade] = {}
        for source, claim_id in self.latest_claim[(topic, proposition)].items():
            if not self.is_retracted(claim_id):
                event = self.claims[claim_id].event
                assert isinstance(event, ClaimMade)
                current[source] = event
        affirmed = {s for s, c in current.items() if c.stance == "affirms"}
        denied = {s for s, c in current.items() if c.stance == "denies"}
        for claim in current.values():
            for disputer in self.disputers(claim.claim_id):
                if disputer in current:
                    continue
                (denied if claim.stance == "affirms" else affirmed).add(disputer)
        status: PropositionStatus
        if affirmed and denied:
            status = "contested"
        elif affirmed:
            status = "agreed"
        elif denied:
            status = "denied"
        else:
            status = "withdrawn"
        return PropositionView(
            topic, proposition, tuple(sorted(affirmed)), tuple(sorted(denied)), status
        )

    def dispute_list(self, topic: str | None = None) -> list[Dispute]:
        """Every dispute of a known claim, in log order, marked active when it bears."""
        found: list[Dispute] = []
        for target, entries in self.disputes.items():
            claim = self.claims.get(target)
            if claim is None or (topic is not None and claim.topic != topic):
                continue
            active = self._is_current(claim)
            for position, d in entries:
                if d.source != claim.source:
                    found.append(Dispute(target, claim.topic, d.source, d.reason, position, active))
        return sorted(found, key=lambda d: d.position)

    def _is_current(self, claim: Claim) -> bool:
        if self.is_retracted(claim.claim_id):
            return False
        event = claim.event
        if isinstance(event, FigureReported):
            return self.latest_figure.get(claim.topic, {}).get(claim.source) == claim.claim_id
        sources = self.latest_claim.get((claim.topic, event.proposition), {})
        return sources.get(claim.source) == claim.claim_id


def _derive(source: str, parts: list[CurrentFigure], unit: str) -> CurrentFigure:
    lows = [p.figure.low for p in parts]
    highs = [p.figure.high for p in parts]
    bests = [p.figure.effective_best for p in parts]
    low = _bound(lows)
    high = _bound(highs)
    best = None if any(x is None for x in bests) else _sum(bests)
    # An unbounded side has no end to be open (DESIGN §2), whatever the parts say;
    # and float rounding can close a sum of open parts down to a single point.
    low_open = low is not None and low != high and any(p.figure.low_open for p in parts)
    high_open = high is not None and low != high and any(p.figure.high_open for p in parts)
    try:
        figure = Figure(low, high, low_open, high_open, best=best, unit=unit)
    except ValueError:
        # Float rounding can put a sum of bests a hair outside the summed bounds.
        figure = Figure(low, high, low_open, high_open, unit=unit)
    disputed = sorted({s for p in parts for s in p.disputed_by})
    return CurrentFigure(source, figure, None, True, tuple(disputed))


def _bound(values: list[Number | None]) -> Number | None:
    if any(x is None for x in values):
        return None
    total = _sum(values)
    try:
        Interval(total, total)
    except InvalidFigure:
        # Past what a figure holds (a float overflow, an int beyond 64 bits):
        # unbounded on that side still contains the true sum.
        return None
    return total


def _sum(values: list[Number | None]) -> Number:
    total: Number = 0
    for v in values:
        assert v is not None
        total += v
    return total
