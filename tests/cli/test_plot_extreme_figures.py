"""`ledger plot` and `ledger report` draw valid but extreme figures: subnormal or near 1.8e308."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.conftest import Run

pytest.importorskip("matplotlib")

MAX = sys.float_info.max
#: Each a valid figure (finite ends) that once crashed the chart or wrote NaN into it.
EXTREMES = {
    "subnormal": ("0", "5e-324"),  # a width whose tenth is 0.0: math.log10(0)
    "both-signs": ("-1e308", "1e308"),  # hi - lo is inf
    "largest": ("0", "1.7e308"),  # 6% of room past it is inf
    "whole-range": (f"{-MAX!r}", f"{MAX!r}"),
    "negative-tiny": ("-5e-324", "0"),
}
_NOT_FINITE = re.compile(r"\b(nan|inf)\b")


@pytest.fixture(params=sorted(EXTREMES))
def extreme(request: pytest.FixtureRequest, run: Run, tmp_path: Path) -> Path:
    low, high = EXTREMES[request.param]
    store = tmp_path / "m.db"
    run("add", "figure", store, "--topic", "a/b", "--source", "s", "--unit", "u",
        f"--low={low}", f"--high={high}", "--stated", "2025-01-01")  # fmt: skip
    return store


def test_report_of_extreme_figures_is_written_with_finite_coordinates(
    run: Run, extreme: Path, tmp_path: Path
) -> None:
    out = tmp_path / "m.html"
    result = run("report", extreme, "-o", out)
    assert "1 charts" in result.output
    html = out.read_text()
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    ET.fromstring(svg)  # well-formed
    assert not _NOT_FINITE.search(svg)
    assert svg.count('<text class="tick"') >= 2


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_plot_of_extreme_figures_draws_a_bar(
    run: Run, extreme: Path, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"m.{suffix}"
    result = run("plot", extreme, "a/b", "-o", out)
    assert "1 bar(s)" in result.output
    if suffix == "svg":
        text = out.read_text()
        assert text.count('id="bar-s"') == 1
        assert "Axis limits" not in result.output


def test_plot_timeline_of_extreme_figures(run: Run, extreme: Path, tmp_path: Path) -> None:
    result = run("plot", extreme, "a/b", "--timeline", "-o", tmp_path / "t.svg")
    assert "1 step(s)" in result.output


def test_plot_labels_ticks_near_the_largest_float_briefly(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "m.db"
    run("add", "figure", store, "--topic", "a/b", "--source", "s", "--unit", "u",
        "--low=-1e308", "--high=1e308", "--stated", "2025-01-01")  # fmt: skip
    out = tmp_path / "m.svg"
    run("plot", store, "a/b", "-o", out)
    text = out.read_text()
    assert "5e+307" in text  # not its 308 digits
    assert "50,000,000,000,000,000" not in text


def test_a_log_axis_reaching_the_largest_float_is_drawn(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "m.db"
    for source, low, high in (("s", "1", "1.7e308"), ("t", "0", "5e-324")):
        run("add", "figure", store, "--topic", "a/b", "--source", source, "--unit", "u",
            f"--low={low}", f"--high={high}", "--stated", "2025-01-01")  # fmt: skip
    run("plot", store, "a/b", "-o", tmp_path / "m.png")
    run("plot", store, "a/b", "--timeline", "-o", tmp_path / "t.png")
    out = tmp_path / "m.html"
    run("report", store, "-o", out)
    html = out.read_text()
    assert 'data-scale="log"' in html
    assert not _NOT_FINITE.search(html[html.index("<svg") : html.index("</svg>")])


@pytest.mark.parametrize("first", ["0001-01-01", "0002-01-01", "9997-06-01"])
def test_a_timeline_reaching_the_ends_of_the_calendar_is_drawn(
    run: Run, tmp_path: Path, first: str
) -> None:
    store = tmp_path / "years.db"
    for source, stated in (("a", first), ("b", "2025-01-01")):
        run("add", "figure", store, "--topic", "a/b", "--source", source, "--unit", "u",
            "--low", "1", "--high", "3", "--stated", stated)  # fmt: skip
    result = run("plot", store, "a/b", "-o", tmp_path / "t.png", "--timeline")
    assert "step(s)" in result.output


def test_a_timeline_past_the_last_date_drawn_is_a_clean_error(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "years.db"
    for source, stated in (("a", "9999-12-31"), ("b", "2025-01-01")):
        run("add", "figure", store, "--topic", "a/b", "--source", source, "--unit", "u",
            "--low", "1", "--high", "3", "--stated", stated)  # fmt: skip
    result = run("plot", store, "a/b", "-o", tmp_path / "t.png", "--timeline", code=1)
    assert "a timeline is drawn up to 9998-01-01" in result.output
