"""A record of the log: one event at its position, with its leaf hash."""

from __future__ import annotations

from datetime import datetime

import attrs

from ledger.domain.events import Event

__all__ = ["Recorded"]


@attrs.frozen
class Recorded:
    """One event as stored in the log, at its position, with its leaf hash."""

    position: int
    event_id: str
    recorded_at: datetime
    event: Event
    hash: bytes

    @property
    def type(self) -> str:
        """The event's stable type tag."""
        return type(self.event).__name__
