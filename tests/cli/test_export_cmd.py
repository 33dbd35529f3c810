"""`ledger export` and the spreadsheet options of `ledger import`, from the shell."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from ledger import Figure, FigureReported, Ledger
from ledger.export import COLUMNS
from tests.cli.conftest import CASUALTIES, ROOT, Run

EXAMPLE = ROOT / "examples" / "spreadsheet.csv"


def table(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter))


# -- export ------------------------------------------------------------------------


def test_export_writes_csv_to_standard_output(run: Run, seed_db: Path) -> None:
    result = run("export", seed_db, "--what", "topics")
    assert result.stdout_bytes.startswith(",".join(COLUMNS["topics"]).encode() + b"\r\n")
    found = {row["topic"]: row for row in table(result.stdout)}
    casualties = found[CASUALTIES]
    assert casualties["unit"] == "soldiers"
    assert (casualties["range_low"], casualties["range_high"]) == ("200", "4001")
    assert casualties["sources"] == "3"
    assert casualties["latest"] == "2025-01-13T00:00:00Z"
    assert found["kursk/nk-pows/exchange"]["range_low"] == ""


def test_export_to_a_file_takes_the_format_from_its_suffix(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    for suffix, fmt in ((".csv", "csv"), (".tsv", "tsv"), (".json", "json"), (".jsonl", "jsonl")):
        target = tmp_path / f"figures{suffix}"
        result = run("export", seed_db, "--what", "figures", "-o", target)
        assert result.stdout == f"wrote {target} (9 figures row(s), {fmt})\n"
    raw = (tmp_path / "figures.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbftopic,source,claim_id,")  # Excel reads it as UTF-8
    assert (tmp_path / "figures.tsv").read_bytes().startswith(b"\xef\xbb\xbftopic\tsource\t")
    as_json = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    lines = (tmp_path / "figures.jsonl").read_text(encoding="utf-8").splitlines()
    assert as_json == [json.loads(line) for line in lines]
    assert len(as_json) == 9
    derived = [row for row in as_json if row["derived"]]
    assert [(row["source"], row["claim_id"]) for row in derived] == [("nis", None)]


def test_format_overrides_the_suffix(run: Run, seed_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "figures.txt"
    run("export", seed_db, "--what", "propositions", "--format", "jsonl", "-o", target)
    first = json.loads(target.read_text(encoding="utf-8").splitlines()[0])
    assert list(first) == list(COLUMNS["propositions"])


@pytest.mark.parametrize("suffix", [".xlsx", ".XLS", ".ods"])
def test_a_workbook_suffix_is_refused_unless_a_format_is_given(
    run: Run, seed_db: Path, tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / f"figures{suffix}"
    result = run("export", seed_db, "--what", "figures", "-o", target, code=2)
    assert f"not {suffix.lower()} workbooks; write {target.with_suffix('.csv')}" in result.output
    assert not target.exists()
    run("export", seed_db, "--what", "figures", "--format", "csv", "-o", target)
    assert target.read_bytes().startswith(b"\xef\xbb\xbftopic,source,")


def test_export_as_of_a_position_and_a_topic_prefix(run: Run, seed_db: Path) -> None:
    result = run("export", seed_db, "--what", "figures", "--as-of", "33", "--topic", "kursk/nk-t")
    found = table(result.stdout)
    assert [(row["topic"], row["source"]) for row in found] == [
        (CASUALTIES, "ukraine"),
        ("kursk/nk-troops/deployed", "ukraine"),
        ("kursk/nk-troops/deployed", "western-assessments"),
    ]


def test_export_under_a_window_marks_stale_figures(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "w.db"
    rows = tmp_path / "w.csv"
    rows.write_text(
        "topic,source,claim_id,low,high,unit,stated_at\n"
        "t,a,a1,1,2,people,2025-01-01\n"
        "t,b,b1,5,6,people,2025-01-10\n",
        encoding="utf-8",
    )
    run("import", store, rows)
    found = table(run("export", store, "--what", "figures", "--window", "3d").stdout)
    assert [(row["source"], row["stale"]) for row in found] == [("a", "true"), ("b", "false")]
    (topic,) = table(run("export", store, "--what", "topics", "--window", "P3D").stdout)
    assert (topic["stale"], topic["range_low"], topic["supporters"]) == ("1", "5", "b")
    (topic,) = table(run("export", store, "--what", "topics").stdout)
    assert (topic["stale"], topic["range_low"]) == ("0", "1")


def test_export_refuses_to_write_over_the_store(run: Run, seed_db: Path) -> None:
    before = seed_db.read_bytes()
    result = run("export", seed_db, "--what", "topics", "-o", seed_db, code=1)
    assert "refusing to overwrite it" in result.stderr
    assert seed_db.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [("--what", "everything"), ("--what", "topics", "--window", "soon"), ("--format", "xlsx")],
    ids=["what", "window", "format"],
)
def test_bad_options_are_usage_errors(run: Run, seed_db: Path, args: tuple[str, ...]) -> None:
    result = run("export", seed_db, *args, code=2)
    assert "Error" in result.stderr


def test_text_a_spreadsheet_would_run_is_neutralised(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "f.db"
    with Ledger.open(str(store)) as lg:
        lg.append(
            FigureReported(
                claim_id="c",
                topic="t",
                source="s",
                figure=Figure(-5, None, unit="degrees", phrase="-5 or so"),
                stated_at=date(2025, 1, 1),
                quote='=HYPERLINK("http://evil.example","click")',
            )
        )
    (row,) = table(run("export", store, "--what", "figures").stdout)
    assert row["quote"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["phrase"] == "'-5 or so"
    assert (row["low"], row["high"]) == ("-5", "")  # numbers are numbers, never neutralised


# -- the round trip, and spreadsheets in ----------------------------------------------------


def test_figures_and_definitions_exported_import_to_the_same_topics(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    definitions, figures = tmp_path / "definitions.csv", tmp_path / "figures.csv"
    run("export", seed_db, "--what", "definitions", "-o", definitions)
    run("export", seed_db, "--what", "figures", "-o", figures)
    copy = tmp_path / "copy.db"
    run("import", copy, definitions)
    result = run("import", figures, copy)  # the order: FILE.csv STORE
    assert "imported 8 new record(s)" in result.stdout  # the derived sum is not imported
    for what in ("topics", "figures"):
        original = run("export", seed_db, "--what", what).stdout
        assert run("export", copy, "--what", what).stdout == original, what
    again = run("import", copy, figures)
    assert "already stored" in again.stdout


def test_import_takes_a_delimiter_a_date_format_and_ignores_columns_when_told(
    run: Run, tmp_path: Path
) -> None:
    rows = tmp_path / "excel.csv"
    rows.write_bytes(
        "\ufefftopic;source;phrase;unit;stated_at;Notes\r\n"
        "k/c;ua;more than 3.000;soldiers;13/01/2025;checked\r\n".replace("3.000", "3,000").encode()
    )
    store = tmp_path / "k.db"
    refused = run("import", store, rows, code=1)
    assert "line 1: column 'Notes' is not an event field" in refused.stderr
    assert not store.exists()
    refused = run("import", store, rows, "--ignore-columns", code=1)
    assert "line 2: stated_at '13/01/2025'" in refused.stderr
    done = run(
        "import", store, rows, "--ignore-columns", "--date-format", "%d/%m/%Y", "--delimiter", ";"
    )
    assert "imported 1 new record(s)" in done.stdout
    (figure,) = table(run("export", store, "--what", "figures").stdout)
    assert (figure["low"], figure["high"], figure["stated_at"]) == (
        "3001",
        "4001",
        "2025-01-13T00:00:00Z",
    )
    wrong = run("import", tmp_path / "other.db", rows, "--delimiter", "tab", code=1)
    assert "is not an event field" in wrong.stderr


@pytest.mark.parametrize(
    "option", [["--delimiter", ";"], ["--date-format", "%d/%m/%Y"], ["--ignore-columns"]]
)
def test_a_spreadsheet_option_given_for_a_json_lines_file_is_a_usage_error(
    run: Run, tmp_path: Path, option: list[str]
) -> None:
    lines = tmp_path / "events.jsonl"
    lines.write_text(
        '{"type":"SourceDescribed","source":"ua","name":"Ukraine","kind":"government"}\n',
        encoding="utf-8",
    )
    store = tmp_path / "k.db"
    refused = run("import", store, lines, *option, code=2)
    assert f"{option[0]} applies to spreadsheets (.csv, .tsv), not to " in refused.stderr
    assert "events.jsonl" in refused.stderr
    assert not store.exists()


def test_a_bad_spreadsheet_lists_its_rows_and_stores_nothing(run: Run, tmp_path: Path) -> None:
    rows = tmp_path / "bad.csv"
    rows.write_text(
        "topic,source,low,high,unit,stated_at\n"
        "k/c,ua,1,2,people,2025-01-13\n"
        "k/c,us,ten,20,people,2025-01-13\n"
        "k/c,ru,1,2,people,someday\n",
        encoding="utf-8",
    )
    store = tmp_path / "k.db"
    result = run("import", store, rows, code=1)
    assert result.stderr.splitlines() == [
        f"Error: {rows}: 2 bad line(s), nothing imported",
        "  line 3: low 'ten': not a number",
        "  line 4: stated_at 'someday': not an ISO date (2025-01-13) or timestamp "
        "(2025-01-13T09:00:00Z); give --date-format for others",
    ]
    assert not store.exists()


def test_the_example_spreadsheet_imports(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "example.db"
    run("import", EXAMPLE, store)
    found = {row["topic"]: row for row in table(run("export", store, "--what", "topics").stdout)}
    assert found[CASUALTIES]["sources"] == "3"


# -- the columns make a chart ----------------------------------------------------------

CHART = textwrap.dedent(
    """
    # A range chart from the exported CSV alone: csv and matplotlib, no ledger.
    import csv, sys
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figures_csv, topics_csv, topic, out = sys.argv[1:5]
    with open(figures_csv, encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["topic"] == topic]
    with open(topics_csv, encoding="utf-8-sig", newline="") as f:
        (summary,) = [r for r in csv.DictReader(f) if r["topic"] == topic]
    ends = [float(r[k]) for r in rows for k in ("low", "high") if r[k]]
    left, right = min(ends) * 0.9, max(ends) * 1.1  # an empty cell is an unbounded end
    fig, ax = plt.subplots()
    for i, r in enumerate(rows):
        low = float(r["low"]) if r["low"] else left
        high = float(r["high"]) if r["high"] else right
        agreed = r["source"] in summary["supporters"].split(";")
        ax.barh(i, high - low, left=low, color="tab:blue" if agreed else "tab:orange")
    if summary["consensus_low"]:
        ax.axvspan(float(summary["consensus_low"]), float(summary["consensus_high"]), alpha=0.3)
    ax.set_yticks(range(len(rows)), [r["source"] for r in rows])
    fig.savefig(out)
    assert not any(m == "ledger" or m.startswith("ledger.") for m in sys.modules)
    print(len(ax.patches))
    """
)


def test_the_exported_columns_alone_draw_a_range_chart(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    figures, topics = tmp_path / "figures.csv", tmp_path / "topics.csv"
    run("export", seed_db, "--what", "figures", "-o", figures)
    run("export", seed_db, "--what", "topics", "-o", topics)
    image = tmp_path / "range.png"
    done = subprocess.run(
        [sys.executable, "-c", CHART, figures, topics, CASUALTIES, image],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,  # not the repository: nothing of ledger/ is importable by accident
    )
    assert done.stdout.split() == ["4"]  # three bars and the consensus band
    assert image.read_bytes().startswith(b"\x89PNG")
