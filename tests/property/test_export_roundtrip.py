"""The round-trip law of exports, and the laws of exact numbers and neutralised text.

The law (docs/spreadsheets.md): export a ledger's ``definitions`` and its
``figures`` as CSV, import both into an empty ledger, and every topic with
current figures has the same TopicView there, under any window; disputes do
not travel (``disputed_by`` is set aside), and an empty text reads back as
not given.
"""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from ledger import Event, FigureReported, Ledger, SourceDescribed, TopicDefined, TopicView
from ledger.export import COLUMNS, neutralise, number_text, rows, write
from ledger.io.spreadsheet import restore_text
from ledger.testing.strategies import (
    event_sequences,
    floats,
    ints,
    non_empty_texts,
    numbers,
    slugs,
    texts,
    timestamps,
    vias,
)

WINDOWS = (None, timedelta(hours=2), timedelta(0))


@st.composite
def ledgers(draw: st.DrawFn) -> list[Event]:
    """Valid logs, their figures given times, chains and words, sources voices, topics windows."""
    values = draw(st.sampled_from(["small", "any"]))
    sequence = draw(event_sequences(values=numbers) if values == "any" else event_sequences())
    out: list[Event] = []
    for event in sequence:
        if isinstance(event, FigureReported):
            extra: dict[str, Any] = {"via": draw(vias), "quote": draw(st.none() | texts)}
            if draw(st.booleans()):
                extra["as_of"] = draw(timestamps)
            event = attrs.evolve(event, **extra)
        elif isinstance(event, SourceDescribed):
            affiliation = draw(st.none() | st.sampled_from(["gov", "src/a"]) | slugs)
            event = attrs.evolve(event, affiliation=affiliation, name=draw(non_empty_texts))
        elif isinstance(event, TopicDefined):
            window = draw(st.none() | st.integers(0, 72).map(lambda h: timedelta(hours=h)))
            event = attrs.evolve(
                event, title=draw(non_empty_texts), description=draw(texts), window=window
            )
        out.append(event)
    return out


def export(lg: Ledger, what: str, folder: Path) -> Path:
    path = folder / f"{what}.csv"
    with path.open("wb") as out:
        write(rows(lg, what), COLUMNS[what], "csv", out, bom=True)
    return path


def comparable(view: TopicView) -> TopicView:
    """A view as the law compares it: disputes set aside, empty texts not given."""
    figures = tuple(
        attrs.evolve(
            f,
            disputed_by=(),
            figure=attrs.evolve(
                f.figure, phrase=f.figure.phrase or None, rule=f.figure.rule or None
            ),
        )
        for f in view.figures
    )
    return attrs.evolve(view, figures=figures)


@given(ledgers())
def test_figures_and_definitions_exported_and_imported_give_the_same_topic_views(
    events: list[Event],
) -> None:
    original = Ledger.open("memory://")
    original.extend(events)
    copy = Ledger.open("memory://")
    with tempfile.TemporaryDirectory() as folder:
        copy.import_events(export(original, "definitions", Path(folder)))
        copy.import_events(export(original, "figures", Path(folder)))
    for window in WINDOWS:
        expected = {t.topic: comparable(t) for t in original.topics(window=window) if t.figures}
        found = {t.topic: comparable(t) for t in copy.topics(window=window) if t.figures}
        assert found == expected


@given(ledgers())
def test_exporting_the_copy_again_gives_the_same_figures(events: list[Event]) -> None:
    original = Ledger.open("memory://")
    original.extend(events)
    copy = Ledger.open("memory://")
    with tempfile.TemporaryDirectory() as folder:
        first = export(original, "figures", Path(folder))
        copy.import_events(export(original, "definitions", Path(folder)))
        copy.import_events(first)
        # Importing the same file again stores nothing: its rows have stable ids.
        head = copy.head
        copy.import_events(first)
        assert copy.head == head
        again = [
            {k: v for k, v in row.items() if k != "disputed_by"} for row in rows(copy, "figures")
        ]
    expected = [
        {k: v for k, v in row.items() if k != "disputed_by"} for row in rows(original, "figures")
    ]
    blank = ("phrase", "rule", "quote")  # an empty text reads back as not given
    assert again == [row | {k: row[k] or None for k in blank} for row in expected]


@given(st.text())
def test_any_text_survives_a_spreadsheet_as_it_was_written(text: str) -> None:
    defined = TopicDefined(topic="t", title="T", description=text, unit="u")
    lg = Ledger.open("memory://")
    lg.append(defined)
    copy = Ledger.open("memory://")
    with tempfile.TemporaryDirectory() as folder:
        copy.import_events(export(lg, "definitions", Path(folder)))
    found = copy.definition("t")
    assert found is not None
    assert found.description == (text or None)


# Text that starts with apostrophes and formula characters, as well as any text.
_formulaic = st.builds(
    lambda quotes, start, rest: "'" * quotes + start + rest,
    st.integers(0, 3),
    st.sampled_from("=+-@\t\r\uff1d\uff0b\uff0d\uff20"),
    st.text(max_size=5),
)


@given(st.text() | _formulaic)
def test_neutralised_text_never_starts_a_formula_and_reads_back(text: str) -> None:
    written = neutralise(text)
    assert not written.startswith(tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20"))
    assert restore_text(written) == text


@given(ints | floats)
def test_a_number_is_written_exactly_without_an_exponent(value: int | float) -> None:
    text = number_text(value)
    assert "e" not in text.lower()
    back = json.loads(text)
    assert back == value
    assert type(back) is type(value)
