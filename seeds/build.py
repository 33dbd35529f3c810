"""Rebuild the seed ledgers from their authoring files, byte for byte.

    python seeds/build.py            # rewrites seeds/*.jsonl from seeds/*.events.jsonl

Each record's recorded_at comes from a fixed clock, so the output depends on
the authoring file alone; a test rebuilds every seed and compares bytes.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from ledger import Ledger

SEEDS = Path(__file__).resolve().parent
#: The moment every seed record is said to have been recorded.
SEED_CLOCK = datetime(2025, 1, 14, tzinfo=UTC)


def build(authoring: Path, target: Path) -> None:
    """Import an authoring file into a fresh JSON Lines ledger at target."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / target.name
        with Ledger.open(str(fresh), clock=lambda: SEED_CLOCK) as lg:
            lg.import_events(authoring)
        target.write_bytes(fresh.read_bytes())


def main() -> int:
    for authoring in sorted(SEEDS.glob("*.events.jsonl")):
        target = authoring.with_name(authoring.name.replace(".events.jsonl", ".jsonl"))
        build(authoring, target)
        print(f"built {target.relative_to(SEEDS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
