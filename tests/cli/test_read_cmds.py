"""Reading commands: tables for people, --json for programs, --as-of for the past."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.cli.conftest import CASUALTIES, DEATHS, MISSING, Run, run_json

READERS = ["topics", "show", "propositions", "timeline", "log", "history"]


def _args(command: str, store: Path) -> list[str]:
    return [
        command,
        str(store),
        *([CASUALTIES] if command in ("show", "timeline", "history") else []),
    ]


def test_topics_prints_one_row_a_topic(run: Run, seed_db: Path) -> None:
    out = run("topics", seed_db).stdout
    header = next(line for line in out.splitlines() if "Topic" in line)
    assert header.split() == [
        "Topic", "Unit", "Sources", "Voices", "Stale", "Range", "Consensus", "Level", "Estimate",
        "Disputes",
    ]  # fmt: skip
    row = next(line for line in out.splitlines() if CASUALTIES in line)
    assert row.split() == [
        CASUALTIES, "soldiers", "3", "3", "-", "[200,", "4,001]", "[3,001,", "3,100]", "majority",
        "3,001", "-",
    ]  # fmt: skip
    assert "Split topics" not in out  # no camps table without a split


def test_topics_json_has_the_documented_schema(run: Run, seed_db: Path) -> None:
    doc = run_json(run, "topics", seed_db)
    assert doc["as_of"] is None
    assert doc["position"] == 36
    topics = {t["topic"]: t for t in doc["topics"]}
    assert len(topics) == 10
    casualties = topics[CASUALTIES]
    assert set(casualties) == {
        "topic", "title", "unit", "parts", "figures", "range", "consensus", "disputes", "latest",
        "window", "voices",
    }  # fmt: skip
    assert casualties["latest"] == "2025-01-13T00:00:00Z"
    assert casualties["window"] is None  # the Kursk topics have no window
    assert casualties["voices"] == {
        "south-korea": ["nis"], "ukraine": ["ukraine"], "united-states": ["us-official"],
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
    assert consensus["camps"] == []
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
    assert (ukraine["voice"], ukraine["stale"], ukraine["bound"]) == ("ukraine", False, True)
    assert ukraine["reference_time"] == "2025-01-13T00:00:00Z"
    assert (nis["voice"], nis["bound"]) == ("south-korea", False)
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
    # The reason of a figure's dispute, in words, in --json, in the report and the log.
    assert (
        "  disputed   us-official disputes ukraine's figure (ukraine-casualties): “Far too high.”"
        in out
    )
    shown = run_json(run, "show", seed_db, CASUALTIES)["disputes"]
    assert [(d["source"], d["target"], d["reason"], d["active"]) for d in shown] == [
        ("us-official", "ukraine-casualties", "Far too high.", True)
    ]
    assert "us-official disputes ukraine-casualties: 'Far too high.'" in run("log", seed_db).stdout
    page = seed_db.with_suffix(".html")
    run("report", seed_db, "-o", page)
    shown_in_page = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
    assert "us-official disputes ukraine's figure (ukraine-casualties): “Far too high.”" in (
        shown_in_page
    )


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


# -- freshness, voices and splits (issue 12) --------------------------------------------


def test_show_marks_stale_figures_and_says_why(run: Run, derna_db: Path) -> None:
    out = run("show", derna_db, DEATHS).stdout
    rows = {
        line.split()[0]: line for line in out.splitlines() if line.startswith(" ") and line.strip()
    }
    assert "2023-09-13 stale" in rows["derna-mayor"]  # 10 days before the latest figure
    assert "2023-09-22" in rows["who"]
    assert "stale" not in rows["who"]
    assert "2023-09-23" in rows["eastern-relief-committee"]
    assert "stale" not in rows["eastern-relief-committee"]
    assert len(re.findall(r"\d{4}-\d\d-\d\d stale", out)) == 7
    text = " ".join(out.split())
    assert "latest 2023-09-23" in text
    assert "window 3d (the topic's own)" in text
    assert (
        "7 figures are stale, older than 2023-09-20 (latest 2023-09-23 less the window of 3d): "
        "derna-mayor, eastern-health-ministry, eastern-interior-ministry, gnu-emergency-service, "
        "hamad, lna, ocha; shown, but left out of the range and the consensus"
    ) in text
    assert "voices eastern-libya: eastern-relief-committee · united-nations: who (2 voices)" in text
    assert "range [3,845, 4,014]" in text  # the fresh figures only
    assert "dissent eastern-relief-committee, who" in text


def test_topics_counts_voices_and_stale_figures(run: Run, derna_db: Path) -> None:
    lines = run("topics", derna_db).stdout.splitlines()
    rows = {line.split()[0]: line.split() for line in lines if line.strip()}
    assert rows[DEATHS][:5] == [DEATHS, "people", "9", "2", "7"]
    assert rows[MISSING][:5] == [MISSING, "people", "6", "2", "4"]


def test_a_window_of_none_sets_the_topics_own_aside_and_shows_the_split(
    run: Run, derna_db: Path
) -> None:
    out = run("show", derna_db, MISSING, "--window", "none").stdout
    assert "stale" not in out
    text = " ".join(out.split())
    assert "window none (every topic's own window set aside)" in text
    assert (
        "voices eastern-libya: eastern-relief-committee, lna · gnu: gnu-emergency-service · "
        "red-cross-red-crescent: libyan-red-crescent · united-nations: ocha, who (4 voices)"
    ) in text
    assert "consensus split into 2 camps (no single interval)" in text
    assert (
        "camp 1 [10,100, 10,100] estimate 10,100: eastern-relief-committee, libyan-red-crescent"
    ) in text
    assert "camp 2 [5,001, 6,000] estimate 5,500: gnu-emergency-service, lna" in text
    assert "in no camp ocha, who" in text
    assert "agree" not in text  # a split has no single set that agrees

    topics = run("topics", derna_db, "--window", "none").stdout
    row = next(line for line in topics.splitlines() if line.startswith(f" {MISSING}"))
    assert row.split() == [
        MISSING, "people", "6", "4", "-", "[5,000,", "20,001]", "[10,100,", "10,100]", "split",
        "10,100", "-",
    ]  # fmt: skip
    after = topics.splitlines()[topics.splitlines().index(row) + 1]
    assert after.split() == ["[5,001,", "6,000]", "5,500"]  # the second camp, on its own line
    camps = topics.split("Split topics: camps")[1]
    lines = [line.split() for line in camps.splitlines() if line.startswith(f" {MISSING}")]
    assert lines == [
        [MISSING, "1", "[10,100,", "10,100]", "10,100", "eastern-relief-committee,",
         "libyan-red-crescent"],
        [MISSING, "2", "[5,001,", "6,000]", "5,500", "gnu-emergency-service,", "lna"],
    ]  # fmt: skip


def test_json_gives_freshness_voices_and_camps(run: Run, derna_db: Path) -> None:
    topic = run_json(run, "show", derna_db, DEATHS)["topic"]
    assert topic["latest"] == "2023-09-23T00:00:00Z"
    assert topic["window"] == "P3D"
    assert topic["voices"] == {
        "eastern-libya": ["eastern-relief-committee"],
        "united-nations": ["who"],
    }
    figures = {f["source"]: f for f in topic["figures"]}
    assert [s for s, f in figures.items() if not f["stale"]] == ["eastern-relief-committee", "who"]
    mayor = figures["derna-mayor"]
    assert (mayor["voice"], mayor["stale"], mayor["bound"]) == ("eastern-libya", True, False)
    assert mayor["reference_time"] == "2023-09-13T00:00:00Z"
    assert figures["hamad"]["bound"] is True  # "more than 2,000"

    split = run_json(run, "show", derna_db, MISSING, "--window", "none")["topic"]
    assert split["window"] is None  # set aside: no window in force
    assert not any(f["stale"] for f in split["figures"])
    consensus = split["consensus"]
    assert (consensus["level"], consensus["interval"], consensus["estimate"]) == (
        "split",
        None,
        None,
    )
    assert consensus["supporters"] == []
    assert consensus["camps"] == [
        {
            "interval": {"low": 10100, "high": 10100, "low_open": False, "high_open": False,
                         "text": "[10,100, 10,100]"},
            "supporters": ["eastern-relief-committee", "libyan-red-crescent"],
            "estimate": 10100,
        },
        {
            "interval": {"low": 5001, "high": 6000, "low_open": False, "high_open": False,
                         "text": "[5,001, 6,000]"},
            "supporters": ["gnu-emergency-service", "lna"],
            "estimate": 5500,
        },
    ]  # fmt: skip
    listed = run_json(run, "topics", derna_db, "--window", "none")["topics"]
    assert {t["topic"]: t["consensus"] and t["consensus"]["level"] for t in listed} == {
        DEATHS: "majority", MISSING: "split", "derna-floods/official-toll": None,
    }  # fmt: skip


@pytest.mark.parametrize("window", ["10d", "P10D", "240h", "1w3d"])
def test_a_query_window_overrides_the_topics_own(run: Run, derna_db: Path, window: str) -> None:
    topic = run_json(run, "show", derna_db, DEATHS, "--window", window)["topic"]
    assert topic["window"] == "P10D"
    stale = [f["source"] for f in topic["figures"] if f["stale"]]
    assert stale == ["eastern-interior-ministry", "gnu-emergency-service", "hamad", "lna"]
    out = run("show", derna_db, DEATHS, "--window", window).stdout
    assert "window     10d (given with --window)" in out


def test_a_window_on_a_topic_without_one_makes_old_figures_stale(run: Run, seed_db: Path) -> None:
    run(
        "add", "figure", seed_db, "--topic", CASUALTIES, "--source", "western-assessments",
        "--phrase", "about 3,000", "--stated", "2025-01-20",
    )  # fmt: skip
    topic = run_json(run, "show", seed_db, CASUALTIES, "--window", "3d")["topic"]
    assert [f["source"] for f in topic["figures"] if not f["stale"]] == ["western-assessments"]
    assert topic["consensus"]["level"] == "single"
    assert run_json(run, "show", seed_db, CASUALTIES)["topic"]["consensus"]["level"] == "majority"


@pytest.mark.parametrize("command", ["topics", "show", "timeline"])
@pytest.mark.parametrize("value", ["3x", "-3d", "P1M", "forever", ""])
def test_a_bad_window_is_a_usage_error_naming_the_option(
    run: Run, derna_db: Path, command: str, value: str
) -> None:
    args = [command, derna_db, *([DEATHS] if command != "topics" else [])]
    result = run(*args, "--window", value, code=2)
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"Error: Invalid value for '--window': {value!r} ")


def test_two_sources_of_one_affiliation_are_one_voice(run: Run, seed_db: Path) -> None:
    run(
        "add", "figure", seed_db, "--topic", "kursk/nk-pows/captured", "--source", "zelensky",
        "--phrase", "two", "--stated", "2025-01-12",
    )  # fmt: skip
    out = run("show", seed_db, "kursk/nk-pows/captured").stdout
    assert "voices     ukraine: ukraine, zelensky (1 voice)" in out
    assert "consensus  [2, 2] (single), estimate 2" in out
    row = next(line for line in run("topics", seed_db).stdout.splitlines() if "captured" in line)
    assert row.split()[:5] == ["kursk/nk-pows/captured", "soldiers", "2", "1", "-"]
    topic = run_json(run, "show", seed_db, "kursk/nk-pows/captured")["topic"]
    assert topic["voices"] == {"ukraine": ["ukraine", "zelensky"]}


def test_timeline_takes_a_window(run: Run, derna_db: Path) -> None:
    own = run_json(run, "timeline", derna_db, MISSING, "--order", "stated")
    aside = run_json(run, "timeline", derna_db, MISSING, "--order", "stated", "--window", "none")
    assert own["window"] is None  # no --window: each step under the topic's own
    assert aside["window"] is None
    levels = [s["consensus"]["level"] for s in aside["steps"]]
    assert levels[-1] == "split"
    assert [s["consensus"]["level"] for s in own["steps"]][-1] == "none"
    assert run_json(run, "timeline", derna_db, MISSING, "--window", "2d")["window"] == "P2D"
    out = run("timeline", derna_db, MISSING, "--order", "stated", "--window", "none").stdout
    assert "[10,100, 10,100] eastern-relief-committee, libyan-red-crescent" in out
    assert "split" in out


def test_stated_timeline_labels_each_step_with_its_own_topics_event(
    run: Run, tmp_path: Path
) -> None:
    store = tmp_path / "t.db"
    figure = ["add", "figure", store, "--unit", "people"]
    run(*figure, "--topic", "a", "--source", "s", "--phrase", "100", "--claim-id", "a-s",
        "--stated", "2025-03-01T10:00:00Z")  # fmt: skip
    # Another topic's event at the very same stated time, recorded after a's.
    run(*figure, "--topic", "b", "--source", "t", "--phrase", "7", "--claim-id", "b-t",
        "--stated", "2025-03-01T10:00:00Z")  # fmt: skip
    run(*figure, "--topic", "a", "--source", "u", "--phrase", "about 100", "--claim-id", "a-u",
        "--stated", "2025-03-01T18:30:00Z")  # fmt: skip
    run(*figure, "--topic", "a", "--source", "v", "--phrase", "about 100", "--claim-id", "a-v",
        "--stated", "2025-03-04")  # fmt: skip
    doc = run_json(run, "timeline", store, "a", "--order", "stated")
    assert [(s["position"], s["event"]["claim_id"]) for s in doc["steps"]] == [
        (1, "a-s"), (3, "a-u"), (4, "a-v"),
    ]  # fmt: skip
    out = run("timeline", store, "a", "--order", "stated").stdout
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in (["1"], ["3"], ["4"])]
    # Two steps on 1 March: every step shows its time, not only its date.
    assert [row[:3] for row in rows] == [
        ["1", "2025-03-01T10:00:00Z", "FigureReported"],
        ["3", "2025-03-01T18:30:00Z", "FigureReported"],
        ["4", "2025-03-04T00:00:00Z", "FigureReported"],
    ]
    assert "b-t" not in out
    # Steps on distinct days print their dates alone.
    days = run("timeline", store, "a", "--order", "stated", "--as-of", "2025-03-01T12:00:00Z")
    assert [line.split()[:2] for line in days.stdout.splitlines() if line.startswith(" 1 ")] == [
        ["1", "2025-03-01"]
    ]


def test_reading_commands_open_the_store_read_only(run: Run, seed_jsonl: Path) -> None:
    model = seed_jsonl.with_name(seed_jsonl.name + ".readmodel")
    for side in seed_jsonl.parent.glob(seed_jsonl.name + ".*"):
        side.unlink()  # no read model: a writable open would build one
    before = seed_jsonl.read_bytes()
    for command in ("topics", "show", "propositions", "timeline", "log", "history"):
        run(*_args(command, seed_jsonl))
    assert seed_jsonl.read_bytes() == before
    assert not model.exists()  # folded in memory, nothing written beside the log
    assert "majority" in run("show", seed_jsonl, CASUALTIES).stdout


@pytest.mark.parametrize("as_of", ["2023-09-12", "2023-09-14T12:00:00Z", "30"])
def test_every_json_document_names_the_same_last_position_folded(
    run: Run, derna_db: Path, as_of: str
) -> None:
    # With --as-of DATE, log and timeline said the log's head where the others
    # said the last position the view folds (cli.md: "the last log position
    # the view folded").
    positions = {}
    for command in READERS:
        args = [
            command,
            str(derna_db),
            *([DEATHS] if command in ("show", "timeline", "history") else []),
        ]
        positions[command] = run_json(run, *args, "--as-of", as_of)["position"]
    records = run_json(run, "log", derna_db, "--as-of", as_of)["records"]
    assert set(positions.values()) == {records[-1]["position"]}, positions


def test_a_negative_as_of_says_a_position_is_0_or_more(run: Run, seed_db: Path) -> None:
    result = run("topics", seed_db, "--as-of", "-1", code=2)
    assert "'-1': a position is 0 or more" in result.stderr


def test_the_timeline_of_a_topic_without_figures_says_so(run: Run, seed_db: Path) -> None:
    # It printed an empty table where plot --timeline explains.
    topic = "kursk/nk-pows/statements"  # propositions only
    assert run("timeline", seed_db, topic).stdout == (
        f"{topic}: no figures, so no range or consensus over time\n"
    )
    assert run_json(run, "timeline", seed_db, topic, "--json")["steps"] == []
