"""Hostile text for the CLI tests, and the check that none of it reaches a terminal raw."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ledger import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Figure,
    FigureReported,
    Ledger,
    SourceDescribed,
    TopicDefined,
    parse_figure,
)

#: What must never be printed raw: C0 controls but the newline, DEL, C1 controls,
#: bidi embeddings, overrides and isolates, and lone surrogates. Kept apart from
#: ledger.present.text on purpose: the test must not trust the code it checks.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

#: One of each attack: rich markup, a window title, a clear screen, a hidden
#: OSC 8 link, a C1 CSI, bidi overrides and isolates, NUL and a bell.
ATTACKS = {
    "sic": "Killed [sic] in Kursk",
    "close": "[/sic] and [/]",
    "link": "[link=https://evil.example]click[/link]",
    "title": "\x1b]0;pwned\x07",
    "clear": "\x1b[2J\x1b[H",
    "osc8": "\x1b]8;;https://evil.example\x1b\\hidden\x1b]8;;\x1b\\",
    "c1": "\x9b31mred\x9b0m \x9d0;t\x9c \x85",
    "bidi": "\u202eevil\u202c \u2066iso\u2069 \u202a\u202b\u202d",
    "nul": "a\x00b\x07c\x08d\x7fe\tf\rg\x0bh\x0ci",
}
HOSTILE = " ".join(ATTACKS.values())
TOPIC = "t/hostile"
QUAL = "t/qualitative"


def raw_controls(text: str) -> list[str]:
    """The characters of text that must not be printed raw, as escapes (empty when clean)."""
    return [f"\\u{ord(c):04x}" for c in RAW.findall(text)]


def hostile_ledger(path: Path) -> Path:
    """A ledger whose every text field holds HOSTILE: titles, units, names, words, reasons."""
    unit = "sol\x1b[31mdiers [b]"
    with Ledger.open(str(path)) as lg:
        lg.append(TopicDefined(topic=TOPIC, title=HOSTILE, unit=unit, description=HOSTILE))
        lg.append(TopicDefined(topic=QUAL, title=HOSTILE, unit=None, description=HOSTILE))
        lg.append(SourceDescribed(source="s", name=HOSTILE))
        lg.append(SourceDescribed(source="o", name=HOSTILE))
        figure = parse_figure("about 3,000", unit)
        lg.append(
            FigureReported(
                claim_id="f",
                topic=TOPIC,
                source="s",
                figure=Figure(figure.low, figure.high, best=figure.best, unit=unit, phrase=HOSTILE),
                stated_at=date(2025, 1, 1),
                quote=HOSTILE,
                url="https://example.org/\x1b[2J",
            )
        )
        lg.append(
            FigureReported(
                claim_id="g",
                topic=TOPIC,
                source="o",
                figure=Figure(5, 10, unit=unit, phrase="between $5 and $10 million"),
                stated_at=date(2025, 1, 2),
                quote=HOSTILE,
            )
        )
        lg.append(
            ClaimMade(
                claim_id="m",
                topic=QUAL,
                source="s",
                statement=HOSTILE,
                stated_at=date(2025, 1, 1),
                quote=HOSTILE,
                url=HOSTILE,
            )
        )
        lg.append(
            ClaimDisputed(
                target="m", source="o", reason=HOSTILE, stated_at=date(2025, 1, 2), quote=HOSTILE
            )
        )
        lg.append(ClaimDisputed(target="f", source="o", reason=HOSTILE, stated_at=date(2025, 1, 2)))
        lg.append(
            FigureReported(
                claim_id="r",
                topic=TOPIC,
                source="p",
                figure=parse_figure("several hundred", unit),
                stated_at=date(2025, 1, 2),
            )
        )
        lg.append(
            ClaimRetracted(target="r", source="p", reason=HOSTILE, stated_at=date(2025, 1, 3))
        )
    return path
