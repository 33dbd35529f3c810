"""The former name of the built-in projection's state: ``ledger.projections.facts.Facts``."""

from __future__ import annotations

from ledger.projections.facts import Facts as LedgerState

__all__ = ["LedgerState"]
