"""A projection of your own: how many figures each source gave, month by month.

python examples/custom_projection.py [STORE]

A projection is an initial state and a step over the log's records
(docs/projections.md). The ledger runs it over the whole log, as of any
moment, or keeps it current while records are appended.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import ledger

SEED = Path(__file__).resolve().parent.parent / "seeds" / "kursk-north-korean-pows.events.jsonl"

Counts = dict[tuple[str, str], int]


class FiguresPerSourcePerMonth:
    """(source, "YYYY-MM") -> how many figures the source reported that month."""

    def initial(self) -> Counts:
        return {}

    def step(self, state: Counts, record: ledger.Recorded) -> Counts:
        event = record.event
        if isinstance(event, ledger.FigureReported):
            key = (event.source, event.stated_at.strftime("%Y-%m"))
            state[key] = state.get(key, 0) + 1
        return state


def table(counts: Counts) -> str:
    return "\n".join(f"  {s:24} {m}  {n}" for (s, m), n in sorted(counts.items()))


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else "memory://"
    with ledger.Ledger.open(url) as lg:
        if not lg.head:
            lg.import_events(SEED)
        counts = lg.project(FiguresPerSourcePerMonth())
        print("Figures per source per month, over the whole log:")
        print(table(counts))

        earlier = lg.project(FiguresPerSourcePerMonth(), stated=date(2025, 1, 12))
        # A bare date is midnight UTC: what was stated by then, bare dates of the 12th too.
        print("\nAs stated by 12 January 2025, 00:00 UTC:")
        print(table(earlier) or "  (none)")

        # Kept current: each read of .state folds only what was appended since.
        live = lg.track(FiguresPerSourcePerMonth())
        before = sum(live.state.values())
        lg.append(
            ledger.FigureReported(
                claim_id="example-figure",
                topic="kursk/nk-troops/killed",
                source="example-source",
                figure=ledger.parse_figure("about 400", "soldiers"),
                stated_at=date(2025, 2, 3),
            )
        )
        print(f"\nKept current: {before} figures, then {sum(live.state.values())} after an append")
        print(f"  it has folded the log up to position {live.position} of {lg.head}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
