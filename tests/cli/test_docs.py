"""docs/cli.md documents every command, and every command and option has help."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from ledger.cli import cli
from tests.cli.conftest import ROOT, Run, run_json

DOC = ROOT / "docs" / "cli.md"


def commands(group: click.Group = cli, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    """Every command and subgroup under the group, by its full path ("add figure")."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        path = f"{prefix}{name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from commands(command, f"{path} ")


def documented() -> set[str]:
    return set(re.findall(r"^#{2,4} `ledger ([a-z][a-z -]*)`$", DOC.read_text(), flags=re.M))


ALL = sorted(commands(), key=lambda item: item[0])


def test_the_walk_finds_the_commands_of_this_issue() -> None:
    found = {path for path, _ in ALL}
    assert {
        "init", "import", "copy", "add", "add figure", "add claim", "dispute", "retract",
        "define-topic", "describe-source", "topics", "show", "propositions", "timeline", "log",
        "plot", "report",
    } <= found  # fmt: skip


@pytest.mark.parametrize(("path", "command"), ALL, ids=[path for path, _ in ALL])
def test_every_command_is_documented_and_has_help(path: str, command: click.Command) -> None:
    assert path in documented(), f"docs/cli.md has no heading `ledger {path}`"
    assert (command.help or "").strip(), f"`ledger {path}` has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"`ledger {path}` {param.opts[0]} has no help"


def test_the_docs_name_no_command_that_does_not_exist() -> None:
    assert documented() <= {path for path, _ in ALL}


READERS = ["topics", "show", "propositions", "timeline", "log", "history"]


@pytest.mark.parametrize("name", READERS)
def test_every_reading_command_takes_as_of_and_json(name: str) -> None:
    command = cli.commands[name]
    options = {opt for param in command.params for opt in param.opts}
    assert {"--as-of", "--json"} <= options


# -- the --json schema in docs/cli.md is exactly what the commands print ----------------


def schema_keys(name: str) -> set[str]:
    """The keys docs/cli.md's "JSON output" gives an object: from its table, or inline."""
    text = DOC.read_text().split("## JSON output", 1)[1]
    start = text.index(f"\n**{name}**")
    ends = [i for i in (text.find("\n**", start + 1), text.find("\nDocuments by command")) if i > 0]
    block = text[start : min(ends)]
    rows = [line.split("|")[1] for line in block.splitlines() if line.startswith("| `")]
    if rows:
        return {key for cell in rows for key in re.findall(r"`(\w+)`", cell)}
    block = re.sub(r'"\w+"(?:\|"\w+")+', "", block)  # alternatives are values, not keys
    return set(re.findall(r'"(\w+)"(?=[\s:,(\[}])', block))


def test_the_json_schema_documents_every_key_and_no_other(run: Run, derna_db: Path) -> None:
    show = run_json(run, "show", derna_db, "derna-floods/missing", "--window", "none")
    topic = show["topic"]
    assert schema_keys("topic") == set(topic)
    assert schema_keys("figure") == set(topic["figures"][0])
    assert schema_keys("consensus") == set(topic["consensus"])
    assert schema_keys("camp") == set(topic["consensus"]["camps"][0])
    assert schema_keys("interval") == set(topic["range"])
    history = run_json(run, "history", derna_db, "derna-floods/missing")
    assert schema_keys("entry") == set(history["history"][0])
    steps = run_json(run, "timeline", derna_db, "derna-floods/missing")["steps"]
    assert schema_keys("step") >= set(steps[0]) | set(steps[0]["event"])
    records = run_json(run, "log", derna_db)["records"]
    assert schema_keys("record") == set(records[0])
