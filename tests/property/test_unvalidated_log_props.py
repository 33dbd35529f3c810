"""A log written without validation, read in sessions: every view is still its replay.

A log copied from elsewhere or written by hand may hold a dispute before the
claim it names (a reordering of valid events that keeps each source's own
order). The read model keeps such a dispute aside until its claim comes; when
the claim is stored in a later session than the dispute, the fold that
catches the read model up must read the dispute back from the log and adopt
it, as a replay of the log from its first record does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ledger import ClaimDisputed, ClaimRetracted, Ledger, LedgerView
from ledger.codec import make_codec
from ledger.domain.events import Event
from ledger.testing.strategies import definitions, event_sequences


def _views(view: LedgerView) -> tuple[object, ...]:
    topics = view.topics()
    return (
        topics,
        view.propositions(),
        view.disputes(),
        [view.history(t.topic) for t in topics],
    )


@given(
    data=st.data(),
    events=event_sequences(min_size=4, max_size=16, affiliations=True),
    suffix=st.sampled_from([".db", ".jsonl"]),
)
def test_a_log_stored_in_sessions_without_validation_reads_as_its_replay(
    data: st.DataObject, events: list[Event], suffix: str
) -> None:
    head, stated = events[: len(definitions())], events[len(definitions()) :]
    # Some disputes and retractions stored first, in a session of their own,
    # before the claims they name; the rest in any order, in sessions.
    aimed = [e for e in stated if isinstance(e, ClaimDisputed | ClaimRetracted)]
    early = data.draw(st.lists(st.sampled_from(aimed), unique=True) if aimed else st.just([]))
    late = data.draw(st.permutations([e for e in stated if e not in early]), label="then")
    log = [*head, *early, *late]
    ends = data.draw(st.lists(st.integers(len(head), len(log)), max_size=3), label="sessions")
    codec = make_codec()
    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / f"unvalidated{suffix}")
        start = 0
        for end in sorted({len(head) + len(early), *ends, len(log)}):
            with Ledger.open(path) as lg:
                # Records stored as another tool would: no validation, no read model.
                chunk = log[start:end]
                lg.store.write(codec.encode_many(lg.head, chunk, lg.store.clock()), lg.head)
            with Ledger.open(path) as lg:  # catches the read model up
                replay = LedgerView.replay(r.event for r in lg.records())
                assert _views(lg) == _views(replay)
            start = end
