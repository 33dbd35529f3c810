"""`ledger follow` prints what is there, then what arrives, each record once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from click.testing import CliRunner

import ledger
from ledger.cli import cli


def topic(n: int) -> ledger.TopicDefined:
    return ledger.TopicDefined(topic=f"t/{n}", title=f"Topic {n}", unit="people")


def test_follow_prints_the_existing_records_after_a_position(tmp_path: Path) -> None:
    store = str(tmp_path / "f.db")
    with ledger.Ledger.open(store) as lg:
        lg.extend([topic(n) for n in range(5)])
    result = CliRunner().invoke(cli, ["follow", store, "--after", "2", "--count", "3", "--json"])
    assert result.exit_code == 0, result.output
    positions = [json.loads(line)["position"] for line in result.output.splitlines()]
    assert positions == [3, 4, 5]


def test_follow_stops_at_its_timeout_when_nothing_arrives(tmp_path: Path) -> None:
    store = str(tmp_path / "f.jsonl")
    with ledger.Ledger.open(store) as lg:
        lg.append(topic(1))
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["follow", store, "--timeout", "0.3", "--poll", "0.05"])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 5
    assert "t/1" in result.output


def test_a_timeout_bounds_the_wait_for_new_records_never_the_log_already_there(
    tmp_path: Path,
) -> None:
    # --timeout 0 printed one record of the log, and a short timeout a number
    # that depended on the machine's speed.
    store = str(tmp_path / "f.db")
    with ledger.Ledger.open(store) as lg:
        lg.extend([topic(n) for n in range(1500)])
    for after, timeout in ((0, "0"), (0, "0.01"), (1400, "0")):
        result = CliRunner().invoke(
            cli, ["follow", store, "--after", str(after), "--timeout", timeout, "--json"]
        )
        assert result.exit_code == 0, result.output
        positions = [json.loads(line)["position"] for line in result.output.splitlines()]
        assert positions == list(range(after + 1, 1501))


def test_a_poll_that_is_not_a_number_or_too_long_is_a_usage_error(tmp_path: Path) -> None:
    store = str(tmp_path / "f.db")
    with ledger.Ledger.open(store) as lg:
        lg.append(topic(1))
    for poll in ("nan", "inf", "1e309", "1e10"):
        result = CliRunner().invoke(cli, ["follow", store, "--poll", poll, "--timeout", "0"])
        assert result.exit_code == 2, (poll, result.output)
        assert "Invalid value for '--poll'" in result.output


def test_follow_sees_records_appended_by_another_process(tmp_path: Path) -> None:
    store = str(tmp_path / "f.db")
    with ledger.Ledger.open(store) as lg:
        lg.append(topic(0))
    follower = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ledger",
            "follow",
            store,
            "--count",
            "4",
            "--json",
            "--poll",
            "0.05",
            "--timeout",
            "60",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    with ledger.Ledger.open(store) as lg:
        for n in range(1, 4):
            time.sleep(0.1)
            lg.append(
                ledger.FigureReported(
                    claim_id=f"c{n}",
                    topic="t/0",
                    source=f"s{n}",
                    figure=ledger.Figure(n, n + 1, unit="people"),
                    stated_at=date(2025, 1, n),
                )
            )
    out, _ = follower.communicate(timeout=60)
    assert follower.returncode == 0
    positions = [json.loads(line)["position"] for line in out.splitlines()]
    assert positions == [1, 2, 3, 4]


def test_follow_of_a_missing_store_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["follow", str(tmp_path / "none.db"), "--timeout", "0"])
    assert result.exit_code == 1
    assert "Error" in result.output
