"""Day by day through the Derna floods seed: the consensus with the topic's window and without it.

    python examples/freshness.py [AUTHORING]

AUTHORING defaults to seeds/derna-floods.events.jsonl; the file is imported
into a fresh in-memory ledger. For each topic with a freshness window, each
day of the story prints two rows: the consensus as the topic's own window
judges it (a figure older than the newest one minus the window is stale and
left out), and with the window set aside (``window=timedelta.max``: every
current figure counts, however old).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import ledger

SEED = Path(__file__).resolve().parent.parent / "seeds" / "derna-floods.events.jsonl"
FIRST, LAST = date(2023, 9, 11), date(2023, 9, 23)
HEADER = f"  {'day':10}  {'window':6}  {'level':9}  {'interval':18}  {'estimate':>8}  supporters"


def number(value: float | None) -> str:
    """A figure as the table prints it: thousands separated, '-' for none."""
    return "-" if value is None else f"{value:,}"


def row(day: date, label: str, view: ledger.TopicView) -> str:
    """One line of the table: the consensus of a topic view, and who is stale."""
    c = view.consensus
    if c is None:
        return f"  {day.isoformat():10}  {label:6}  {'-':9}  {'no figures':18}"
    if c.level == "split":
        where = " | ".join(f"{camp.interval} {', '.join(camp.supporters)}" for camp in c.camps)
        who = f"camps: {where}"
    else:
        who = ", ".join(c.supporters) or "-"
    stale = [f.source for f in view.figures if f.stale]
    if stale:
        who += f"   (stale: {', '.join(stale)})"
    interval = "-" if c.interval is None else str(c.interval)
    return (
        f"  {day.isoformat():10}  {label:6}  {c.level:9}  {interval:18}  "
        f"{number(c.estimate):>8}  {who}"
    )


def duration(window: timedelta) -> str:
    """A window in days and hours, as an editor would say it."""
    hours = window.seconds // 3600
    return f"{window.days} days" + (f" {hours} hours" if hours else "")


def days(first: date, last: date) -> list[date]:
    """Every day from first to last, both included."""
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


def main(argv: list[str]) -> int:
    authoring = Path(argv[1]) if len(argv) > 1 else SEED
    with ledger.Ledger.open("memory://") as lg:
        lg.import_events(authoring)
        for definition in (lg.definition(v.topic) for v in lg.topics()):
            if definition is None or definition.window is None:
                continue
            topic = definition.topic
            print(f"\n== {topic}: {definition.title}")
            print(f"   the topic's window ({duration(definition.window)}) against none")
            print(HEADER)
            for day in days(FIRST, LAST):
                # Statements are dated to the day; the end of the day takes them all in.
                view = lg.as_of(stated=datetime.combine(day, time.max, tzinfo=UTC))
                try:
                    windowed = view.topic(topic)
                    unwindowed = view.topic(topic, window=timedelta.max)
                except ledger.UnknownTopic:
                    continue
                if not windowed.figures:
                    continue
                print(row(day, "on", windowed))
                print(row(day, "off", unwindowed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
