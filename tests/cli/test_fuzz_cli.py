"""Hostile text in every field of every recording command, then every reading command.

Whatever a source's words hold (controls, escape sequences, rich markup,
mathtext, bidi overrides, bytes that are not UTF-8), the CLI ends with exit 0,
1 or 2, lets no exception escape, prints no raw control character, and writes
no file but the output it was asked for (issue 15).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger.cli import cli
from tests.cli.hostile import ATTACKS, raw_controls

CONTROLS = [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))]
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
MARKUP = ["[", "]", "[/", "[/]", "[b]", "[/b]", "[link=https://evil.example]", "$", "$x^$",
          r"\frac{", "\\", "<", ">", "&", '"', "'", ":smile:", "%s", "{}", "\n", "-"]  # fmt: skip
NOT_UTF8 = ["\udcff", "\udc80"]  # what click passes for argv bytes that are not UTF-8

piece = st.one_of(
    st.sampled_from(CONTROLS + BIDI + MARKUP),
    st.sampled_from(list(ATTACKS.values())),
    st.text(max_size=6),
    st.sampled_from(NOT_UTF8),
)
hostile = st.lists(piece, max_size=6).map("".join)
maybe = st.none() | hostile

DRAWS = importlib.util.find_spec("matplotlib") is not None
OUTPUTS = {"report.html", "chart.svg", "checkpoint.txt"}
#: SQLite's own journals: a read-only connection (every reading command opens the
#: store read-only, and verify) leaves -wal and -shm beside a SQLite ledger and
#: beside a JSON Lines ledger's read model (ledger/stores; see docs/cli.md).
SQLITE_JOURNALS = {
    f"{name}{journal}" for name in ("v.db", "v.jsonl.readmodel") for journal in ("-wal", "-shm")
}


def _run(runner: CliRunner, args: list[str]) -> Result:
    result = runner.invoke(cli, args, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream, (args, stream)
        assert raw_controls(stream) == [], (args, stream)
    return result


def _opt(name: str, value: str | None) -> list[str]:
    # --name=value, so that text starting with "-" stays a value.
    return [] if value is None else [f"--{name}={value}"]


def _listing(folder: Path) -> set[str]:
    return set(os.listdir(folder))


@settings(
    max_examples=max(10, settings.default.max_examples // 3),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    store=st.sampled_from(["v.db", "v.jsonl"]),
    title=hostile,
    unit=hostile,
    description=maybe,
    name=hostile,
    phrase=hostile,
    quote=maybe,
    url=maybe,
    statement=hostile,
    reason=maybe,
    words=st.sampled_from(["about 3,000", "more than 200", "between 5 and 10"]),
)
def test_hostile_text_never_breaks_the_cli(
    store: str,
    title: str,
    unit: str,
    description: str | None,
    name: str,
    phrase: str,
    quote: str | None,
    url: str | None,
    statement: str,
    reason: str | None,
    words: str,
) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as folder:
        at = Path(folder)
        db = str(at / store)
        stated = ["--stated", "2025-01-01"]
        provenance = _opt("quote", quote) + _opt("url", url)
        recording = [
            ["define-topic", db, "t/x", *_opt("title", title), *_opt("unit", unit),
             *_opt("description", description)],
            ["define-topic", db, "t/y", "--title=plain", "--unit=people", "--window=1d"],
            ["describe-source", db, "s", *_opt("name", name)],
            ["add", "figure", db, "--topic=t/x", "--source=s", "--claim-id=f1",
             *_opt("phrase", phrase), *_opt("unit", unit), *stated, *provenance],
            ["add", "figure", db, "--topic=t/x", "--source=o", "--claim-id=f2", "--low=5",
             "--high=10", *_opt("phrase", phrase), *_opt("unit", unit), *stated, *provenance],
            ["add", "figure", db, "--topic=t/y", "--source=s", "--claim-id=f3",
             f"--phrase={words}", *stated, *provenance],
            ["add", "figure", db, "--topic=t/y", "--source=o", "--claim-id=f4", "--low=1",
             "--high=9", *_opt("phrase", phrase), *stated],
            ["add", "claim", db, "--topic=t/q", "--source=s", "--claim-id=c1",
             *_opt("statement", statement), *stated, *provenance],
            ["add", "claim", db, "--topic=t/q", "--source=o", "--claim-id=c2", "--stance=denies",
             "--proposition=c1", *_opt("statement", statement), *stated],
            ["dispute", db, "c1", "--source=o", *_opt("reason", reason), *stated, *provenance],
            ["dispute", db, "f4", "--source=s", *_opt("reason", reason), *stated],
            ["retract", db, "c2", *_opt("reason", reason), "--stated", "2025-01-02"],
        ]  # fmt: skip
        recorded = sum(_run(runner, args).exit_code == 0 for args in recording)
        event(f"{recorded} of {len(recording)} recorded")
        if not (at / store).exists():
            _run(runner, ["init", db])
        follow = ["--count", str(max(recorded, 1)), "--timeout", "2", "--poll", "0.05"]
        reading = [
            ["topics", db],
            ["topics", db, "--json"],
            ["show", db, "t/x"],
            ["show", db, "t/y", "--json"],
            ["show", db, "t/q"],
            ["propositions", db],
            ["propositions", db, "--json"],
            ["timeline", db, "t/x"],
            ["timeline", db, "t/y", "--order", "stated", "--json"],
            ["timeline", db, "t/x", "--window", "1d"],
            ["show", db, "t/x", "--window", "none"],
            ["history", db, "t/x"],
            ["history", db, "t/y", "--source", "s", "--json"],
            ["log", db],
            ["log", db, "--json"],
            ["follow", db, *follow] if recorded else ["follow", db, "--timeout", "0.1"],
            ["follow", db, *follow, "--json"],
            ["report", db, "-o", str(at / "report.html"), *_opt("title", title)],
            ["report", db, "-o", str(at / "report.html"), "--window", "12h"],
            ["verify", db],
            ["verify", db, "--json"],
            ["checkpoint", db],
            ["checkpoint", db, "-o", str(at / "checkpoint.txt"), *_opt("origin", name)],
        ]
        if DRAWS:
            reading += [
                ["plot", db, "t/y", "-o", str(at / "chart.svg")],
                ["plot", db, "t/x", "-o", str(at / "chart.svg"), "--timeline"],
            ]
        before = _listing(at)
        for args in reading:
            _run(runner, args)
            # SQLite's own journals come and go with its connections (read-only ones
            # leave them: reported in issue 15's notes).
            made = {n for n in _listing(at) - before if n not in SQLITE_JOURNALS}
            assert made <= OUTPUTS & {Path(a).name for a in args}, (args, made)
            before |= made
        report = at / "report.html"
        if report.exists():
            assert raw_controls(report.read_text(encoding="utf-8")) == []
