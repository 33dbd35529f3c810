"""The six event types (DESIGN.md names this module): ``ledger.domain.events`` re-exported."""

from __future__ import annotations

from ledger.domain.events import (
    EVENT_TYPES,
    SOURCE_KINDS,
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
    is_slug,
    to_timestamp,
)

__all__ = [
    "EVENT_TYPES",
    "SOURCE_KINDS",
    "ClaimDisputed",
    "ClaimMade",
    "ClaimRetracted",
    "Event",
    "FigureReported",
    "SourceDescribed",
    "TopicDefined",
    "is_slug",
    "to_timestamp",
]
