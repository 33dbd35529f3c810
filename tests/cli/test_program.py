"""The `ledger` program owns its process; the `cli` group called inside another's never tunes it."""

from __future__ import annotations

import gc
from pathlib import Path

from click.testing import CliRunner

from ledger.cli import OWN_PROCESS, cli


def _topics_as_of(store: Path, obj: object) -> int:
    """Run `ledger topics --as-of` (a fold of the log) and give the collector's freeze count."""
    result = CliRunner().invoke(cli, ["topics", str(store), "--as-of", "2025-01-01"], obj=obj)
    assert result.exit_code == 0, result.output
    return gc.get_freeze_count()


def test_the_program_tunes_the_collector_over_a_long_fold(seed_db: Path) -> None:
    frozen = gc.get_freeze_count()
    try:
        assert _topics_as_of(seed_db, OWN_PROCESS) > frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_the_command_group_inside_another_program_leaves_the_collector_alone(
    seed_db: Path,
) -> None:
    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    _topics_as_of(seed_db, None)
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before
