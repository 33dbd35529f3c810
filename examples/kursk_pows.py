"""Replay the Kursk seed ledger and print what the sources say, and where they agree.

    python examples/kursk_pows.py [STORE]

STORE defaults to the seed ledger, seeds/kursk-north-korean-pows.jsonl; any
store URL works (make demo copies the seed into a fresh SQLite file first).
The store is opened read-only: nothing is written beside the seed, and a log
without a read model is folded in memory (a warning on stderr says so; a
writable open would build one).
"""

from __future__ import annotations

import sys
from pathlib import Path

import ledger

SEED = Path(__file__).resolve().parent.parent / "seeds" / "kursk-north-korean-pows.jsonl"


def describe(lg: ledger.Ledger) -> None:
    """Print every topic's figures, range and consensus, then every proposition."""
    for view in lg.topics():
        if not view.figures:
            continue
        print(f"\n== {view.topic} ({view.unit})")
        for current in view.figures:
            figure = current.figure
            if current.derived:
                words = "derived: the sum of its parts"
            else:
                words = repr(figure.phrase) if figure.phrase else "numbers as given"
            claim = lg.claim(current.claim_id) if current.claim_id else None
            via = f" via {', '.join(claim.via)}" if claim is not None and claim.via else ""
            disputed = (
                f"  disputed by {', '.join(current.disputed_by)}" if current.disputed_by else ""
            )
            print(f"  {current.source:20} {figure!s:18} {words}{via}{disputed}")
        consensus = view.consensus
        assert consensus is not None
        print(f"  range      {view.range}")
        print(
            f"  consensus  {consensus.interval} ({consensus.level}), estimate {consensus.estimate}"
        )
        print(f"  agree      {', '.join(consensus.supporters) or '-'}")
        print(f"  dissent    {', '.join(consensus.dissenters) or '-'}")
    print("\n== propositions")
    disputes = lg.disputes()
    for prop in lg.propositions():
        print(f"  {prop.topic} :: {prop.proposition}: {prop.status}")
        affirmed = ", ".join(prop.affirmed_by) or "-"
        denied = ", ".join(prop.denied_by) or "-"
        print(f"    affirmed by {affirmed}; denied by {denied}")
        for d in disputes:
            claim = lg.claim(d.target)
            if isinstance(claim, ledger.ClaimMade) and claim.proposition == prop.proposition:
                print(f"    disputed by {d.source}: {d.reason}")


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else str(SEED)
    if "://" not in url and not Path(url).exists():
        print(f"{url}: no such ledger; run python seeds/build.py", file=sys.stderr)
        return 1
    with ledger.Ledger.open(url, read_only=True) as lg:
        print(f"{url}: {lg.head} records")
        describe(lg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
