"""The Kursk seed: rebuilt byte for byte, and it shows the finding the article holds."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import ledger

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
AUTHORING = SEEDS / "kursk-north-korean-pows.events.jsonl"
WIRE = SEEDS / "kursk-north-korean-pows.jsonl"


def load_build():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("seed_build", SEEDS / "build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_seed_ledger_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    build = load_build()
    target = tmp_path / WIRE.name
    build.build(AUTHORING, target)
    assert target.read_bytes() == WIRE.read_bytes()


@pytest.fixture(scope="module")
def seed() -> ledger.Ledger:
    # Read-only: the repository's seed gets no read model beside it.
    return ledger.Ledger.open(str(WIRE), read_only=True)


def test_the_killed_or_wounded_topic_shows_the_article_finding(seed: ledger.Ledger) -> None:
    view = seed.topic("kursk/nk-troops/casualties")
    assert view.range == ledger.Interval(200, 4001)
    consensus = view.consensus
    assert consensus is not None
    assert consensus.interval == ledger.Interval(3001, 3100)
    assert consensus.level == "majority"
    assert consensus.supporters == ("nis", "ukraine")
    assert consensus.dissenters == ("us-official",)
    # "More than 3,000" is a bound and gives no best: NIS's 3,000, clamped, counted whole.
    assert consensus.estimate == 3001
    assert type(consensus.estimate) is int
    nis = view.figure_of("nis")
    assert nis is not None
    assert nis.derived
    assert nis.figure.low == 200 + 2700
    assert nis.figure.high == 400 + 2700


def test_killed_or_wounded_is_the_sum_of_killed_and_wounded(seed: ledger.Ledger) -> None:
    definition = seed.definition("kursk/nk-troops/casualties")
    assert definition is not None
    assert definition.parts == ("kursk/nk-troops/killed", "kursk/nk-troops/wounded")


def test_the_seed_keeps_the_words_and_the_rules(seed: ledger.Ledger) -> None:
    ukraine = seed.topic("kursk/nk-troops/casualties").figure_of("ukraine")
    assert ukraine is not None
    assert ukraine.figure.phrase == "more than 3,000"
    assert ukraine.figure.rule == "wikimpacts-2024:over"
    killed = seed.topic("kursk/nk-troops/killed").figure_of("nis")
    assert killed is not None
    assert (killed.figure.phrase, killed.figure.best) == ("about 300", 300)
    claim = seed.claim("nis-killed")
    assert claim is not None
    assert claim.via == ("lee-seong-kwon",)


def test_the_wish_to_stay_is_contested_by_what_the_article_says(seed: ledger.Ledger) -> None:
    (prop,) = [p for p in seed.propositions() if p.proposition == "a-pow-wants-to-stay-in-ukraine"]
    assert prop.status == "contested"
    assert prop.affirmed_by == ("zelensky",)
    assert prop.denied_by == ("news-report", "nk-pow-b")


def test_no_denial_is_invented_for_russia_or_north_korea(seed: ledger.Ledger) -> None:
    sources = {r.event.source for r in seed.records() if hasattr(r.event, "source")}
    assert not {"russia", "north-korea"} & sources
    (presence,) = [p for p in seed.propositions() if p.proposition == "nk-troops-fight-for-russia"]
    assert presence.status == "agreed"
    assert presence.denied_by == ()


def test_every_source_of_the_seed_is_described(seed: ledger.Ledger) -> None:
    named = set()
    for record in seed.records():
        event = record.event
        named.update(getattr(event, "via", ()))
        if not isinstance(event, ledger.SourceDescribed | ledger.TopicDefined):
            named.add(event.source)
    assert all(seed.source(s) is not None for s in named)
