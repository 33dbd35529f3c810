"""What `make demo` runs: the Kursk seed ledger, from the command line to a chart and a report.

    python examples/demo.py [SEED] [OUT_DIR]

Copies the seed wire ledger (seeds/kursk-north-korean-pows.jsonl) into a
fresh SQLite file OUT_DIR/kursk.db with `ledger copy`, prints what every
source says, then the `ledger topics` table, and writes the casualties chart
(`ledger plot`) and the HTML report (`ledger report`) beside it.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from kursk_pows import describe

import ledger
from ledger.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "kursk-north-korean-pows.jsonl"
OUT = ROOT / "demo-out"
TOPIC = "kursk/nk-troops/casualties"


def ledger_cli(*args: str) -> None:
    """Run one `ledger` command in-process, echoing it as a shell line first."""
    print(f"\n$ ledger {shlex.join(args)}")
    try:
        cli.main(list(args), prog_name="ledger", standalone_mode=False)
    except SystemExit as exc:  # click exits after --help; any other exit is a failure
        if exc.code:
            raise


def main(argv: list[str]) -> int:
    seed = Path(argv[1]) if len(argv) > 1 else SEED
    out = Path(argv[2]) if len(argv) > 2 else OUT
    if not seed.is_file() or seed.stat().st_size == 0:
        print(f"{seed} is missing or empty: build it with `python seeds/build.py`", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    db = out / "kursk.db"
    # A fresh copy every time: copy refuses a destination that holds records.
    for stale in out.glob("kursk.db*"):
        stale.unlink()
    ledger_cli("copy", str(seed), str(db))
    with ledger.Ledger.open(str(db)) as lg:
        print(f"\n{db}: {lg.head} records")
        describe(lg)
    chart = out / "kursk-casualties.png"
    report = out / "kursk-report.html"
    ledger_cli("plot", str(db), TOPIC, "-o", str(chart))
    ledger_cli("report", str(db), "-o", str(report), "--title", "North Korean soldiers in Kursk")
    ledger_cli("topics", str(db))
    print(f"\nThe ledger: {db.resolve()}")
    print(f"The chart:  {chart.resolve()}")
    print(f"The report: {report.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
