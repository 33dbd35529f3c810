"""Following a file store that is removed, renamed over or copied over ends with an error.

A follower polls the file it opened. Before, one removed or renamed over
never showed another record (the follower waited forever, or until its
timeout, and said nothing), and a SQLite file copied over in place went on
with the other ledger's records as if they came next.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from ledger import CorruptLog, FigureReported, Ledger, StoreUnavailable, parse_figure


def build(path: Path, source: str, count: int) -> None:
    with Ledger.open(str(path)) as lg:
        for i in range(count):
            lg.append(
                FigureReported(
                    claim_id=f"{source}-{i}",
                    topic=f"t/{source}",
                    source=source,
                    figure=parse_figure(f"about {10 * (i + 1)}", "people"),
                    stated_at=date(2024, 1, 1 + i),
                )
            )


def follow_while(path: Path, after: int, change: Callable[[], None]) -> list[int]:
    """Follow path after a position; change the file at the second look; the positions seen."""
    looks = 0

    def stop() -> bool:
        nonlocal looks
        looks += 1
        if looks == 2:
            change()
        return looks > 5

    seen = []
    with Ledger.open(str(path), read_only=True) as lg:
        for record in lg.follow(after, poll_interval=0.01, stop=stop):
            seen.append(record.position)
    return seen


@pytest.mark.parametrize("suffix", [".db", ".jsonl"])
@pytest.mark.parametrize("how", ["removed", "renamed over"])
def test_a_followed_file_removed_or_renamed_over_ends_the_follow(
    tmp_path: Path, suffix: str, how: str
) -> None:
    path, other = tmp_path / f"s{suffix}", tmp_path / f"other{suffix}"
    build(path, "alpha", 3)
    build(other, "beta", 6)

    def change() -> None:
        if how == "removed":
            path.unlink()
        else:
            os.replace(other, path)

    with pytest.raises(StoreUnavailable, match="was removed or replaced while it was followed"):
        follow_while(path, 1, change)


def test_a_sqlite_file_copied_over_in_place_is_never_read_as_the_next_records(
    tmp_path: Path,
) -> None:
    path, other = tmp_path / "s.db", tmp_path / "other.db"
    build(path, "alpha", 3)
    build(other, "beta", 6)
    for side in ("-wal", "-shm"):
        assert not Path(f"{other}{side}").exists()

    def change() -> None:
        shutil.copyfile(other, path)
        build(path, "gamma", 1)  # a writer at the path, as the follower would wait for

    with pytest.raises(CorruptLog, match="no longer holds the record at position 3"):
        follow_while(path, 3, change)
