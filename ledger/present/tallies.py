"""Counts that tables of every topic show, taken from one query of the view."""

from __future__ import annotations

from collections import Counter

from ledger.facade import LedgerView

__all__ = ["active_disputes"]


def active_disputes(view: LedgerView) -> Counter[str]:
    """How many disputes bear on each topic's current claims, by topic.

    One query of the view for the whole table (``LedgerView.active_disputes``):
    asking topic by topic costs a check of the read model and a load for each.
    """
    return Counter(view.active_disputes())
