"""Quickstart: record three sources that disagree, and read the finding.

python examples/quickstart.py
"""

from datetime import date

import ledger

lg = ledger.Ledger.open("memory://")
lg.append(ledger.TopicDefined(topic="flood/deaths", title="Deaths in the flood", unit="people"))
lg.append(
    ledger.FigureReported(
        claim_id="ministry-deaths",
        topic="flood/deaths",
        source="ministry",
        figure=ledger.parse_figure("more than 120", "people"),
        stated_at=date(2024, 9, 3),
    )
)
lg.append(
    ledger.FigureReported(
        claim_id="red-cross-deaths",
        topic="flood/deaths",
        source="red-cross",
        figure=ledger.parse_figure("about 130", "people"),
        stated_at=date(2024, 9, 4),
    )
)
lg.append(
    ledger.FigureReported(
        claim_id="mayor-deaths",
        topic="flood/deaths",
        source="mayor",
        figure=ledger.parse_figure("dozens of", "people"),
        stated_at=date(2024, 9, 4),
    )
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
