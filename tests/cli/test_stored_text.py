"""Stored text is data: never rich markup, never a terminal command, exact in --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.present.text import html_text, json_text, visible
from tests.cli.conftest import Run
from tests.cli.hostile import ATTACKS, HOSTILE, QUAL, TOPIC, hostile_ledger, raw_controls

READERS = [
    ["topics"],
    ["show", TOPIC],
    ["show", QUAL],
    ["propositions"],
    ["timeline", TOPIC],
    ["timeline", TOPIC, "--order", "stated"],
    ["log"],
    ["follow", "--count", "11", "--timeout", "20"],
]


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    return hostile_ledger(tmp_path / "h.db")


def _clean(result_text: str) -> None:
    assert raw_controls(result_text) == []


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_no_stored_control_character_reaches_the_terminal(
    run: Run, hostile: Path, args: list[str]
) -> None:
    result = run(args[0], hostile, *args[1:])
    _clean(result.stdout)
    _clean(result.stderr)


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_json_output_is_exact_and_prints_no_raw_control_character(
    run: Run, hostile: Path, args: list[str]
) -> None:
    result = run(args[0], hostile, *args[1:], "--json")
    _clean(result.stdout)
    docs = (
        [json.loads(line) for line in result.stdout.splitlines()]
        if args[0] == "follow"
        else [json.loads(result.stdout)]
    )
    found = json.dumps(docs, ensure_ascii=False)
    if args[0] in ("log", "follow", "show", "topics"):
        assert json.dumps(HOSTILE, ensure_ascii=False)[1:-1] in found  # the text, unchanged


def test_follow_prints_brackets_as_written_and_never_a_markup_error(
    run: Run, hostile: Path
) -> None:
    out = run("follow", hostile, "--count", "11", "--timeout", "20").stdout
    for attack in ("sic", "close", "link"):
        assert ATTACKS[attack] in out
    assert "MarkupError" not in out


def test_log_and_follow_show_controls_as_visible_escapes(run: Run, hostile: Path) -> None:
    for command in (["log"], ["follow", "--count", "11", "--timeout", "20"]):
        out = run(command[0], hostile, *command[1:]).stdout
        assert "\\x1b]0;pwned\\x07" in out
        assert "\\x1b[2J" in out
        assert "\\u202eevil\\u202c" in out
        assert "\\x9b31mred" in out
        assert "a\\x00b\\x07c\\x08d\\x7fe\\tf\\rg\\x0bh\\x0ci" in out


def test_show_escapes_the_title_unit_and_words(run: Run, hostile: Path) -> None:
    out = run("show", hostile, TOPIC).stdout
    assert "Killed [sic] in Kursk" in out
    assert "sol\\x1b[31mdiers" in out
    assert "[link=https://evil.example]click[/link]" in out


def test_a_topic_argument_is_never_markup(run: Run, hostile: Path) -> None:
    for command in ("timeline", "show"):
        result = run(command, hostile, "t/[bold]x[/]", code=1)
        assert "'t/[bold]x[/]'" in result.stderr


def test_an_error_quoting_user_text_shows_its_controls_escaped(run: Run, hostile: Path) -> None:
    result = run("show", hostile, "t/\x1b]0;pwned\x07", code=1)
    assert result.stderr.startswith("Error: ")
    _clean(result.stderr)
    result = run(
        "add", "figure", hostile, "--topic", TOPIC, "--source", "z", "--stated", "2025-01-01",
        "--phrase", "\x1b[2J\u202e lots [/b]", code=1,
    )  # fmt: skip
    _clean(result.stderr)
    assert "[/b]" in result.stderr
    result = run("define-topic", hostile, "T/\x9b2J", "--title", "x", code=1)
    _clean(result.stderr)


def test_recording_commands_echo_no_raw_control_character(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "r.db"
    result = run(
        "add", "figure", store, "--topic", "t/x", "--source", "s", "--stated", "2025-01-01",
        "--phrase", "about 300", "--unit", "sol\x1b[2Jdiers\u202e",
    )  # fmt: skip
    _clean(result.stdout)
    assert "sol\\x1b[2Jdiers\\u202e" in result.stdout


# -- the sanitiser itself (ledger/present/text.py) -----------------------------------

any_text = st.text(st.characters(codec=None, categories=None, exclude_categories=()))


@given(any_text)
def test_json_text_is_the_same_data_with_nothing_raw(text: str) -> None:
    document = json.dumps({"t": text, "n": [text]}, ensure_ascii=False)
    safe = json_text(document)
    assert raw_controls(safe) == []
    assert json.loads(safe) == {"t": text, "n": [text]}


@given(any_text)
def test_visible_and_html_text_leave_nothing_raw_and_keep_the_rest(text: str) -> None:
    assert raw_controls(visible(text)) == []
    assert raw_controls(html_text(text)) == []
    safe = "".join(c for c in text if not raw_controls(c))
    assert visible(safe) == safe  # text with nothing to escape is shown as it is
    assert visible(visible(text)) == visible(text)  # escaping twice changes nothing more
