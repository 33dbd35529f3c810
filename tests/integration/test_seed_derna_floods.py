"""The Derna floods seed: what a three-day window changes in the consensus, as computed by hand.

The expected values are the hand computation in seeds/README.md (section
derna-floods), worked from docs/design.md §4, not read off the code.
"""

from __future__ import annotations

import re
import runpy
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

import ledger
from ledger.tamper import Checkpoint, verify_url

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
AUTHORING = SEEDS / "derna-floods.events.jsonl"
WIRE = SEEDS / "derna-floods.jsonl"
DEATHS = "derna-floods/deaths"
MISSING = "derna-floods/missing"
WINDOW = timedelta(days=3)
NO_WINDOW = timedelta.max


def end_of(day: date) -> datetime:
    """The last instant of a day, UTC: statements dated that day are in."""
    return datetime.combine(day, time.max, tzinfo=UTC)


@pytest.fixture(scope="module")
def seed() -> ledger.Ledger:
    lg = ledger.Ledger.open("memory://")
    lg.import_events(AUTHORING)
    return lg


def published() -> Checkpoint:
    """The note in the fenced text block under the derna-floods section's Checkpoint heading."""
    text = (SEEDS / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## derna-floods\n") :]
    found = re.search(r"^### Checkpoint\n.*?^```text\n(.*?)^```$", section, flags=re.S | re.M)
    assert found is not None, "the derna-floods section has no ```text block under ### Checkpoint"
    return Checkpoint.from_note(found.group(1))


def test_the_seed_ledger_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    build = runpy.run_path(str(SEEDS / "build.py"))["build"]
    target = tmp_path / WIRE.name
    build(AUTHORING, target)
    assert target.read_bytes() == WIRE.read_bytes()


def test_the_seed_ledger_verifies_against_the_published_checkpoint() -> None:
    checkpoint = published()
    assert checkpoint.origin == "claims-ledger/derna-floods/50741b040e86"
    report = verify_url(str(WIRE), checkpoint)
    assert report.ok, report.summary()
    with ledger.Ledger.open(str(WIRE)) as lg:
        assert lg.checkpoint() == checkpoint


def test_both_counts_carry_a_three_day_window(seed: ledger.Ledger) -> None:
    for topic in (DEATHS, MISSING):
        definition = seed.definition(topic)
        assert definition is not None
        assert definition.window == WINDOW
        assert seed.topic(topic).window == WINDOW


def test_with_its_window_the_death_toll_has_no_consensus_on_the_last_day(
    seed: ledger.Ledger,
) -> None:
    view = seed.topic(DEATHS)
    assert view.latest == datetime(2023, 9, 23, tzinfo=UTC)
    stale = {f.source for f in view.figures if f.stale}
    assert stale == {
        "derna-mayor",
        "eastern-health-ministry",
        "eastern-interior-ministry",
        "gnu-emergency-service",
        "hamad",
        "lna",
        "ocha",
    }
    assert view.range == ledger.Interval(3845, 4014)
    consensus = view.consensus
    assert consensus is not None
    assert consensus.level == "none"
    assert consensus.interval is None
    assert consensus.supporters == ()
    assert consensus.dissenters == ("eastern-relief-committee", "who")
    assert consensus.estimate is None
    assert consensus.camps == ()


def test_without_a_window_the_first_two_days_still_make_a_majority(seed: ledger.Ledger) -> None:
    view = seed.topic(DEATHS, window=NO_WINDOW)
    assert not any(f.stale for f in view.figures)
    assert view.range == ledger.Interval(2001, 20000)
    consensus = view.consensus
    assert consensus is not None
    assert consensus.level == "majority"
    assert consensus.interval == ledger.Interval(2301, 2401)
    assert consensus.supporters == ("gnu-emergency-service", "hamad", "lna")
    assert consensus.dissenters == (
        "derna-mayor",
        "eastern-health-ministry",
        "eastern-interior-ministry",
        "eastern-relief-committee",
        "ocha",
        "who",
    )
    # Every supporter gives "more than N": bounds, so no best and no estimate.
    assert consensus.estimate is None


def test_on_16_september_the_window_keeps_the_red_crescent_and_ocha_at_11300(
    seed: ledger.Ledger,
) -> None:
    view = seed.as_of(stated=end_of(date(2023, 9, 16))).topic(DEATHS)
    assert view.latest == datetime(2023, 9, 16, tzinfo=UTC)
    assert view.range == ledger.Interval(3252, 20000)
    consensus = view.consensus
    assert consensus is not None
    assert consensus.level == "majority"
    assert consensus.interval == ledger.Interval(11300, 11300)
    assert consensus.supporters == ("libyan-red-crescent", "ocha")
    assert consensus.dissenters == ("derna-mayor", "eastern-health-ministry", "who")
    assert consensus.estimate == 11300
    assert isinstance(consensus.estimate, int)


def test_on_16_september_without_a_window_the_early_figures_make_a_plurality(
    seed: ledger.Ledger,
) -> None:
    view = seed.as_of(stated=end_of(date(2023, 9, 16))).topic(DEATHS, window=NO_WINDOW)
    consensus = view.consensus
    assert consensus is not None
    assert consensus.level == "plurality"
    assert consensus.interval == ledger.Interval(2301, 2401)
    assert consensus.supporters == ("gnu-emergency-service", "hamad", "lna")
    assert consensus.estimate is None


def test_on_22_september_the_window_leaves_the_who_alone(seed: ledger.Ledger) -> None:
    view = seed.as_of(stated=end_of(date(2023, 9, 22))).topic(DEATHS)
    consensus = view.consensus
    assert consensus is not None
    assert consensus.level == "single"
    assert consensus.interval == ledger.Interval(4014, 4014)
    assert consensus.supporters == ("who",)
    assert consensus.estimate == 4014


def test_the_missing_split_into_two_camps_without_a_window(seed: ledger.Ledger) -> None:
    windowed = seed.topic(MISSING).consensus
    assert windowed is not None
    assert windowed.level == "none"
    assert windowed.dissenters == ("eastern-relief-committee", "who")
    consensus = seed.topic(MISSING, window=NO_WINDOW).consensus
    assert consensus is not None
    assert consensus.level == "split"
    assert consensus.interval is None
    assert consensus.supporters == ()
    assert consensus.estimate is None
    assert consensus.camps == (
        ledger.Camp(
            ledger.Interval(10100, 10100),
            ("eastern-relief-committee", "libyan-red-crescent"),
            10100,
        ),
        ledger.Camp(ledger.Interval(5001, 6000), ("gnu-emergency-service", "lna"), 5500),
    )


def test_the_red_crescent_withdrew_its_11300_and_disputed_ochas(seed: ledger.Ledger) -> None:
    assert seed.topic(DEATHS).figure_of("libyan-red-crescent") is None
    entries = seed.history(DEATHS, source="libyan-red-crescent")
    assert [(e.claim_id, e.retracted) for e in entries] == [("lrc-deaths-0914", True)]
    (dispute,) = seed.disputes()
    assert (dispute.target, dispute.source) == ("ocha-deaths-0916", "libyan-red-crescent")
    # OCHA's own revision to 3,958 replaced the figure the dispute bears on.
    assert not dispute.active
    ocha = seed.topic(DEATHS).figure_of("ocha")
    assert ocha is not None
    assert (ocha.figure.low, ocha.reference_time) == (3958, datetime(2023, 9, 16, tzinfo=UTC))


def test_four_voices_speak_through_ten_sources(seed: ledger.Ledger) -> None:
    described = [r.event for r in seed.records() if isinstance(r.event, ledger.SourceDescribed)]
    assert len(described) == 10
    assert {d.affiliation for d in described} == {
        "eastern-libya",
        "gnu",
        "red-cross-red-crescent",
        "united-nations",
    }


def test_every_figure_names_its_page_and_its_words(seed: ledger.Ledger) -> None:
    figures = [r.event for r in seed.records() if isinstance(r.event, ledger.FigureReported)]
    assert len(figures) == 21
    for event in figures:
        assert event.url is not None
        assert event.url.startswith("https://")
        assert event.quote
        assert event.figure.phrase
    stated = sorted(e.stated_at for e in figures)
    assert stated[-1] - stated[0] >= timedelta(days=7)
