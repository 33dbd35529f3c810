"""Quickstart: record three sources that disagree, and read the finding.

python examples/quickstart.py
"""

from datetime import date

import ledger

lg = ledger.Ledger.open("memory://")
lg.append(ledger.TopicDefined(topic="flood/deaths", title="Deaths in the flood", unit="people"))


def report(source: str, words: str, day: int) -> ledger.FigureReported:
    """What a source said about the death toll, in its own words, on a day of September."""
    return ledger.FigureReported(
        claim_id=f"{source}-deaths",
        topic="flood/deaths",
        source=source,
        figure=ledger.parse_figure(words, "people"),
        stated_at=date(2024, 9, day),
    )


lg.extend(
    [
        report("ministry", "more than 120", 3),
        report("red-cross", "about 130", 4),
        report("mayor", "dozens of", 4),
    ]
)
lg.append(
    ledger.ClaimDisputed(
        target="mayor-deaths",
        source="red-cross",
        reason="Counted before the second wave of reports.",
        stated_at=date(2024, 9, 5),
    )
)

view = lg.topic("flood/deaths")
for current in view.figures:
    words = current.figure.phrase
    print(f"{current.source:10} {words!r:18} {current.figure}  disputed by {current.disputed_by}")
print("range:    ", view.range)
consensus = view.consensus
assert consensus is not None
print("consensus:", consensus.interval, consensus.level, "estimate", consensus.estimate)
print("agree:    ", ", ".join(consensus.supporters), "| dissent:", ", ".join(consensus.dissenters))
