"""Reading commands: topics, show, propositions, timeline, log; each with --as-of and --json."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import assert_never

import click
from rich.table import Table

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
    reading_ledger,
    store_argument,
    view_of,
    window_option,
)
from ledger.cli._json import (
    dispute_json,
    proposition_json,
    record_json,
    step_json,
    topic_json,
    window_json,
)
from ledger.cli._tables import Grid
from ledger.codec import format_timestamp
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
from ledger.present.text import rich_text
from ledger.present.words import (
    camp_text,
    camps_of,
    dispute_text,
    figure_disputes,
    fmt_number,
    fmt_time,
    stale_text,
    voices_text,
    window_text,
    words_of,
)
from ledger.projections.protocol import in_view
from ledger.projections.timeline import topic_timeline


def _interval(value: Interval | None) -> str:
    return "-" if value is None else str(value)


def consensus_cells(c: Consensus | None, *, sources: bool = True) -> tuple[str, str, str]:
    """Consensus, level and estimate cells; a split gives one line per camp (with its sources)."""
    if c is None:
        return ("-", "-", "-")
    camps = camps_of(c)
    if camps:
        where = "\n".join(
            f"{camp.interval} {', '.join(camp.supporters)}" if sources else str(camp.interval)
            for camp in camps
        )
        return (where, c.level, "\n".join(fmt_number(camp.estimate) for camp in camps))
    return (_interval(c.interval), c.level, fmt_number(c.estimate))


def topics_table(view: LedgerView, window: timedelta | None = None) -> tuple[Grid, Grid]:
    """The topics table (one row a topic) and the camps table (one row a camp of a split).

    A split's sources are long lists: they go in the second table, so that the
    first still fits a terminal.
    """
    table = Grid(
        "Topic", "Unit", "Sources", "Voices", "Stale", "Range", "Consensus", "Level", "Estimate",
        "Disputes",
    )  # fmt: skip
    camps = Grid(
        "Topic", "Camp", "Interval", "Estimate", "Sources", title="Split topics: camps", keys=2
    )
    active = view.active_disputes()
    for topic in view.topics(window=window):
        disputes = active.get(topic.topic, 0)
        table.add(
            topic.topic,
            topic.unit,
            len(topic.figures) or None,
            len(topic.voices()) or None,
            len(topic.stale) or None,
            _interval(topic.range),
            *consensus_cells(topic.consensus, sources=False),
            disputes or None,
        )
        for i, camp in enumerate(camps_of(topic.consensus), 1):
            sources = ", ".join(camp.supporters)
            camps.add(topic.topic, i, camp.interval, fmt_number(camp.estimate), sources)
    return table, camps


@cli.command()
@store_argument()
@as_of_option
@window_option
@json_option
def topics(store: str, as_of: AsOf | None, window: timedelta | None, as_json: bool) -> None:
    """List every topic: sources, voices, stale figures, range, consensus, estimate, disputes."""
    with reading_ledger(store) as lg:
        view = view_of(lg, as_of)
        if as_json:
            active = view.active_disputes()
            emit_json(
                {
                    **as_of_json(as_of, view.position),
                    "topics": [topic_json(t, view, active) for t in view.topics(window=window)],
                }
            )
            return
        table, camps = topics_table(view, window)
        out = console()
        table.print(out)
        if camps.rows:
            camps.print(out)


def _figures_table(topic: TopicView, view: LedgerView) -> Grid:
    table = Grid("Source", "Figure", "Words", "As of", "Via", "Disputed by")
    for current in topic.figures:
        claim = view.claim(current.claim_id) if current.claim_id else None
        via = ", ".join(claim.via) if claim is not None else ""
        when = fmt_time(current.reference_time)
        table.add(
            current.source,
            current.figure,
            words_of(current),
            f"{when} stale" if current.stale else when,
            via,
            ", ".join(current.disputed_by),
            style="dim" if current.stale else "",
        )
    return table


def _propositions_table(props: Iterable[PropositionView], view: LedgerView) -> Grid:
    columns = ("Topic", "Proposition", "Status", "Affirmed by", "Denied by", "Disputed by")
    table = Grid(*columns, keys=2)
    for prop in props:
        disputes = view.disputes(prop.topic, prop.proposition)
        table.add(
            prop.topic,
            prop.proposition,
            prop.status,
            ", ".join(prop.affirmed_by),
            ", ".join(prop.denied_by),
            ", ".join(f"{d.source}{'' if d.active else ' (past)'}" for d in disputes),
        )
    return table


def finding_lines(topic: TopicView, window: timedelta | None) -> list[tuple[str, str]]:
    """What `show` says under the figures: freshness, voices, range and consensus."""
    c = topic.consensus
    assert c is not None  # figures imply a consensus
    voices = topic.voices()
    lines = [
        ("latest", fmt_time(topic.latest)),
        ("window", window_text(topic, window)),
    ]
    stale = stale_text(topic)
    if stale:
        lines.append(("stale", stale))
    lines += [
        ("voices", f"{voices_text(topic)} ({len(voices)} voice{'' if len(voices) == 1 else 's'})"),
        ("range", _interval(topic.range)),
    ]
    camps = camps_of(c)
    if camps:
        # A split has no single interval or estimate: each camp has its own.
        lines.append(("consensus", f"split into {len(camps)} camps (no single interval)"))
        lines += [(f"camp {i}", camp_text(camp)) for i, camp in enumerate(camps, 1)]
        in_camps = {s for camp in camps for s in camp.supporters}
        outside = [s for s in c.dissenters if s not in in_camps]
        lines.append(("in no camp", ", ".join(outside) or "-"))
        return lines
    interval, level, estimate = consensus_cells(c)
    lines += [
        ("consensus", f"{interval} ({level}), estimate {estimate}"),
        ("agree", ", ".join(c.supporters) or "-"),
        ("dissent", ", ".join(c.dissenters) or "-"),
    ]
    return lines


@cli.command()
@store_argument()
@click.argument("topic")
@as_of_option
@window_option
@json_option
def show(
    store: str, topic: str, as_of: AsOf | None, window: timedelta | None, as_json: bool
) -> None:
    """Show TOPIC: each current figure, its words and time; the voices, range and consensus.

    Stale figures (older than the window allows) are marked and said to be
    left out; a split consensus shows each camp with its interval, sources
    and estimate.
    """
    with reading_ledger(store) as lg:
        view = view_of(lg, as_of)
        current = view.topic(topic, window=window)
        props = view.propositions(topic)
        disputed = figure_disputes(view.disputes(topic), current)
        if as_json:
            emit_json(
                {
                    **as_of_json(as_of, view.position),
                    "topic": topic_json(current, view),
                    "disputes": [dispute_json(d) for d in disputed],
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
            # Two columns, so that a long line wraps under its value, not under the label.
            lines = Table.grid()
            lines.add_column(no_wrap=True)
            lines.add_column()
            for label, value in finding_lines(current, window):
                lines.add_row(rich_text(f"  {label:10} "), rich_text(value))
            for dispute in disputed:
                lines.add_row(
                    rich_text(f"  {'disputed':10} "), rich_text(dispute_text(dispute, current))
                )
            out.print(lines)
        else:
            out.print(rich_text("  no current figures"))
        if props:
            _propositions_table(props, view).print(out)


@cli.command()
@store_argument()
@click.option("--topic", metavar="TOPIC", help="Only the propositions on this topic.")
@as_of_option
@json_option
def propositions(store: str, topic: str | None, as_of: AsOf | None, as_json: bool) -> None:
    """List every proposition: its status, who affirms, who denies, who disputes."""
    with reading_ledger(store) as lg:
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
@window_option
@json_option
def timeline(
    store: str,
    topic: str,
    order: str,
    as_of: AsOf | None,
    window: timedelta | None,
    as_json: bool,
) -> None:
    """Show TOPIC's range and consensus after each event that changed them."""
    with open_ledger(store, read_only=True) as lg:
        position, stated = cutoffs(lg, as_of)
        kept = list(in_view(lg.records(), position, stated))
        steps = topic_timeline(
            kept, topic, order="log" if order == "log" else "stated", window=window
        )
        if as_json:
            emit_json(
                {
                    # The last position the view folds, as every other document says it.
                    **as_of_json(as_of, kept[-1].position if kept else 0),
                    "topic": topic,
                    "order": order,
                    "window": window_json(window),
                    "steps": [step_json(s) for s in steps],
                }
            )
            return
        if not steps:
            # A qualitative topic, or one whose figures came later: no table of nothing.
            console().print(rich_text(f"{topic}: no figures, so no range or consensus over time"))
            return
        columns = ("Position", "Stated", "Event", "Figures", "Range", "Consensus", "Level")
        table = Grid(*columns, "Estimate", title=f"{topic}: range and consensus")
        # Dates say enough until two steps fall on one day: then their order needs the time.
        days = [s.stated_at.astimezone(UTC).date() for s in steps if s.stated_at is not None]
        timed = len(set(days)) < len(days)
        for step in steps:
            event = " ".join(x for x in (step.event_type, step.source, step.claim_id) if x)
            when = step.stated_at
            table.add(
                step.position,
                None if when is None else format_timestamp(when) if timed else fmt_day(when),
                event,
                step.figures,
                _interval(step.range),
                *consensus_cells(step.consensus),
            )
        table.print(console())


def fmt_day(when: datetime) -> str:
    """The UTC date of a time."""
    return when.astimezone(UTC).date().isoformat()


def _why(reason: str | None) -> str:
    return f": {reason!r}" if reason else ""


def summary(event: Event) -> str:
    """One line saying what an event records."""
    match event:
        case FigureReported():
            words = f" ({event.figure.phrase!r})" if event.figure.phrase else ""
            return f"{event.source} on {event.topic}: {event.figure} {event.figure.unit}{words}"
        case ClaimMade():
            return f"{event.source} {event.stance} {event.proposition} ({event.topic})"
        case ClaimDisputed():
            return f"{event.source} disputes {event.target}{_why(event.reason)}"
        case ClaimRetracted():
            return f"{event.source} retracts {event.target}{_why(event.reason)}"
        case TopicDefined():
            parts = f" = {' + '.join(event.parts)}" if event.parts else ""
            return f"{event.topic}: {event.title} ({event.unit or 'no unit'}){parts}"
        case SourceDescribed():
            return f"{event.source}: {event.name} ({event.kind}, grade {event.reliability})"
        case _:
            assert_never(event)


@cli.command()
@store_argument()
@as_of_option
@json_option
def log(store: str, as_of: AsOf | None, as_json: bool) -> None:
    """List the records of the log in position order."""
    with open_ledger(store, read_only=True) as lg:
        position, stated = cutoffs(lg, as_of)
        records = list(in_view(lg.records(), position, stated))
        if as_json:
            # "position": the last one the view folds, as every other document says it.
            folded = records[-1].position if records else 0
            emit_json(
                {**as_of_json(as_of, folded), "records": [record_json(r, lg) for r in records]}
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
