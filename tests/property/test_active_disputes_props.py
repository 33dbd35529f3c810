"""LedgerView.active_disputes equals what asking topic by topic gives."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ledger import Ledger
from ledger.domain.events import Event
from ledger.testing.strategies import event_sequences


@given(events=event_sequences(min_size=1, max_size=24), reopen=st.booleans())
def test_active_disputes_of_every_topic_equal_each_topics_own(
    events: list[Event], reopen: bool
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / "disputes.db")
        with Ledger.open(path) as lg:
            lg.extend(events)
        # A fresh open reads everything from the stored read model.
        with Ledger.open(path) if reopen else Ledger.open("memory://") as lg:
            if not reopen:
                lg.extend(events)
            each = Counter(
                {t.topic: sum(1 for d in lg.disputes(t.topic) if d.active) for t in lg.topics()}
            )
            assert lg.active_disputes() == dict(+each)
            for t in lg.topics():
                assert lg.active_disputes(t.topic) == dict(+Counter({t.topic: each[t.topic]}))
            everything = lg.disputes()
            by_topic = [d for t in lg.topics() for d in lg.disputes(t.topic)]
            assert everything == sorted(by_topic, key=lambda d: d.position)
