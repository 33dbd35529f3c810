"""What the projections return: frozen values a caller can compare and print."""

from __future__ import annotations

from typing import Literal

import attrs

from ledger.domain.figures import Figure, Interval, Number

__all__ = [
    "Consensus",
    "ConsensusLevel",
    "CurrentFigure",
    "Dispute",
    "PropositionStatus",
    "PropositionView",
    "TopicView",
]

ConsensusLevel = Literal["single", "unanimous", "majority", "plurality", "none"]
PropositionStatus = Literal["agreed", "denied", "contested", "withdrawn"]


@attrs.frozen
class CurrentFigure:
    """A source's current figure on a topic, direct or derived from the parts."""

    source: str
    figure: Figure
    claim_id: str | None
    derived: bool = False
    disputed_by: tuple[str, ...] = ()


@attrs.frozen
class Consensus:
    """The largest set of sources whose figures agree, and where they agree."""

    interval: Interval | None
    supporters: tuple[str, ...]
    dissenters: tuple[str, ...]
    estimate: Number | None
    level: ConsensusLevel


@attrs.frozen
class TopicView:
    """A topic now: each source's current figure, the range and the consensus."""

    topic: str
    unit: str | None
    figures: tuple[CurrentFigure, ...]
    range: Interval | None
    consensus: Consensus | None

    def figure_of(self, source: str) -> CurrentFigure | None:
        """The current figure of source, or None when it has none."""
        return next((f for f in self.figures if f.source == source), None)


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
