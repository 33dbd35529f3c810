"""One self-contained HTML report: every topic's table and chart, every proposition.

No network, no scripts, no matplotlib: the CSS and the SVG charts are inline
(``ledger.present.svg``), drawn from the same ``ledger.present.chart_model``
the PNG charts use. Every answer (current figures, stale marks, voices,
camps, current statements, disputes) is the view's: nothing here re-reads
the log. All text goes through `ledger.present.text`: escaped, controls shown as visible
escapes (XML 1.0 forbids most of them even as references, so every inline SVG
stays well-formed), and text from sources isolated in ``<bdi>`` (in SVG, a
``<tspan>`` with ``unicode-bidi:isolate``) so that right-to-left text cannot
reorder the page around it. The page is deterministic (no clock), so a report
of the same ledger is the same file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import attrs

from ledger.domain.views import CurrentFigure, PropositionView, TopicView
from ledger.facade import LedgerView
from ledger.present.chart_model import COLORS, TopicChart, topic_chart
from ledger.present.svg import topic_svg
from ledger.present.text import html_inline, html_text
from ledger.present.words import (
    camp_text,
    camps_of,
    dispute_text,
    figure_disputes,
    fmt_number,
    fmt_time,
    stale_text,
    voices_text,
    window_text,
    words_of,
)
from ledger.version import __version__

__all__ = ["ReportInfo", "render_report", "topic_svg", "write_report"]

_CSS = """
:root{--ink:#1a202c;--soft:#4a5568;--line:#e2e8f0;--bg:#fff;--card:#f7fafc}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--ink);background:var(--bg);-webkit-text-size-adjust:100%}
header,main,footer{max-width:1120px;margin:0 auto;padding:0 16px}
header{padding-top:20px}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 4px}
h2{font-size:1.25rem;line-height:1.3;margin:0}
h3{font-size:1rem;margin:20px 0 6px}
a{color:#2b6cb0}
.meta,.slug{color:var(--soft);font-size:.9rem;margin:2px 0 0;overflow-wrap:anywhere}
section{border-top:1px solid var(--line);padding:20px 0}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{font-weight:600;color:var(--soft);white-space:nowrap}
td{overflow-wrap:break-word}
td.num{white-space:nowrap}
.scroll{overflow-x:auto}
.figures td.num{white-space:normal}
.quote{display:block;color:var(--soft);font-size:.85rem}
.topic-body{display:grid;gap:16px;margin-top:12px}
@media (min-width:960px){.topic-body{grid-template-columns:440px minmax(0,1fr)}}
figure{margin:0}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.legend{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:4px 14px;
font-size:.8rem;color:var(--soft)}
.sw{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px;
border-radius:2px}
dl.finding{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:12px 0 0}
dl.finding dt{color:var(--soft)}
dl.finding dd{margin:0;overflow-wrap:anywhere}
.proposition{background:var(--card);border:1px solid var(--line);border-radius:8px;
padding:10px 12px;margin:10px 0}
.proposition h4{margin:0;font-size:1rem;overflow-wrap:anywhere}
.proposition ul{margin:6px 0 0;padding-left:18px}
.status{display:inline-block;font-size:.75rem;font-weight:700;text-transform:uppercase;
letter-spacing:.04em;padding:1px 8px;border-radius:10px;margin-left:6px;vertical-align:2px}
.agreed{background:#c6f6d5;color:#22543d}.denied{background:#fed7d7;color:#742a2a}
.contested{background:#feebc8;color:#7b341e}.withdrawn{background:#e2e8f0;color:#2d3748}
tr.stale td{color:#718096;background:#f7fafc}
.badge{display:inline-block;font-size:.7rem;font-weight:700;text-transform:uppercase;
letter-spacing:.04em;padding:0 6px;border-radius:8px;margin-left:4px;background:#e2e8f0;
color:#4a5568}
p.note{color:var(--soft);font-size:.85rem;margin:8px 0 0}
nav ol{columns:2 260px;margin:8px 0 0;padding-left:20px;font-size:.92rem}
footer{color:var(--soft);font-size:.8rem;padding-bottom:24px}
@media (max-width:640px){
  table.cards thead{display:none}
  table.cards tr{display:block;border:1px solid var(--line);border-radius:8px;
  margin:0 0 10px;padding:4px 10px}
  table.cards td{display:grid;grid-template-columns:7.5em 1fr;gap:8px;border:0;padding:3px 0}
  table.cards td::before{content:attr(data-label);color:var(--soft);font-weight:600}
  td.num{white-space:normal}
  table.cards td.empty{display:none}
  nav{display:none}
}
"""


def _e(value: object) -> str:
    """Escaped text for attributes, <title> and the page's own words."""
    return html_text(value)


def _u(value: object) -> str:
    """Text from a source (or a user) in the page body: escaped and isolated."""
    return html_inline(value)


def _anchor(topic: str, used: set[str]) -> str:
    base = "topic-" + re.sub(r"[^a-z0-9_-]+", "-", topic)
    anchor, n = base, 2
    while anchor in used:
        anchor, n = f"{base}-{n}", n + 1
    used.add(anchor)
    return anchor


def _legend(chart: TopicChart) -> str:
    fresh = [b for b in chart.bars if not b.stale]
    items = []
    if any(b.supporter for b in fresh):
        items.append((COLORS["supporter"], "in the consensus"))
    items += [(band.color, f"camp {i} {band.text}") for i, band in enumerate(chart.camps, 1)]
    if any(not b.supporter and b.camp is None for b in fresh):
        items.append((COLORS["dissenter"], "dissents"))
    if len(fresh) < len(chart.bars):
        items.append((COLORS["stale"] + "88", f"stale (older than the window, {chart.window})"))
    items.append((COLORS["range"] + "55", "range"))
    if chart.consensus is not None:
        items.append((COLORS["consensus"] + "88", "consensus"))
    swatches = "".join(
        f'<li><span class="sw" style="background:{c}"></span>{_e(t)}</li>' for c, t in items
    )
    # Only the marks this chart uses, so the legend stays short on a phone.
    ends = {b.low_end for b in chart.bars} | {b.high_end for b in chart.bars}
    hollow = [b for b in chart.bars if not b.derived]
    derived = [b for b in chart.bars if b.derived]
    marks = [
        ("◆ best value given", any(b.best_given for b in chart.bars)),
        ("◇ midpoint", any(b.best is not None and not b.best_given for b in hollow)),
        ("◇ sum of the parts' bests", any(b.best is not None for b in derived)),
        ("▶ unbounded", "unbounded" in ends),
        ("▷ open end", "open" in ends),
        ("┆ estimate", chart.estimate is not None or any(c.estimate for c in chart.camps)),
        ("log scale", chart.scale == "log"),
    ]
    shown = "".join(f"<li>{_e(text)}</li>" for text, used in marks if used)
    return f'<ul class="legend">{swatches}{shown}</ul>'


def _td(label: str, value: str, cls: str = "") -> str:
    if value == "–":
        cls = f"{cls} empty".strip()  # hidden on phones, where a card row costs a line
    klass = f' class="{cls}"' if cls else ""
    # One wrapper, so that on phones the cell is a two-column grid: label, then value.
    return f'<td data-label="{_e(label)}"{klass}><div>{value}</div></td>'


def _figure_row(current: CurrentFigure, view: LedgerView) -> str:
    claim = view.claim(current.claim_id) if current.claim_id else None
    described = view.source(current.source)
    who = f"<strong>{_u(current.source)}</strong>"
    if described is not None:
        who += f'<span class="quote">{_u(described.name)}</span>'
    words = _u(words_of(current))
    if claim is not None and claim.quote:
        words += f'<span class="quote">{_u(claim.quote)}</span>'
    via = ", ".join(claim.via) if claim is not None else ""
    # A timestamp may break after its date: the column stays narrow enough to fit.
    when = "<wbr>T".join(_e(part) for part in fmt_time(current.reference_time).split("T", 1))
    if current.stale:
        when += '<span class="badge">stale</span>'
    return (
        ('<tr class="stale">' if current.stale else "<tr>")
        + _td("Source", who)
        + _td("Figure", _e(current.figure), "num")
        + _td("Words", words)
        + _td("As of", when, "num")
        + _td("Via", _u(via) if via else "–")
        + _td("Disputed by", _u(", ".join(current.disputed_by)) if current.disputed_by else "–")
        + "</tr>"
    )


def _finding(topic: TopicView, window: timedelta | None) -> str:
    c = topic.consensus
    if c is None:
        return ""
    unit = f" {topic.unit}" if topic.unit else ""
    rows = [
        ("Latest", fmt_time(topic.latest)),
        ("Window", window_text(topic, window)),
        (f"Voices ({len(topic.voices())})", voices_text(topic)),
        ("Range", str(topic.range) if topic.range is not None else "–"),
    ]
    camps = camps_of(c)
    if camps:
        rows.append(("Consensus", f"split into {len(camps)} camps: no single interval"))
        rows += [(f"Camp {i}", camp_text(camp)) for i, camp in enumerate(camps, 1)]
    else:
        rows += [
            ("Consensus", f"{c.interval} ({c.level})" if c.interval else "none"),
            ("Estimate", "–" if c.estimate is None else f"{fmt_number(c.estimate)}{unit}"),
            ("Agree", ", ".join(c.supporters) or "–"),
            ("Dissent", ", ".join(c.dissenters) or "–"),
        ]
    inner = "".join(f"<dt>{_e(k)}</dt><dd>{_u(v)}</dd>" for k, v in rows)
    return f'<dl class="finding">{inner}</dl>'


def _proposition(prop: PropositionView, view: LedgerView) -> str:
    body = [
        f'<article class="proposition" data-proposition="{_e(prop.proposition)}" '
        f'data-status="{_e(prop.status)}"><h4>{_u(prop.proposition)}'
        f'<span class="status {_e(prop.status)}">{_e(prop.status)}</span></h4>',
        f'<p class="meta">affirmed by {_u(", ".join(prop.affirmed_by) or "–")}; '
        f"denied by {_u(', '.join(prop.denied_by) or '–')}</p>",
    ]
    # The projection's answers, not a re-reading of the log: a retracted claim is not current.
    items = [
        f"<li><strong>{_u(c.source)}</strong> {_e(c.stance)}: {_u(c.statement)}"
        + (f" <em>(via {_u(', '.join(c.via))})</em>" if c.via else "")
        + "</li>"
        for c in view.statements(prop.topic, prop.proposition)
    ]
    items += [
        f'<li class="dispute"><strong>{_u(d.source)}</strong> disputes {_u(d.target)}'
        + (f": {_u(d.reason)}" if d.reason else "")
        + ("" if d.active else " <em>(no longer current)</em>")
        + "</li>"
        for d in view.disputes(prop.topic, prop.proposition)
    ]
    if items:
        body.append(f"<ul>{''.join(items)}</ul>")
    body.append("</article>")
    return "".join(body)


_SUMMARY = (
    "Topic", "Unit", "Sources", "Voices", "Stale", "Range", "Consensus", "Level", "Estimate",
    "Disputes",
)  # fmt: skip


def _consensus_cells(topic: TopicView) -> tuple[str, str]:
    """The consensus and estimate cells: one line per camp for a split."""
    c = topic.consensus
    if c is None:
        return "–", "–"
    camps = camps_of(c)
    if camps:
        where = "<br>".join(
            f"{_e(camp.interval)} {_u(', '.join(camp.supporters))}" for camp in camps
        )
        return where, "<br>".join(_e(fmt_number(camp.estimate)) for camp in camps)
    return _e(c.interval or "–"), _e(fmt_number(c.estimate))


def _summary(topics: Sequence[TopicView], anchors: dict[str, str], view: LedgerView) -> str:
    rows = []
    active = view.active_disputes()
    for t in topics:
        c = t.consensus
        disputes = active.get(t.topic, 0)
        where, estimate = _consensus_cells(t)
        rows.append(
            "<tr>"
            + _td("Topic", f'<a href="#{anchors[t.topic]}">{_u(t.topic)}</a>')
            + _td("Unit", _u(t.unit) if t.unit else "–")
            + _td("Sources", _e(len(t.figures) or "–"))
            + _td("Voices", _e(len(t.voices()) or "–"))
            + _td("Stale", _e(len(t.stale) or "–"))
            + _td("Range", _e(t.range or "–"), "num")
            + _td("Consensus", where, "num")
            + _td("Level", _e(c.level if c else "–"))
            + _td("Estimate", estimate, "num")
            + _td("Disputes", _e(disputes or "–"))
            + "</tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in _SUMMARY)
    body = "".join(rows)
    return (
        f'<table class="cards summary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def _topic_section(
    topic: TopicView, anchor: str, view: LedgerView, window: timedelta | None
) -> tuple[str, int]:
    definition = view.definition(topic.topic)
    title = definition.title if definition else topic.topic
    parts = [
        f'<section class="topic" id="{anchor}" data-topic="{_e(topic.topic)}">',
        f"<h2>{_u(title)}</h2>",
        f'<p class="slug">{_u(topic.topic)} · {_u(topic.unit) if topic.unit else "no unit"}</p>',
    ]
    if definition is not None and definition.description:
        parts.append(f"<p>{_u(definition.description)}</p>")
    charts = 0
    if topic.figures:
        chart = topic_chart(topic, title)
        columns = ("Source", "Figure", "Words", "As of", "Via", "Disputed by")
        head = "".join(f"<th>{h}</th>" for h in columns)
        rows = "".join(_figure_row(f, view) for f in topic.figures)
        stale = stale_text(topic)
        note = f'<p class="note stale-note">{_u(stale)}</p>' if stale else ""
        disputed = "".join(
            f'<li class="dispute">{_u(dispute_text(d, topic))}</li>'
            for d in figure_disputes(view.disputes(topic.topic), topic)
        )
        disputes = f'<ul class="figure-disputes">{disputed}</ul>' if disputed else ""
        parts.append(
            '<div class="topic-body">'
            f"<figure>{topic_svg(chart)}{_legend(chart)}</figure>"
            # The table scrolls inside its column rather than spill past the page's.
            f'<div><div class="scroll"><table class="cards figures"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>{note}{_finding(topic, window)}{disputes}"
            "</div></div>"
        )
        charts = 1
    props = view.propositions(topic.topic)
    if props:
        parts.append("<h3>Propositions</h3>")
        parts += [_proposition(p, view) for p in props]
    if not topic.figures and not props:
        parts.append('<p class="meta">No current figures or claims.</p>')
    parts.append("</section>")
    return "".join(parts), charts


@attrs.frozen
class ReportInfo:
    """What a report holds: its file, and how many topics, charts and propositions."""

    path: Path
    topics: int
    charts: int
    propositions: int


def render_report(
    view: LedgerView, *, title: str, note: str = "", window: timedelta | None = None
) -> tuple[str, ReportInfo]:
    """The HTML of a report of a ledger view, every topic under ``window`` or its own."""
    topics = view.topics(window=window)
    used: set[str] = set()
    anchors = {t.topic: _anchor(t.topic, used) for t in topics}
    sections = [_topic_section(t, anchors[t.topic], view, window) for t in topics]
    props = view.propositions()
    nav = "".join(f'<li><a href="#{anchors[t.topic]}">{_u(t.topic)}</a></li>' for t in topics)
    # The last position folded: under a stated cut-off, records before it may be left out
    # (the note says so), so "as of position N" would read as the whole log up to N.
    meta = f"{len(topics)} topics · {len(props)} propositions · last position read {view.position}"
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f'<header><h1>{_u(title)}</h1><p class="meta">{_e(meta)}</p>'
        + (f'<p class="meta">{_u(note)}</p>' if note else "")
        + f"<nav><ol>{nav}</ol></nav></header><main>"
        f'<section id="summary"><h2>Topics</h2>{_summary(topics, anchors, view)}</section>'
        + "".join(s for s, _ in sections)
        + f"</main><footer>Made by claims-ledger {_e(__version__)}: who said what, and what "
        "figure they gave. Figures are intervals; the range is the hull of every fresh current "
        "figure, the consensus the largest set of voices whose figures overlap. A figure older "
        "than its topic's window is stale: shown greyed, and left out of both.</footer>"
        "</body></html>\n"
    )
    info = ReportInfo(Path(), len(topics), sum(c for _, c in sections), len(props))
    return page, info


def write_report(
    view: LedgerView,
    path: str | Path,
    *,
    title: str,
    note: str = "",
    window: timedelta | None = None,
) -> ReportInfo:
    """Write the report of a ledger view to one self-contained HTML file."""
    page, info = render_report(view, title=title, note=note, window=window)
    target = Path(path)
    target.write_text(page, encoding="utf-8")
    return attrs.evolve(info, path=target)
