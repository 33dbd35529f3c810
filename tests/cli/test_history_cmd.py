"""`ledger history`: every figure reported on a topic, in stated order, on the Derna seed."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import DEATHS, Run, run_json


def _rows(out: str) -> list[list[str]]:
    return [
        line.split() for line in out.splitlines() if line.split()[:1] and line.split()[0].isdigit()
    ]


def test_history_lists_every_figure_in_stated_order(run: Run, derna_db: Path) -> None:
    out = run("history", derna_db, DEATHS).stdout
    header = next(line for line in out.splitlines() if "Position" in line)
    assert header.split() == [
        "Position", "Source", "Figure", "Words", "Stated", "As", "of", "Retracted", "Current",
    ]  # fmt: skip
    rows = _rows(out)
    assert [int(r[0]) for r in rows] == [14, 15, 17, 18, 19, 21, 22, 24, 26, 27, 28, 30, 34, 36]
    by_position = {r[0]: " ".join(r) for r in rows}
    # The Red Crescent withdrew its 11,300: retracted, and no longer its current figure.
    assert by_position["22"].endswith("2023-09-14 2023-09-14 retracted -")
    # OCHA's report of the 16th describes the 14th; its figure of the 17th replaced it.
    assert "at least 11,300" in by_position["24"]
    assert by_position["24"].endswith("2023-09-16 2023-09-14 - -")
    assert by_position["28"].endswith("2023-09-17 2023-09-16 - current")
    assert sum(r[-1] == "current" for r in rows) == 9  # one current figure per source


def test_history_of_one_source(run: Run, derna_db: Path) -> None:
    out = run("history", derna_db, DEATHS, "--source", "eastern-health-ministry").stdout
    assert "every figure reported by eastern-health-ministry" in out
    rows = _rows(out)
    assert [(r[0], r[-1]) for r in rows] == [("18", "-"), ("27", "-"), ("30", "current")]
    assert "“3,252”" in out


def test_a_late_report_of_an_early_statement_takes_its_stated_place(
    run: Run, derna_db: Path
) -> None:
    run(
        "add", "figure", derna_db, "--topic", DEATHS, "--source", "who", "--phrase", "about 2,000",
        "--stated", "2023-09-12T15:00:00Z", "--claim-id", "who-deaths-0912",
    )  # fmt: skip
    rows = _rows(run("history", derna_db, DEATHS, "--source", "who").stdout)
    assert [(r[0], r[-1]) for r in rows] == [("38", "-"), ("26", "-"), ("34", "current")]
    assert rows[0][-4] == "2023-09-12T15:00:00Z"  # a time of day is printed as one


def test_history_json(run: Run, derna_db: Path) -> None:
    doc = run_json(run, "history", derna_db, DEATHS, "--source", "ocha")
    assert (doc["as_of"], doc["position"], doc["topic"], doc["source"]) == (
        None, 37, DEATHS, "ocha",
    )  # fmt: skip
    first, second = doc["history"]
    assert first == {
        "position": 24,
        "source": "ocha",
        "claim_id": first["claim_id"],
        "low": 11300,
        "high": 11400,
        "low_open": False,
        "high_open": False,
        "best": None,
        "effective_best": 11350,
        "text": "[11,300, 11,400]",
        "unit": "people",
        "phrase": "at least 11,300",
        "rule": "wikimpacts-2024:at-least",
        "stated_at": "2023-09-16T00:00:00Z",
        "as_of": "2023-09-14T00:00:00Z",
        "retracted": False,
        "current": False,
    }
    assert (second["position"], second["current"], second["as_of"]) == (
        28, True, "2023-09-16T00:00:00Z",
    )  # fmt: skip
    retracted = run_json(run, "history", derna_db, DEATHS, "--source", "libyan-red-crescent")
    assert [(e["retracted"], e["current"]) for e in retracted["history"]] == [(True, False)]


def test_history_as_of_a_date(run: Run, derna_db: Path) -> None:
    doc = run_json(run, "history", derna_db, DEATHS, "--as-of", "2023-09-13")
    assert doc["as_of"] == "2023-09-13T00:00:00Z"
    assert [e["position"] for e in doc["history"]] == [14, 15, 17, 18, 19, 21]
    assert all(e["current"] for e in doc["history"] if e["source"] != "eastern-health-ministry")
    old = run_json(run, "history", derna_db, DEATHS, "--as-of", "20")
    assert doc["history"][:5] == old["history"]  # position 21 is past --as-of 20


def test_history_of_a_source_without_figures_says_so(run: Run, derna_db: Path) -> None:
    result = run("history", derna_db, DEATHS, "--source", "nobody")
    assert result.stdout.strip() == f"no figures reported on {DEATHS} by nobody"
    assert run_json(run, "history", derna_db, DEATHS, "--source", "nobody")["history"] == []


def test_history_of_an_unknown_topic_or_missing_store_is_one_error_line(
    run: Run, derna_db: Path, tmp_path: Path
) -> None:
    result = run("history", derna_db, "derna-floods/nope", code=1)
    assert result.stderr == f"Error: {derna_db}: no topic 'derna-floods/nope' in the ledger\n"
    missing = tmp_path / "none.db"
    result = run("history", missing, DEATHS, code=1)
    assert result.stderr.startswith(f"Error: {missing}: no such ledger")
    assert not missing.exists()
