"""The projection state: a deterministic fold of the log, updated one event at a time.

The fold keeps facts, not conclusions, partitioned by topic: for each source
the claim_id of its most recent figure, every claim, every retraction and
dispute of the topic's claims. Views are computed from these facts on demand
and cached per topic until an event touches the topic, so an append costs
O(1) here and a query re-renders only the topics that changed. Because the
facts are kept by key rather than by arrival, the fold does not depend on the
order of events with distinct ``stated_at``.

A state may be *backed*: a persisted snapshot (see ``ledger.facade.snapshot``) knows
which positions of the log make each topic's partition, and the state folds
a partition only when something asks for it. The result is the same fold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Protocol

import attrs

from ledger.domain.consensus import is_bound
from ledger.domain.events import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
)
from ledger.domain.figures import Figure, Interval, Number
from ledger.domain.freshness import assess
from ledger.domain.views import (
    CurrentFigure,
    Dispute,
    HistoryEntry,
    PropositionStatus,
    PropositionView,
    TopicView,
)
from ledger.errors import InvalidFigure, LedgerError, UnknownTopic

__all__ = ["GLOBAL", "Backing", "Claim", "LedgerState", "SnapshotDamaged"]

OrderKey = tuple[datetime, int]
#: The pseudo-topic under which definitions and source descriptions are tracked.
GLOBAL = ""


class Claim:
    """What the fold remembers of a ClaimMade or FigureReported: the event and its position."""

    # Two slots only: a large log holds one of these per claim.
    __slots__ = ("event", "position")

    def __init__(self, position: int, event: ClaimMade | FigureReported) -> None:
        self.position = position
        self.event = event

    @property
    def claim_id(self) -> str:
        """The claim's id."""
        return self.event.claim_id

    @property
    def topic(self) -> str:
        """The topic the claim is about."""
        return self.event.topic

    @property
    def source(self) -> str:
        """Who made the claim."""
        return self.event.source

    @property
    def stated_at(self) -> datetime:
        """When the source made it."""
        return self.event.stated_at

    @property
    def key(self) -> OrderKey:
        """The order of claims: by stated_at, then by position."""
        return (self.event.stated_at, self.position)


def _earlier(claim: Claim, stated_at: datetime, position: int) -> bool:
    """Whether claim comes before one stated at stated_at, at position (Claim.key order)."""
    # The comparison of the two keys, without building them: it runs once per figure.
    other = claim.event.stated_at
    return other < stated_at or (other == stated_at and claim.position < position)


class SnapshotDamaged(LedgerError):
    """The snapshot disagrees with the log; the ledger rebuilds it (never escapes Ledger)."""


class Backing(Protocol):
    """Where a backed state finds the partitions it has not folded yet."""

    def topics(self) -> Iterable[str]:
        """Every topic the snapshot mentions."""

    def topic_events(self, topic: str) -> Iterator[tuple[int, Event]]:
        """The events of a topic's partition, in position order."""

    def claim_topic(self, claim_id: str) -> str | None:
        """The topic of a claim the snapshot holds, or None."""

    def events(self, upto: int) -> Iterator[tuple[int, Event]]:
        """Every event of the log up to a position, in position order."""


class _Topic:
    """One topic's partition of the facts."""

    __slots__ = ("definition", "disputes", "figures", "first_unit", "history", "props", "retracts")

    def __init__(self) -> None:
        self.figures: dict[str, str] = {}  # source -> claim_id of its most recent figure
        self.history: list[str] = []  # every figure's claim_id, in the order folded
        self.props: dict[str, dict[str, str]] = {}  # proposition -> source -> claim_id
        self.disputes: dict[str, list[tuple[int, ClaimDisputed]]] = {}
        self.retracts: dict[str, set[str]] = {}
        self.first_unit: str | None = None


class _Claims:
    """claim_id -> Claim across partitions, folding a partition when needed."""

    def __init__(self, state: LedgerState) -> None:
        self._state = state

    def get(self, claim_id: str) -> Claim | None:
        topic = self._state.claim_topic(claim_id)
        if topic is None:
            return None
        self._state.part(topic)  # folds the partition, and so the claim, if not yet
        return self._state.known.get(claim_id)

    def __contains__(self, claim_id: object) -> bool:
        return isinstance(claim_id, str) and self._state.claim_topic(claim_id) is not None


class LedgerState:
    """Everything the projections need, folded from events in log order."""

    def __init__(self, backing: Backing | None = None, position: int = 0) -> None:
        self.position = position
        self.sources: dict[str, SourceDescribed] = {}
        self.definitions: dict[str, TopicDefined] = {}
        self.parents: dict[str, set[str]] = defaultdict(set)
        self._backing = backing
        self._parts: dict[str, _Topic] = {}
        # A backed state folds records of a partition it has not loaded only
        # when the partition is loaded: (position, event) by topic, and the
        # topic of each claim among them.
        self._deferred: dict[str, list[tuple[int, Event]]] = {}
        self._deferred_claims: dict[str, str] = {}
        #: Every claim folded so far (all of them, unless backed by a snapshot).
        self.known: dict[str, Claim] = {}
        # Disputes and retractions whose claim the fold has not seen (yet).
        self._orphans: dict[str, list[tuple[int, ClaimDisputed | ClaimRetracted]]] = {}
        # Each topic's current figures (window aside), and its views by window in force.
        self._figures: dict[str, tuple[CurrentFigure, ...]] = {}
        self._views: dict[str, dict[timedelta | None, TopicView]] = {}
        self.mentioned: set[str] = set(backing.topics()) if backing else set()
        #: (topic, position) of every event folded since tracking began, for
        #: snapshots; definitions and source descriptions under GLOBAL.
        self.tracked: list[tuple[str, int]] | None = None
        #: (claim_id, topic) of every claim folded since tracking began.
        self.tracked_claims: list[tuple[str, str]] | None = None

    @property
    def claims(self) -> _Claims:
        """claim_id -> Claim, across partitions (a view: the state keeps no cycle)."""
        return _Claims(self)

    # -- the fold ---------------------------------------------------------

    def apply(self, position: int, event: Event) -> None:
        """Fold one event, recorded at position, into the state."""
        if position > self.position:
            self.position = position
        kind = type(event)
        if kind is FigureReported or kind is ClaimMade:
            claim_id = event.claim_id  # type: ignore[union-attr]
            topic = event.topic  # type: ignore[union-attr]
            # A claim_id seen twice can only come from a fold that skips
            # validation; the first one stands, as it would have in the log.
            if claim_id in self.known or (
                self._backing is not None and self._backing.claim_topic(claim_id) is not None
            ):
                return
            if self.tracked_claims is not None:
                self.tracked_claims.append((claim_id, topic))
            if self._defers(topic) and not self._orphans:
                self._deferred.setdefault(topic, []).append((position, event))
                self._deferred_claims[claim_id] = topic
                self.mentioned.add(topic)
            else:
                part = self.part(topic)
                self._fold(part, position, event)
                self._adopt(topic, part, claim_id)
        elif kind is ClaimDisputed or kind is ClaimRetracted:
            target = event.target  # type: ignore[union-attr]
            found = self.claim_topic(target)
            if found is None:
                orphan = (position, event)
                self._orphans.setdefault(target, []).append(orphan)  # type: ignore[arg-type]
                return
            topic = found
            if self._defers(topic):
                self._deferred.setdefault(topic, []).append((position, event))
            else:
                self._fold(self.part(topic), position, event)
        elif kind is TopicDefined:
            assert isinstance(event, TopicDefined)
            topic = event.topic
            self._define(event)
            if self._defers(topic):
                self.mentioned.add(topic)
            else:
                self.part(topic)
            self._track(GLOBAL, position)
        else:
            assert isinstance(event, SourceDescribed)
            self.sources[event.source] = event
            # A new affiliation changes the voices of every topic the source speaks on.
            self._figures.clear()
            self._views.clear()
            self._track(GLOBAL, position)
            return
        self._touch(topic)
        self._track(topic, position)

    def _track(self, topic: str, position: int) -> None:
        if self.tracked is not None:
            self.tracked.append((topic, position))

    def fold_global(self, position: int, event: TopicDefined | SourceDescribed) -> None:
        """Fold a definition or a source description restored from a snapshot."""
        if isinstance(event, TopicDefined):
            self._define(event)
        else:
            self.sources[event.source] = event

    def _define(self, event: TopicDefined) -> None:
        old = self.definitions.get(event.topic)
        for part in old.parts if old else ():
            self.parents[part].discard(event.topic)
        for part in event.parts:
            self.parents[part].add(event.topic)
        self.definitions[event.topic] = event

    def _fold(self, part: _Topic, position: int, event: Event) -> None:
        """Fold one event into its topic's partition; the order of positions does not matter."""
        if type(event) is FigureReported:
            claim_id = event.claim_id
            if claim_id in self.known:
                return  # only a fold that skips validation sees a claim_id twice
            self.known[claim_id] = Claim(position, event)
            part.history.append(claim_id)
            if part.first_unit is None:
                part.first_unit = event.figure.unit
            source = event.source
            current = part.figures.get(source)
            if current is None or _earlier(self.known[current], event.stated_at, position):
                part.figures[source] = claim_id
        elif type(event) is ClaimMade:
            if event.claim_id in self.known:
                return
            self.known[event.claim_id] = Claim(position, event)
            sources = part.props.setdefault(event.proposition, {})
            current = sources.get(event.source)
            if current is None or _earlier(self.known[current], event.stated_at, position):
                sources[event.source] = event.claim_id
        elif type(event) is ClaimDisputed:
            part.disputes.setdefault(event.target, []).append((position, event))
        elif type(event) is ClaimRetracted:
            part.retracts.setdefault(event.target, set()).add(event.source)

    def _adopt(self, topic: str, part: _Topic, claim_id: str) -> None:
        # Disputes and retractions folded before their claim (out of log order).
        for position, event in self._orphans.pop(claim_id, ()):
            self._fold(part, position, event)
            self._track(topic, position)

    def _defers(self, topic: str) -> bool:
        # Opening a backed state folds the records written since its snapshot;
        # loading every partition they touch would cost most of a full replay.
        return self._backing is not None and topic not in self._parts

    def part(self, topic: str) -> _Topic:
        """The partition of a topic, folded from the backing snapshot on first use."""
        found = self._parts.get(topic)
        if found is not None:
            return found
        found = _Topic()
        if self._backing is not None:
            for position, event in self._backing.topic_events(topic):
                self._fold(found, position, event)
        # Then what came after the snapshot, in log order.
        for position, event in self._deferred.pop(topic, ()):
            self._fold(found, position, event)
            if isinstance(event, ClaimMade | FigureReported):
                del self._deferred_claims[event.claim_id]
        self._parts[topic] = found
        self.mentioned.add(topic)
        return found

    def fold_all(self) -> int:
        """Fold, in one pass over the log, the partitions a backed state has not folded yet.

        Asked for (nearly) every topic, reading the log once in order costs
        less than looking each topic's records up; asked for a few, the
        partitions are folded one by one as the queries need them. Returns
        how many records the pass read.
        """
        backing = self._backing
        if backing is None:
            return 0
        pending = {t: _Topic() for t in self.mentioned if t not in self._parts}
        if not pending or 3 * len(pending) < 2 * len(self.mentioned):
            return 0
        added: list[str] = []
        seen: set[str] = set()
        read = 0
        try:
            for position, event in backing.events(self.position):
                read += 1
                kind = type(event)
                if kind is FigureReported or kind is ClaimMade:
                    topic = event.topic  # type: ignore[union-attr]
                    seen.add(topic)
                    part = pending.get(topic)
                    if part is not None and event.claim_id not in self.known:  # type: ignore[union-attr]
                        self._fold(part, position, event)
                        added.append(event.claim_id)  # type: ignore[union-attr]
                elif kind is ClaimDisputed or kind is ClaimRetracted:
                    claim = self.known.get(event.target)  # type: ignore[union-attr]
                    part = None if claim is None else pending.get(claim.topic)
                    if part is not None:
                        self._fold(part, position, event)
                elif kind is TopicDefined:
                    seen.add(event.topic)  # type: ignore[union-attr]
            # The snapshot named the topics; the log must mention the same ones.
            if not pending.keys() <= seen <= self.mentioned:
                raise SnapshotDamaged("the snapshot's topics are not the log's")
        except BaseException:
            # Half a pass must not leave claims known whose partitions are not.
            for claim_id in added:
                del self.known[claim_id]
            raise
        self._parts.update(pending)
        # The pass read the records written since the snapshot too.
        self._deferred.clear()
        self._deferred_claims.clear()
        return read

    def claim_topic(self, claim_id: str) -> str | None:
        """The topic of a known claim, or None."""
        claim = self.known.get(claim_id)
        topic = None if claim is None else claim.topic
        if topic is None and self._backing is not None:
            topic = self._deferred_claims.get(claim_id) or self._backing.claim_topic(claim_id)
        return topic

    def _touch(self, topic: str) -> None:
        # A composite's view depends on its parts, so invalidate upwards.
        self._figures.pop(topic, None)
        self._views.pop(topic, None)
        above = self.parents.get(topic)
        if not above:
            return
        stack = list(above)
        seen = {topic}
        while stack:
            t = stack.pop()
            if t in seen:
                continue
            seen.add(t)
            self._figures.pop(t, None)
            self._views.pop(t, None)
            stack.extend(self.parents.get(t, ()))

    # -- facts ------------------------------------------------------------

    def is_retracted(self, claim_id: str) -> bool:
        """Whether the claim's own source retracted it."""
        claim = self.claims.get(claim_id)
        if claim is None:
            return False
        return claim.source in self.part(claim.topic).retracts.get(claim_id, ())

    def disputers(self, claim_id: str) -> tuple[str, ...]:
        """The sources disputing a claim, sorted, its own source left out."""
        claim = self.claims.get(claim_id)
        if claim is None:
            return ()
        found = {d.source for _, d in self.part(claim.topic).disputes.get(claim_id, ())}
        found.discard(claim.source)
        return tuple(sorted(found))

    def unit_of(self, topic: str) -> str | None:
        """The topic's unit: its TopicDefined unit, else its first figure's."""
        defined = self.definitions.get(topic)
        if defined is not None and defined.unit is not None:
            return defined.unit
        if topic not in self.mentioned:
            return None
        return self.part(topic).first_unit

    def parts_of(self, topic: str) -> tuple[str, ...]:
        """The parts a composite topic sums; empty for a plain topic."""
        defined = self.definitions.get(topic)
        return defined.parts if defined else ()

    # -- views ------------------------------------------------------------

    def topic_names(self) -> list[str]:
        """Every topic mentioned so far, sorted."""
        return sorted(self.mentioned)

    def window_of(self, topic: str, window: timedelta | None = None) -> timedelta | None:
        """The window in force: the query's, else the topic's latest TopicDefined window."""
        if window is not None:
            return window
        defined = self.definitions.get(topic)
        # TopicDefined gains its window field in the codec's schema 2.
        found: timedelta | None = getattr(defined, "window", None)
        return found

    def topic(self, topic: str, window: timedelta | None = None) -> TopicView:
        """One topic under a window (None: the topic's own); UnknownTopic if never mentioned."""
        if not isinstance(topic, str) or topic not in self.mentioned:
            raise UnknownTopic(topic)
        in_force = self.window_of(topic, window)
        views = self._views.setdefault(topic, {})
        view = views.get(in_force)
        if view is None:
            unit = self.unit_of(topic)
            figures = self._current(topic, {})
            if unit is None and figures:
                unit = figures[0].figure.unit
            view = views[in_force] = assess(topic, unit, figures, in_force)
        return view

    def history(self, topic: str, source: str | None = None) -> list[HistoryEntry]:
        """Every figure reported on a topic (of one source), by (stated_at, position)."""
        if not isinstance(topic, str) or topic not in self.mentioned:
            raise UnknownTopic(topic)
        part = self.part(topic)
        entries = []
        for claim_id in part.history:
            claim = self.known[claim_id]
            event = claim.event
            assert isinstance(event, FigureReported)
            if source is not None and event.source != source:
                continue
            entries.append(
                HistoryEntry(
                    position=claim.position,
                    source=event.source,
                    claim_id=claim_id,
                    figure=event.figure,
                    stated_at=event.stated_at,
                    reference_time=event.as_of,
                    retracted=event.source in part.retracts.get(claim_id, ()),
                    current=self._is_current(part, claim),
                )
            )
        entries.sort(key=lambda e: (e.stated_at, e.position))
        return entries

    def voice_of(self, source: str) -> str:
        """A source's voice: its latest affiliation, else its own slug."""
        described = self.sources.get(source)
        if described is None or described.affiliation is None:
            return source
        return described.affiliation

    def _direct(self, topic: str) -> dict[str, CurrentFigure | None]:
        found: dict[str, CurrentFigure | None] = {}
        part = self.part(topic)
        known, retracts, disputes = self.known, part.retracts, part.disputes
        for source, claim_id in part.figures.items():
            if retracts and source in retracts.get(claim_id, ()):
                found[source] = None
                continue
            event = known[claim_id].event
            assert isinstance(event, FigureReported)
            # The figure's claim is on this topic, so its disputes are here too.
            against = disputes.get(claim_id) if disputes else None
            disputers = tuple(sorted({d.source for _, d in against} - {source})) if against else ()
            found[source] = CurrentFigure(
                source,
                event.figure,
                claim_id,
                False,
                disputers,
                voice=self.voice_of(source),
                reference_time=event.as_of,
                bound=is_bound(event.figure),
            )
        return found

    def _current(
        self, topic: str, memo: dict[str, tuple[CurrentFigure, ...]]
    ) -> tuple[CurrentFigure, ...]:
        if topic in memo:
            return memo[topic]
        memo[topic] = ()  # a guard: validated logs have no cycles
        cached = self._figures.get(topic)
        if cached is not None:
            memo[topic] = cached
            return cached
        if topic not in self.mentioned:
            return ()
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
                    derived = _derive(source, [p[source] for p in by_part], unit)
                    current[source] = attrs.evolve(derived, voice=self.voice_of(source))
        result = tuple(current[s] for s in sorted(current))
        memo[topic] = self._figures[topic] = result
        return result

    def propositions(self, topic: str | None = None) -> list[PropositionView]:
        """Every (topic, proposition) with claims, sorted; one topic's when given."""
        if topic is not None and (not isinstance(topic, str) or topic not in self.mentioned):
            raise UnknownTopic(topic)
        topics = [topic] if topic is not None else sorted(self.mentioned)
        found: list[PropositionView] = []
        for name in topics:
            part = self.part(name)
            found.extend(self._proposition(name, part, p) for p in sorted(part.props))
        return found

    def _proposition(self, topic: str, part: _Topic, proposition: str) -> PropositionView:
        current: dict[str, ClaimMade] = {}
        for source, claim_id in part.props[proposition].items():
            if source not in part.retracts.get(claim_id, ()):
                event = self.known[claim_id].event
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
        if topic is not None and (not isinstance(topic, str) or topic not in self.mentioned):
            raise UnknownTopic(topic)
        found: list[Dispute] = []
        topics = [topic] if topic is not None else sorted(self.mentioned)
        for name in topics:
            part = self.part(name)
            for target, entries in part.disputes.items():
                claim = self.known.get(target)
                if claim is None:
                    continue
                active = self._is_current(part, claim)
                for position, d in entries:
                    if d.source != claim.source:
                        found.append(Dispute(target, name, d.source, d.reason, position, active))
        return sorted(found, key=lambda d: d.position)

    def _is_current(self, part: _Topic, claim: Claim) -> bool:
        if claim.source in part.retracts.get(claim.claim_id, ()):
            return False
        event = claim.event
        if isinstance(event, FigureReported):
            return part.figures.get(claim.source) == claim.claim_id
        return part.props.get(event.proposition, {}).get(claim.source) == claim.claim_id


def _derive(source: str, parts: list[CurrentFigure], unit: str) -> CurrentFigure:
    lows = [p.figure.low for p in parts]
    highs = [p.figure.high for p in parts]
    bests = [p.best for p in parts]
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
    times = [p.reference_time for p in parts if p.reference_time is not None]
    return CurrentFigure(
        source,
        figure,
        None,
        True,
        tuple(disputed),
        reference_time=min(times) if len(times) == len(parts) else None,
        bound=any(p.bound for p in parts) or low is None or high is None,
    )


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
