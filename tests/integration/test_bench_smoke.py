"""The benchmark harness runs end to end at 1,000 events (the real runs are `make bench`)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("eventsourcing", reason="the benchmark baselines need the `bench` extra")

from benchmarks.report import GOALS, READS, Results, format_profile
from benchmarks.run import Options, measure

ROOT = Path(__file__).resolve().parents[2]
RESULTS_MD = ROOT / "benchmarks" / "RESULTS.md"
SQLITE_READS = ("open_all", "open_one", "replay", "replay_default", "rebuild", "raw_fold")
SQLITE_ROWS = ("extend_eps", "extend_cpu_eps", "tuned_extend_eps", "raw_many_eps", "es_store_eps")
SQLITE_ROWS += ("append_ms", "raw_one_ms", "one_more_ms", "verify_s", "import_s")


def _has_tamper() -> bool:
    return importlib.util.find_spec("ledger.tamper") is not None


def _measured(results: Results, keys: tuple[str, ...], reads: tuple[str, ...]) -> None:
    for key in keys:
        if key == "verify_s" and not _has_tamper():
            continue  # Ledger.verify() lives in ledger.tamper
        value = results.get(key, 1_000)
        assert value is not None, key
        assert value > 0, key
    for read in reads:
        for suffix in ("_s", "_cpu_s", "_rss_mib"):
            value = results.get(read + suffix, 1_000)
            assert value is not None, read + suffix
            assert value > 0, read + suffix


def test_harness_measures_every_sqlite_row_at_a_thousand_events(tmp_path: Path) -> None:
    before = RESULTS_MD.read_bytes() if RESULTS_MD.exists() else None
    opts = Options(
        [1_000],
        tmp_path,
        profiles=("revision-heavy",),
        topics=200,
        sources=40,
        repeat=1,
        appends=10,
        follows=0,
        postgres=False,
    )

    everything = measure(opts)

    assert [r.profile for r in everything] == ["revision-heavy"]
    for results in everything:
        _measured(results, SQLITE_ROWS, (*SQLITE_READS, "es_rebuild"))
        assert results.checks[1_000].startswith("the raw fold and "), results.checks
        assert "agree on all" in results.checks[1_000]
        assert sum(results.counts[1_000].values()) == 1_000
        shape = results.shape[1_000]
        assert (
            shape["pairs"] <= shape["figures_reported"] == results.counts[1_000]["FigureReported"]
        )
        assert shape["current"] <= shape["figures"]
        assert results.ratio("all_vs_raw") is not None
        table = format_profile(results)
        assert all(goal.name in table for goal in GOALS if results.profile in goal.targets)
    assert (RESULTS_MD.read_bytes() if RESULTS_MD.exists() else None) == before
    assert not list(tmp_path.glob("rebuild-*.db")), "the rebuild's copies are removed"


def test_harness_measures_postgres_and_an_older_tree_beside_sqlite_on_the_default_profile(
    tmp_path: Path, postgres_server: Any
) -> None:
    from benchmarks.pg import BenchServer

    # Today's tree stands in for the older one: the rows and plumbing are what is tested.
    opts = Options(
        [1_000],
        tmp_path,
        topics=200,
        sources=40,
        repeat=1,
        appends=5,
        follows=5,
        server=BenchServer(postgres_server),
        before=ROOT,
        before_label="HEAD",
    )

    (results,) = measure(opts)

    assert results.profile == "default"
    _measured(results, SQLITE_ROWS, SQLITE_READS)
    pg_rows = ("pg_extend_eps", "pg_append_ms", "pg_one_more_ms", "pg_import_s")
    pg_rows += ("before_extend_eps", "before_pg_extend_eps", "follow_p50_ms", "follow_p95_ms")
    reads = tuple(k for k in READS if k.startswith(("pg_", "before_")))
    _measured(results, pg_rows, reads)
    assert results.checks[1_000].startswith("the raw fold and "), results.checks
    ratios = ("pg_all_vs_raw", "extend_vs_before", "pg_extend_vs_before", "replay_vs_before")
    for ratio in (*ratios, "tuned_extend_vs_before"):
        assert results.ratio(ratio) is not None, ratio


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


def test_the_default_profile_is_the_stream_of_every_earlier_round() -> None:
    from benchmarks.generate import LedgerGenerator

    digest = hashlib.sha256()
    for event in LedgerGenerator(seed=8).take(20_000):
        digest.update(event.event_id.encode())
    # The event_ids of the first 20,000 events before profiles existed (seed 8):
    # any change in what the generator draws, or in what order, changes them.
    assert digest.hexdigest() == "de439a2606d786db707707039c645ce6e7791e9e88a20394406c64b30c82be35"


def test_the_revision_heavy_profile_makes_every_source_revise_on_every_topic() -> None:
    from benchmarks.generate import LedgerGenerator
    from ledger import FigureReported, Ledger

    gen = LedgerGenerator(profile="revision-heavy")
    events = list(gen.take(40_000))
    assert len(gen.topics) == 1_000
    pairs: dict[tuple[str, str], int] = {}
    for event in events:
        if isinstance(event, FigureReported):
            key = (event.topic, event.source)
            pairs[key] = pairs.get(key, 0) + 1
    assert len({source for _, source in pairs}) == 50
    assert sum(pairs.values()) / len(pairs) > 1.2  # ~15 at a million events
    lg = Ledger.open("memory://")
    for i in range(0, len(events), 1_000):
        lg.extend(events[i : i + 1_000])  # raises if any event breaks a rule


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


def test_single_appends_to_ledgers_of_two_sizes_are_interleaved_one_by_one(
    tmp_path: Path,
) -> None:
    import itertools
    import pickle

    from benchmarks.appends import Appender, interleaved
    from benchmarks.baselines import RawStore
    from benchmarks.generate import LedgerGenerator
    from ledger import Ledger

    appenders = []
    ledgers = {}
    for size in (300, 1_000):
        gen = LedgerGenerator(seed=8, profile="revision-heavy", topics=20, sources=5)
        ledgers[size] = tmp_path / f"ledger-{size}.db"
        with Ledger.open(str(ledgers[size])) as lg:
            lg.extend(list(gen.take(size)))
        tail = tmp_path / f"tail-{size}.pickle"
        later = itertools.islice(gen.body(), 5)
        tail.write_bytes(pickle.dumps([(e, gen.topic_of(e)) for e in later]))
        RawStore(tmp_path / f"raw-{size}.db").close()
        appenders.append(
            Appender(
                str(ledgers[size]),
                tail,
                count=4,
                log=tmp_path / f"appends-{size}.log",
                raw=tmp_path / f"raw-{size}.db",
            )
        )
    try:
        spent = interleaved(appenders, 4)
        for appender in appenders:
            assert appender.close() == {"closed": True}
    finally:
        for appender in appenders:
            appender.kill()

    assert [sorted(s) for s in spent] == [["append", "raw", "view"]] * 2
    assert all(len(ms) == 4 and min(ms) > 0 for s in spent for ms in s.values())
    for size, path in ledgers.items():
        with Ledger.open(str(path), read_only=True) as lg:
            assert lg.head == size + 4  # each appended its own four, no more
            assert lg.verify().ok


def test_the_appenders_read_each_file_and_its_write_ahead_log_through_once(
    tmp_path: Path,
) -> None:
    from benchmarks.appends import cached

    built = tmp_path / "ledger.db"
    built.write_bytes(b"x" * 3_000_001)  # more than one read's buffer
    Path(f"{built}-wal").write_bytes(b"w" * 10)
    (tmp_path / "raw.db").write_bytes(b"r" * 7)  # a file without a write-ahead log

    assert cached([built, tmp_path / "raw.db", tmp_path / "gone.db"]) == 3_000_018


def test_the_postgresql_append_probe_times_a_build_and_the_tree_s_trigger(
    postgres_server: Any,
) -> None:
    from benchmarks.pg import BenchServer
    from benchmarks.pg_phases import build

    found = build(BenchServer(postgres_server), 2_000, "default")
    assert found["events"] == 2_000
    assert found["wall"] > 0
    assert found["cpu"] > 0
    calls, seconds = found["functions"]["ledger_grow_tree"]
    assert calls == 2  # one statement, and one run of the trigger, per batch
    assert 0 < seconds < found["wall"]


def test_the_stage_probes_time_each_stage_and_the_grow_probe_outgrows_the_read_model(
    tmp_path: Path,
) -> None:
    from benchmarks.generate import LedgerGenerator
    from benchmarks.grow import grow
    from benchmarks.stages import read_model_stages, stages
    from ledger import Ledger
    from ledger.stores import open_store

    path = tmp_path / "ledger.db"
    with Ledger.open(str(path)) as lg:
        lg.extend(list(LedgerGenerator().take(2_000)))
    costs = stages(path, repeat=1)
    assert set(costs) == {"read", "decode", "fold", "render"}
    assert all(us > 0 for us in costs.values())
    found = read_model_stages(str(path), repeat=1)
    for stage in ("open", "sql", "decode rows", "of which figure rows", "render every view"):
        assert found[stage] >= 0, stage
    assert found["of which consensus"] > 0
    assert found["topics"] > 0

    assert grow(path, 500) == 2_500
    with open_store(str(path)) as store:
        model = store.model("ledger")
        assert model is not None
        behind = model.checkpoint()
        assert behind is not None
        assert behind.position == 2_000  # the grown records are not in it
    with Ledger.open(str(path)) as lg:
        assert lg.topics() == lg.as_of().topics()
        model = lg.store.model("ledger")
        assert model is not None
        checkpoint = model.checkpoint()
        assert checkpoint is not None
        assert checkpoint.position == 2_500  # caught up by the open or the first query


def test_the_topics_command_probe_times_each_stage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import topics_cmd
    from benchmarks.generate import LedgerGenerator
    from ledger import Ledger

    path = str(tmp_path / "small.db")
    with Ledger.open(path) as lg:
        lg.extend(LedgerGenerator().take(1_000))
    assert topics_cmd.main([path]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["topics"] > 0
    assert found["disputed"] > 0
    assert set(found["seconds"]) == {
        "import",
        "open and every TopicView",
        "active disputes of every topic",
        "the tables (views again, from memory)",
        "printing at 80 columns",
    }
