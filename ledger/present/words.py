"""A view in words: numbers, times, windows, voices, camps and stale marks as people read them.

Plain text, the same for every medium (the CLI's tables, the HTML report, the
charts); each medium escapes it with ``ledger.present.text``. Nothing here
decides anything: every answer comes from the view (``TopicView``,
``Consensus``), and the one freshness rule from ``ledger.domain.freshness``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from ledger.codec import format_timestamp
from ledger.domain.figures import Number, format_number
from ledger.domain.freshness import stale_before
from ledger.domain.views import Camp, Consensus, CurrentFigure, Dispute, TopicView

__all__ = [
    "camp_text",
    "camps_of",
    "dispute_text",
    "figure_disputes",
    "fmt_number",
    "fmt_time",
    "fmt_window",
    "set_aside",
    "stale_cutoff",
    "stale_text",
    "voices_text",
    "window_text",
    "words_of",
]


def fmt_number(x: Number | None) -> str:
    """A number as the CLI prints it (``format_number``), "-" for None."""
    return "-" if x is None else format_number(x)


def words_of(current: CurrentFigure) -> str:
    """The source's own words for a figure, or how the figure came about."""
    if current.derived:
        return "derived: the sum of its parts"
    phrase = current.figure.phrase
    return f"“{phrase}”" if phrase else "given as numbers"


def fmt_time(when: datetime | None) -> str:
    """A date when the time is midnight UTC (most statements carry a date only), else UTC time."""
    if when is None:
        return "-"
    utc = when.astimezone(UTC)
    return utc.date().isoformat() if utc.time() == time(0) else format_timestamp(utc)


def set_aside(window: timedelta | None) -> bool:
    """Whether a window in force is none at all: no window, or ``timedelta.max`` (--window none)."""
    return window is None or window == timedelta.max


def fmt_window(window: timedelta | None) -> str:
    """A window as people type it (``3d``, ``12h``, ``1d12h``, ``90s``); "none" when none is."""
    if set_aside(window):
        return "none"
    assert window is not None
    hours, rest = divmod(window.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{window.days}d" if window.days else "", f"{hours}h" if hours else ""]
    parts.append(f"{minutes}m" if minutes else "")
    if window.microseconds:
        parts.append(f"{seconds}.{window.microseconds:06d}".rstrip("0") + "s")
    elif seconds:
        parts.append(f"{seconds}s")
    return "".join(parts) or "0s"


def window_text(view: TopicView, given: timedelta | None = None) -> str:
    """The window in force and where it comes from: a query's --window or the topic's own."""
    if view.window == timedelta.max:
        return "none (every topic's own window set aside)"
    if view.window is None:
        return "none (every current figure counts)"
    whose = "given with --window" if given is not None else "the topic's own"
    return f"{fmt_window(view.window)} ({whose})"


def stale_cutoff(view: TopicView) -> datetime | None:
    """The reference time before which a figure of the view is stale; None when nothing can be."""
    return None if set_aside(view.window) else stale_before(view.latest, view.window)


def stale_text(view: TopicView) -> str:
    """What the stale figures of a view are and why; empty when none is stale."""
    stale = view.stale
    if not stale:
        return ""
    cutoff = stale_cutoff(view)
    n = len(stale)
    why = (
        f"older than {fmt_time(cutoff)} (latest {fmt_time(view.latest)} less the window of "
        f"{fmt_window(view.window)})"
        if cutoff is not None
        else "older than the window allows"
    )
    figures = "figure is" if n == 1 else "figures are"
    return (
        f"{n} {figures} stale, {why}: {', '.join(f.source for f in stale)}; "
        "shown, but left out of the range and the consensus"
    )


def voices_text(view: TopicView) -> str:
    """Each voice among the fresh figures with its sources: ``ukraine: ukraine, zelensky · nis``."""
    return " · ".join(
        f"{voice}: {', '.join(sources)}" if sources != (voice,) else voice
        for voice, sources in view.voices().items()
    )


def camp_text(camp: Camp) -> str:
    """One camp of a split: where it agrees, its estimate, and who is in it."""
    return f"{camp.interval} estimate {fmt_number(camp.estimate)}: {', '.join(camp.supporters)}"


def camps_of(consensus: Consensus | None) -> tuple[Camp, ...]:
    """The camps of a split consensus; empty for every other level."""
    return consensus.camps if consensus is not None and consensus.level == "split" else ()


def figure_disputes(disputes: Iterable[Dispute], view: TopicView) -> list[Dispute]:
    """Of a topic's disputes, those of its current figures that stand (their "disputed by")."""
    by = {f.claim_id: f for f in view.figures if f.claim_id}
    return [
        d for d in disputes if d.active and d.target in by and d.source in by[d.target].disputed_by
    ]


def dispute_text(dispute: Dispute, view: TopicView) -> str:
    """One dispute of a figure in words: who disputes whose figure, and why."""
    whose = next((f.source for f in view.figures if f.claim_id == dispute.target), None)
    target = f"{whose}'s figure ({dispute.target})" if whose else dispute.target
    why = f": \u201c{dispute.reason}\u201d" if dispute.reason else " (no reason given)"
    return f"{dispute.source} disputes {target}{why}"
