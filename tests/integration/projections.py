"""A persisted projection the integration tests share: figures reported per source."""

from __future__ import annotations

import json

from ledger import FigureReported, Ledger, Recorded

__all__ = ["FiguresPerSource", "by_hand"]


class FiguresPerSource:
    """source -> figures reported; counts the records it folds (to see what was folded)."""

    name = "figures-per-source"

    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.folded = 0

    def initial(self) -> dict[str, int]:
        return {}

    def step(self, state: dict[str, int], record: Recorded) -> dict[str, int]:
        self.folded += 1
        if isinstance(record.event, FigureReported):
            state[record.event.source] = state.get(record.event.source, 0) + 1
        return state

    def dump(self, state: dict[str, int]) -> str:
        return json.dumps(state, sort_keys=True)

    def load(self, text: str) -> dict[str, int]:
        found = json.loads(text)
        if not isinstance(found, dict):
            raise ValueError("not a state")
        return found


def by_hand(lg: Ledger) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in lg.records():
        if isinstance(record.event, FigureReported):
            counts[record.event.source] = counts.get(record.event.source, 0) + 1
    return counts
