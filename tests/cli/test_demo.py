"""`make demo` (examples/demo.py) ends with the topics table, a chart and a report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ledger.facade.transfer import copy_ledger
from tests.cli.conftest import ROOT


def test_the_demo_writes_the_chart_and_the_report_and_says_where(
    seed_master: Path, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    seed = tmp_path / "seed.jsonl"
    copy_ledger(str(seed_master), str(seed))
    out = tmp_path / "demo-out"
    for _ in range(2):  # a second run starts again from a fresh copy
        done = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "demo.py"), str(seed), str(out)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    lines = done.stdout.rstrip().splitlines()
    assert lines[-3:] == [
        f"The ledger: {(out / 'kursk.db').resolve()}",
        f"The chart:  {(out / 'kursk-casualties.png').resolve()}",
        f"The report: {(out / 'kursk-report.html').resolve()}",
    ]
    table = done.stdout.split("$ ledger topics")[1]
    assert "kursk/nk-troops/casualties" in table
    assert "majority" in table
    assert (out / "kursk-casualties.png").stat().st_size > 10_000
    assert "<svg" in (out / "kursk-report.html").read_text()


def test_the_demo_asks_for_the_seed_when_it_is_missing(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), str(tmp_path / "none.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "python seeds/build.py" in done.stderr
