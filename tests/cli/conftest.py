"""Fixtures for the CLI tests: a runner and ledgers built from the Kursk and Derna seeds."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ledger import Ledger
from ledger.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SEED_EVENTS = ROOT / "seeds" / "kursk-north-korean-pows.events.jsonl"
CASUALTIES = "kursk/nk-troops/casualties"
SEED_CLOCK = datetime(2025, 1, 14, tzinfo=UTC)
#: Derna, September 2023: a 3-day window on the deaths and the missing, four voices.
DERNA_EVENTS = ROOT / "seeds" / "derna-floods.events.jsonl"
DEATHS = "derna-floods/deaths"
MISSING = "derna-floods/missing"

Run = Callable[..., Result]


@pytest.fixture
def run() -> Run:
    """Invoke the CLI in-process; fails the test on an unexpected exit code."""
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, input: str | None = None) -> Result:
        result = runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # a bug, not a user mistake: show its traceback
        assert result.exit_code == code, (result.exit_code, result.output)
        return result

    return invoke


def run_json(run: Run, *args: str) -> Any:
    """Run a reading command with --json and parse what it printed."""
    return json.loads(run(*args, "--json").stdout)


def imported(factory: pytest.TempPathFactory, events: Path, name: str) -> Path:
    """A seed's events imported into a SQLite file of its own, with a fixed clock."""
    path = factory.mktemp(name) / f"{name}.db"
    with Ledger.open(str(path), clock=lambda: SEED_CLOCK) as lg:
        lg.import_events(events)
    return path


def private_copy(master: Path, tmp_path: Path) -> Path:
    """A copy of a ledger file that a test may write to."""
    target = tmp_path / master.name
    shutil.copy(master, target)
    return target


@pytest.fixture(scope="session")
def seed_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Kursk seed imported once into a SQLite file, with a fixed clock."""
    return imported(tmp_path_factory, SEED_EVENTS, "kursk")


@pytest.fixture
def seed_db(seed_master: Path, tmp_path: Path) -> Path:
    """A private copy of the seed ledger that a test may write to."""
    return private_copy(seed_master, tmp_path)


@pytest.fixture
def seed_jsonl(seed_master: Path, tmp_path: Path) -> Path:
    """The seed ledger as JSON Lines."""
    from ledger.facade.transfer import copy_ledger

    target = tmp_path / "kursk.jsonl"
    copy_ledger(str(seed_master), str(target))
    return target


@pytest.fixture(scope="session")
def derna_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Derna seed imported once into a SQLite file, with a fixed clock."""
    return imported(tmp_path_factory, DERNA_EVENTS, "derna")


@pytest.fixture
def derna_db(derna_master: Path, tmp_path: Path) -> Path:
    """A private copy of the Derna ledger that a test may write to."""
    return private_copy(derna_master, tmp_path)
