"""Freshness (DESIGN §4): which current figures a window leaves out, and the view that results.

A current figure's reference time is the time it describes (its ``as_of``;
for a derived figure the earliest of its parts'). A topic's ``latest`` is
the newest reference time among its current figures; under a window ``w`` a
figure whose reference time is earlier than ``latest - w`` is stale. Stale
figures stay in the view, marked, and are left out of range and consensus.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from ledger.domain.consensus import find_consensus, hull
from ledger.domain.views import CurrentFigure, TopicView
from ledger.errors import InvalidEvent

__all__ = ["assess", "check_window", "stale_before"]


def check_window(window: object) -> timedelta | None:
    """A window argument as given (a timedelta >= 0, or None); InvalidEvent naming 'window'."""
    if window is None:
        return None
    if not isinstance(window, timedelta):
        raise InvalidEvent(
            f"must be a timedelta or None, not {type(window).__name__}", field="window"
        )
    if window < timedelta(0):
        raise InvalidEvent(f"{window} is negative", field="window")
    return window


def stale_before(latest: datetime | None, window: timedelta | None) -> datetime | None:
    """The reference time below which a figure is stale; None when nothing is."""
    if latest is None or window is None:
        return None
    try:
        return latest - window
    except OverflowError:
        return None  # a window reaching past the first datetime leaves nothing stale


def assess(
    topic: str, unit: str | None, figures: Sequence[CurrentFigure], window: timedelta | None
) -> TopicView:
    """The view of a topic's current figures under a window: stale marks, range, consensus."""
    times = [f.reference_time for f in figures if f.reference_time is not None]
    latest = max(times) if times else None
    cutoff = stale_before(latest, window)
    marked = tuple(
        attrs.evolve(f, stale=True)
        if cutoff is not None and f.reference_time is not None and f.reference_time < cutoff
        else f
        for f in figures
    )
    fresh = [f for f in marked if not f.stale]
    return TopicView(
        topic=topic,
        unit=unit,
        figures=marked,
        range=hull([f.figure for f in fresh]),
        consensus=find_consensus(fresh),
        latest=latest,
        window=window,
    )
