"""ledger plot and ledger report from the command line."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.cli.conftest import CASUALTIES, DEATHS, MISSING, Run

pytest.importorskip("matplotlib")


def test_plot_writes_a_png_with_one_bar_per_source(run: Run, seed_db: Path, tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "c.png"
    result = run("plot", seed_db, CASUALTIES, "-o", out)
    assert "3 bar(s)" in result.output
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert f"{image.size[0]}x{image.size[1]} px" in result.output


def test_plot_writes_an_svg_with_a_bar_per_source(run: Run, seed_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.svg"
    run("plot", seed_db, CASUALTIES, "-o", out)
    text = out.read_text()
    for source in ("nis", "ukraine", "us-official"):
        assert text.count(f'id="bar-{source}"') == 1
    assert "more than 3,000" in text


def test_plot_timeline(run: Run, seed_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.svg"
    result = run("plot", seed_db, CASUALTIES, "--timeline", "-o", out)
    assert "1 step(s)" in result.output
    assert 'id="consensus"' in out.read_text()


def test_plot_as_of_a_position(run: Run, seed_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.svg"
    result = run("plot", seed_db, CASUALTIES, "-o", out, "--as-of", "33")
    assert "1 bar(s)" in result.output
    assert 'id="bar-ukraine"' in out.read_text()


def test_plot_needs_a_png_or_svg_name(run: Run, seed_db: Path, tmp_path: Path) -> None:
    result = run("plot", seed_db, CASUALTIES, "-o", tmp_path / "c.jpg", code=2)
    assert "name a .png or .svg file" in result.stderr


def test_plot_of_a_topic_without_figures_is_an_error(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    result = run("plot", seed_db, "kursk/nk-pows/exchange", "-o", tmp_path / "c.png", code=1)
    assert "no current figures" in result.stderr
    result = run("plot", seed_db, "nope", "-o", tmp_path / "c.png", code=1)
    assert "no topic 'nope'" in result.stderr
    assert not (tmp_path / "c.png").exists()


def test_plot_into_a_missing_directory_is_one_error_line(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    result = run("plot", seed_db, CASUALTIES, "-o", tmp_path / "no" / "c.png", code=1)
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1


def test_plot_without_matplotlib_says_how_to_get_it(
    run: Run, seed_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    real = importlib.import_module

    def refuse(name: str, package: str | None = None) -> object:
        if name.startswith("matplotlib"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", refuse)
    result = run("plot", seed_db, CASUALTIES, "-o", tmp_path / "c.png", code=1)
    assert "pip install 'claims-ledger[charts]'" in result.stderr


class _Sections(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.topics: list[str] = []
        self.propositions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and found.get("data-topic"):
            self.topics.append(str(found["data-topic"]))
        if tag == "article" and found.get("data-proposition"):
            self.propositions.append(str(found["data-proposition"]))


def test_report_writes_every_topic_and_proposition(run: Run, seed_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = run("report", seed_db, "-o", out, "--title", "Kursk")
    assert "10 topics, 6 charts, 6 propositions" in result.output
    parser = _Sections()
    parser.feed(out.read_text())
    assert len(parser.topics) == 10
    assert len(parser.propositions) == 6
    assert "<title>Kursk</title>" in out.read_text()


def test_report_as_of_a_date(run: Run, seed_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = run("report", seed_db, "-o", out, "--as-of", "2025-01-12")
    assert "1 charts" in result.output
    assert "As stated up to 2025-01-12T00:00:00Z" in out.read_text()


def test_report_of_a_missing_store(run: Run, tmp_path: Path) -> None:
    result = run("report", tmp_path / "none.db", "-o", tmp_path / "r.html", code=1)
    assert "no such ledger" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_plot_draws_hostile_text_literally_and_notes_missing_glyphs_once(
    run: Run, tmp_path: Path
) -> None:
    from tests.cli.hostile import TOPIC, hostile_ledger, raw_controls

    store = hostile_ledger(tmp_path / "h.db")
    svg = tmp_path / "h.svg"
    result = run("plot", store, TOPIC, "-o", svg)
    assert raw_controls(result.output) == []
    text = svg.read_text(encoding="utf-8")
    assert "between $5 and $10 million" in text  # never mathtext
    assert "\\x1b]0;pwned\\x07" in text
    assert raw_controls(text) == []
    timeline = run("plot", store, TOPIC, "--timeline", "-o", tmp_path / "t.png")
    assert raw_controls(timeline.output) == []
    run("define-topic", store, "t/cjk", "--title", "死傷者 \U0001f600 \u0bf5", "--unit", "人")
    run("add", "figure", store, "--topic", "t/cjk", "--source", "s", "--stated", "2025-01-01",
        "--low", "1", "--high", "2")  # fmt: skip
    boxes = run("plot", store, "t/cjk", "-o", tmp_path / "cjk.png")
    assert boxes.stderr.count("warning: the chart's font has no glyph") == 1


# -- freshness, splits and the log axis (issue 12) ---------------------------------------


def test_plot_fades_stale_figures_and_names_the_window(
    run: Run, derna_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "d.svg"
    result = run("plot", derna_db, DEATHS, "-o", out)
    assert "9 bar(s)" in result.output
    text = out.read_text()
    assert text.count("stale: left out") == 7
    assert "stale (older than the window, 3d): left out" in text
    assert "9 sources · 7 stale (window 3d)" in text
    run("plot", derna_db, DEATHS, "-o", out, "--window", "none")
    assert "stale" not in out.read_text()


def test_plot_draws_each_camp_of_a_split(run: Run, derna_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.svg"
    run("plot", derna_db, MISSING, "-o", out, "--window", "none")
    text = out.read_text()
    assert 'id="camp-1"' in text
    assert 'id="camp-2"' in text
    assert 'id="consensus"' not in text
    assert "consensus split into 2 camps" in text
    timeline = run("plot", derna_db, MISSING, "--timeline", "--window", "none", "-o", out)
    assert "7 step(s)" in timeline.output


def test_plot_takes_a_log_axis_when_the_figures_span_it(
    run: Run, tmp_path: Path, seed_db: Path
) -> None:
    store = tmp_path / "g.db"
    figure = ["add", "figure", store, "--topic", "g/displaced", "--unit", "people"]
    run(*figure, "--source", "a", "--phrase", "dozens of", "--stated", "2025-01-01")
    run(*figure, "--source", "b", "--phrase", "about 1,900,000", "--stated", "2025-01-01")
    out = tmp_path / "g.svg"
    run("plot", store, "g/displaced", "-o", out)
    assert "people (log scale)" in out.read_text()
    run("plot", seed_db, CASUALTIES, "-o", out)  # 200 to 4,001: linear
    assert "log scale" not in out.read_text()


def test_report_greys_stale_rows_and_takes_a_window(
    run: Run, derna_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    run("report", derna_db, "-o", out)
    page = out.read_text()
    assert page.count('<tr class="stale">') == 11  # 7 deaths, 4 missing
    run("report", derna_db, "-o", out, "--window", "none")
    page = out.read_text()
    assert '<tr class="stale">' not in page
    assert 'class="camp" data-camp="2"' in page
    assert "Every topic under --window none" in page
    result = run("report", derna_db, "-o", out, "--window", "soon", code=2)
    assert "Invalid value for '--window'" in result.stderr
