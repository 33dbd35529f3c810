"""Counts that tables of every topic show, taken from one query of the view."""

from __future__ import annotations

from collections import Counter

from ledger.facade import LedgerView

__all__ = ["active_disputes"]


def active_disputes(view: LedgerView) -> Counter[str]:
    """How many disputes bear on each topic's current claims, by topic.

    One ``view.disputes()`` for the whole table: asking topic by topic costs
    a check of the read model and a load for each.
    """
    return Counter(d.topic for d in view.disputes() if d.active)
