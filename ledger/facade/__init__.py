"""The Ledger: the composition root of codec, store, projections and tamper evidence."""

from __future__ import annotations

from ledger.facade.ledger import Imported, Ledger, LedgerView

__all__ = ["Imported", "Ledger", "LedgerView"]
