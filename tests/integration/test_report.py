"""The HTML report: every topic with its table and chart, every proposition, nothing fetched."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ledger import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Figure,
    FigureReported,
    Ledger,
    SourceDescribed,
    TopicDefined,
    parse_figure,
)
from ledger.present.report import render_report, write_report
from ledger.stores.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
SEED_EVENTS = ROOT / "seeds" / "kursk-north-korean-pows.events.jsonl"


class Page(HTMLParser):
    """What the tests need from a report: sections, charts, bars, propositions, text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.topic: str | None = None
        self.sections: dict[str, dict[str, object]] = {}
        self.propositions: list[dict[str, str | None]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "section" and "data-topic" in found:
            self.topic = str(found["data-topic"])
            self.sections[self.topic] = {"svgs": 0, "bars": [], "tables": 0}
        elif self.topic is not None:
            section = self.sections[self.topic]
            if tag == "svg":
                section["svgs"] = int(str(section["svgs"])) + 1
            if tag == "rect" and "bar" in str(found.get("class", "")).split():
                bars = section["bars"]
                assert isinstance(bars, list)
                bars.append(found.get("data-source"))
            if tag == "table":
                section["tables"] = int(str(section["tables"])) + 1
        if tag == "article" and "data-proposition" in found:
            self.propositions.append({"topic": self.topic, **found})

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def seed() -> Ledger:
    lg = Ledger(MemoryStore())
    lg.import_events(SEED_EVENTS)
    return lg


def test_every_topic_is_present_with_its_table_and_chart(seed: Ledger) -> None:
    html, info = render_report(seed, title="Kursk")
    page = Page(html)
    views = seed.topics()
    assert list(page.sections) == [v.topic for v in views]
    for view in views:
        section = page.sections[view.topic]
        if view.figures:
            assert section["svgs"] == 1, view.topic
            assert section["bars"] == [f.source for f in view.figures]
            assert section["tables"] == 1
        else:
            assert section["svgs"] == 0
    assert info.topics == 10
    assert info.charts == 6
    assert info.propositions == 6


def test_every_proposition_is_present_with_its_status_and_disputes(seed: Ledger) -> None:
    html, _ = render_report(seed, title="Kursk")
    page = Page(html)
    found = {(p["topic"], p["data-proposition"]): p["data-status"] for p in page.propositions}
    assert found == {(p.topic, p.proposition): p.status for p in seed.propositions()}
    text = " ".join("".join(page.text).split())
    assert "he will do as he is told" in text  # a dispute's reason
    assert "likely speaking under duress" in text
    assert "his commanders told him it was a training exercise" in text  # a statement
    assert "(via zelensky)" in text


def test_the_figures_table_keeps_the_words_and_the_finding(seed: Ledger) -> None:
    html, _ = render_report(seed, title="Kursk")
    text = " ".join("".join(Page(html).text).split())
    assert "“more than 3,000”" in text
    assert "more than 3,000 North Korean soldiers have been killed or wounded" in text  # quote
    assert "National Intelligence Service of South Korea" in text  # the source's name
    assert "[3,001, 3,100] (majority)" in text
    assert "3,001 soldiers" in text  # the estimate (seeds/README.md: a bound has no best)


def test_the_page_is_self_contained(seed: Ledger) -> None:
    html, _ = render_report(seed, title="Kursk")
    page = Page(html)
    tags = {tag for tag, _ in page.tags}
    assert "script" not in tags
    assert "link" not in tags
    assert "img" not in tags
    assert "iframe" not in tags
    assert "object" not in tags
    for _, attrs in page.tags:
        assert "src" not in attrs
        href = attrs.get("href")
        assert href is None or href.startswith("#")
    assert "@import" not in html
    assert "url(" not in html
    assert html.replace('xmlns="http://www.w3.org/2000/svg"', "").count("http") == 0


def test_the_page_is_made_for_phones(seed: Ledger) -> None:
    html, _ = render_report(seed, title="Kursk")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "@media (max-width:640px)" in html
    assert 'class="chart" viewBox="0 0 400 ' in html  # charts scale to the column


def test_the_figures_table_stays_inside_its_column_on_a_wide_screen(derna: Ledger) -> None:
    # At 1280-1600 px the table's unbreakable timestamps pushed it past the page's
    # column: a timestamp may now break after its date, and the table scrolls
    # inside its column as a last resort.
    html, _ = render_report(derna, title="Derna")
    assert html.count('<div class="scroll"><table class="cards figures">') == html.count(
        '<table class="cards figures">'
    )
    assert ".scroll{overflow-x:auto}" in html
    assert ".figures td.num{white-space:normal}" in html
    lg = Ledger.open("memory://")
    lg.append(
        FigureReported(
            claim_id="c1",
            topic="t",
            source="s",
            figure=parse_figure("about 300", "people"),
            stated_at=datetime(2025, 1, 13, 9, 30, tzinfo=UTC),
        )
    )
    assert "2025-01-13<wbr>T09:30:00Z" in render_report(lg, title="t")[0]


def test_the_header_names_the_last_position_read_not_a_whole_prefix(derna: Ledger) -> None:
    # Under a stated cut-off records before the last one read are left out:
    # "as of position N" read as the whole log up to N.
    view = derna.as_of(stated=date(2023, 9, 12))
    html, _ = render_report(view, title="Derna")
    assert f"last position read {view.position}" in html
    assert "as of position" not in html


def test_the_report_is_the_same_every_time(seed: Ledger, tmp_path: Path) -> None:
    first = write_report(seed, tmp_path / "a.html", title="Kursk")
    second = write_report(seed, tmp_path / "b.html", title="Kursk")
    assert first.path.read_bytes() == second.path.read_bytes()


def test_every_piece_of_text_is_escaped() -> None:
    evil = '<script>alert("x")</script>" onload="bad'
    lg = Ledger(MemoryStore())
    lg.append(TopicDefined(topic="t/n", title=evil, unit="people", description=evil))
    lg.append(SourceDescribed(source="s", name=evil))
    lg.append(
        FigureReported(
            claim_id="c",
            topic="t/n",
            source="s",
            figure=parse_figure("about 300", "people"),
            stated_at=date(2025, 1, 1),
            quote=evil,
        )
    )
    lg.append(
        ClaimMade(
            claim_id="m",
            topic="t/q",
            source="s",
            statement=evil,
            stated_at=date(2025, 1, 1),
        )
    )
    lg.append(ClaimDisputed(target="m", source="o", reason=evil, stated_at=date(2025, 1, 2)))
    html, _ = render_report(lg, title=evil)
    assert "<script" not in html
    assert '" onload="' not in html
    page = Page(html)
    assert not any("onload" in attrs for _, attrs in page.tags)
    assert sum(evil in chunk for chunk in page.text) >= 5  # shown as text, intact


def test_an_empty_ledger_makes_a_valid_page() -> None:
    html, info = render_report(Ledger(MemoryStore()), title="Empty")
    assert info.topics == 0
    assert "<h1><bdi>Empty</bdi></h1>" in html
    assert html.rstrip().endswith("</html>")


# -- hostile text: well-formed XML, no raw controls, isolated bidi (issue 15, item 13) --


def _hostile_report(tmp_path: Path) -> str:
    from tests.cli.hostile import HOSTILE, hostile_ledger

    with Ledger.open(str(hostile_ledger(tmp_path / "h.db"))) as lg:
        html, _ = render_report(lg, title=HOSTILE, note=HOSTILE)
    return html


def test_every_inline_svg_of_a_hostile_report_is_well_formed_xml(tmp_path: Path) -> None:
    import re
    import xml.etree.ElementTree as ET

    html = _hostile_report(tmp_path)
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)
    assert len(svgs) == 1  # the one topic with figures
    for svg in svgs:
        root = ET.fromstring(svg)  # raises ParseError on a malformed document
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        texts = "".join(root.itertext())
        assert "Killed [sic] in Kursk" in texts
        assert "\\x1b]0;pwned\\x07" in texts


def test_no_raw_control_character_remains_in_a_hostile_report(tmp_path: Path) -> None:
    from tests.cli.hostile import raw_controls

    html = _hostile_report(tmp_path)
    assert raw_controls(html) == []
    assert "a\\x00b\\x07c\\x08d\\x7fe\\tf\\rg\\x0bh\\x0ci" in html  # shown, not dropped


def test_user_text_is_isolated_in_bdi_in_html_and_in_svg(tmp_path: Path) -> None:
    html = _hostile_report(tmp_path)
    page = Page(html)
    assert sum(tag == "bdi" for tag, _ in page.tags) >= 10
    assert "<h1><bdi>" in html
    assert '<tspan style="unicode-bidi:isolate"' in html
    rtl = "\u05e9\u05dc\u05d5\u05dd"  # Hebrew text is kept as written, inside its own <bdi>
    lg = Ledger(MemoryStore())
    lg.append(SourceDescribed(source="s", name=rtl))
    lg.append(TopicDefined(topic="t/n", title=rtl, unit="people"))
    html, _ = render_report(lg, title="t")
    assert f"<bdi>{rtl}</bdi>" in html


def test_the_whole_hostile_report_parses_as_html(tmp_path: Path) -> None:
    page = Page(_hostile_report(tmp_path))
    assert len(page.sections) == 2
    assert len(page.propositions) == 1


# -- one source for every answer (issue 13) ---------------------------------------------


def _retracted_then_disputed(path: Path) -> Path:
    """s affirms P, retracts that, then disputes o's claim affirming P: s now denies P."""
    with Ledger.open(str(path)) as lg:
        lg.append(
            ClaimMade(
                claim_id="s-1",
                topic="t/q",
                source="s",
                statement="The bridge was destroyed.",
                proposition="bridge-destroyed",
                stated_at=date(2025, 1, 1),
            )
        )
        lg.append(ClaimRetracted(target="s-1", source="s", stated_at=date(2025, 1, 2)))
        lg.append(
            ClaimMade(
                claim_id="o-1",
                topic="t/q",
                source="o",
                statement="The bridge is gone.",
                proposition="bridge-destroyed",
                stated_at=date(2025, 1, 3),
            )
        )
        lg.append(
            ClaimDisputed(
                target="o-1", source="s", reason="It still stands.", stated_at=date(2025, 1, 4)
            )
        )
    return path


def test_a_retracted_claim_is_not_quoted_beside_its_sources_dispute(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ledger.cli import cli

    store = _retracted_then_disputed(tmp_path / "r.db")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["report", str(store), "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = Page(out.read_text(encoding="utf-8"))
    text = " ".join("".join(page.text).split())
    assert "affirmed by o; denied by s" in text
    assert "o affirms: The bridge is gone." in text
    assert "s disputes o-1: It still stands." in text
    # s withdrew its statement: the report must not quote it as s's current word.
    assert "The bridge was destroyed." not in text
    assert "s affirms" not in text


# -- freshness, voices, splits and the log axis (issue 12) -------------------------------

DERNA_EVENTS = ROOT / "seeds" / "derna-floods.events.jsonl"
DEATHS = "derna-floods/deaths"
MISSING = "derna-floods/missing"


@pytest.fixture(scope="module")
def derna() -> Ledger:
    lg = Ledger(MemoryStore())
    lg.import_events(DERNA_EVENTS)
    return lg


def _section(html: str, topic: str) -> str:
    start = html.index(f'data-topic="{topic}"')
    return html[start : html.index("</section>", start)]


def _words(html: str) -> str:
    return " ".join("".join(Page(html).text).split())


def _finding(html: str) -> dict[str, str]:
    """The finding's terms and what they say, as text."""
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html)
    return {dt: re.sub(r"<[^>]+>", "", dd).replace("&#x27;", "'") for dt, dd in pairs}


def test_stale_rows_are_greyed_and_explained(derna: Ledger) -> None:
    html, _ = render_report(derna, title="Derna")
    deaths = _section(html, DEATHS)
    assert deaths.count('<tr class="stale">') == 7
    assert deaths.count('<span class="badge">stale</span>') == 7
    assert "tr.stale td{color:#718096" in html  # greyed by the page's own CSS
    text = _words(deaths)
    assert (
        "7 figures are stale, older than 2023-09-20 (latest 2023-09-23 less the window of 3d): "
        "derna-mayor, eastern-health-ministry, eastern-interior-ministry, gnu-emergency-service, "
        "hamad, lna, ocha; shown, but left out of the range and the consensus"
    ) in text
    finding = _finding(deaths)
    assert finding == {
        "Latest": "2023-09-23",
        "Window": "3d (the topic's own)",
        "Voices (2)": "eastern-libya: eastern-relief-committee · united-nations: who",
        "Range": "[3,845, 4,014]",
        "Consensus": "none",
        "Estimate": "–",
        "Agree": "–",
        "Dissent": "eastern-relief-committee, who",
    }
    # The chart fades the stale bars and says so in its legend.
    page = Page(deaths)
    bars = {
        a["data-source"]: a["class"]
        for t, a in page.tags
        if t == "rect" and "bar" in str(a.get("class"))
    }
    assert sorted(s for s, c in bars.items() if c == "bar stale") == [
        "derna-mayor", "eastern-health-ministry", "eastern-interior-ministry",
        "gnu-emergency-service", "hamad", "lna", "ocha",
    ]  # fmt: skip
    assert "stale (older than the window, 3d)" in text


def test_the_summary_counts_voices_and_stale_figures(derna: Ledger) -> None:
    html, _ = render_report(derna, title="Derna")
    summary = html[html.index('id="summary"') : html.index("</table>")]
    assert "<th>Voices</th><th>Stale</th>" in summary
    row = summary[summary.index(f">{DEATHS}<") :]
    assert '<td data-label="Voices"><div>2</div></td>' in row
    assert '<td data-label="Stale"><div>7</div></td>' in row


def test_a_split_shows_each_camp_and_no_single_interval(derna: Ledger) -> None:
    html, _ = render_report(derna, title="Derna", window=timedelta.max)
    missing = _section(html, MISSING)
    assert '<tr class="stale">' not in missing  # the window set aside: nothing is stale
    assert "stale-note" not in missing
    finding = _finding(missing)
    assert finding["Consensus"] == "split into 2 camps: no single interval"
    assert finding["Camp 1"] == (
        "[10,100, 10,100] estimate 10,100: eastern-relief-committee, libyan-red-crescent"
    )
    assert finding["Camp 2"] == "[5,001, 6,000] estimate 5,500: gnu-emergency-service, lna"
    assert finding["Window"] == "none (every topic's own window set aside)"
    assert "Estimate" not in finding  # no single estimate
    page = Page(missing)
    camps = [a for t, a in page.tags if t == "rect" and a.get("class") == "camp"]
    assert [a["data-camp"] for a in camps] == ["1", "2"]
    assert not any(t == "rect" and a.get("class") == "consensus" for t, a in page.tags)
    in_camps = {
        a["data-source"]: a.get("data-camp")
        for t, a in page.tags
        if t == "rect" and str(a.get("class")).startswith("bar")
    }
    assert in_camps == {
        "eastern-relief-committee": "1", "libyan-red-crescent": "1", "gnu-emergency-service": "2",
        "lna": "2", "ocha": None, "who": None,
    }  # fmt: skip
    summary = html[html.index('id="summary"') : html.index("</table>")]
    row = summary[summary.index(f">{MISSING}<") :]
    assert "[10,100, 10,100] <bdi>eastern-relief-committee, libyan-red-crescent</bdi><br>" in row
    assert "10,100<br>5,500" in row


def _span_ledger(low: int, high: int) -> Ledger:
    """Two sources whose figures span high / low."""
    lg = Ledger(MemoryStore())
    lg.append(TopicDefined(topic="t/span", title="Span", unit="people"))
    for source, value in (("small", low), ("large", high)):
        lg.append(
            FigureReported(
                claim_id=source,
                topic="t/span",
                source=source,
                figure=parse_figure(str(value), "people"),
                stated_at=date(2025, 1, 1),
            )
        )
    return lg


def _ticks(svg: str) -> list[str]:
    return list(re.findall(r'<text class="tick"[^>]*>([^<]*)</text>', svg))


def test_the_svg_axis_is_logarithmic_beyond_two_orders_of_magnitude() -> None:
    html, _ = render_report(_span_ledger(40, 90_000), title="t")
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'data-scale="log"' in svg
    assert _ticks(svg) == ["100", "1,000", "10,000", "100,000"]
    assert "log scale" in _words(html)
    # Each decade takes the same width on a log axis.
    xs = [float(x) for x in re.findall(r'<text class="tick" x="([0-9.]+)"', svg)]
    assert abs((xs[1] - xs[0]) - (xs[2] - xs[1])) < 0.2


def test_the_svg_axis_stays_linear_within_two_orders_of_magnitude(seed: Ledger) -> None:
    html, _ = render_report(_span_ledger(100, 10_000), title="t")  # exactly 100 times
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'data-scale="linear"' in svg
    assert "log scale" not in _words(html)
    kursk, _ = render_report(seed, title="Kursk")  # 200 to 4,001: twenty times
    assert 'data-scale="log"' not in kursk


def test_a_long_source_slug_is_clipped_in_its_chart_label_but_named_whole_in_its_title() -> None:
    long = "a-very-long-organisation-name/with/many/segments/and/then/src-0490"
    lg = Ledger(MemoryStore())
    for i, source in enumerate(("s0", long)):
        figure = Figure(300, 300, unit="people", phrase="about 300")
        said = {"topic": "t/span", "stated_at": date(2025, 1, 1)}
        lg.append(FigureReported(claim_id=f"c{i}", source=source, figure=figure, **said))
    html, _ = render_report(lg, title="Long")
    labels = re.findall(r'font-weight="600">([^<]*)</tspan> <tspan[^>]*>([^<]*)<', html)
    clipped = next(name for name, _ in labels if name != "s0")
    assert clipped.startswith("a-very-")
    assert clipped.endswith("/src-0490")
    assert "…" in clipped
    assert len(clipped) < len(long)
    assert all(words == "“about 300”" for _, words in labels)  # the words keep their room
    assert f'data-source="{long}"' in html
