"""Projection snapshots beside file ledgers: taken every K records, used only when they match."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import ledger
from ledger import Figure, FigureReported, Ledger
from ledger.merkle import CompactRange


def figure(n: int, topic: str = "t/a") -> FigureReported:
    return FigureReported(
        claim_id=f"c{n}",
        topic=topic,
        source=f"s{n % 7}",
        figure=Figure(n, n + 10, unit="people"),
        stated_at=date(2025, 1, 1 + n % 28),
    )


def meta(path: Path) -> dict[str, str]:
    """The meta row of the snapshot beside a log."""
    with sqlite3.connect(f"{path}.snapshot") as conn:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())


@pytest.fixture(params=[".db", ".jsonl"])
def path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return tmp_path / f"log{request.param}"


def test_a_snapshot_is_taken_every_k_records_with_its_position_and_edge(path: Path) -> None:
    with Ledger.open(str(path), snapshot_every=5) as lg:
        lg.extend([figure(n) for n in range(4)])
        assert not Path(f"{path}.snapshot").exists()
        lg.extend([figure(n) for n in range(4, 6)])
        lg._snapshot.wait()  # written by a thread of its own
        saved = meta(path)
        assert saved["position"] == "6"
        edge = CompactRange(6, [bytes.fromhex(h) for h in saved["edge"].split(",")])
        assert edge.root() == lg.checkpoint().root
        assert saved["root"] == lg.checkpoint().root.hex()


def test_closing_saves_what_was_added_since_the_last_snapshot(path: Path) -> None:
    with Ledger.open(str(path), snapshot_every=4) as lg:
        lg.extend([figure(n) for n in range(5)])
        lg.extend([figure(n) for n in range(5, 7)])
        lg._snapshot.wait()
        assert meta(path)["position"] == "5"
    assert meta(path)["position"] == "7"


def test_a_log_smaller_than_k_gets_no_snapshot_file(path: Path) -> None:
    with Ledger.open(str(path), snapshot_every=100) as lg:
        lg.extend([figure(n) for n in range(3)])
    assert not Path(f"{path}.snapshot").exists()


def test_no_snapshot_is_kept_when_disabled_or_in_memory(path: Path) -> None:
    with Ledger.open(str(path), snapshot_every=None) as lg:
        lg.extend([figure(n) for n in range(3)])
    assert not Path(f"{path}.snapshot").exists()
    with Ledger.open("memory://", snapshot_every=1) as lg:
        lg.append(figure(1))
        assert lg.store.snapshot_path is None


def test_an_opened_ledger_folds_only_the_topics_it_is_asked_about(path: Path) -> None:
    with Ledger.open(str(path), snapshot_every=1) as lg:
        lg.extend([figure(n, topic=f"t/{n % 5}") for n in range(50)])
        expected = lg.topic("t/3")
    with Ledger.open(str(path), snapshot_every=1) as lg:
        assert lg._state._parts == {}  # nothing folded yet but definitions
        assert lg.topic("t/3") == expected
        assert set(lg._state._parts) == {"t/3"}
        assert [t.topic for t in lg.topics()] == [f"t/{n}" for n in range(5)]


def test_a_snapshot_of_another_ledger_is_set_aside(tmp_path: Path) -> None:
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    with Ledger.open(str(one), snapshot_every=1) as lg:
        lg.extend([figure(n) for n in range(5)])
    with Ledger.open(str(two), snapshot_every=1) as lg:
        lg.extend([figure(n, topic="t/b") for n in range(5)])
    Path(f"{two}.snapshot").replace(f"{one}.snapshot")
    with Ledger.open(str(one), snapshot_every=1) as lg:
        assert [t.topic for t in lg.topics()] == ["t/a"]
    assert meta(one)["position"] == "5"


def test_a_rewritten_log_does_not_trust_the_old_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with Ledger.open(str(path), snapshot_every=1) as lg:
        lg.extend([figure(n) for n in range(3)])
    path.unlink()
    with Ledger.open(str(path), snapshot_every=None) as lg:
        lg.extend([figure(n, topic="t/other") for n in range(3)])
    with Ledger.open(str(path), snapshot_every=1) as lg:
        assert [t.topic for t in lg.topics()] == ["t/other"]


def test_a_bad_snapshot_setting_is_refused(path: Path) -> None:
    with pytest.raises(ledger.InvalidEvent, match="snapshot_every"):
        Ledger.open(str(path), snapshot_every="often")  # type: ignore[arg-type]


def test_a_long_replay_writes_the_index_as_it_goes_and_still_matches(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledger.facade.ledger

    events = [figure(n, topic=f"t/{n % 4}") for n in range(40)]
    with Ledger.open(str(path), snapshot_every=None) as lg:
        lg.extend(events)
        expected = lg.topics()
    monkeypatch.setattr(ledger.facade.ledger, "_FLUSH_ROWS", 3)
    with Ledger.open(str(path), snapshot_every=10) as lg:
        assert lg._state.tracked is not None
        assert len(lg._state.tracked) < 10
        assert lg.topics() == expected
    with Ledger.open(str(path), snapshot_every=10) as lg:
        assert lg._state._parts == {}
        assert lg.topics() == expected


def _loaded_from_snapshot(path: Path) -> bool:
    """Whether a fresh open used the snapshot (folding nothing yet) or replayed the log."""
    with Ledger.open(str(path), snapshot_every=1) as lg:
        return lg._state._parts == {}


@pytest.mark.parametrize(
    "damage",
    [
        # A snapshot written by the first format (topics as text) is not read.
        "UPDATE meta SET value = 'claims-ledger-snapshot/1' WHERE key = 'format'",
        # The root it says it covers is not its edge's.
        "UPDATE meta SET value = 'beef' || value WHERE key = 'root'",
        # An index row moved to a topic number the file does not hold.
        "UPDATE topic_events SET topic = 999 WHERE position = 3",
        # Or to text, which the integer column keeps as it is.
        "UPDATE topic_events SET topic = 't/a' WHERE position = 3",
        # A topic number given twice over (the numbering has a gap).
        "UPDATE topics SET id = 50 WHERE id = (SELECT max(id) FROM topics)",
    ],
)
def test_a_snapshot_with_damaged_topic_numbers_is_set_aside_and_rebuilt(
    tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "log.db"
    with Ledger.open(str(path), snapshot_every=1) as lg:
        lg.extend([figure(n, topic=f"t/{n % 3}") for n in range(6)])
        expected = lg.topics()
    assert _loaded_from_snapshot(path)
    with sqlite3.connect(f"{path}.snapshot") as conn:
        conn.execute(damage)
    assert not _loaded_from_snapshot(path)
    # Rebuilt by that open, and trusted again by the next one.
    assert _loaded_from_snapshot(path)
    with Ledger.open(str(path), snapshot_every=1) as lg:
        assert lg.topics() == expected


def test_a_claim_whose_topic_number_is_gone_is_found_by_a_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with Ledger.open(str(path), snapshot_every=1) as lg:
        lg.extend([figure(n, topic=f"t/{n % 3}") for n in range(6)])
    with sqlite3.connect(f"{path}.snapshot") as conn:
        conn.execute("UPDATE claims SET topic = 999 WHERE claim_id = 'c4'")
    with Ledger.open(str(path), snapshot_every=1) as lg:
        # The lookup meets the damage, the ledger replays, and the claim is there.
        found = lg.claim("c4")
        assert found is not None
        assert (found.claim_id, found.topic) == ("c4", "t/1")
        assert lg._state._parts != {}


@pytest.mark.parametrize("error", ["disk I/O error", "database is locked"])
def test_a_save_that_fails_in_its_thread_leaves_its_rows_to_the_next_one(
    path: Path, monkeypatch: pytest.MonkeyPatch, error: str
) -> None:
    import ledger.facade.snapshot

    insert = ledger.facade.snapshot._insert
    failures = [sqlite3.OperationalError(error)]

    def failing(*args: Any) -> tuple[int, int]:
        if failures:
            raise failures.pop()
        return insert(*args)

    with Ledger.open(str(path), snapshot_every=5) as lg:
        lg.extend([figure(n) for n in range(5)])
        lg._snapshot.wait()
        monkeypatch.setattr(ledger.facade.snapshot, "_insert", failing)
        lg.extend([figure(n) for n in range(5, 10)])  # this save fails in its thread
        assert lg._snapshot is not None
        lg._snapshot.wait()
        # The failed transaction was rolled back: the file keeps the last snapshot.
        assert meta(path)["position"] == "5"
        assert lg._snapshot.position == 5
        assert lg._state.tracked is not None
        assert {p for _, p in lg._state.tracked} >= set(range(6, 11))
        lg.extend([figure(n) for n in range(10, 12)])
        expected = lg.topics()
    assert meta(path)["position"] == "12"
    with Ledger.open(str(path), snapshot_every=5) as lg:
        assert lg._state._parts == {}  # the snapshot was trusted
        assert lg.topics() == expected


def test_asked_for_every_topic_a_cold_open_reads_the_log_once_in_order(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledger.facade.snapshot

    events = [figure(n, topic=f"t/{n % 6}") for n in range(30)]
    with Ledger.open(str(path), snapshot_every=10) as lg:
        lg.extend(events)
        expected = (lg.topics(), lg.propositions(), lg.disputes())

    def one_by_one(self: object, topic: str) -> None:
        raise AssertionError(f"{topic} looked up on its own")

    monkeypatch.setattr(ledger.facade.snapshot.SnapshotFile, "topic_events", one_by_one)
    with Ledger.open(str(path), snapshot_every=10) as lg:
        assert lg._state._parts == {}
        assert lg.topics() == expected[0]
        assert (lg.propositions(), lg.disputes()) == expected[1:]


def test_asked_for_every_topic_when_most_are_folded_the_rest_are_looked_up(path: Path) -> None:
    with Ledger.open(str(path), snapshot_every=10) as lg:
        lg.extend([figure(n, topic=f"t/{n % 6}") for n in range(30)])
        expected = lg.topics()
    with Ledger.open(str(path), snapshot_every=10) as lg:
        for topic in ("t/0", "t/1", "t/2", "t/3"):
            lg.topic(topic)
        read: list[int] = []
        events = lg._state._backing.events  # type: ignore[union-attr]
        lg._state._backing.events = lambda upto: read.append(upto) or events(upto)  # type: ignore[union-attr]
        assert lg.topics() == expected
        assert read == []  # two topics of six left: looked up, no pass over the log


def test_a_pass_that_meets_a_corrupt_record_leaves_the_state_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with Ledger.open(str(path), snapshot_every=10) as lg:
        lg.extend([figure(n, topic=f"t/{n % 6}") for n in range(30)])
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET data = '{}' WHERE position = 20")
    with Ledger.open(str(path), snapshot_every=10) as lg:
        before = dict(lg._state.known)
        with pytest.raises(ledger.CorruptLog) as caught:
            lg.topics()
        assert caught.value.position == 20
        assert lg._state.known == before
        assert lg._state._parts == {}


def test_a_save_is_written_in_place_when_no_thread_can_be_started(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    def refused(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refused)
    with Ledger.open(str(path), snapshot_every=5) as lg:
        lg.extend([figure(n) for n in range(6)])
        assert meta(path)["position"] == "6"  # written before extend returned
        lg.extend([figure(n) for n in range(6, 8)])
    assert meta(path)["position"] == "8"
