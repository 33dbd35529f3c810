"""Small, valid events for store and ledger tests, numbered so that each call is new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledger.domain.events import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    FigureReported,
    SourceDescribed,
    TopicDefined,
)
from ledger.domain.figures import Figure

__all__ = [
    "T0",
    "TOPIC",
    "UNIT",
    "claim",
    "describe",
    "dispute",
    "figure",
    "retract",
    "topic",
    "unknown_dispute",
    "when",
]

T0 = datetime(2024, 8, 6, tzinfo=UTC)
TOPIC = "kursk/casualties"
UNIT = "people"


def when(n: int) -> datetime:
    """A distinct stated_at for event number n."""
    return T0 + timedelta(hours=n)


def topic(unit: str = UNIT, name: str = TOPIC) -> TopicDefined:
    """The definition of the topic most tests report on."""
    return TopicDefined(topic=name, title="Casualties", unit=unit)


def figure(
    n: int, source: str = "src/a", low: int = 100, high: int = 200, unit: str = UNIT
) -> FigureReported:
    """A figure on TOPIC with claim_id c<n>."""
    return FigureReported(
        claim_id=f"c{n}",
        topic=TOPIC,
        source=source,
        figure=Figure(low, high, unit=unit, phrase=f"between {low} and {high}"),
        stated_at=when(n),
        quote="«Kursk» — ünïcode survives",
    )


def claim(n: int, source: str = "src/a", statement: str = "Troops crossed the border") -> ClaimMade:
    """A ClaimMade on TOPIC with claim_id c<n>."""
    return ClaimMade(
        claim_id=f"c{n}", topic=TOPIC, source=source, statement=statement, stated_at=when(n)
    )


def dispute(n: int, target: str, source: str) -> ClaimDisputed:
    """source disputes claim target."""
    return ClaimDisputed(target=target, source=source, reason="no evidence", stated_at=when(n))


def retract(n: int, target: str, source: str) -> ClaimRetracted:
    """source retracts its own claim target."""
    return ClaimRetracted(target=target, source=source, stated_at=when(n))


def describe(source: str = "src/a", reliability: str = "B") -> SourceDescribed:
    """A SourceDescribed at the current schema."""
    return SourceDescribed(source=source, name="Agency A", kind="media", reliability=reliability)


def unknown_dispute(n: int) -> ClaimDisputed:
    """A dispute of a claim that does not exist: always invalid (UnknownClaim)."""
    return ClaimDisputed(target="no/such-claim", source="src/z", stated_at=when(n))
