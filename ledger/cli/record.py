"""Recording from the shell: add figure/claim, dispute, retract, define-topic, describe-source."""

from __future__ import annotations

import math
import re
import sys
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import click
from click.core import ParameterSource

from ledger.cli import cli
from ledger.cli._common import CliError, Moment, WindowType, open_ledger, store_argument
from ledger.codec import Recorded, format_timestamp
from ledger.domain.events import (
    RELIABILITY_GRADES,
    SOURCE_KINDS,
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
    is_slug,
)
from ledger.domain.figures import Figure
from ledger.domain.phrases import CONVENTIONS, parse_figure
from ledger.errors import UnknownTopic
from ledger.facade import Ledger
from ledger.present.text import terminal
from ledger.stores.urls import redact

F = TypeVar("F", bound=Callable[..., Any])


def _quoted(value: object, limit: int = 24) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


class NumberType(click.ParamType):  # type: ignore[type-arg]
    """An integer or a finite decimal number within a double's range; integers stay integers."""

    name = "NUMBER"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | float):
            return value
        given = str(value).strip()
        if not given.isascii():
            # int("١٢") is 12, float("١٢.5") 12.5: digits of other scripts are not taken.
            self.fail(f"{_quoted(value)} is not a number (write it in ASCII digits)", param, ctx)
        if "," in given and not _GROUPED.fullmatch(given):
            # "1,0" is not one, and may be a decimal comma: say so rather than read 10.
            self.fail(
                f"{_quoted(value)}: commas only separate thousands (1,000 or 2,500.5)",
                param,
                ctx,
            )
        if "_" in given:
            # int() and float() read Python's "1_0" as 10: not a way to write a number here.
            why = "is not a number (separate thousands with commas)"
            self.fail(f"{_quoted(value)} {why}", param, ctx)
        text = given.replace(",", "")
        if re.fullmatch(r"[+-]?[0-9]+", text):
            # int() refuses 4,300 digits with a ValueError; the projections compute in
            # floats (midpoints, medians), so a count beyond a double's range is refused.
            if len(text.lstrip("+-").lstrip("0")) > _MAX_DIGITS or abs(int(text)) > _MAX:
                self.fail(
                    f"{_quoted(value)} is too large: numbers lie within ±{_MAX:.3g}", param, ctx
                )
            return int(text)
        try:
            number = float(text)
        except ValueError:
            self.fail(f"{_quoted(value)} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{_quoted(value)} is not a finite number", param, ctx)
        return number


_MAX = sys.float_info.max
_MAX_DIGITS = len(str(int(_MAX)))
#: A number with thousands separators: 1,000 or -2,500,000.75.
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
NUMBER = NumberType()


def _provenance(func: F) -> F:
    """--source, --stated, --via, --quote and --url, shared by claims and disputes."""
    for option in reversed(
        (
            click.option("--source", required=True, metavar="SLUG", help="Who says it (a slug)."),
            click.option(
                "--stated",
                required=True,
                type=Moment(positions=False),
                help="When it was said: an ISO date (midnight UTC) or timestamp.",
            ),
            click.option(
                "--via",
                metavar="SLUG",
                multiple=True,
                help="An intermediary the words came through, nearest the source first; "
                "repeat for a chain.",
            ),
            click.option("--quote", help="The source's exact words."),
            click.option("--url", help="Where it was published."),
        )
    ):
        func = option(func)
    return func


def _store(lg: Ledger, event: Event) -> Recorded:
    record = lg.append(event)
    click.echo(
        terminal(f"{redact(lg.url, lg.url)}: recorded {record.type} at position {record.position}")
    )
    return record


def _claim_id(given: str | None, source: str) -> str:
    # A short random suffix keeps ids unique without asking the user to invent one.
    # Not a slug's source makes no claim_id of it: the event then names --source as at fault.
    return given or f"{source if is_slug(source) else 'claim'}-{uuid.uuid4().hex[:8]}"


@cli.group()
def add() -> None:
    """Record a figure or a claim a source made."""


@add.command("figure")
@store_argument()
@click.option("--topic", required=True, help="The topic the figure is about (a slug).")
@click.option("--phrase", help='The source\'s words, e.g. "more than 3,000"; read by --convention.')
@click.option("--low", type=NUMBER, help="Lower bound, instead of or besides --phrase.")
@click.option("--high", type=NUMBER, help="Upper bound; leave out for no upper bound.")
@click.option("--best", type=NUMBER, help="The source's best value, if it names one.")
@click.option("--low-open", is_flag=True, help="The lower bound itself is excluded.")
@click.option("--high-open", is_flag=True, help="The upper bound itself is excluded.")
@click.option("--unit", help="The unit counted; defaults to the topic's unit.")
@click.option(
    "--convention",
    type=click.Choice(CONVENTIONS),
    default=CONVENTIONS[0],
    show_default=True,
    help="How --phrase is read into numbers (docs/figures.md).",
)
@click.option("--claim-id", help="An id for the figure (a slug); generated when left out.")
@click.option(
    "--as-of",
    "as_of",
    type=Moment(positions=False),
    help='The time the figure describes, when earlier than --stated ("as of 13 September"): '
    "an ISO date (midnight UTC) or timestamp; defaults to --stated.",
)
@_provenance
def add_figure(store: str, **o: Any) -> None:
    """Record the figure a source gave on a topic, from its words or as numbers.

    With --phrase alone the words are read by the convention; with --low
    and/or --high the numbers are taken as given and --phrase keeps the words.
    """
    numbers = o["low"] is not None or o["high"] is not None
    if not numbers and not o["phrase"]:
        raise click.UsageError("give --phrase, or --low and/or --high")
    with open_ledger(store, create=True) as lg:
        unit = o["unit"] or _topic_unit(lg, o["topic"])
        if unit is None:
            raise click.UsageError(
                f"give --unit: no figure or definition gives topic {o['topic']!r} a unit yet "
                "(a new topic needs --unit; if you meant a topic the ledger holds, check its "
                "slug with 'ledger topics')"
            )
        if numbers:
            chosen = click.get_current_context().get_parameter_source("convention")
            if chosen is not ParameterSource.DEFAULT:
                raise click.UsageError(
                    "--convention reads --phrase alone: with --low/--high the numbers are "
                    "taken as given (a spreadsheet row with numbers refuses a convention too)"
                )
            figure = Figure(
                o["low"],
                o["high"],
                o["low_open"],
                o["high_open"],
                best=o["best"],
                unit=unit,
                phrase=o["phrase"],
            )
        else:
            if o["low_open"] or o["high_open"]:
                raise click.UsageError("--low-open and --high-open go with --low/--high")
            figure = parse_figure(o["phrase"], unit, o["convention"])
            if o["best"] is not None:
                figure = attrs.evolve(figure, best=o["best"])
        when = {} if o["as_of"] is None else {"as_of": o["as_of"]}
        event = FigureReported(
            claim_id=_claim_id(o["claim_id"], o["source"]),
            topic=o["topic"],
            source=o["source"],
            figure=figure,
            stated_at=o["stated"],
            via=o["via"],
            quote=o["quote"],
            url=o["url"],
            **when,
        )
        _store(lg, event)
    click.echo(terminal(f"claim_id {event.claim_id}: {figure} {unit}"))
    if event.as_of > event.stated_at:
        # Stored as given (a figure may describe a later time), but a typo here
        # moves the topic's latest forward and can leave every other figure stale.
        click.echo(
            f"warning: --as-of {format_timestamp(event.as_of)} is later than --stated "
            f"{format_timestamp(event.stated_at)}: the figure describes a time after it "
            "was stated, and the topic's freshness is judged from it",
            err=True,
        )


def _topic_unit(lg: Ledger, topic: str) -> str | None:
    # The view applies the rule (its TopicDefined unit, else its first figure's).
    try:
        return lg.topic(topic).unit
    except UnknownTopic:
        return None


@add.command("claim")
@store_argument()
@click.option("--topic", required=True, help="The topic the claim is about (a slug).")
@click.option("--statement", required=True, help="What the source states, in a sentence.")
@click.option(
    "--proposition", help="The proposition it bears on (a slug); defaults to the claim_id."
)
@click.option(
    "--stance",
    type=click.Choice(["affirms", "denies"]),
    default="affirms",
    show_default=True,
    help="Whether the source affirms or denies the proposition.",
)
@click.option("--claim-id", help="An id for the claim (a slug); generated when left out.")
@_provenance
def add_claim(store: str, **o: Any) -> None:
    """Record a statement a source made that can be affirmed or denied."""
    claim_id = _claim_id(o["claim_id"], o["source"])
    event = ClaimMade(
        claim_id=claim_id,
        topic=o["topic"],
        source=o["source"],
        statement=o["statement"],
        proposition=o["proposition"] or claim_id,
        stance=o["stance"],
        stated_at=o["stated"],
        via=o["via"],
        quote=o["quote"],
        url=o["url"],
    )
    with open_ledger(store, create=True) as lg:
        _store(lg, event)
    click.echo(terminal(f"claim_id {claim_id}: {event.source} {event.stance} {event.proposition}"))


@cli.command()
@store_argument()
@click.argument("target")
@click.option("--reason", help="Why the source disputes the claim.")
@_provenance
def dispute(store: str, target: str, **o: Any) -> None:
    """Record that a source disputes the claim TARGET (a claim_id)."""
    event = ClaimDisputed(
        target=target,
        source=o["source"],
        reason=o["reason"],
        stated_at=o["stated"],
        via=o["via"],
        quote=o["quote"],
        url=o["url"],
    )
    with open_ledger(store) as lg:
        _store(lg, event)


@cli.command()
@store_argument()
@click.argument("target")
@click.option("--source", help="Who retracts; must be the claim's own source (the default).")
@click.option("--reason", help="Why the claim is withdrawn.")
@click.option(
    "--stated",
    required=True,
    type=Moment(positions=False),
    help="When it was withdrawn: an ISO date (midnight UTC) or timestamp.",
)
def retract(store: str, target: str, source: str | None, reason: str | None, stated: Any) -> None:
    """Record that the source of claim TARGET withdraws it."""
    with open_ledger(store) as lg:
        claim = lg.claim(target)
        if source is None:
            if claim is None:
                raise CliError(f"target: no claim {target!r} in {redact(store, store)}")
            source = claim.source
        _store(lg, ClaimRetracted(target=target, source=source, reason=reason, stated_at=stated))


@cli.command("define-topic")
@store_argument()
@click.argument("topic")
@click.option("--title", required=True, help="A human title for the topic.")
@click.option("--unit", help="What the figures count; leave out for a qualitative topic.")
@click.option(
    "--part",
    "parts",
    metavar="TOPIC",
    multiple=True,
    help="A topic this one is the sum of; repeat for each part.",
)
@click.option("--description", help="What the topic covers.")
@click.option(
    "--window",
    type=WindowType(none=None),
    default=None,
    help="How long a figure stays fresh (3d, 12h, 90m, 1d12h or ISO 8601 such as P3D); "
    "left out (or 'none'): no window, every current figure counts.",
)
def define_topic(store: str, topic: str, **o: Any) -> None:
    """Name TOPIC, its unit, its freshness window and, for a composite topic, its parts."""
    event = TopicDefined(
        topic=topic,
        title=o["title"],
        unit=o["unit"],
        parts=o["parts"],
        description=o["description"],
        window=o["window"],
    )
    with open_ledger(store, create=True) as lg:
        earlier = lg.definition(topic)
        _store(lg, event)
    if earlier is not None:
        _replaced(earlier, event)


def _replaced(earlier: TopicDefined, later: TopicDefined) -> None:
    """Say on stderr what a new definition drops: it replaces the earlier one whole."""
    dropped = []
    if earlier.parts and not later.parts:
        dropped.append(f"its parts ({', '.join(earlier.parts)}): it is no longer a sum")
    if earlier.unit is not None and later.unit is None:
        dropped.append(f"its unit ({earlier.unit})")
    if earlier.window is not None and later.window is None:
        dropped.append("its window: no figure is stale")
    if dropped:
        # The earlier unit is stored text (imported, perhaps): shown, never acted on.
        click.echo(
            terminal(
                "note: this definition replaces the earlier one whole and drops "
                f"{'; '.join(dropped)} (repeat them to keep them)"
            ),
            err=True,
        )


@cli.command("describe-source")
@store_argument()
@click.argument("source")
@click.option("--name", required=True, help="Who the source is, in words.")
@click.option(
    "--kind",
    type=click.Choice(SOURCE_KINDS),
    default="other",
    show_default=True,
    help="What kind of source it is.",
)
@click.option(
    "--affiliation", metavar="SLUG", help="Who the source belongs to (a slug), if anyone."
)
@click.option(
    "--reliability",
    type=click.Choice(RELIABILITY_GRADES),
    default="F",
    show_default=True,
    help="Admiralty grade, A (reliable) to F (cannot be judged).",
)
def describe_source(store: str, source: str, **o: Any) -> None:
    """Say who SOURCE is: its name, kind, affiliation and reliability."""
    event = SourceDescribed(
        source=source,
        name=o["name"],
        kind=o["kind"],
        affiliation=o["affiliation"],
        reliability=o["reliability"],
    )
    with open_ledger(store, create=True) as lg:
        _store(lg, event)
