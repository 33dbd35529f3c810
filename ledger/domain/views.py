"""What the projections return: frozen values a caller can compare and print."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import attrs

from ledger.domain.figures import Figure, Interval, Number

__all__ = [
    "Camp",
    "Consensus",
    "ConsensusLevel",
    "CurrentFigure",
    "Dispute",
    "HistoryEntry",
    "PropositionStatus",
    "PropositionView",
    "TopicView",
]

ConsensusLevel = Literal["single", "unanimous", "majority", "plurality", "split", "none"]
PropositionStatus = Literal["agreed", "denied", "contested", "withdrawn"]


@attrs.frozen
class CurrentFigure:
    """A source's current figure on a topic, direct or derived from the parts.

    ``voice`` is the source's affiliation, or its own slug (DESIGN §4 Voices);
    ``stale`` says the figure is older than the window allows (Freshness);
    ``reference_time`` is the time the figure describes (its ``as_of``, or
    for a derived figure the earliest of its parts'); ``bound`` says that it
    states a limit ("more than", "up to", an unbounded end) rather than an
    estimate.
    """

    source: str
    figure: Figure
    claim_id: str | None
    derived: bool = False
    disputed_by: tuple[str, ...] = ()
    voice: str = attrs.field(
        default=attrs.Factory(lambda self: self.source, takes_self=True), kw_only=True
    )
    stale: bool = attrs.field(default=False, kw_only=True)
    reference_time: datetime | None = attrs.field(default=None, kw_only=True)
    bound: bool = attrs.field(default=False, kw_only=True)

    @property
    def best(self) -> Number | None:
        """The best consensus uses: the given best, else None for a bound, else the midpoint."""
        figure = self.figure
        if figure.best is not None:
            return figure.best
        if self.bound:
            return None
        return figure.effective_best


@attrs.frozen
class Camp:
    """One of the tied agreeing sets of a ``split``: where it agrees, who is in it, its estimate."""

    interval: Interval
    supporters: tuple[str, ...]
    estimate: Number | None


@attrs.frozen
class Consensus:
    """The largest set of voices whose figures agree, where they agree, and how widely.

    For ``split`` and ``none`` there is no interval and no supporter; a split
    lists its tied sets in ``camps``.
    """

    interval: Interval | None
    supporters: tuple[str, ...]
    dissenters: tuple[str, ...]
    estimate: Number | None
    level: ConsensusLevel
    camps: tuple[Camp, ...] = ()


@attrs.frozen
class TopicView:
    """A topic now: each source's current figure, the range and the consensus.

    ``latest`` is the newest reference time among the current figures and
    ``window`` the freshness window in force (None: every figure counts).
    """

    topic: str
    unit: str | None
    figures: tuple[CurrentFigure, ...]
    range: Interval | None
    consensus: Consensus | None
    latest: datetime | None = attrs.field(default=None, kw_only=True)
    window: timedelta | None = attrs.field(default=None, kw_only=True)

    def figure_of(self, source: str) -> CurrentFigure | None:
        """The current figure of source, or None when it has none."""
        return next((f for f in self.figures if f.source == source), None)

    @property
    def fresh(self) -> tuple[CurrentFigure, ...]:
        """The current figures the range and consensus count: those not stale."""
        return tuple(f for f in self.figures if not f.stale)

    @property
    def stale(self) -> tuple[CurrentFigure, ...]:
        """The current figures older than the window allows."""
        return tuple(f for f in self.figures if f.stale)

    def voices(self) -> dict[str, tuple[str, ...]]:
        """Each voice among the fresh figures and its sources, both sorted."""
        found: dict[str, list[str]] = {}
        for figure in self.fresh:
            found.setdefault(figure.voice, []).append(figure.source)
        return {voice: tuple(sorted(found[voice])) for voice in sorted(found)}


@attrs.frozen
class PropositionView:
    """Who affirms and who denies one proposition on a topic."""

    topic: str
    proposition: str
    affirmed_by: tuple[str, ...]
    denied_by: tuple[str, ...]
    status: PropositionStatus


@attrs.frozen
class Dispute:
    """One dispute of a claim, with whether it still bears on a current claim."""

    target: str
    topic: str
    source: str
    reason: str | None
    position: int
    active: bool


@attrs.frozen
class HistoryEntry:
    """One FigureReported on a topic, in the trail behind a source's current figure."""

    position: int
    source: str
    claim_id: str
    figure: Figure
    stated_at: datetime
    #: The time the figure describes: its as_of.
    reference_time: datetime
    retracted: bool
    #: Whether it is the source's current figure on the topic now.
    current: bool
