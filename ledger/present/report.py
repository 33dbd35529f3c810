"""One self-contained HTML report: every topic's table and chart, every proposition.

No network, no scripts, no matplotlib: the CSS and the SVG charts are inline,
drawn from the same `ledger.present.charts.topic_chart` model the PNG charts use. All
text goes through `ledger.present.text`: escaped, controls shown as visible
escapes (XML 1.0 forbids most of them even as references, so every inline SVG
stays well-formed), and text from sources isolated in ``<bdi>`` (in SVG, a
``<tspan>`` with ``unicode-bidi:isolate``) so that right-to-left text cannot
reorder the page around it. The page is deterministic (no clock), so a report
of the same ledger is the same file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import attrs

from ledger.domain.events import ClaimMade
from ledger.domain.views import CurrentFigure, Dispute, PropositionView, TopicView
from ledger.facade import LedgerView
from ledger.present.charts import COLORS, TopicChart, fmt_number, topic_chart, words_of
from ledger.present.text import html_inline, html_text, svg_inline
from ledger.version import __version__

__all__ = ["ReportInfo", "proposition_disputes", "render_report", "topic_svg", "write_report"]

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

_W = 400  # the SVG's own width; it scales to the column, so text stays readable on phones
_L, _R = 14, _W - 14  # room for the arrowheads of unbounded ends
_ROW = 46
_CHAR = 7.0  # average width of a 13px sans-serif character, to keep labels on one line


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


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 1)] + "…"


def _triangle(x: float, y: float, pointing: int, filled: bool, color: str) -> str:
    tip = x + 9 * pointing
    fill = color if filled else "#fff"
    return (
        f'<path class="end {"unbounded" if filled else "open"}" '
        f'd="M{x:.1f} {y - 6:.1f}L{tip:.1f} {y:.1f}L{x:.1f} {y + 6:.1f}Z" '
        f'fill="{fill}" stroke="{color}" stroke-width="1.5"/>'
    )


def topic_svg(chart: TopicChart) -> str:
    """An inline SVG of a topic: one bar per source, range shaded, consensus highlighted."""
    n = len(chart.bars)
    bottom = 8 + n * _ROW
    height = bottom + 26
    scale = (_R - _L) / ((chart.hi - chart.lo) or 1.0)

    def x(v: float) -> float:
        return _L + (v - chart.lo) * scale

    out = [
        f'<svg class="chart" viewBox="0 0 {_W} {height}" role="img" '
        f'aria-label="{_e(chart.title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_e(chart.title)}: one bar per source</title>",
    ]
    for t in chart.ticks:
        label = fmt_number(t)
        half = len(label) * _CHAR / 2
        # Labels at the edges are anchored inside the picture rather than cut off.
        anchor = "start" if x(t) - half < 0 else "end" if x(t) + half > _W else "middle"
        out.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="8" y2="{bottom}" stroke="#e2e8f0"/>'
            f'<text x="{x(t):.1f}" y="{bottom + 17}" font-size="12" fill="#4a5568" '
            f'text-anchor="{anchor}">{_e(label)}</text>'
        )
    if chart.range is not None:
        a, b = chart.range
        out.append(
            f'<rect class="range" x="{x(a):.1f}" y="8" width="{x(b) - x(a):.1f}" '
            f'height="{bottom - 8}" fill="{COLORS["range"]}" fill-opacity="0.2"/>'
        )
    if chart.consensus is not None:
        a, b = chart.consensus
        out.append(
            f'<rect class="consensus" x="{x(a) - (1.5 if a == b else 0):.1f}" y="8" '
            f'width="{max(x(b) - x(a), 3):.1f}" height="{bottom - 8}" '
            f'fill="{COLORS["consensus"]}" fill-opacity="0.35"/>'
        )
    # Drawn before the bars, so that it never runs through a label.
    if chart.estimate is not None:
        ex = x(chart.estimate)
        out.append(
            f'<line class="estimate" x1="{ex:.1f}" x2="{ex:.1f}" y1="8" y2="{bottom}" '
            f'stroke="{COLORS["estimate"]}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
    for i, bar in enumerate(chart.bars):
        top = 8 + i * _ROW
        mid = top + 29
        color = COLORS["supporter"] if bar.supporter else COLORS["dissenter"]
        room = int(((_R - _L) - len(bar.text) * _CHAR - 10) / _CHAR) - len(bar.source) - 1
        out.append(
            f'<text x="{_L}" y="{top + 15}" font-size="13" fill="#1a202c">'
            + svg_inline(bar.source, 'font-weight="600"')
            + " "
            + svg_inline(_clip(bar.words, max(room, 6)), 'fill="#4a5568"')
            + "</text>"
            f'<text x="{_R}" y="{top + 15}" font-size="12" fill="#4a5568" '
            f'text-anchor="end">{_e(bar.text)}</text>'
        )
        left, width = x(bar.low), max(x(bar.high) - x(bar.low), 3.0)
        pattern = ' stroke="#fff" stroke-dasharray="4 3"' if bar.derived else ""
        out.append(
            f'<rect class="bar {"supporter" if bar.supporter else "dissenter"}" '
            f'data-source="{_e(bar.source)}" x="{left - (1.5 if width == 3.0 else 0):.1f}" '
            f'y="{mid - 7}" width="{width:.1f}" height="14" rx="2" fill="{color}"{pattern}>'
            f"<title>{_e(bar.source)}: {_e(bar.text)} {_e(bar.words)}</title></rect>"
        )
        for end, at, pointing in ((bar.low_end, bar.low, -1), (bar.high_end, bar.high, 1)):
            if end != "closed":
                out.append(_triangle(x(at), mid, pointing, end == "unbounded", color))
        if bar.best is not None:
            bx = x(bar.best)
            fill = COLORS["best"] if bar.best_given else "#fff"
            out.append(
                f'<path class="best" d="M{bx:.1f} {mid - 6}L{bx + 5:.1f} {mid}L{bx:.1f} '
                f'{mid + 6}L{bx - 5:.1f} {mid}Z" fill="{fill}" stroke="{COLORS["best"]}" '
                f'stroke-width="1.3"/>'
            )
    out.append("</svg>")
    return "".join(out)


def _legend(chart: TopicChart) -> str:
    items = [(COLORS["supporter"], "in the consensus")]
    if any(not b.supporter for b in chart.bars):
        items.append((COLORS["dissenter"], "dissents"))
    items.append((COLORS["range"] + "55", "range"))
    if chart.consensus is not None:
        items.append((COLORS["consensus"] + "88", "consensus"))
    swatches = "".join(
        f'<li><span class="sw" style="background:{c}"></span>{_e(t)}</li>' for c, t in items
    )
    # Only the marks this chart uses, so the legend stays short on a phone.
    ends = {b.low_end for b in chart.bars} | {b.high_end for b in chart.bars}
    marks = [
        ("◆ best value given", any(b.best_given for b in chart.bars)),
        ("◇ midpoint", any(b.best is not None and not b.best_given for b in chart.bars)),
        ("▶ unbounded", "unbounded" in ends),
        ("▷ open end", "open" in ends),
        ("┆ estimate", chart.estimate is not None),
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
    return (
        "<tr>"
        + _td("Source", who)
        + _td("Figure", _e(current.figure), "num")
        + _td("Words", words)
        + _td("Via", _u(via) if via else "–")
        + _td("Disputed by", _u(", ".join(current.disputed_by)) if current.disputed_by else "–")
        + "</tr>"
    )


def _finding(topic: TopicView) -> str:
    c = topic.consensus
    if c is None:
        return ""
    rows = [
        ("Range", str(topic.range)),
        ("Consensus", f"{c.interval if c.interval else 'none'} ({c.level})"),
        ("Estimate", f"{fmt_number(c.estimate)} {topic.unit or ''}".strip()),
        ("Agree", ", ".join(c.supporters) or "–"),
        ("Dissent", ", ".join(c.dissenters) or "–"),
    ]
    inner = "".join(f"<dt>{_e(k)}</dt><dd>{_u(v)}</dd>" for k, v in rows)
    return f'<dl class="finding">{inner}</dl>'


def _current_claims(prop: PropositionView, claims: Sequence[ClaimMade]) -> list[ClaimMade]:
    latest: dict[str, ClaimMade] = {}
    for claim in claims:  # in log order; the latest stated wins, as in the projections
        if (claim.topic, claim.proposition) != (prop.topic, prop.proposition):
            continue
        held = latest.get(claim.source)
        if held is None or held.stated_at <= claim.stated_at:
            latest[claim.source] = claim
    named = set(prop.affirmed_by) | set(prop.denied_by)
    return [latest[s] for s in sorted(latest) if s in named]


def _proposition(
    prop: PropositionView, disputes: Sequence[Dispute], claims: Sequence[ClaimMade]
) -> str:
    body = [
        f'<article class="proposition" data-proposition="{_e(prop.proposition)}" '
        f'data-status="{_e(prop.status)}"><h4>{_u(prop.proposition)}'
        f'<span class="status {_e(prop.status)}">{_e(prop.status)}</span></h4>',
        f'<p class="meta">affirmed by {_u(", ".join(prop.affirmed_by) or "–")}; '
        f"denied by {_u(', '.join(prop.denied_by) or '–')}</p>",
    ]
    items = [
        f"<li><strong>{_u(c.source)}</strong> {_e(c.stance)}: {_u(c.statement)}"
        + (f" <em>(via {_u(', '.join(c.via))})</em>" if c.via else "")
        + "</li>"
        for c in _current_claims(prop, claims)
    ]
    items += [
        f'<li class="dispute"><strong>{_u(d.source)}</strong> disputes {_u(d.target)}'
        + (f": {_u(d.reason)}" if d.reason else "")
        + ("" if d.active else " <em>(no longer current)</em>")
        + "</li>"
        for d in disputes
    ]
    if items:
        body.append(f"<ul>{''.join(items)}</ul>")
    body.append("</article>")
    return "".join(body)


def proposition_disputes(prop: PropositionView, view: LedgerView) -> list[Dispute]:
    """The disputes of claims on one proposition, in log order."""
    found = []
    for dispute in view.disputes(prop.topic):
        claim = view.claim(dispute.target)
        if isinstance(claim, ClaimMade) and claim.proposition == prop.proposition:
            found.append(dispute)
    return found


def _summary(topics: Sequence[TopicView], anchors: dict[str, str], view: LedgerView) -> str:
    rows = []
    for t in topics:
        c = t.consensus
        disputes = sum(1 for d in view.disputes(t.topic) if d.active)
        rows.append(
            "<tr>"
            + _td("Topic", f'<a href="#{anchors[t.topic]}">{_u(t.topic)}</a>')
            + _td("Unit", _u(t.unit) if t.unit else "–")
            + _td("Sources", _e(len(t.figures) or "–"))
            + _td("Range", _e(t.range or "–"), "num")
            + _td("Consensus", _e((c.interval if c else None) or "–"), "num")
            + _td("Level", _e(c.level if c else "–"))
            + _td("Estimate", _e(fmt_number(c.estimate) if c else "–"), "num")
            + _td("Disputes", _e(disputes or "–"))
            + "</tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Topic", "Unit", "Sources", "Range", "Consensus", "Level", "Estimate", "Disputes")
    )
    body = "".join(rows)
    return (
        f'<table class="cards summary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def _topic_section(
    topic: TopicView, anchor: str, view: LedgerView, claims: Sequence[ClaimMade]
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
        head = "".join(f"<th>{h}</th>" for h in ("Source", "Figure", "Words", "Via", "Disputed by"))
        rows = "".join(_figure_row(f, view) for f in topic.figures)
        parts.append(
            '<div class="topic-body">'
            f"<figure>{topic_svg(chart)}{_legend(chart)}</figure>"
            f'<div><table class="cards figures"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table>{_finding(topic)}</div></div>"
        )
        charts = 1
    props = view.propositions(topic.topic)
    if props:
        parts.append("<h3>Propositions</h3>")
        parts += [_proposition(p, proposition_disputes(p, view), claims) for p in props]
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
    view: LedgerView, *, title: str, claims: Sequence[ClaimMade] = (), note: str = ""
) -> tuple[str, ReportInfo]:
    """The HTML of a report of a ledger view; claims supply the propositions' statements."""
    topics = view.topics()
    used: set[str] = set()
    anchors = {t.topic: _anchor(t.topic, used) for t in topics}
    sections = [_topic_section(t, anchors[t.topic], view, claims) for t in topics]
    props = view.propositions()
    nav = "".join(f'<li><a href="#{anchors[t.topic]}">{_u(t.topic)}</a></li>' for t in topics)
    meta = f"{len(topics)} topics · {len(props)} propositions · as of position {view.position}"
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
        "figure they gave. Figures are intervals; the range is the hull of every current "
        "figure, the consensus the largest set of sources whose figures overlap.</footer>"
        "</body></html>\n"
    )
    info = ReportInfo(Path(), len(topics), sum(c for _, c in sections), len(props))
    return page, info


def write_report(
    view: LedgerView,
    path: str | Path,
    *,
    title: str,
    claims: Sequence[ClaimMade] = (),
    note: str = "",
) -> ReportInfo:
    """Write the report of a ledger view to one self-contained HTML file."""
    page, info = render_report(view, title=title, claims=claims, note=note)
    target = Path(path)
    target.write_text(page, encoding="utf-8")
    return attrs.evolve(info, path=target)
