"""The benchmark harness runs end to end at 1,000 events (the real runs are `make bench`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("eventsourcing", reason="the benchmark baselines need the `bench` extra")

from benchmarks.report import GOALS, MEASUREMENTS, format_table
from benchmarks.run import Options, measure

RESULTS_MD = Path(__file__).resolve().parents[2] / "benchmarks" / "RESULTS.md"


def _has_tamper() -> bool:
    return importlib.util.find_spec("ledger.tamper") is not None


def test_harness_measures_every_row_at_a_thousand_events(tmp_path: Path) -> None:
    before = RESULTS_MD.read_bytes() if RESULTS_MD.exists() else None
    opts = Options([1_000], tmp_path, topics=200, sources=40, repeat=1, appends=10)

    results = measure(opts)

    for key in MEASUREMENTS:
        if key == "verify_s" and not _has_tamper():
            continue  # Ledger.verify() lives in ledger.tamper
        value = results.get(key, 1_000)
        assert value is not None, key
        assert value > 0, key
    assert results.checks[1_000].startswith("ledger, raw fold and eventsourcing agree")
    assert sum(results.counts[1_000].values()) == 1_000
    for goal in ("replay_vs_raw", "replay_vs_es", "extend_vs_raw", "rss", "open_query"):
        assert results.ratio(goal) is not None, goal
    table = format_table(results)
    assert all(goal.name in table for goal in GOALS.values())
    assert (RESULTS_MD.read_bytes() if RESULTS_MD.exists() else None) == before


def test_generator_is_seeded_valid_and_follows_the_mix() -> None:
    from benchmarks.generate import LedgerGenerator
    from ledger import Ledger

    def run() -> list[str]:
        gen = LedgerGenerator(seed=3, topics=100, sources=20)
        return [e.event_id for e in gen.take(2_000)]

    assert run() == run()
    events = list(LedgerGenerator(seed=3, topics=100, sources=20).take(8_000))
    lg = Ledger.open("memory://")
    for i in range(0, len(events), 1_000):
        lg.extend(events[i : i + 1_000])  # raises if any event breaks a rule
    body = [type(e).__name__ for e in events[-6_000:]]
    share = {kind: body.count(kind) / len(body) for kind in set(body)}
    assert share["FigureReported"] == pytest.approx(0.75, abs=0.02)
    assert share["ClaimMade"] == pytest.approx(0.15, abs=0.02)
    assert share["ClaimDisputed"] == pytest.approx(0.07, abs=0.015)
    assert share["ClaimRetracted"] == pytest.approx(0.03, abs=0.015)


def test_the_append_probe_times_each_part_of_a_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import phases

    assert phases.main(["--size", "2000", "--data", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("2,000: Ledger.extend ")
    for part in ("raw executemany", "ratio", "validate", "encode", "write", "fold"):
        assert part in lines[-1], part
    assert list(tmp_path.iterdir()) == []  # the build is removed


def test_the_replay_probe_times_each_stage_and_the_grow_probe_outgrows_the_snapshot(
    tmp_path: Path,
) -> None:
    from benchmarks.generate import LedgerGenerator
    from benchmarks.grow import grow
    from benchmarks.stages import stages
    from ledger import Ledger

    path = tmp_path / "ledger.db"
    with Ledger.open(str(path), snapshot_every=1_000) as lg:
        lg.extend(list(LedgerGenerator().take(2_000)))
    costs = stages(path, repeat=1)
    assert set(costs) == {"read", "decode", "fold", "render"}
    assert all(us > 0 for us in costs.values())
    assert grow(path, 500) == 2_500
    with Ledger.open(str(path)) as lg:
        assert lg._snapshot is not None
        assert lg._snapshot.position == 2_000  # the grown records are not in it
