"""Charts: the renderer-free model, matplotlib PNG and SVG files, and the topic timeline."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ledger import (
    ClaimDisputed,
    ClaimRetracted,
    Figure,
    FigureReported,
    Ledger,
    SourceDescribed,
    TopicDefined,
    parse_figure,
)
from ledger.present.charts import (
    fmt_number,
    log_ticks,
    nice_ticks,
    plot_timeline,
    plot_topic,
    topic_chart,
)
from ledger.present.report import render_report
from ledger.projections.timeline import topic_timeline
from ledger.stores.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
SEED_EVENTS = ROOT / "seeds" / "kursk-north-korean-pows.events.jsonl"
CASUALTIES = "kursk/nk-troops/casualties"


def _figure(claim_id: str, source: str, phrase: str, day: int, **kw: object) -> FigureReported:
    convention = str(kw.pop("convention", "wikimpacts-2024"))
    return FigureReported(
        claim_id=claim_id,
        topic="flood/deaths",
        source=source,
        figure=parse_figure(phrase, "people", convention),
        stated_at=date(2024, 9, day),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def seed() -> Ledger:
    lg = Ledger(MemoryStore())
    lg.import_events(SEED_EVENTS)
    return lg


@pytest.fixture
def flood() -> Ledger:
    """Sources that disagree over days; one late report of an early statement; a retraction."""
    lg = Ledger(MemoryStore())
    lg.append(TopicDefined(topic="flood/deaths", title="Deaths in the flood", unit="people"))
    lg.append(_figure("ministry-1", "ministry", "more than 120", 3))
    lg.append(_figure("red-cross-1", "red-cross", "about 130", 4))
    lg.append(_figure("mayor-1", "mayor", "dozens of", 4))
    lg.append(_figure("ministry-2", "ministry", "more than 200", 6, convention="strict"))
    lg.append(_figure("mayor-0", "mayor", "at least 100", 2))  # stated early, recorded late
    lg.append(ClaimRetracted(target="red-cross-1", source="red-cross", stated_at=date(2024, 9, 7)))
    return lg


def test_the_model_has_one_bar_per_source_with_its_role(seed: Ledger) -> None:
    chart = topic_chart(seed.topic(CASUALTIES), "Casualties")
    assert [b.source for b in chart.bars] == ["nis", "ukraine", "us-official"]
    assert [b.supporter for b in chart.bars] == [True, True, False]
    assert [b.derived for b in chart.bars] == [True, False, False]
    assert chart.bars[1].words == "“more than 3,000”"
    assert chart.range_text == "[200, 4,001]"
    assert chart.consensus_text == "[3,001, 3,100]"
    assert chart.lo <= 200
    assert chart.hi >= 4001
    assert chart.ticks == (0, 1000, 2000, 3000, 4000)
    assert chart.level == "majority"
    assert chart.estimate == 3001  # seeds/README.md: a bound gives no best


def test_open_and_unbounded_ends_are_marked(flood: Ledger) -> None:
    chart = topic_chart(flood.topic("flood/deaths"))
    ministry = next(b for b in chart.bars if b.source == "ministry")
    # strict "more than 200" is (200, ∞): an open low end and an unbounded high end
    assert (ministry.low_end, ministry.high_end) == ("open", "unbounded")
    assert ministry.high == chart.hi  # drawn to the edge of the axis
    assert chart.hi > 200


def test_a_topic_without_figures_has_no_chart(seed: Ledger) -> None:
    with pytest.raises(ValueError, match="no current figures"):
        topic_chart(seed.topic("kursk/nk-pows/exchange"))


def test_nice_ticks_are_round_and_inside() -> None:
    assert nice_ticks(0, 4200) == (0, 1000, 2000, 3000, 4000)
    assert nice_ticks(0, 2.2, integers=True) == (0, 1, 2)
    assert nice_ticks(0, 12, integers=True) == (0, 5, 10)
    assert nice_ticks(1.9, 2.1) == (1.9, 1.95, 2.0, 2.05, 2.1)
    assert fmt_number(3100.0) == "3,100"
    assert fmt_number(9999999999999998.0) == "9,999,999,999,999,998"
    assert fmt_number(1e16) == "1e+16"
    assert fmt_number(-1.7e308) == "-1.7e+308"  # not its 309 digits
    assert fmt_number(2.5) == "2.5"
    assert fmt_number(None) == "-"


@pytest.mark.parametrize(("sources", "height"), [(1, 402), (3, 582)])
def test_the_png_grows_with_the_number_of_bars(
    tmp_path: Path, sources: int, height: int, seed: Ledger
) -> None:
    pytest.importorskip("matplotlib")
    from PIL import Image

    topic = CASUALTIES if sources == 3 else "kursk/nk-troops/killed"
    info = plot_topic(topic_chart(seed.topic(topic)), tmp_path / "c.png")
    assert info.bars == sources
    with Image.open(info.path) as image:
        assert image.size == (info.width, info.height) == (1200, height)
        colours = image.convert("RGB").getcolors(maxcolors=100_000)
    assert colours is not None
    assert len(colours) > 50


def test_the_svg_has_one_element_per_source_and_the_bands(tmp_path: Path, seed: Ledger) -> None:
    pytest.importorskip("matplotlib")
    info = plot_topic(topic_chart(seed.topic(CASUALTIES)), tmp_path / "c.svg")
    text = info.path.read_text()
    for source in ("nis", "ukraine", "us-official"):
        assert text.count(f'id="bar-{source}"') == 1
    assert text.count('id="bar-') == 3
    for band in ("range", "consensus", "estimate"):
        assert f'id="{band}"' in text
    assert "more than 3,000" in text
    assert "several hundred" in text
    again = plot_topic(topic_chart(seed.topic(CASUALTIES)), tmp_path / "d.svg")
    assert again.path.read_text() == text  # no dates or random ids in the file


def test_charts_only_write_png_or_svg(tmp_path: Path, seed: Ledger) -> None:
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        plot_topic(topic_chart(seed.topic(CASUALTIES)), tmp_path / "c.pdf")


def test_log_order_steps_match_as_of_each_position(flood: Ledger) -> None:
    steps = topic_timeline(flood.records(), "flood/deaths")
    # Position 6 changes nothing: the mayor's figure stated on the 2nd is older than
    # the one stated on the 4th, so it never becomes the mayor's current figure.
    assert [s.position for s in steps] == [2, 3, 4, 5, 7]
    for step in steps:
        past = flood.as_of(position=step.position).topic("flood/deaths")
        assert (step.range, step.consensus) == (past.range, past.consensus)
        assert step.figures == len(past.figures)
    assert steps[-1].event_type == "ClaimRetracted"
    assert steps[-1].claim_id == "red-cross-1"


def test_stated_order_steps_match_as_of_each_stated_time(flood: Ledger) -> None:
    steps = topic_timeline(flood.records(), "flood/deaths", order="stated")
    days = [s.stated_at.day for s in steps if s.stated_at is not None]
    assert days == sorted(days) == [2, 3, 4, 6, 7]
    for step in steps:
        past = flood.as_of(stated=step.stated_at).topic("flood/deaths")
        assert (step.range, step.consensus) == (past.range, past.consensus)


def test_the_timeline_honours_as_of_bounds(flood: Ledger) -> None:
    steps = topic_timeline(flood.records(), "flood/deaths", position=4)
    assert [s.position for s in steps] == [2, 3, 4]
    stated = datetime(2024, 9, 4, tzinfo=UTC)
    steps = topic_timeline(flood.records(), "flood/deaths", order="stated", stated=stated)
    assert [s.stated_at.day for s in steps if s.stated_at] == [2, 3, 4]


def test_an_unknown_topic_has_no_timeline(flood: Ledger) -> None:
    from ledger import UnknownTopic

    with pytest.raises(UnknownTopic):
        topic_timeline(flood.records(), "flood/nope")


def test_plot_timeline_draws_every_step(tmp_path: Path, flood: Ledger) -> None:
    pytest.importorskip("matplotlib")
    from PIL import Image

    steps = topic_timeline(flood.records(), "flood/deaths", order="stated")
    info = plot_timeline(steps, tmp_path / "t.png", title="Deaths", unit="people")
    assert info.bars == len(steps) == 5
    with Image.open(info.path) as image:
        assert image.size == (1200, 600)
    svg = plot_timeline(steps, tmp_path / "t.svg", title="Deaths", unit="people").path.read_text()
    assert 'id="range"' in svg
    assert 'id="consensus"' in svg
    assert 'id="estimate"' in svg


# -- stored text is never mathtext, TeX or a control sequence (issue 15, item 5) -----

DOLLARS = "between $5 and $10 million"
BROKEN = r"$\frac{1}{$ and $x^$ and $\undefinedcommand$"


def _dollar_ledger(words: str) -> Ledger:
    lg = Ledger(MemoryStore())
    lg.append(TopicDefined(topic="aid/pledged", title=f"Aid {words}", unit=f"US$ ({words})"))
    lg.append(SourceDescribed(source="donor", name=words))
    lg.append(
        FigureReported(
            claim_id="d",
            topic="aid/pledged",
            source="donor",
            figure=Figure(5, 10, unit=f"US$ ({words})", phrase=words),
            stated_at=date(2024, 9, 1),
        )
    )
    lg.append(
        FigureReported(
            claim_id="e",
            topic="aid/pledged",
            source="bank",
            figure=Figure(7, 12, unit=f"US$ ({words})", phrase=words),
            stated_at=date(2024, 9, 3),
            url="https://example.org/$x$",
        )
    )
    lg.append(ClaimDisputed(target="d", source="bank", reason=words, stated_at=date(2024, 9, 4)))
    return lg


def _stored_text_artists(fig: object, words: str) -> list[object]:
    from matplotlib.text import Text

    found = [t for t in fig.findobj(Text) if words in t.get_text()]  # type: ignore[attr-defined]
    assert found, "the stored text is drawn somewhere"
    return found


@pytest.mark.parametrize("words", [DOLLARS, BROKEN])
def test_stored_text_in_a_topic_chart_is_drawn_literally(tmp_path: Path, words: str) -> None:
    pytest.importorskip("matplotlib")
    lg = _dollar_ledger(words)
    chart = topic_chart(lg.topic("aid/pledged"), f"Aid {words}")
    svg = plot_topic(chart, tmp_path / "c.svg").path.read_text()
    plot_topic(chart, tmp_path / "c.png")  # the raster backend lays text out too
    escaped = words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f"Aid {escaped}" in svg  # the title, dollars and all
    assert escaped in svg
    from ledger.present.charts import draw_topic

    fig, _ = draw_topic(chart)
    for artist in _stored_text_artists(fig, words):
        assert artist.get_parse_math() is False  # type: ignore[attr-defined]
        assert artist.get_usetex() is False  # type: ignore[attr-defined]


@pytest.mark.parametrize("words", [DOLLARS, BROKEN])
def test_stored_text_in_a_timeline_chart_is_drawn_literally(tmp_path: Path, words: str) -> None:
    pytest.importorskip("matplotlib")
    lg = _dollar_ledger(words)
    steps = topic_timeline(lg.records(), "aid/pledged", order="stated")
    unit = f"US$ ({words})"
    svg = plot_timeline(steps, tmp_path / "t.svg", title=f"Aid {words}", unit=unit).path
    plot_timeline(steps, tmp_path / "t.png", title=f"Aid {words}", unit=unit)
    text = svg.read_text()
    assert f"Aid {words}".replace("&", "&amp;").replace("<", "&lt;") in text
    from ledger.present.charts import draw_timeline

    fig = draw_timeline(steps, title=f"Aid {words}", unit=unit)
    for artist in _stored_text_artists(fig, words):
        assert artist.get_parse_math() is False  # type: ignore[attr-defined]
        assert artist.get_usetex() is False  # type: ignore[attr-defined]


def test_controls_in_stored_text_are_drawn_as_visible_escapes(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    lg = _dollar_ledger("a\x1b[2Jb\u202ec\x00d")
    chart = topic_chart(lg.topic("aid/pledged"), "Aid \x07")
    svg = plot_topic(chart, tmp_path / "c.svg").path.read_text()
    assert "a\\x1b[2Jb\\u202ec\\x00d" in svg
    assert "\x1b" not in svg
    assert "\u202e" not in svg


# -- freshness, splits, bounds and the log axis (issue 12) --------------------------------

DERNA_EVENTS = ROOT / "seeds" / "derna-floods.events.jsonl"


@pytest.fixture(scope="module")
def derna() -> Ledger:
    lg = Ledger(MemoryStore())
    lg.import_events(DERNA_EVENTS)
    return lg


def _values(*values: int | float) -> Ledger:
    """One source per value, each stating it exactly."""
    lg = Ledger(MemoryStore())
    for i, value in enumerate(values):
        lg.append(
            FigureReported(
                claim_id=f"c{i}",
                topic="t/span",
                source=f"s{i}",
                figure=Figure(value, value, unit="people"),
                stated_at=date(2025, 1, 1),
            )
        )
    return lg


def test_a_bound_gives_no_best_to_draw(seed: Ledger) -> None:
    chart = topic_chart(seed.topic(CASUALTIES))
    ukraine = next(b for b in chart.bars if b.source == "ukraine")  # "more than 3,000"
    assert ukraine.best is None  # not the midpoint 3,501: a bound states a limit
    nis = next(b for b in chart.bars if b.source == "nis")
    # nis's figure here is derived: its best is the sum of its parts' bests, which
    # no source gave as such (drawn hollow, "sum of the parts' bests").
    assert (nis.best, nis.best_given, nis.derived) == (3000, False, True)


def test_a_derived_best_is_drawn_as_the_sum_it_is_never_as_given() -> None:
    # The parts are plain numbers (no best given): their sum's best is no source's.
    lg = Ledger(MemoryStore())
    lg.append(TopicDefined(topic="q/all", title="All", unit="people", parts=("q/a", "q/b")))
    for claim_id, part, words in (("a", "q/a", "2,960"), ("b", "q/b", "6,125")):
        figure = parse_figure(words, "people")
        lg.append(
            FigureReported(
                claim_id=claim_id,
                topic=part,
                source="ministry",
                figure=figure,
                stated_at=date(2023, 9, 18),
            )
        )
    (bar,) = topic_chart(lg.topic("q/all")).bars
    assert (bar.derived, bar.best, bar.best_given) == (True, 9085, False)
    html, _ = render_report(lg, title="t")
    section = html[html.index('data-topic="q/all"') :]
    section = section[: section.index("</section>")]
    assert "sum of the parts&#x27; bests" in section
    assert "best value given" not in section


def test_a_topic_with_no_consensus_says_so_once(tmp_path: Path) -> None:
    lg = _values(100, 900)  # two voices that do not overlap
    chart = topic_chart(lg.topic("t/span"))
    assert chart.level == "none"
    plot_topic(chart, tmp_path / "c.svg")
    drawn = (tmp_path / "c.svg").read_text(encoding="utf-8")
    assert "no consensus" in drawn
    assert "consensus (none)" not in drawn  # it read "consensus (none) none"


def test_stale_figures_are_marked_and_drawn_apart(tmp_path: Path, derna: Ledger) -> None:
    chart = topic_chart(derna.topic("derna-floods/deaths"))
    stale = [b.source for b in chart.bars if b.stale]
    assert stale == [
        "derna-mayor", "eastern-health-ministry", "eastern-interior-ministry",
        "gnu-emergency-service", "hamad", "lna", "ocha",
    ]  # fmt: skip
    assert not any(b.supporter for b in chart.bars if b.stale)
    assert chart.window == "3d"
    pytest.importorskip("matplotlib")
    from ledger.present.charts import bar_color, draw_topic

    fig, _ = draw_topic(chart)
    ax = fig.axes[0]
    by_gid = {p.get_gid(): p for p in ax.patches if str(p.get_gid()).startswith("bar-")}
    mayor, who = by_gid["bar-derna-mayor"], by_gid["bar-who"]
    assert (mayor.get_hatch(), mayor.get_alpha()) == ("..", 0.45)
    assert (who.get_hatch(), who.get_alpha()) == (None, 0.9)
    assert bar_color(next(b for b in chart.bars if b.stale)) == "#a0aec0"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "stale (older than the window, 3d): left out" in labels
    svg = plot_topic(chart, tmp_path / "d.svg").path.read_text()
    assert "stale: left out" in svg  # beside each stale source's name
    assert "7 stale (window 3d)" in svg


def test_a_split_draws_each_camp_as_its_own_band(tmp_path: Path, derna: Ledger) -> None:
    chart = topic_chart(derna.topic("derna-floods/missing", window=timedelta.max))
    assert chart.consensus is None
    assert chart.level == "split"
    assert chart.consensus_text == "split into 2 camps"
    assert [(c.span, c.estimate, c.supporters) for c in chart.camps] == [
        ((10100.0, 10100.0), 10100.0, ("eastern-relief-committee", "libyan-red-crescent")),
        ((5001.0, 6000.0), 5500.0, ("gnu-emergency-service", "lna")),
    ]
    assert {b.source: b.camp for b in chart.bars} == {
        "eastern-relief-committee": 0, "gnu-emergency-service": 1, "libyan-red-crescent": 0,
        "lna": 1, "ocha": None, "who": None,
    }  # fmt: skip
    pytest.importorskip("matplotlib")
    svg = plot_topic(chart, tmp_path / "m.svg").path.read_text()
    for gid in ("camp-1", "camp-2", "camp-1-estimate", "camp-2-estimate"):
        assert f'id="{gid}"' in svg
    assert 'id="consensus"' not in svg
    assert "camp 1 [10,100, 10,100]" in svg
    assert "camp 2 [5,001, 6,000]" in svg


@pytest.mark.parametrize(
    ("values", "scale"),
    [
        ((40, 4_000), "linear"),  # exactly 100 times: two orders of magnitude, not more
        ((40, 4_001), "log"),
        ((0, 5, 20_000), "log"),  # zero is left out of the ratio, and drawn at the edge
        ((-1, 5, 20_000), "linear"),  # a negative value keeps the axis linear
        ((0, 0), "linear"),
    ],
)
def test_the_axis_is_logarithmic_beyond_two_orders_of_magnitude(
    values: tuple[int, ...], scale: str
) -> None:
    chart = topic_chart(_values(*values).topic("t/span"))
    assert chart.scale == scale
    if scale == "log":
        assert chart.lo > 0
        assert all(t > 0 for t in chart.ticks)
        mantissas = {round(math.log10(t) % 1, 9) for t in chart.ticks}
        assert mantissas <= {0.0, round(math.log10(2), 9), round(math.log10(5), 9)}


def test_a_zero_on_a_log_axis_runs_to_its_left_edge() -> None:
    chart = topic_chart(_values(0, 5, 20_000).topic("t/span"))
    zero = chart.bars[0]
    assert (zero.low, zero.high, zero.text) == (chart.lo, chart.lo, "[0, 0]")
    assert chart.lo < 5
    assert chart.ticks[0] >= chart.lo


def test_log_ticks_are_powers_of_ten() -> None:
    assert log_ticks(30, 200_000) == (100, 1_000, 10_000, 100_000)
    assert log_ticks(3, 700) == (5, 10, 20, 50, 100, 200, 500)
    assert len(log_ticks(1, 1e30)) <= 7


def test_matplotlib_draws_a_log_axis_when_the_figures_span_it(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from ledger.present.charts import draw_topic

    chart = topic_chart(_values(12, 250, 90_000).topic("t/span"))
    fig, _ = draw_topic(chart)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert chart.ticks == (10, 100, 1_000, 10_000, 100_000)
    labels = ["10", "100", "1,000", "10,000", "100,000"]
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    assert "(log scale)" in ax.get_xlabel()
    svg = plot_topic(chart, tmp_path / "l.svg").path.read_text()
    assert "10,000" in svg
    linear, _ = draw_topic(topic_chart(_values(100, 9_000).topic("t/span")))
    assert linear.axes[0].get_xscale() == "linear"


def test_a_long_source_slug_is_labelled_by_its_start_and_end_not_the_plots_width() -> None:
    pytest.importorskip("matplotlib")
    from ledger.present.charts import draw_topic

    long = "a-very-long-organisation-name/with/many/segments/and/then/src-0490"
    lg = Ledger(MemoryStore())
    for i, source in enumerate(("s0", long)):
        figure = Figure(100 + i, 100 + i, unit="people")
        said = {"topic": "t/span", "stated_at": date(2025, 1, 1)}
        lg.append(FigureReported(claim_id=f"c{i}", source=source, figure=figure, **said))
    fig, _ = draw_topic(topic_chart(lg.topic("t/span")))
    names = sorted(t.get_text().split("\n")[0] for t in fig.axes[0].get_yticklabels())
    assert names == [long[:19] + "…" + long[-20:], "s0"]  # 40 characters, "…" between


def test_the_timeline_chart_takes_a_log_axis_too(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from ledger.present.charts import draw_timeline

    lg = _values(12)
    lg.append(
        FigureReported(
            claim_id="late",
            topic="t/span",
            source="s9",
            figure=Figure(50_000, 60_000, unit="people"),
            stated_at=date(2025, 1, 3),
        )
    )
    steps = topic_timeline(lg.records(), "t/span", order="stated")
    fig = draw_timeline(steps, title="Span", unit="people")
    assert fig.axes[0].get_yscale() == "log"
    plot_timeline(steps, tmp_path / "t.png", title="Span", unit="people")


def test_a_source_in_two_camps_of_a_split_is_drawn_in_both() -> None:
    from ledger.present.svg import topic_svg

    lg = Ledger(MemoryStore())
    for source, (low, high) in {"a": (1, 10), "b": (5, 20), "c": (15, 30)}.items():
        lg.append(
            FigureReported(
                claim_id=f"{source}-1",
                topic="t/x",
                source=source,
                figure=Figure(low, high, unit="people"),
                stated_at=date(2025, 1, 1),
            )
        )
    view = lg.topic("t/x")
    assert view.consensus is not None
    assert view.consensus.level == "split"
    bars = {b.source: b for b in topic_chart(view).bars}
    assert (bars["a"].camps, bars["b"].camps, bars["c"].camps) == ((0,), (0, 1), (1,))
    assert bars["b"].camp == 0
    svg = topic_svg(topic_chart(view))
    assert 'data-source="b" data-camp="1 2"' in svg
    assert '<rect class="camp-stripe" data-camp="2"' in svg
    assert "(in camps 1 and 2)" in svg


@pytest.mark.parametrize("scale", ["linear", "log"])
def test_a_figure_label_near_the_right_end_stays_inside_the_chart(scale: str) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ledger.present.charts import draw_topic

    lg = Ledger(MemoryStore())
    top = 471 if scale == "linear" else 47_100
    bottom = 100 if scale == "linear" else 1
    lg.append(_figure("low", "ministry", f"between {bottom} and {top:,}", 3))
    lg.append(
        FigureReported(
            claim_id="high",
            topic="flood/deaths",
            source="regional-health-directorate",
            figure=Figure(top, top, unit="people", phrase=f"{top:,} people, the final toll"),
            stated_at=date(2024, 9, 4),
        )
    )
    chart = topic_chart(lg.topic("flood/deaths"), "Deaths in the flood")
    assert chart.scale == scale
    fig, _ = draw_topic(chart)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    figure_box = fig.bbox
    for text in fig.axes[0].texts:  # the figure labels beside each bar
        box = text.get_window_extent(renderer)
        assert box.x0 >= figure_box.x0 - 0.5, text.get_text()
        assert box.x1 <= figure_box.x1 + 0.5, text.get_text()
