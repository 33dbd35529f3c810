"""The rules an event must pass against the ledger's state before it is written.

A batch is checked as a whole: each event against the state plus the events
before it in the batch, kept in an overlay so the state itself is untouched
until the batch is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import assert_never

from ledger.domain.events import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
)
from ledger.errors import (
    CompositeCycle,
    DuplicateClaim,
    ForeignRetraction,
    RetractedClaim,
    SelfDispute,
    UnitMismatch,
    UnknownClaim,
    ValidationError,
)
from ledger.projections.facts import Facts

__all__ = ["check_each", "validate"]


def validate(state: Facts, events: Sequence[Event]) -> None:
    """Raise the ValidationError of the first event that breaks a rule of §4."""
    check = _Overlay(state)
    for i, event in enumerate(events):
        try:
            check.accept(event)
        except ValidationError as exc:
            exc.item = i
            raise


class _Overlay:
    def __init__(self, state: Facts) -> None:
        self.state = state
        self.claims: dict[str, str] = {}  # claim_id -> source, pending in this batch
        self.retracted: set[str] = set()
        self.units: dict[str, str] = {}
        self.definitions: dict[str, TopicDefined] = {}
        #: part -> the topics the batch defines as composites of it (a reverse index,
        #: so that walking a chain of composites stays linear in its length).
        self.parents: dict[str, set[str]] = {}

    def accept(self, event: Event) -> None:
        match event:
            case ClaimMade() | FigureReported():
                if event.claim_id in self.claims or self.state.claim(event.claim_id) is not None:
                    raise DuplicateClaim(event.claim_id)
                if isinstance(event, FigureReported):
                    self._check_figure_unit(event.topic, event.figure.unit)
                    self.units.setdefault(event.topic, event.figure.unit)
                self.claims[event.claim_id] = event.source
            case ClaimDisputed():
                owner = self._live_owner(event.target)
                if owner == event.source:
                    raise SelfDispute(event.target, event.source)
            case ClaimRetracted():
                owner = self._live_owner(event.target)
                if owner != event.source:
                    raise ForeignRetraction(event.target, event.source, owner)
                self.retracted.add(event.target)
            case TopicDefined():
                self._check_definition(event)
                before = self.definitions.get(event.topic)
                for part in before.parts if before is not None else ():
                    self.parents[part].discard(event.topic)
                for part in event.parts:
                    self.parents.setdefault(part, set()).add(event.topic)
                self.definitions[event.topic] = event
            case SourceDescribed():
                pass
            case _:
                assert_never(event)

    def _live_owner(self, claim_id: str) -> str:
        owner = self.claims.get(claim_id)
        if owner is None:
            claim = self.state.claim(claim_id)
            if claim is None:
                raise UnknownClaim(claim_id)
            owner = claim.source
        if claim_id in self.retracted or self.state.is_retracted(claim_id):
            raise RetractedClaim(claim_id)
        return owner

    def _unit(self, topic: str) -> str | None:
        defined = self.definitions.get(topic)
        if defined is not None and defined.unit is not None:
            return defined.unit
        return self.state.unit_of(topic) or self.units.get(topic)

    def _parts(self, topic: str) -> tuple[str, ...]:
        defined = self.definitions.get(topic)
        return defined.parts if defined is not None else self.state.parts_of(topic)

    def _parents(self, topic: str) -> Iterable[str]:
        yield from (p for p in self.state.parents_of(topic) if p not in self.definitions)
        yield from sorted(self.parents.get(topic, ()))

    def _component_units(self, start: Iterable[str]) -> dict[str, str]:
        # Parts and their composites are summed together, so every topic
        # linked through composite definitions must share one unit.
        units: dict[str, str] = {}
        stack = list(start)
        seen: set[str] = set()
        while stack:
            topic = stack.pop()
            if topic in seen:
                continue
            seen.add(topic)
            unit = self._unit(topic)
            if unit is not None:
                units[topic] = unit
            stack.extend(self._parts(topic))
            stack.extend(self._parents(topic))
        return units

    def _check_figure_unit(self, topic: str, unit: str) -> None:
        own = self._unit(topic)
        if own is not None:
            if own != unit:
                raise UnitMismatch(topic, own, unit)
            return
        for _, other_unit in sorted(self._component_units([topic]).items()):
            if other_unit != unit:
                raise UnitMismatch(topic, other_unit, unit)

    def _check_definition(self, event: TopicDefined) -> None:
        established = self._unit(event.topic)
        if event.unit is not None and established is not None and event.unit != established:
            raise UnitMismatch(event.topic, established, event.unit)
        for part in event.parts:
            path = self._path(part, event.topic, [event.topic, part])
            if path is not None:
                raise CompositeCycle(event.topic, path)
        unit = event.unit or established
        units = self._component_units([event.topic, *event.parts])
        if unit is None and units:
            unit = units[sorted(units)[0]]
        for other, other_unit in sorted(units.items()):
            if other_unit != unit:
                # Name the topic whose unit stands in the way, and that unit.
                raise UnitMismatch(other, other_unit, unit)

    def _path(self, start: str, goal: str, path: list[str]) -> list[str] | None:
        """The first path, depth first in parts order, from start (path's end) to goal.

        An explicit stack, not recursion: a chain of composites may be nested
        thousands deep. A topic explored once without reaching goal is not
        explored again (it cannot reach it by another way either).
        """
        trail = list(path)
        seen = set(path)
        stack = [iter(self._parts(start))]
        while stack:
            for part in stack[-1]:
                if part == goal:
                    return [*trail, part]
                if part not in seen:
                    seen.add(part)
                    trail.append(part)
                    stack.append(iter(self._parts(part)))
                    break
            else:
                stack.pop()
                trail.pop()
        return None


def check_each(state: Facts, events: Sequence[Event]) -> list[tuple[int, ValidationError]]:
    """Every event that breaks a rule, by index; a bad event is left out of what follows."""
    check = _Overlay(state)
    found: list[tuple[int, ValidationError]] = []
    for index, event in enumerate(events):
        try:
            check.accept(event)
        except ValidationError as exc:
            found.append((index, exc))
    return found
