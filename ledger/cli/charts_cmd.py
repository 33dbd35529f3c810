"""Pictures: `ledger plot` (PNG or SVG with matplotlib) and `ledger report` (one HTML file)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import click

from ledger.cli import cli
from ledger.cli._common import (
    AsOf,
    CliError,
    Whole,
    as_of_option,
    cutoffs,
    describe_as_of,
    open_ledger,
    store_argument,
    view_of,
    window_option,
)
from ledger.cli._output import check_output, output_file, write_output
from ledger.present.text import terminal
from ledger.present.words import fmt_window
from ledger.projections.timeline import topic_timeline
from ledger.stores.urls import file_of, redact


def _image_path(ctx: click.Context, param: click.Parameter, value: str) -> Path:
    path = Path(value)
    if path.suffix.lower() not in (".png", ".svg"):
        raise click.BadParameter(f"{value!r}: name a .png or .svg file", ctx, param)
    return path


@cli.command()
@store_argument()
@click.argument("topic")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="FILE",
    callback=_image_path,
    help="The image to write: FILE.png or FILE.svg.",
)
@click.option(
    "--timeline", is_flag=True, help="Draw the range and consensus over stated time instead."
)
@click.option(
    "--dpi",
    type=Whole(30, 600),
    default=120,
    show_default=True,
    help="Pixels per inch of a PNG (a chart is 10 inches wide).",
)
@as_of_option
@window_option
def plot(
    store: str,
    topic: str,
    output: Path,
    timeline: bool,
    dpi: int,
    as_of: AsOf | None,
    window: timedelta | None,
) -> None:
    """Draw TOPIC: one bar per source's current figure, with the range and consensus.

    Open and unbounded ends are arrows, best values diamonds; sources in the
    consensus, each camp of a split and dissenters have distinct colours;
    stale figures are faded and dotted. The axis is logarithmic when the
    figures span more than two orders of magnitude. Needs matplotlib (the
    `charts` extra).
    """
    # The charts' modules are imported by the commands that draw, not by every command.
    from ledger.present.charts import MissingMatplotlib, plot_timeline, plot_topic, topic_chart

    check_output(output, stores=[store])
    where = f"{redact(store, store)}: "
    fmt = output.suffix.lower().lstrip(".")
    with (
        open_ledger(store, read_only=True) as lg,
        output_file(output, stores=[store]) as file,
        _missing_glyphs_noted(),
    ):
        try:
            if timeline:
                position, stated = cutoffs(lg, as_of)
                steps = topic_timeline(
                    lg.records(),
                    topic,
                    order="stated",
                    position=position,
                    stated=stated,
                    window=window,
                )
                if not steps:
                    raise CliError(f"{where}topic {topic!r} has no figures to draw over time")
                view = view_of(lg, as_of)
                definition = view.definition(topic)
                title = definition.title if definition else topic
                unit = view.topic(topic).unit
                try:
                    info = plot_timeline(steps, file, title=title, unit=unit, dpi=dpi, fmt=fmt)
                except ValueError as exc:  # a statement past the last date drawn
                    raise CliError(f"{where}topic {topic!r}: {exc}") from None
                what = f"{info.bars} step(s)"
            else:
                view = view_of(lg, as_of)
                current = view.topic(topic, window=window)
                if not current.figures:
                    raise CliError(f"{where}topic {topic!r} has no current figures to draw")
                definition = view.definition(topic)
                chart = topic_chart(current, definition.title if definition else None)
                info = plot_topic(chart, file, dpi=dpi, fmt=fmt)
                what = f"{info.bars} bar(s)"
        except MissingMatplotlib as exc:
            raise CliError(str(exc)) from None
    click.echo(terminal(f"wrote {output} ({what}, {info.width}x{info.height} px)"))


@contextmanager
def _missing_glyphs_noted() -> Iterator[None]:
    """One line on stderr, not a warning per character, when the font lacks some glyphs."""
    # Stored text may be in any script; matplotlib warns once per missing glyph.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    missing = 0
    for warning in caught:
        if issubclass(warning.category, UserWarning) and "missing from" in str(warning.message):
            missing += 1
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if missing:
        click.echo(
            f"warning: the chart's font has no glyph for {missing} character(s) of the "
            "text; they are drawn as boxes",
            err=True,
        )


def _describe_window(window: timedelta | None) -> str:
    """In words, the --window a report was made under; empty when there is none."""
    if window is None:
        return ""
    if window == timedelta.max:
        return "Every topic under --window none: each topic's own window set aside."
    return f"Every topic under --window {fmt_window(window)}, not its own window."


def _default_title(store: str) -> str:
    path = file_of(store)
    return f"Claims ledger: {path.name}" if path is not None else "Claims ledger"


@cli.command()
@store_argument()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),  # text as given: a trailing / names a directory
    help="The HTML file to write.",
)
@click.option("--title", help="The report's title; defaults to one naming STORE.")
@as_of_option
@window_option
def report(
    store: str, output: str, title: str | None, as_of: AsOf | None, window: timedelta | None
) -> None:
    """Write one self-contained HTML report: every topic's table and chart, every proposition.

    Inline SVG and CSS, no scripts, no network; readable on a phone. Stale
    figures are greyed and explained; a split shows each camp.
    """
    from ledger.present.report import render_report

    check_output(output, stores=[store])
    with open_ledger(store, read_only=True) as lg:
        view = view_of(lg, as_of)
        note = " ".join(x for x in (describe_as_of(as_of), _describe_window(window)) if x)
        page, info = render_report(
            view, title=title or _default_title(store), note=note, window=window
        )
    write_output(output, page, stores=[store])
    click.echo(
        terminal(
            f"wrote {output} ({info.topics} topics, {info.charts} charts, "
            f"{info.propositions} propositions)"
        )
    )
