"""The Ledger: the composition root of codec, store, projections and tamper evidence."""

from __future__ import annotations

from ledger.facade.ledger import Ledger, LedgerView

__all__ = ["Ledger", "LedgerView"]
