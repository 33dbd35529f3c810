"""Reading commands: topics, show, propositions, timeline, log; each with --as-of and --json."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import click

from ledger.cli import cli
from ledger.cli._common import (
    AsOf,
    as_of_json,
    as_of_option,
    console,
    cutoffs,
    emit_json,
    json_option,
    open_ledger,
    store_argument,
    view_of,
)
from ledger.cli._json import (
    proposition_disputes,
    proposition_json,
    record_json,
    step_json,
    topic_json,
)
from ledger.cli._tables import Grid
from ledger.codec import Recorded, format_timestamp
from ledger.domain.events import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
)
from ledger.domain.figures import Interval
from ledger.domain.views import Consensus, PropositionView, TopicView
from ledger.facade import LedgerView
from ledger.present.charts import fmt_number, words_of
from ledger.present.text import rich_text
from ledger.projections.timeline import topic_timeline


def _interval(value: Interval | None) -> str:
    return "-" if value is None else str(value)


def _consensus_cells(c: Consensus | None) -> tuple[str, str, str]:
    if c is None:
        return ("-", "-", "-")
    return (_interval(c.interval), c.level, fmt_number(c.estimate))


def topics_table(view: LedgerView) -> Grid:
    """One row a topic: unit, sources, range, consensus, level, estimate, active disputes."""
    table = Grid("Topic", "Unit", "Sources", "Range", "Consensus", "Level", "Estimate", "Disputes")
    for topic in view.topics():
        disputes = sum(1 for d in view.disputes(topic.topic) if d.active)
        table.add(
            topic.topic,
            topic.unit,
            len(topic.figures) if topic.figures else None,
            _interval(topic.range),
            *_consensus_cells(topic.consensus),
            disputes or None,
        )
    return table


@cli.command()
@store_argument()
@as_of_option
@json_option
def topics(store: str, as_of: AsOf | None, as_json: bool) -> None:
    """List every topic: unit, sources, range, consensus, level, estimate, disputes."""
    with open_ledger(store) as lg:
        view = view_of(lg, as_of)
        if as_json:
            emit_json(
                {
                    **as_of_json(as_of, view.position),
                    "topics": [topic_json(t, view) for t in view.topics()],
                }
            )
            return
        topics_table(view).print(console())


def _figures_table(topic: TopicView, view: LedgerView) -> Grid:
    table = Grid("Source", "Figure", "Words", "Via", "Disputed by")
    for current in topic.figures:
        claim = view.claim(current.claim_id) if current.claim_id else None
        via = ", ".join(claim.via) if claim is not None else ""
        table.add(
            current.source,
            current.figure,
            words_of(current),
            via,
            ", ".join(current.disputed_by),
        )
    return table


def _propositions_table(props: Iterable[PropositionView], view: LedgerView) -> Grid:
    columns = ("Topic", "Proposition", "Status", "Affirmed by", "Denied by", "Disputed by")
    table = Grid(*columns, keys=2)
    for prop in props:
        disputes = proposition_disputes(prop, view)
        table.add(
            prop.topic,
            prop.proposition,
            prop.status,
            ", ".join(prop.affirmed_by),
            ", ".join(prop.denied_by),
            ", ".join(f"{d.source}{'' if d.active else ' (past)'}" for d in disputes),
        )
    return table


@cli.command()
@store_argument()
@click.argument("topic")
@as_of_option
@json_option
def show(store: str, topic: str, as_of: AsOf | None, as_json: bool) -> None:
    """Show TOPIC: each current figure with its words, via and disputes; range and consensus."""
    with open_ledger(store) as lg:
        view = view_of(lg, as_of)
        current = view.topic(topic)
        props = view.propositions(topic)
        if as_json:
            emit_json(
                {
                    **as_of_json(as_of, view.position),
                    "topic": topic_json(current, view),
                    "propositions": [proposition_json(p, view) for p in props],
                }
            )
            return
        out = console()
        definition = view.definition(topic)
        title = f"{definition.title} " if definition else ""
        out.print(rich_text(f"{title}[{topic}, {current.unit or 'no unit'}]", style="bold"))
        if current.figures:
            _figures_table(current, view).print(out)
            c = current.consensus
            assert c is not None  # figures imply a consensus
            interval, level, estimate = _consensus_cells(c)
            for label, value in (
                ("range", _interval(current.range)),
                ("consensus", f"{interval} ({level}), estimate {estimate}"),
                ("agree", ", ".join(c.supporters) or "-"),
                ("dissent", ", ".join(c.dissenters) or "-"),
            ):
                out.print(rich_text(f"  {label:10} {value}"))
        else:
            out.print(rich_text("  no current figures"))
        if props:
            _propositions_table(props, view).print(out)


@cli.command()
@store_argument()
@click.option("--topic", help="Only the propositions on this topic.")
@as_of_option
@json_option
def propositions(store: str, topic: str | None, as_of: AsOf | None, as_json: bool) -> None:
    """List every proposition: its status, who affirms, who denies, who disputes."""
    with open_ledger(store) as lg:
        view = view_of(lg, as_of)
        props = view.propositions(topic)
        if as_json:
            emit_json(
                {
                    **as_of_json(as_of, view.position),
                    "propositions": [proposition_json(p, view) for p in props],
                }
            )
            return
        _propositions_table(props, view).print(console())


@cli.command()
@store_argument()
@click.argument("topic")
@click.option(
    "--order",
    type=click.Choice(["log", "stated"]),
    default="log",
    show_default=True,
    help="log: after each event in log order; stated: as of each stated time.",
)
@as_of_option
@json_option
def timeline(store: str, topic: str, order: str, as_of: AsOf | None, as_json: bool) -> None:
    """Show TOPIC's range and consensus after each event that changed them."""
    with open_ledger(store) as lg:
        position, stated = cutoffs(lg, as_of)
        steps = topic_timeline(
            lg.records(),
            topic,
            order="log" if order == "log" else "stated",
            position=position,
            stated=stated,
        )
        if as_json:
            emit_json(
                {
                    **as_of_json(as_of, position),
                    "topic": topic,
                    "order": order,
                    "steps": [step_json(s) for s in steps],
                }
            )
            return
        columns = ("Position", "Stated", "Event", "Figures", "Range", "Consensus", "Level")
        table = Grid(*columns, "Estimate", title=f"{topic}: range and consensus")
        for step in steps:
            event = " ".join(x for x in (step.event_type, step.source, step.claim_id) if x)
            table.add(
                step.position,
                step.stated_at.date().isoformat() if step.stated_at else None,
                event,
                step.figures,
                _interval(step.range),
                *_consensus_cells(step.consensus),
            )
        table.print(console())


def summary(event: Event) -> str:
    """One line saying what an event records."""
    if isinstance(event, FigureReported):
        words = f" ({event.figure.phrase!r})" if event.figure.phrase else ""
        return f"{event.source} on {event.topic}: {event.figure} {event.figure.unit}{words}"
    if isinstance(event, ClaimMade):
        return f"{event.source} {event.stance} {event.proposition} ({event.topic})"
    if isinstance(event, ClaimDisputed):
        return f"{event.source} disputes {event.target}"
    if isinstance(event, ClaimRetracted):
        return f"{event.source} retracts {event.target}"
    if isinstance(event, TopicDefined):
        parts = f" = {' + '.join(event.parts)}" if event.parts else ""
        return f"{event.topic}: {event.title} ({event.unit or 'no unit'}){parts}"
    assert isinstance(event, SourceDescribed)
    return f"{event.source}: {event.name} ({event.kind}, grade {event.reliability})"


def in_view(records: Iterable[Recorded], position: int, stated: datetime | None) -> list[Recorded]:
    """The records an as_of(position, stated) view folds, in log order."""
    kept = []
    for record in records:
        if record.position > position:
            break
        when = getattr(record.event, "stated_at", None)
        if stated is None or when is None or when <= stated:
            kept.append(record)
    return kept


@cli.command()
@store_argument()
@as_of_option
@json_option
def log(store: str, as_of: AsOf | None, as_json: bool) -> None:
    """List the records of the log in position order."""
    with open_ledger(store) as lg:
        position, stated = cutoffs(lg, as_of)
        records = in_view(lg.records(), position, stated)
        if as_json:
            emit_json(
                {**as_of_json(as_of, position), "records": [record_json(r, lg) for r in records]}
            )
            return
        table = Grid("Position", "Recorded", "Type", "What")
        for record in records:
            table.add(
                record.position,
                format_timestamp(record.recorded_at),
                record.type,
                summary(record.event),
            )
        table.print(console())
