"""Reading commands: tables for people, --json for programs, --as-of for the past."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import CASUALTIES, Run, run_json

READERS = ["topics", "show", "propositions", "timeline", "log"]


def _args(command: str, store: Path) -> list[str]:
    return [command, str(store), *([CASUALTIES] if command in ("show", "timeline") else [])]


def test_topics_prints_one_row_a_topic(run: Run, seed_db: Path) -> None:
    out = run("topics", seed_db).stdout
    header = next(line for line in out.splitlines() if "Topic" in line)
    for column in ("Unit", "Sources", "Range", "Consensus", "Level", "Estimate", "Disputes"):
        assert column in header
    row = next(line for line in out.splitlines() if CASUALTIES in line)
    assert row.split() == [
        CASUALTIES, "soldiers", "3", "[200,", "4,001]", "[3,001,", "3,100]", "majority", "3,001",
        "-",
    ]  # fmt: skip


def test_topics_json_has_the_documented_schema(run: Run, seed_db: Path) -> None:
    doc = run_json(run, "topics", seed_db)
    assert doc["as_of"] is None
    assert doc["position"] == 36
    topics = {t["topic"]: t for t in doc["topics"]}
    assert len(topics) == 10
    casualties = topics[CASUALTIES]
    assert set(casualties) == {
        "topic", "title", "unit", "parts", "figures", "range", "consensus", "disputes",
    }  # fmt: skip
    assert casualties["range"] == {
        "low": 200, "high": 4001, "low_open": False, "high_open": False, "text": "[200, 4,001]",
    }  # fmt: skip
    consensus = casualties["consensus"]
    assert consensus["level"] == "majority"
    assert consensus["supporters"] == ["nis", "ukraine"]
    assert consensus["dissenters"] == ["us-official"]
    assert consensus["estimate"] == 3001  # "more than 3,000" is a bound: no best of its own
    assert isinstance(consensus["estimate"], int)  # numbers stay numbers
    by_source = {f["source"]: f for f in casualties["figures"]}
    nis = by_source["nis"]
    assert nis["derived"] is True
    assert nis["claim_id"] is None
    assert nis["phrase"] is None
    ukraine = by_source["ukraine"]
    assert ukraine["phrase"] == "more than 3,000"
    assert ukraine["rule"] == "wikimpacts-2024:over"
    assert (ukraine["low"], ukraine["high"], ukraine["best"]) == (3001, 4001, None)
    assert ukraine["effective_best"] == 3501
    assert ukraine["stated_at"] == "2025-01-13T00:00:00Z"
    assert ukraine["via"] == []
    assert ukraine["disputed_by"] == []
    killed = topics["kursk/nk-troops/killed"]["figures"][0]
    assert killed["via"] == ["lee-seong-kwon"]
    assert topics["kursk/nk-pows/exchange"]["consensus"] is None
    assert topics["kursk/nk-pows/statements"]["disputes"] == 2


def test_show_prints_words_sources_and_the_finding(run: Run, seed_db: Path) -> None:
    out = run("show", seed_db, CASUALTIES).stdout
    assert "North Korean soldiers killed or wounded" in out
    assert "“more than 3,000”" in out
    assert "“several hundred”" in out
    assert "derived: the sum of its parts" in out
    assert "range      [200, 4,001]" in out
    assert "consensus  [3,001, 3,100] (majority), estimate 3,001" in out
    assert "dissent    us-official" in out


def test_show_lists_a_qualitative_topics_propositions(run: Run, seed_db: Path) -> None:
    out = run("show", seed_db, "kursk/nk-pows/statements").stdout
    assert "no current figures" in out
    assert "a-pow-wants-to-stay-in-ukraine" in out
    assert "contested" in out
    doc = run_json(run, "show", seed_db, "kursk/nk-pows/statements")
    assert doc["topic"]["figures"] == []
    assert doc["topic"]["range"] is None
    statuses = {p["proposition"]: p["status"] for p in doc["propositions"]}
    assert statuses["a-pow-wants-to-stay-in-ukraine"] == "contested"


def test_show_of_a_derived_and_a_disputed_figure(run: Run, seed_db: Path) -> None:
    run(
        "dispute", seed_db, "ukraine-casualties", "--source", "us-official",
        "--reason", "Far too high.", "--stated", "2025-01-14",
    )  # fmt: skip
    figures = run_json(run, "show", seed_db, CASUALTIES)["topic"]["figures"]
    assert {f["source"]: f["disputed_by"] for f in figures}["ukraine"] == ["us-official"]
    out = run("show", seed_db, CASUALTIES).stdout
    row = next(line for line in out.splitlines() if line.split()[:1] == ["ukraine"])
    assert row.rstrip().endswith("us-official")


def test_propositions_table_and_json(run: Run, seed_db: Path) -> None:
    out = run("propositions", seed_db).stdout
    assert "told-it-was-a-training-exercise" in out
    assert "contested" in out
    doc = run_json(run, "propositions", seed_db)
    assert len(doc["propositions"]) == 6
    (contested,) = [p for p in doc["propositions"] if p["status"] == "contested"]
    assert contested == {
        "topic": "kursk/nk-pows/statements",
        "proposition": "a-pow-wants-to-stay-in-ukraine",
        "status": "contested",
        "affirmed_by": ["zelensky"],
        "denied_by": ["news-report", "nk-pow-b"],
        "disputes": [
            {
                "target": "zelensky-pow-wants-to-stay",
                "source": "nk-pow-b",
                "reason": "After saying he wants to stay, he adds that he will do as he is told.",
                "position": 24,
                "active": True,
            },
            {
                "target": "zelensky-pow-wants-to-stay",
                "source": "news-report",
                "reason": "Both soldiers appear injured and are likely speaking under duress.",
                "position": 26,
                "active": True,
            },
        ],
    }


def test_timeline_shows_each_change_of_range_and_consensus(run: Run, seed_db: Path) -> None:
    doc = run_json(run, "timeline", seed_db, CASUALTIES)
    steps = doc["steps"]
    assert [s["position"] for s in steps] == [33, 34, 36]
    assert [s["consensus"]["level"] for s in steps] == ["single", "none", "majority"]
    assert steps[1]["consensus"]["interval"] is None
    assert steps[2]["event"] == {
        "type": "FigureReported",
        "source": "nis",
        "claim_id": "nis-wounded",
    }
    out = run("timeline", seed_db, CASUALTIES).stdout
    assert "FigureReported us-official us-official-casualties" in out
    stated = run_json(run, "timeline", seed_db, CASUALTIES, "--order", "stated")
    assert [s["stated_at"] for s in stated["steps"]] == ["2025-01-13T00:00:00Z"]


def test_log_lists_every_record(run: Run, seed_db: Path) -> None:
    out = run("log", seed_db).stdout
    assert "SourceDescribed" in out
    assert "ukraine: Government of Ukraine" in out
    doc = run_json(run, "log", seed_db)
    records = doc["records"]
    assert [r["position"] for r in records] == list(range(1, 37))
    first = records[0]
    assert set(first) == {"position", "event_id", "type", "recorded_at", "hash", "data"}
    assert first["recorded_at"] == "2025-01-14T00:00:00Z"
    assert len(first["hash"]) == 64
    figure = next(r for r in records if r["type"] == "FigureReported")
    assert figure["data"]["figure"]["phrase"] == "two"


@pytest.mark.parametrize("command", READERS)
def test_as_of_a_position_reads_the_past(run: Run, seed_db: Path, command: str) -> None:
    doc = run_json(run, *_args(command, seed_db), "--as-of", "34")
    assert doc["as_of"] == 34
    assert doc["position"] == 34


def test_as_of_position_changes_the_finding(run: Run, seed_db: Path) -> None:
    topic = run_json(run, "show", seed_db, CASUALTIES, "--as-of", "34")["topic"]
    assert [f["source"] for f in topic["figures"]] == ["ukraine", "us-official"]
    assert topic["consensus"]["level"] == "none"
    assert len(run_json(run, "log", seed_db, "--as-of", "5")["records"]) == 5
    assert len(run_json(run, "timeline", seed_db, CASUALTIES, "--as-of", "34")["steps"]) == 2


def test_as_of_a_date_is_midnight_utc(run: Run, seed_db: Path) -> None:
    # Everything in the seed is stated on 11, 12 or 13 January (midnight UTC).
    doc = run_json(run, "topics", seed_db, "--as-of", "2025-01-12")
    assert doc["as_of"] == "2025-01-12T00:00:00Z"
    with_figures = [t["topic"] for t in doc["topics"] if t["figures"]]
    assert with_figures == ["kursk/nk-pows/captured"]
    later = run_json(run, "topics", seed_db, "--as-of", "2025-01-13T00:00:00Z")
    assert len([t for t in later["topics"] if t["figures"]]) == 6
    earlier = run_json(run, "topics", seed_db, "--as-of", "2025-01-12T23:59:59+00:00")
    assert len([t for t in earlier["topics"] if t["figures"]]) == 1
    records = run_json(run, "log", seed_db, "--as-of", "2025-01-11")["records"]
    assert {r["type"] for r in records} == {"SourceDescribed", "TopicDefined", "FigureReported"}


def test_as_of_past_the_head_is_an_error(run: Run, seed_db: Path) -> None:
    result = run("topics", seed_db, "--as-of", "99", code=1)
    assert "ends at position 36" in result.stderr


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01", "2025-01-12T10:00"])
def test_a_bad_as_of_is_a_usage_error(run: Run, seed_db: Path, value: str) -> None:
    result = run("topics", seed_db, "--as-of", value, code=2)
    assert "--as-of" in result.stderr


@pytest.mark.parametrize("command", READERS)
def test_reading_a_missing_store_is_an_error_and_creates_nothing(
    run: Run, tmp_path: Path, command: str
) -> None:
    store = tmp_path / "missing.db"
    result = run(*_args(command, store), code=1)
    assert result.stderr == (
        f"Error: {store}: no such ledger (create one with `ledger init {store}`)\n"
    )
    assert not store.exists()


@pytest.mark.parametrize("command", ["show", "timeline"])
def test_an_unknown_topic_is_one_line_naming_it(run: Run, seed_db: Path, command: str) -> None:
    result = run(command, seed_db, "kursk/nope", code=1)
    assert result.stderr == f"Error: {seed_db}: no topic 'kursk/nope' in the ledger\n"


def test_jsonl_stores_read_the_same(run: Run, seed_db: Path, seed_jsonl: Path) -> None:
    assert run_json(run, "topics", seed_jsonl) == run_json(run, "topics", seed_db)


def test_a_narrow_terminal_gets_one_block_per_row(
    run: Run, seed_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    out = run("topics", seed_db).stdout
    assert max(len(line) for line in out.splitlines()) <= 60
    block = out.split(CASUALTIES)[1].split("kursk/")[0]
    assert "Consensus  [3,001, 3,100]" in block
    assert "Level      majority" in block


def test_text_with_brackets_prints_as_written(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "b.db"
    run(
        "add", "figure", store, "--topic", "t", "--source", "s", "--phrase", "300",
        "--unit", "[bold]people[/bold]", "--stated", "2025-01-01",
    )  # fmt: skip
    assert "[bold]people[/bold]" in run("topics", store).stdout
