"""What was known as of each day of the article: the Kursk seed, day by day.

python examples/time_travel.py [STORE]

STORE defaults to the seed ledger, seeds/kursk-north-korean-pows.jsonl. It is
opened read-only: nothing is written beside it, and time travel folds the
log itself in any case.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

import ledger

SEED = Path(__file__).resolve().parent.parent / "seeds" / "kursk-north-korean-pows.jsonl"
DAYS = [date(2025, 1, 11), date(2025, 1, 12), date(2025, 1, 13)]


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else str(SEED)
    with ledger.Ledger.open(url, read_only=True) as lg:
        for day in DAYS:
            # A bare date means midnight UTC (the day's start, where events stated
            # with a bare date sit); ask for the day's last instant instead.
            view = lg.as_of(stated=datetime.combine(day, time.max, tzinfo=UTC))
            print(f"\n== as of {day.isoformat()} (end of day)")
            for topic in view.topics():
                if topic.consensus is None:
                    continue
                c = topic.consensus
                print(
                    f"  {topic.topic:32} {len(topic.figures)} source(s), range {topic.range}, "
                    f"consensus {c.interval} ({c.level})"
                )
            for prop in view.propositions():
                print(f"  {prop.topic} :: {prop.proposition}: {prop.status}")
        print("\n== the log, position by position, for the casualties topic")
        for position in range(1, lg.head + 1):
            snapshot = lg.as_of(position=position)
            try:
                topic = snapshot.topic("kursk/nk-troops/casualties")
            except ledger.UnknownTopic:
                continue
            if topic.consensus is not None:
                agreed = topic.consensus.interval
                print(f"  after {position:2}: range {topic.range}, consensus {agreed}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
