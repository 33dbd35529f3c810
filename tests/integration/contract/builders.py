"""The contract suite's event builders live in ``ledger.testing.builders``; re-exported here."""

from __future__ import annotations

from ledger.testing.builders import (
    T0,
    TOPIC,
    UNIT,
    claim,
    describe,
    dispute,
    figure,
    retract,
    topic,
    unknown_dispute,
    when,
)

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
