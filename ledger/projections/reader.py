"""The built-in views, read from the facts: topics, propositions, disputes, history, claims.

Every reader of the ledger asks this one module (the facade, the CLI, the
report, the charts, the timeline), so each rule is applied in one place:
the current figure of a source, the current claim of a source on a
proposition, whether a dispute still bears on a current claim.

Rendered topic views are cached per topic and window until a fold step
touches the topic or one of its parts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import timedelta
from fractions import Fraction
from typing import Any, Literal

import attrs

from ledger.domain.consensus import counted_whole, exact_best, is_bound
from ledger.domain.events import ClaimMade, Event, FigureReported, SourceDescribed, TopicDefined
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
from ledger.errors import InvalidFigure, UnknownTopic
from ledger.projections.facts import Facts, PropositionFact

__all__ = ["EventLoader", "Reader"]

#: Reads events back by position, for what the facts keep only a position of.
EventLoader = Callable[[Collection[int]], Mapping[int, Event]]


class Reader:
    """Queries over the facts, with the rendered topic views cached."""

    def __init__(self, facts: Facts, events: EventLoader | None = None) -> None:
        self.facts = facts
        self._load_events = events
        self._figures: dict[str, tuple[CurrentFigure, ...]] = {}
        #: The figures of topics the fold touched since they were rendered, by
        #: source: an append changes one source's figure, and the others are
        #: reused rather than built again when the topic is rendered next.
        self._touched: dict[str, dict[str, CurrentFigure]] = {}
        self._views: dict[str, dict[timedelta | None, TopicView]] = {}
        #: Each source's voice, as looked up (a description changes them all: forget()).
        self._voices: dict[str, str] = {}

    # -- caches -----------------------------------------------------------

    def refresh(self) -> None:
        """Forget the views of the topics the fold touched since the last query."""
        dirty = self.facts.dirty
        if not dirty:
            return
        if "" in dirty:
            self.forget()
            return
        # A composite's view depends on its parts: forget upwards.
        stack, seen = list(dirty), set()
        dirty.clear()
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            old = self._figures.pop(name, None)
            if old is not None:
                self._touched[name] = {f.source: f for f in old if not f.derived}
            self._views.pop(name, None)
            stack.extend(self.facts.parents_of(name))

    def forget(self) -> None:
        """Forget every rendered view (the facts changed under them)."""
        self.facts.dirty.clear()
        self._figures.clear()
        self._touched.clear()
        self._views.clear()
        self._voices.clear()

    # -- events -----------------------------------------------------------

    def events(self, positions: Iterable[int]) -> dict[int, Event]:
        """The events at these positions, read back when the facts keep only positions."""
        kept = self.facts.events
        positions = list(positions)
        wanted = [p for p in positions if p not in kept]
        if wanted and self._load_events is not None:
            kept.update(self._load_events(wanted))
        return {p: kept[p] for p in positions if p in kept}

    def event(self, position: int) -> Event | None:
        """The event at a position, or None."""
        return self.events((position,)).get(position)

    def claim(self, claim_id: str) -> ClaimMade | FigureReported | None:
        """The ClaimMade or FigureReported with this claim_id, or None."""
        found = self.facts.claim(claim_id)
        if found is None:
            return None
        event = self.event(found.position)
        return event if isinstance(event, ClaimMade | FigureReported) else None

    def definition(self, topic: str) -> TopicDefined | None:
        """The latest TopicDefined of a topic, or None."""
        found = self.facts.definition(topic)
        event = None if found is None else self.event(found.position)
        return event if isinstance(event, TopicDefined) else None

    def source(self, source: str) -> SourceDescribed | None:
        """The latest description of a source, or None."""
        found = self.facts.sources.get(source)
        event = None if found is None else self.event(found.position)
        return event if isinstance(event, SourceDescribed) else None

    # -- topics -----------------------------------------------------------

    def _known(self, topic: str) -> str:
        if not self.facts.mentioned(topic):
            raise UnknownTopic(topic)
        return topic

    def window_of(self, topic: str, window: timedelta | None = None) -> timedelta | None:
        """The window in force: the query's, else the topic's latest TopicDefined window."""
        if window is not None:
            return window
        defined = self.facts.definition(topic)
        return None if defined is None else defined.window

    def topic(self, topic: str, window: timedelta | None = None) -> TopicView:
        """One topic under a window (None: the topic's own); UnknownTopic if never mentioned."""
        name = self._known(topic)
        self.refresh()
        in_force = self.window_of(name, window)
        views = self._views.setdefault(name, {})
        view = views.get(in_force)
        if view is None:
            figures = self._current(name, {})
            unit = self.facts.unit_of(name)
            if unit is None and figures:
                unit = figures[0].figure.unit
            view = views[in_force] = assess(name, unit, figures, in_force)
        return view

    def topics(self, window: timedelta | None = None) -> list[TopicView]:
        """Every topic mentioned, sorted, each under window or its own."""
        facts = self.facts
        for table in (
            facts.meta,
            facts.definitions,
            facts.parents,
            facts.sources,
            facts.figures,
        ):
            table.fetch_all()
        return [self.topic(name, window) for name in facts.topic_names()]

    def _current(
        self, topic: str, memo: dict[str, tuple[CurrentFigure, ...]]
    ) -> tuple[CurrentFigure, ...]:
        """A topic's current figures, its parts' first: an explicit stack, not recursion.

        A chain of composites may be nested thousands deep; each topic is
        composed once all its parts are in memo.
        """
        stack = [(topic, False)]
        while stack:
            name, ready = stack.pop()
            if ready:
                memo[name] = self._composed(name, memo)
                continue
            if name in memo:
                continue
            cached = self._figures.get(name)
            if cached is not None:
                memo[name] = cached
                continue
            memo[name] = ()  # a guard: validated logs have no cycles
            stack.append((name, True))
            stack.extend((p, False) for p in reversed(self.facts.parts_of(name)) if p not in memo)
        return memo[topic]

    def _composed(
        self, topic: str, memo: dict[str, tuple[CurrentFigure, ...]]
    ) -> tuple[CurrentFigure, ...]:
        """A topic's current figures, from its own and its parts' (all in memo)."""
        current = self._direct(topic)
        parts = self.facts.parts_of(topic)
        if parts:
            by_part = [{f.source: f for f in memo[p]} for p in parts]
            common = set.intersection(*(set(p) for p in by_part))
            unit = self.facts.unit_of(topic) or next(
                (f.figure.unit for p in by_part for f in p.values()), None
            )
            for source in sorted(common - set(current)):
                if unit is not None:
                    derived = _derive(source, [p[source] for p in by_part], unit)
                    current[source] = attrs.evolve(derived, voice=self._voice(source))
        result = tuple(current[s] for s in sorted(current))
        self._figures[topic] = result
        return result

    def _voice(self, source: str) -> str:
        voice = self._voices.get(source)
        if voice is None:
            voice = self._voices[source] = self.facts.voice_of(source)
        return voice

    def _direct(self, topic: str) -> dict[str, CurrentFigure]:
        facts = self.facts
        voice_of = self._voice
        before = self._touched.pop(topic, {})
        found: dict[str, CurrentFigure] = {}
        # Each row is a FigureFact's fields as a plain tuple (see facts); its
        # disputers are other sources than its own.
        figures = facts.figures.part(topic).items()
        for source, (claim_id, position, _, as_of, row, retracted, against) in figures:
            if retracted:
                continue
            disputed = tuple(sorted(set(against))) if against else ()
            voice = voice_of(source)
            was = before.get(source)
            if (
                was is not None
                and was.claim_id == claim_id
                and was.reference_time == as_of
                and was.disputed_by == disputed
                and was.voice == voice
            ):
                # The same claim (a claim's figure never changes), disputes and
                # voice: the same figure.
                found[source] = was
                continue
            figure = facts.figure_at(position, row)
            found[source] = CurrentFigure(
                source,
                figure,
                claim_id,
                False,
                disputed,
                voice=voice,
                reference_time=as_of,
                bound=is_bound(figure),
            )
        return found

    # -- propositions and disputes ----------------------------------------

    def _topics(self, topic: str | None) -> list[str]:
        if topic is not None:
            return [self._known(topic)]
        for table in (self.facts.meta, self.facts.propositions):
            table.fetch_all()
        return self.facts.topic_names()

    def propositions(self, topic: str | None = None) -> list[PropositionView]:
        """Every (topic, proposition) with claims, sorted; one topic's when given."""
        found: list[PropositionView] = []
        for name in self._topics(topic):
            current = self._current_claims(name)
            for proposition in sorted(current):
                found.append(_proposition(name, proposition, current[proposition]))
        return found

    def _current_claims(self, topic: str) -> dict[str, dict[str, PropositionFact]]:
        """proposition -> source -> the source's current claim (retracted ones left out)."""
        found: dict[str, dict[str, PropositionFact]] = {}
        for key, fact in self.facts.propositions_of(topic).items():
            proposition, _, source = key.rpartition("|")
            claims = found.setdefault(proposition, {})
            if not fact.retracted:
                claims[source] = fact
        return found

    def statements(self, topic: str, proposition: str) -> list[ClaimMade]:
        """The current claim of each source on a proposition, sorted by source."""
        current = self._current_claims(self._known(topic)).get(proposition, {})
        events = self.events(f.position for f in current.values())
        found = [events[current[s].position] for s in sorted(current)]
        return [e for e in found if isinstance(e, ClaimMade)]

    def active_disputes(self, topic: str | None = None) -> dict[str, int]:
        """How many disputes are active on each topic (one topic's when given).

        ``Dispute.active`` counted: the fold keeps each topic's count as
        claims are disputed, retracted and superseded.
        """
        facts = self.facts
        if topic is None:
            facts.active.fetch_all()
            return {name: rows[""] for name, rows in facts.active.items()}
        count = facts.active_disputes(self._known(topic))
        return {topic: count} if count else {}

    def _bearing(self, topic: str) -> dict[str, str]:
        """The claims a dispute bears on: each source's current, unretracted claims, by claim_id.

        A source's current figure on the topic, and its current claim on each
        proposition; the value is the claim's source (a source disputing its
        own claim is ignored).
        """
        facts = self.facts
        # Rows of FigureFacts and PropositionFacts: the claim_id first, whether
        # it is retracted second to last.
        found = {f[0]: source for source, f in facts.figures.part(topic).items() if not f[-2]}
        for key, p in facts.propositions.part(topic).items():
            if not p[-2]:
                found[p[0]] = key.rpartition("|")[2]
        return found

    def disputes(self, topic: str | None = None, proposition: str | None = None) -> list[Dispute]:
        """Every dispute of a claim in the view, in log order, marked active when it bears.

        With a proposition, only the disputes of claims on it.
        """
        if topic is None:
            facts = self.facts
            facts.disputes.fetch_all()
            facts.figures.fetch_all()
            # Every disputed claim in one request, not one a topic.
            facts.claims.fetch({d[0] for _, rows in facts.disputes.items() for d in rows.values()})
        found: list[Dispute] = []
        for name in self._topics(topic):
            facts = self.facts
            entries = list(facts.disputes_of(name).values())
            facts.claims.fetch({d.target for d in entries})
            bearing = self._bearing(name)
            for d in entries:
                claim = facts.claim(d.target)
                if claim is None or d.source == claim.source:
                    continue
                if proposition is not None and claim.proposition != proposition:
                    continue
                active = d.target in bearing
                found.append(Dispute(d.target, name, d.source, d.reason, d.position, active))
        return sorted(found, key=lambda d: d.position)

    # -- history ------------------------------------------------------------

    def history(self, topic: str, source: str | None = None) -> list[HistoryEntry]:
        """Every figure reported on a topic (of one source), by (stated_at, position)."""
        name = self._known(topic)
        facts = self.facts
        rows = [(c, h) for c, h in facts.history_of(name).items() if source in (None, h.source)]
        events = self.events(h.position for _, h in rows)
        retracted = facts.retractions.part(name)
        entries = []
        for claim_id, fact in rows:
            event = events.get(fact.position)
            if not isinstance(event, FigureReported):
                continue
            current = facts.figure(name, fact.source)
            entries.append(
                HistoryEntry(
                    position=fact.position,
                    source=fact.source,
                    claim_id=claim_id,
                    figure=event.figure,
                    stated_at=event.stated_at,
                    reference_time=event.as_of,
                    retracted=claim_id in retracted,
                    current=current is not None
                    and current.claim_id == claim_id
                    and claim_id not in retracted,
                )
            )
        entries.sort(key=lambda e: (e.stated_at, e.position))
        return entries


def _proposition(
    topic: str,
    proposition: str,
    current: dict[str, PropositionFact],
) -> PropositionView:
    affirmed = {s for s, c in current.items() if c.stance == "affirms"}
    denied = {s for s, c in current.items() if c.stance == "denies"}
    for claim in current.values():
        # The disputers of a current claim are other sources than its own.
        for disputer in claim.against:
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


def _derive(source: str, parts: list[CurrentFigure], unit: str) -> CurrentFigure:
    """The figure a source gives a composite by its figures on every part (DESIGN §4)."""
    bests = [p.best for p in parts]
    lows, highs = [p.figure.low for p in parts], [p.figure.high for p in parts]
    low, high = _total(lows), _total(highs)
    if low is not None and high is not None and low > high:
        # Float sums rounded past each other (an int beyond 2**53 beside a
        # fraction): the exact sums, rounded outward, still hold the true interval.
        low, high = _total(lows, rounded="down"), _total(highs, rounded="up")
    best = None if any(x is None for x in bests) else _best_sum(parts, bests)
    # An unbounded side has no end to be open (DESIGN §2), whatever the parts say;
    # and float rounding can close a sum of open parts down to a single point.
    low_open = low is not None and low != high and any(p.figure.low_open for p in parts)
    high_open = high is not None and low != high and any(p.figure.high_open for p in parts)
    if best is not None:
        # Float rounding can put a sum of bests a hair outside the summed bounds:
        # it is the nearest end then, not no best at all.
        if low is not None and best < low:
            best = low
        elif high is not None and best > high:
            best = high
    try:
        figure = Figure(low, high, low_open, high_open, best=best, unit=unit)
    except InvalidFigure:
        # An end the sum was brought to that is open, or a sum past any float.
        figure = Figure(low, high, low_open, high_open, unit=unit)
    times = [p.reference_time for p in parts if p.reference_time is not None]
    return CurrentFigure(
        source,
        figure,
        None,
        True,
        tuple(sorted({s for p in parts for s in p.disputed_by})),
        reference_time=min(times) if len(times) == len(parts) else None,
        bound=any(p.bound for p in parts) or low is None or high is None,
    )


def _total(
    values: list[Number | None], *, rounded: Literal["down", "up"] | None = None
) -> Number | None:
    """The sum of one side's bounds; None (unbounded) if any is, or past what a figure holds.

    With ``rounded`` the sum is exact, then rounded to the nearest float below
    it ("down", for lows) or above it ("up", for highs).
    """
    if any(x is None for x in values):
        return None
    total = _sum(values) if rounded is None else _exact_sum(values, up=rounded == "up")
    try:
        Interval(total, total)
    except InvalidFigure:
        # Past what a figure holds (a float overflow, an int beyond 64 bits):
        # unbounded on that side still contains the true sum.
        return None
    return total


def _exact_sum(values: list[Any], *, up: bool) -> Number:
    """The exact sum: an int for ints, else the nearest float on the side asked for."""
    exact = sum(Fraction(v) for v in values)
    if all(type(v) is int for v in values):
        return int(exact)
    try:
        near = float(exact)
    except OverflowError:
        return math.inf  # refused by the caller's check: unbounded on that side
    if up and Fraction(near) < exact:
        return math.nextafter(near, math.inf)
    if not up and Fraction(near) > exact:
        return math.nextafter(near, -math.inf)
    return near


def _best_sum(parts: list[CurrentFigure], bests: list[Number | None]) -> Number:
    """The parts' bests summed exactly, rounded once (an int when every best is one).

    Each part's best is taken exactly, as consensus takes it (a best not
    given is the exact midpoint of its figure's ends, DESIGN §4): beyond
    2**53 the float midpoint a part shows is rounded, and a sum of those
    roundings can miss the whole number the exact midpoints add up to.
    """
    exact = Fraction(0)
    for part in parts:
        best = exact_best(part)
        assert best is not None  # only parts that all have a best are summed
        exact += Fraction(best)
    if all(type(b) is int for b in bests):
        return int(exact)
    try:
        found = float(exact)
    except OverflowError:
        return math.inf  # refused by Figure: the derived figure gets no best
    if Fraction(found) != exact and counted_whole(parts):
        # Whole counts beyond 2**53, where no float holds the sum (a half, or a
        # whole number between two floats): the nearest whole number, a half
        # to even, as the estimate rounds (DESIGN §4), never a float 16 away.
        return round(exact)
    return found


def _sum(values: list[Any]) -> Number:
    total: Number = 0
    for v in values:
        total += v
    return total
