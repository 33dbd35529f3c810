"""Peak memory of importing a large spreadsheet: ``python -m benchmarks.import_memory``.

Writes a CSV of ``--rows`` events from the seeded generator (``generate.py``:
its prelude of source descriptions and topic definitions, then figures,
claims, disputes and retractions in the issue's mix), one event a row in the
spreadsheet authoring format (a ``type`` column, figures flattened into
their columns, no event_id: the import derives them), then runs

    ledger import BIG.csv NEW.db

in a fresh process and prints that process's peak resident set (VmHWM, else
ru_maxrss) beside the idle interpreter's (``ledger --version``) and the
file's size, as one JSON line. Memory is measured, not timed against a
limit: the import streams the file (it is never read whole), so what grows
with the rows is what the ledger itself keeps per event.

    .venv/bin/python -m benchmarks.import_memory --rows 100000
    .venv/bin/python -m benchmarks.import_memory --rows 1000000 --keep
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.generate import LedgerGenerator
from ledger.domain.events import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
)
from ledger.export import cell_text

__all__ = ["COLUMNS", "event_row", "main", "write_csv"]

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
#: The spreadsheet's columns: every field of every event type, the figure flattened.
COLUMNS = (
    *("type", "topic", "source", "claim_id", "target", "stated_at", "as_of"),
    *("low", "high", "low_open", "high_open", "best", "unit", "phrase", "rule"),
    *("statement", "proposition", "stance", "via", "quote", "url", "reason"),
    *("title", "parts", "description", "name", "kind", "affiliation", "reliability"),
)

# The child: run the CLI, then report this process's peak resident set on stderr.
_CHILD = """
import sys
from pathlib import Path
from ledger.cli import main

def peak():
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

sys.argv = ["ledger", *sys.argv[1:]]
try:
    main()
finally:
    print(f"PEAK_KIB {peak()}", file=sys.stderr)
"""


def event_row(event: Event) -> dict[str, Any]:
    """One event as a spreadsheet row (values as the export writes them)."""
    row: dict[str, Any] = {"type": type(event).__name__}
    if isinstance(event, FigureReported):
        f = event.figure
        row |= {
            "topic": event.topic,
            "source": event.source,
            "claim_id": event.claim_id,
            "stated_at": event.stated_at,
            "as_of": event.as_of if event.as_of != event.stated_at else None,
            "low": f.low,
            "high": f.high,
            "low_open": f.low_open,
            "high_open": f.high_open,
            "best": f.best,
            "unit": f.unit,
            "phrase": f.phrase,
            "rule": f.rule,
            "via": event.via,
            "quote": event.quote,
            "url": event.url,
        }
    elif isinstance(event, ClaimMade):
        row |= {
            "topic": event.topic,
            "source": event.source,
            "claim_id": event.claim_id,
            "stated_at": event.stated_at,
            "statement": event.statement,
            "proposition": event.proposition,
            "stance": event.stance,
            "via": event.via,
            "quote": event.quote,
            "url": event.url,
        }
    elif isinstance(event, ClaimDisputed):
        row |= {
            "target": event.target,
            "source": event.source,
            "stated_at": event.stated_at,
            "reason": event.reason,
            "via": event.via,
            "quote": event.quote,
            "url": event.url,
        }
    elif isinstance(event, ClaimRetracted):
        row |= {
            "target": event.target,
            "source": event.source,
            "stated_at": event.stated_at,
            "reason": event.reason,
        }
    elif isinstance(event, TopicDefined):
        row |= {
            "topic": event.topic,
            "title": event.title,
            "unit": event.unit,
            "parts": event.parts,
            "description": event.description,
        }
    elif isinstance(event, SourceDescribed):
        row |= {
            "source": event.source,
            "name": event.name,
            "kind": event.kind,
            "affiliation": event.affiliation,
            "reliability": event.reliability,
        }
    return row


def write_csv(path: Path, rows: int, *, seed: int = 8) -> int:
    """Write a CSV of the generator's first ``rows`` events; returns its size in bytes."""
    events: Iterator[Event] = LedgerGenerator(seed=seed).take(rows)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for event in events:
            row = event_row(event)
            writer.writerow([cell_text(row.get(c)) for c in COLUMNS])
    return path.stat().st_size


def _peak_of(*args: str) -> tuple[int, float]:
    """Run ``ledger ARGS`` in a fresh process: its peak RSS in KiB and its wall seconds."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"ledger {' '.join(args)} failed:\n{done.stderr}")
    peaks = [line for line in done.stderr.splitlines() if line.startswith("PEAK_KIB ")]
    return int(peaks[-1].split()[1]), seconds


def main(argv: list[str] | None = None) -> None:
    """Generate the CSV, import it in a fresh process, print the peak memory as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="events in the CSV")
    parser.add_argument("--dir", type=Path, default=DATA, help="where the files go")
    parser.add_argument("--keep", action="store_true", help="keep the CSV and the ledger")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    source = args.dir / f"import-{args.rows}.csv"
    target = args.dir / f"import-{args.rows}.db"
    for old in args.dir.glob(f"{target.name}*"):
        old.unlink()
    size = write_csv(source, args.rows)
    idle, _ = _peak_of("--version")
    peak, seconds = _peak_of("import", str(source), str(target))
    print(
        json.dumps(
            {
                "rows": args.rows,
                "csv_bytes": size,
                "import_peak_kib": peak,
                "idle_peak_kib": idle,
                "import_seconds": round(seconds, 1),
                "command": f"ledger import {source.name} {target.name}",
            }
        )
    )
    if not args.keep:
        source.unlink()
        for made in args.dir.glob(f"{target.name}*"):
            made.unlink()


if __name__ == "__main__":
    main()
