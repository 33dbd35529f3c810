"""The --json schema: plain dicts built from the public views (docs/cli.md documents them)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ledger.codec import Recorded, format_timestamp
from ledger.domain.durations import format_duration
from ledger.domain.events import FigureReported
from ledger.domain.figures import Figure, Interval
from ledger.domain.views import (
    Camp,
    Consensus,
    CurrentFigure,
    Dispute,
    HistoryEntry,
    PropositionView,
    TopicView,
)
from ledger.facade import Ledger, LedgerView
from ledger.present.words import set_aside
from ledger.projections.timeline import Step

__all__ = [
    "camp_json",
    "consensus_json",
    "dispute_json",
    "figure_json",
    "history_json",
    "interval_json",
    "proposition_json",
    "record_json",
    "step_json",
    "topic_json",
    "window_json",
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


def _time(when: datetime | None) -> str | None:
    return None if when is None else format_timestamp(when)


def window_json(window: timedelta | None) -> str | None:
    """A window as an ISO 8601 duration; null when none is in force (or it was set aside)."""
    return None if set_aside(window) or window is None else format_duration(window)


def _figure_fields(figure: Figure) -> JSON:
    return {
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
    }


def figure_json(current: CurrentFigure, view: LedgerView) -> JSON:
    """A source's current figure with its words, provenance, voice, freshness and disputes."""
    claim = view.claim(current.claim_id) if current.claim_id else None
    reported = claim if isinstance(claim, FigureReported) else None
    return {
        "source": current.source,
        **_figure_fields(current.figure),
        "claim_id": current.claim_id,
        "derived": current.derived,
        "disputed_by": list(current.disputed_by),
        "via": list(reported.via) if reported else [],
        "stated_at": _time(reported.stated_at) if reported else None,
        "quote": reported.quote if reported else None,
        "url": reported.url if reported else None,
        "voice": current.voice,
        "reference_time": _time(current.reference_time),
        "stale": current.stale,
        "bound": current.bound,
    }


def camp_json(camp: Camp) -> JSON:
    """One camp of a split: where it agrees, who is in it, its estimate."""
    return {
        "interval": interval_json(camp.interval),
        "supporters": list(camp.supporters),
        "estimate": camp.estimate,
    }


def consensus_json(consensus: Consensus | None) -> JSON | None:
    """Where the largest set of agreeing voices agree, who they are; a split's camps."""
    if consensus is None:
        return None
    return {
        "interval": interval_json(consensus.interval),
        "supporters": list(consensus.supporters),
        "dissenters": list(consensus.dissenters),
        "estimate": consensus.estimate,
        "level": consensus.level,
        "camps": [camp_json(c) for c in consensus.camps],
    }


def topic_json(
    view: TopicView, ledger_view: LedgerView, active: Mapping[str, int] | None = None
) -> JSON:
    """A topic: its definition, current figures, range and consensus, freshness and voices.

    ``active``: the active disputes of every topic (``LedgerView.active_disputes``),
    when the caller prints many topics; else this topic's are counted.
    """
    definition = ledger_view.definition(view.topic)
    return {
        "topic": view.topic,
        "title": definition.title if definition else None,
        "unit": view.unit,
        "parts": list(definition.parts) if definition else [],
        "figures": [figure_json(f, ledger_view) for f in view.figures],
        "range": interval_json(view.range),
        "consensus": consensus_json(view.consensus),
        "disputes": (ledger_view.active_disputes(view.topic) if active is None else active).get(
            view.topic, 0
        ),
        "latest": _time(view.latest),
        "window": window_json(view.window),
        "voices": {voice: list(sources) for voice, sources in view.voices().items()},
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
        "disputes": [dispute_json(d) for d in view.disputes(prop.topic, prop.proposition)],
    }


def step_json(step: Step) -> JSON:
    """The range and consensus after one change of a topic."""
    return {
        "position": step.position,
        "stated_at": _time(step.stated_at),
        "event": {"type": step.event_type, "source": step.source, "claim_id": step.claim_id},
        "figures": step.figures,
        "range": interval_json(step.range),
        "consensus": consensus_json(step.consensus),
    }


def history_json(entry: HistoryEntry) -> JSON:
    """One FigureReported in the trail behind a source's current figure."""
    return {
        "position": entry.position,
        "source": entry.source,
        "claim_id": entry.claim_id,
        **_figure_fields(entry.figure),
        "stated_at": _time(entry.stated_at),
        "as_of": _time(entry.reference_time),
        "retracted": entry.retracted,
        "current": entry.current,
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
