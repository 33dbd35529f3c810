"""The --json schema: plain dicts built from the public views (docs/cli.md documents them)."""

from __future__ import annotations

import json
from typing import Any

from ledger.codec import Recorded, format_timestamp
from ledger.domain.events import FigureReported
from ledger.domain.figures import Interval
from ledger.domain.views import Consensus, CurrentFigure, Dispute, PropositionView, TopicView
from ledger.facade import Ledger, LedgerView
from ledger.present.report import proposition_disputes
from ledger.projections.timeline import Step

__all__ = [
    "consensus_json",
    "dispute_json",
    "figure_json",
    "interval_json",
    "proposition_disputes",
    "proposition_json",
    "record_json",
    "step_json",
    "topic_json",
]

JSON = dict[str, Any]


def interval_json(interval: Interval | None) -> JSON | None:
    """An interval: null bounds are unbounded; text is how the CLI prints it."""
    if interval is None:
        return None
    return {
        "low": interval.low,
        "high": interval.high,
        "low_open": interval.low_open,
        "high_open": interval.high_open,
        "text": str(interval),
    }


def figure_json(current: CurrentFigure, view: LedgerView) -> JSON:
    """A source's current figure with its words, provenance and disputes."""
    figure = current.figure
    claim = view.claim(current.claim_id) if current.claim_id else None
    reported = claim if isinstance(claim, FigureReported) else None
    return {
        "source": current.source,
        "low": figure.low,
        "high": figure.high,
        "low_open": figure.low_open,
        "high_open": figure.high_open,
        "best": figure.best,
        "effective_best": figure.effective_best,
        "text": str(figure),
        "unit": figure.unit,
        "phrase": figure.phrase,
        "rule": figure.rule,
        "claim_id": current.claim_id,
        "derived": current.derived,
        "disputed_by": list(current.disputed_by),
        "via": list(reported.via) if reported else [],
        "stated_at": format_timestamp(reported.stated_at) if reported else None,
        "quote": reported.quote if reported else None,
        "url": reported.url if reported else None,
    }


def consensus_json(consensus: Consensus | None) -> JSON | None:
    """Where the largest set of agreeing sources agree, and who they are."""
    if consensus is None:
        return None
    return {
        "interval": interval_json(consensus.interval),
        "supporters": list(consensus.supporters),
        "dissenters": list(consensus.dissenters),
        "estimate": consensus.estimate,
        "level": consensus.level,
    }


def topic_json(view: TopicView, ledger_view: LedgerView) -> JSON:
    """A topic: its definition, current figures, range and consensus."""
    definition = ledger_view.definition(view.topic)
    return {
        "topic": view.topic,
        "title": definition.title if definition else None,
        "unit": view.unit,
        "parts": list(definition.parts) if definition else [],
        "figures": [figure_json(f, ledger_view) for f in view.figures],
        "range": interval_json(view.range),
        "consensus": consensus_json(view.consensus),
        "disputes": sum(1 for d in ledger_view.disputes(view.topic) if d.active),
    }


def dispute_json(dispute: Dispute) -> JSON:
    """One dispute of a claim; active when the disputed claim is still current."""
    return {
        "target": dispute.target,
        "source": dispute.source,
        "reason": dispute.reason,
        "position": dispute.position,
        "active": dispute.active,
    }


def proposition_json(prop: PropositionView, view: LedgerView) -> JSON:
    """Who affirms and who denies a proposition, its status and its disputes."""
    return {
        "topic": prop.topic,
        "proposition": prop.proposition,
        "status": prop.status,
        "affirmed_by": list(prop.affirmed_by),
        "denied_by": list(prop.denied_by),
        "disputes": [dispute_json(d) for d in proposition_disputes(prop, view)],
    }


def step_json(step: Step) -> JSON:
    """The range and consensus after one change of a topic."""
    return {
        "position": step.position,
        "stated_at": format_timestamp(step.stated_at) if step.stated_at else None,
        "event": {"type": step.event_type, "source": step.source, "claim_id": step.claim_id},
        "figures": step.figures,
        "range": interval_json(step.range),
        "consensus": consensus_json(step.consensus),
    }


def record_json(record: Recorded, lg: Ledger) -> JSON:
    """A record of the log, its event's fields upcast to today's schema."""
    return {
        "position": record.position,
        "event_id": record.event_id,
        "type": record.type,
        "recorded_at": format_timestamp(record.recorded_at),
        "hash": record.hash.hex(),
        "data": json.loads(lg.codec.event_data(record.event)),
    }
