"""Exports: every column of every export, exact numbers, neutralised formulas, pandas."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    Figure,
    FigureReported,
    InvalidEvent,
    Ledger,
    LedgerError,
    SourceDescribed,
    TopicDefined,
)
from ledger.export import (
    COLUMNS,
    FORMATS,
    KINDS,
    WHAT,
    MissingPandas,
    cell_text,
    json_value,
    neutralise,
    number_text,
    rows,
    to_pandas,
    write,
)

DAY1 = datetime(2025, 1, 13, tzinfo=UTC)
DAY2 = datetime(2025, 1, 14, tzinfo=UTC)
DAY5 = datetime(2025, 1, 17, tzinfo=UTC)


def events() -> list[Event]:
    """A small ledger with a composite, open and unbounded ends, floats, a dispute, a retraction."""
    return [
        SourceDescribed(source="ua", name="Ukraine", kind="government", affiliation="kyiv"),
        SourceDescribed(source="zel", name="=Zelensky", kind="official", affiliation="kyiv"),
        TopicDefined(topic="k/killed", title="Killed", unit="people"),
        TopicDefined(topic="k/wounded", title="Wounded", unit="people"),
        TopicDefined(topic="k/total", title="Killed or wounded", parts=("k/killed", "k/wounded")),
        TopicDefined(topic="k/say", title="Sayings"),
        FigureReported(
            claim_id="ua-k",
            topic="k/killed",
            source="ua",
            figure=Figure(100, 200, best=150, unit="people", phrase="-100 to 200", rule="r:x"),
            stated_at=DAY2,
            as_of=DAY1,
            via=("zel",),
            quote="+quoted",
            url="@url",
        ),
        FigureReported(
            claim_id="ua-w",
            topic="k/wounded",
            source="ua",
            figure=Figure(300, None, low_open=True, unit="people"),
            stated_at=DAY1,
        ),
        FigureReported(
            claim_id="us-k",
            topic="k/killed",
            source="us",
            figure=Figure(2.1e21, 2.5e21, unit="people"),
            stated_at=DAY5,
        ),
        FigureReported(
            claim_id="old",
            topic="k/killed",
            source="ru",
            figure=Figure(1e-7, 0.5, high_open=True, unit="people"),
            stated_at=DAY1,
        ),
        FigureReported(
            claim_id="gone",
            topic="k/wounded",
            source="ru",
            figure=Figure(1, 2, unit="people"),
            stated_at=DAY1,
        ),
        ClaimRetracted(target="gone", source="ru", stated_at=DAY2, reason="wrong"),
        ClaimDisputed(target="us-k", source="ua", stated_at=DAY5, reason="too high"),
        ClaimMade(
            claim_id="say-1",
            topic="k/say",
            source="zel",
            statement="They are there",
            proposition="there",
            stated_at=DAY1,
            via=("ua",),
            quote="q",
            url="https://x.example",
        ),
        ClaimMade(
            claim_id="say-2",
            topic="k/say",
            source="ru",
            statement="They are not",
            proposition="there",
            stance="denies",
            stated_at=DAY2,
        ),
        ClaimDisputed(target="say-2", source="ua", stated_at=DAY2),
    ]


@pytest.fixture(scope="module")
def lg() -> Ledger:
    ledger = Ledger.open("memory://")
    ledger.extend(events())
    return ledger


def by(found: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(row[k] for k in keys): row for row in found}


# -- rows: every column --------------------------------------------------------------


def test_every_export_yields_exactly_its_columns(lg: Ledger) -> None:
    for what in WHAT:
        for row in rows(lg, what):
            assert tuple(row) == COLUMNS[what], what
        assert set(KINDS[what]) == set(COLUMNS[what])


def test_topics_rows(lg: Ledger) -> None:
    found = by(list(rows(lg, "topics")), "topic")
    assert list(found) == [("k/killed",), ("k/say",), ("k/total",), ("k/wounded",)]
    killed = found["k/killed",]
    consensus = lg.topic("k/killed").consensus
    assert consensus is not None
    # The consensus rules are the projection's; the export only carries what they give.
    agreed = consensus.interval
    assert killed == {
        "topic": "k/killed",
        "title": "Killed",
        "unit": "people",
        "sources": 3,
        "range_low": 1e-7,
        "range_high": 2.5e21,
        "range_low_open": False,
        "range_high_open": False,
        "consensus_low": agreed.low if agreed else None,
        "consensus_high": agreed.high if agreed else None,
        "consensus_low_open": agreed.low_open if agreed else None,
        "consensus_high_open": agreed.high_open if agreed else None,
        "level": consensus.level,
        "estimate": consensus.estimate,
        "supporters": consensus.supporters,
        "dissenters": consensus.dissenters,
        "stale": 0,
        "latest": DAY5,
    }
    wounded = found["k/wounded",]
    # Unbounded above: no high, and no flag on it; the retracted figure is gone.
    assert (wounded["range_low"], wounded["range_high"]) == (300, None)
    assert (wounded["range_low_open"], wounded["range_high_open"]) == (True, False)
    assert wounded["sources"] == 1
    say = found["k/say",]
    assert (say["title"], say["unit"], say["sources"], say["latest"]) == ("Sayings", None, 0, None)
    assert (say["range_low"], say["range_low_open"], say["level"], say["supporters"]) == (
        None,
        None,
        None,
        (),
    )


def test_topics_rows_count_stale_figures_under_a_window(lg: Ledger) -> None:
    (killed,) = rows(lg, "topics", window=timedelta(days=1), topic_prefix="k/killed")
    # us (17 Jan) is the latest: ua (as of 13 Jan) and ru (13 Jan) are stale.
    assert killed["stale"] == 2
    assert (killed["range_low"], killed["range_high"]) == (2.1e21, 2.5e21)
    assert killed["supporters"] == ("us",)


def test_figures_rows(lg: Ledger) -> None:
    found = by(list(rows(lg, "figures")), "topic", "source")
    assert list(found) == [
        ("k/killed", "ru"),
        ("k/killed", "ua"),
        ("k/killed", "us"),
        ("k/total", "ua"),
        ("k/wounded", "ua"),
    ]
    assert found["k/killed", "ua"] == {
        "topic": "k/killed",
        "source": "ua",
        "claim_id": "ua-k",
        "low": 100,
        "high": 200,
        "low_open": False,
        "high_open": False,
        "best": 150,
        "unit": "people",
        "phrase": "-100 to 200",
        "rule": "r:x",
        "stated_at": DAY2,
        "as_of": DAY1,
        "via": ("zel",),
        "quote": "+quoted",
        "url": "@url",
        "derived": False,
        "stale": False,
        "disputed_by": (),
    }
    us = found["k/killed", "us"]
    assert (us["low"], us["high"], us["best"], us["disputed_by"]) == (2.1e21, 2.5e21, None, ("ua",))
    assert (us["phrase"], us["rule"], us["quote"], us["url"], us["via"]) == (None,) * 4 + ((),)
    ru = found["k/killed", "ru"]
    assert (ru["low"], ru["high"], ru["high_open"]) == (1e-7, 0.5, True)
    total = found["k/total", "ua"]
    assert (total["claim_id"], total["derived"], total["stated_at"], total["as_of"]) == (
        None,
        True,
        None,
        DAY1,  # the earliest of the parts' times
    )
    assert (total["low"], total["high"], total["low_open"]) == (400, None, True)
    wounded = found["k/wounded", "ua"]
    assert (wounded["low"], wounded["high"], wounded["low_open"], wounded["high_open"]) == (
        300,
        None,
        True,
        False,
    )


def test_figures_rows_mark_stale_figures(lg: Ledger) -> None:
    found = by(list(rows(lg, "figures", window=timedelta(days=1))), "topic", "source")
    assert [k for k, row in found.items() if row["stale"]] == [
        ("k/killed", "ru"),
        ("k/killed", "ua"),
    ]


def test_claims_rows(lg: Ledger) -> None:
    found = by(list(rows(lg, "claims")), "source")
    assert list(found) == [("ru",), ("zel",)]
    assert found["zel",] == {
        "topic": "k/say",
        "proposition": "there",
        "source": "zel",
        "claim_id": "say-1",
        "stance": "affirms",
        "statement": "They are there",
        "stated_at": DAY1,
        "via": ("ua",),
        "quote": "q",
        "url": "https://x.example",
        "disputed_by": (),
    }
    assert found["ru",]["stance"] == "denies"
    assert found["ru",]["disputed_by"] == ("ua",)


def test_propositions_rows(lg: Ledger) -> None:
    assert list(rows(lg, "propositions")) == [
        {
            "topic": "k/say",
            "proposition": "there",
            "status": "contested",
            "affirmed_by": ("ua", "zel"),
            "denied_by": ("ru",),
        }
    ]


def test_history_rows_list_every_figure_with_its_fate(lg: Ledger) -> None:
    found = by(list(rows(lg, "history")), "claim_id")
    assert set(found) == {("ua-k",), ("ua-w",), ("us-k",), ("old",), ("gone",)}
    gone = found["gone",]
    assert (gone["retracted"], gone["current"], gone["position"]) == (True, False, 11)
    assert gone["topic"] == "k/wounded"
    ua = found["ua-k",]
    assert {k: ua[k] for k in ("low", "high", "best", "phrase", "rule", "via", "quote", "url")} == {
        "low": 100,
        "high": 200,
        "best": 150,
        "phrase": "-100 to 200",
        "rule": "r:x",
        "via": ("zel",),
        "quote": "+quoted",
        "url": "@url",
    }
    assert (ua["stated_at"], ua["as_of"], ua["retracted"], ua["current"]) == (
        DAY2,
        DAY1,
        False,
        True,
    )
    assert (ua["low_open"], ua["high_open"], ua["unit"], ua["source"]) == (
        False,
        False,
        "people",
        "ua",
    )


def test_definitions_rows_describe_the_intermediaries_figures_and_claims_came_through() -> None:
    lg = Ledger.open("memory://")
    lg.extend(SourceDescribed(source=s, name=s, kind="media") for s in ("ap", "aj", "nobody"))
    said = {"topic": "q/deaths", "stated_at": DAY1}
    figure = Figure(100, 100, unit="people")
    lg.append(FigureReported(claim_id="f1", source="afad", figure=figure, via=("ap",), **said))
    lg.append(ClaimMade(claim_id="c1", source="who", statement="More", via=("aj",), **said))
    found = [r["source"] for r in rows(lg, "definitions") if r["type"] == "SourceDescribed"]
    assert found == ["aj", "ap"]  # described, and named only in a via; "nobody" is not


def test_definitions_rows_describe_the_sources_and_define_the_topics(lg: Ledger) -> None:
    found = list(rows(lg, "definitions"))
    assert [(r["type"], r["source"] or r["topic"]) for r in found] == [
        ("SourceDescribed", "ua"),
        ("SourceDescribed", "zel"),
        ("TopicDefined", "k/killed"),
        ("TopicDefined", "k/say"),
        ("TopicDefined", "k/total"),
        ("TopicDefined", "k/wounded"),
    ]
    zel = found[1]
    assert zel == dict.fromkeys(COLUMNS["definitions"]) | {
        "type": "SourceDescribed",
        "source": "zel",
        "name": "=Zelensky",
        "kind": "official",
        "affiliation": "kyiv",
        "reliability": "F",
    }
    total = found[4]
    assert total == dict.fromkeys(COLUMNS["definitions"]) | {
        "type": "TopicDefined",
        "topic": "k/total",
        "title": "Killed or wounded",
        "unit": None,
        "parts": ("k/killed", "k/wounded"),
        "description": None,
        "window": None,
    }


def test_a_topic_prefix_keeps_only_the_topics_it_starts(lg: Ledger) -> None:
    for what in WHAT:
        assert all(r["topic"].startswith("k/w") for r in rows(lg, what, topic_prefix="k/w")
                   if r["topic"] is not None)  # fmt: skip
    assert [r["topic"] for r in rows(lg, "topics", topic_prefix="k/w")] == ["k/wounded"]
    assert list(rows(lg, "claims", topic_prefix="k/w")) == []


def test_an_unknown_export_is_refused() -> None:
    with pytest.raises(InvalidEvent, match="what: 'sources' is not one of topics"):
        rows(Ledger.open("memory://"), "sources")


def test_an_as_of_view_exports_what_it_folded(lg: Ledger) -> None:
    view = lg.as_of(position=8)
    assert [(r["topic"], r["source"]) for r in rows(view, "figures")] == [
        ("k/killed", "ua"),
        ("k/total", "ua"),
        ("k/wounded", "ua"),
    ]


# -- numbers and text --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (-5, "-5"),
        (2**63 - 1, "9223372036854775807"),
        (3.0, "3.0"),
        (-0.0, "-0.0"),
        (2.5, "2.5"),
        (0.1, "0.1"),
        (2.1e21, "2100000000000000000000.0"),
        (1e-7, "0.0000001"),
        (1.5e-10, "0.00000000015"),
        (123456789.123, "123456789.123"),
    ],
)
def test_numbers_are_written_exactly_without_exponents(value: float, text: str) -> None:
    assert number_text(value) == text
    assert cell_text(value) == text
    assert json_value(value) == text
    back = json.loads(text)
    assert back == value
    assert type(back) is type(value)


def test_a_bool_is_no_number() -> None:
    with pytest.raises(InvalidEvent, match="True is not a number"):
        number_text(True)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_number_that_is_not_finite_is_refused_naming_the_row_and_column(bad: float) -> None:
    for format in FORMATS:
        with pytest.raises(InvalidEvent) as caught:
            write([{"low": 1}, {"low": bad}], ["low"], format, io.BytesIO())
        assert caught.value.field == "low"
        assert str(caught.value) == f"low: row 1: {bad!r} is not a finite number"


def test_write_refuses_a_text_stream_and_columns_that_are_no_names() -> None:
    with pytest.raises(InvalidEvent, match="must be a binary stream") as caught:
        write([], ["low"], "csv", io.StringIO())  # type: ignore[arg-type]
    assert caught.value.field == "out"
    for columns in (None, "low", [1, 2]):
        with pytest.raises(InvalidEvent) as caught:
            write([], columns, "csv", io.BytesIO())  # type: ignore[arg-type]
        assert caught.value.field == "columns"
    with pytest.raises(InvalidEvent, match="row 0 is a list, not a mapping"):
        write([[1]], ["low"], "json", io.BytesIO())  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-100 to 200", "'-100 to 200"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("''@x", "'''@x"),
        ("'tis", "'tis"),
        ("\uff1d1+1", "'\uff1d1+1"),  # the full-width forms: ＝ ＋ － ＠
        ("\uff0b44", "'\uff0b44"),
        ("\uff0d100", "'\uff0d100"),
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
        ("'\uff1dx", "''\uff1dx"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_that_a_spreadsheet_would_run_gets_one_apostrophe(text: str, written: str) -> None:
    assert neutralise(text) == written
    assert cell_text(text) == written


@pytest.mark.parametrize("format", ["csv", "tsv", "json", "jsonl"])
def test_text_utf8_cannot_encode_is_refused_naming_its_row_and_column(format: str) -> None:
    out = io.BytesIO()
    rows = [{"topic": "a", "unit": "people"}, {"topic": "b", "unit": "x\udc80"}]
    with pytest.raises(InvalidEvent, match=r"row 1: 'x\\udc80' holds a lone surrogate") as caught:
        write(rows, ["topic", "unit"], format, out)
    assert caught.value.field == "unit"


def test_cells_of_every_kind(lg: Ledger) -> None:
    assert cell_text(None) == ""
    assert (cell_text(True), cell_text(False)) == ("true", "false")
    assert cell_text(DAY1) == "2025-01-13T00:00:00Z"
    assert cell_text(timedelta(days=3)) == "P3D"
    assert cell_text(("a", "b")) == "a;b"
    assert cell_text(("-a", "b")) == "'-a;b"
    assert json_value(("a", "b")) == '["a", "b"]'
    assert json_value(DAY1) == '"2025-01-13T00:00:00Z"'
    assert json_value(None) == "null"
    assert json_value(True) == "true"
    assert json_value("=x é") == '"=x é"'  # JSON is no spreadsheet: text as it is


# -- writers ---------------------------------------------------------------------------


def written(found: list[dict[str, Any]], what: str, fmt: str, *, bom: bool = False) -> bytes:
    out = io.BytesIO()
    assert write(found, COLUMNS[what], fmt, out, bom=bom) == len(found)
    return out.getvalue()


def test_csv_has_a_header_crlf_lines_and_quotes_only_where_needed(lg: Ledger) -> None:
    data = written(list(rows(lg, "figures")), "figures", "csv")
    text = data.decode("utf-8")
    assert text.startswith(",".join(COLUMNS["figures"]) + "\r\n")
    assert text.count("\r\n") == 6
    line = next(t for t in text.split("\r\n") if t.startswith("k/killed,ua,"))
    assert line == (
        "k/killed,ua,ua-k,100,200,false,false,150,people,'-100 to 200,r:x,"
        "2025-01-14T00:00:00Z,2025-01-13T00:00:00Z,zel,'+quoted,'@url,false,false,"
    )
    us = next(t for t in text.split("\r\n") if t.startswith("k/killed,us,"))
    assert ",2100000000000000000000.0,2500000000000000000000.0," in us
    assert "e+" not in text
    assert "e-" not in text.replace("2025-", "")


def test_csv_quotes_cells_with_delimiters_quotes_and_line_breaks() -> None:
    found = [{"topic": 'a,"b"\nc', "proposition": "p", "status": "agreed",
              "affirmed_by": ("x",), "denied_by": ()}]  # fmt: skip
    text = written(found, "propositions", "csv").decode()
    assert text.splitlines()[1] == '"a,""b""'
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1] == ['a,"b"\nc', "p", "agreed", "x", ""]


def test_a_file_for_excel_starts_with_a_bom(lg: Ledger) -> None:
    assert written([], "topics", "csv", bom=True).startswith(b"\xef\xbb\xbftopic,title,")
    assert written([], "topics", "csv").startswith(b"topic,title,")


def test_tsv_separates_with_tabs(lg: Ledger) -> None:
    text = written(list(rows(lg, "propositions")), "propositions", "tsv").decode()
    assert text == (
        "topic\tproposition\tstatus\taffirmed_by\tdenied_by\r\n"
        "k/say\tthere\tcontested\tua;zel\tru\r\n"
    )


def test_json_is_one_array_of_objects_with_exact_numbers(lg: Ledger) -> None:
    data = written(list(rows(lg, "figures")), "figures", "json")
    found = json.loads(data)
    assert isinstance(found, list)
    assert [list(row) for row in found] == [list(COLUMNS["figures"])] * 5
    us = next(r for r in found if r["source"] == "us")
    assert (us["low"], us["high"], us["via"], us["disputed_by"]) == (2.1e21, 2.5e21, [], ["ua"])
    assert isinstance(us["low"], float)
    ua = next(r for r in found if r["claim_id"] == "ua-k")
    assert (ua["low"], ua["quote"], ua["stated_at"]) == (100, "+quoted", "2025-01-14T00:00:00Z")
    assert b"2100000000000000000000.0" in data
    assert json.loads(written([], "figures", "json")) == []


def test_jsonl_is_one_object_a_line(lg: Ledger) -> None:
    lines = written(list(rows(lg, "topics")), "topics", "jsonl").decode().splitlines()
    assert [json.loads(line)["topic"] for line in lines] == [
        "k/killed",
        "k/say",
        "k/total",
        "k/wounded",
    ]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(InvalidEvent, match="format: 'xlsx'"):
        write([], COLUMNS["topics"], "xlsx", io.BytesIO())


def test_the_writer_leaves_the_stream_open() -> None:
    out = io.BytesIO()
    write([], COLUMNS["topics"], "csv", out)
    out.write(b"more")
    assert out.getvalue().endswith(b"more")


# -- pandas --------------------------------------------------------------------------


def test_to_pandas_gives_typed_columns(lg: Ledger) -> None:
    topics = to_pandas(lg, "topics")
    assert list(topics.columns) == list(COLUMNS["topics"])
    assert str(topics["sources"].dtype) == "Int64"
    assert str(topics["stale"].dtype) == "Int64"
    assert str(topics["range_low"].dtype) == "Float64"  # k/killed's bounds are floats
    assert str(topics["range_low_open"].dtype) == "boolean"
    assert str(topics["latest"].dtype) == "datetime64[us, UTC]"
    assert topics["topic"].dtype.name.startswith("str")
    assert topics.loc[topics["topic"] == "k/say", "latest"].isna().all()
    assert topics.loc[topics["topic"] == "k/killed", "latest"].iloc[0] == DAY5
    consensus = lg.topic("k/killed").consensus
    assert consensus is not None
    killed = topics.loc[topics["topic"] == "k/killed", "supporters"].iloc[0]
    assert killed == list(consensus.supporters)
    figures = to_pandas(lg, "figures", topic_prefix="k/wounded")
    assert str(figures["low"].dtype) == "Int64"
    assert figures["high"].isna().all()
    assert str(figures["derived"].dtype) == "boolean"
    history = to_pandas(lg, "history")
    assert str(history["position"].dtype) == "Int64"
    definitions = to_pandas(lg, "definitions")
    assert str(definitions["window"].dtype) == "timedelta64[us]"
    empty = to_pandas(lg, "claims", topic_prefix="nothing/")
    assert list(empty.columns) == list(COLUMNS["claims"])
    assert len(empty) == 0


def test_to_pandas_without_pandas_is_a_ledger_error(
    lg: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingPandas, match=r"pip install 'claims-ledger\[pandas\]'") as caught:
        to_pandas(lg, "topics")
    assert isinstance(caught.value, LedgerError)
    assert isinstance(caught.value, ImportError)


def test_the_python_in_docs_spreadsheets_md_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "spreadsheets.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    monkeypatch.chdir(page.parents[1])
    for block in blocks:
        exec(compile(block, str(page), "exec"), {})
