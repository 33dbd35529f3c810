"""Disputes, their counts and the propositions against an oracle written from DESIGN §4.

The oracle reads the events alone: a source's current claim (on a topic's
figure, or on a proposition) is its most recent by (stated_at, position),
none if its source retracted it; a dispute is active when it targets a
current claim of another source. The ledger keeps these facts as it folds
(each current claim's disputers, each topic's count of active disputes);
here they are checked after a fold in memory, after a reopening that reads
them from the stored read model, and after a log appended in several
batches, each folded over rows read back from the store.
"""

from __future__ import annotations

import itertools
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ledger import Ledger, LedgerView
from ledger.domain.events import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
)
from ledger.testing.strategies import event_sequences


def oracle(events: list[Event]) -> dict[str, Any]:
    """Every dispute's activity, each topic's count, and each proposition's stances."""
    claims: dict[str, tuple[Event, int]] = {}
    current: dict[tuple[str, ...], tuple[Any, int, str]] = {}
    retracted: set[str] = set()
    disputes: list[tuple[int, ClaimDisputed]] = []
    for position, event in enumerate(events, 1):
        if isinstance(event, FigureReported | ClaimMade):
            claims[event.claim_id] = (event, position)
            key: tuple[str, ...] = (event.topic, event.source)
            if isinstance(event, ClaimMade):
                key = (event.topic, event.proposition, event.source)
            order = (event.stated_at, position, event.claim_id)
            if key not in current or current[key][:2] < order[:2]:
                current[key] = order
        elif isinstance(event, ClaimRetracted):
            target = claims.get(event.target)
            if target is not None and getattr(target[0], "source", None) == event.source:
                retracted.add(event.target)
        elif isinstance(event, ClaimDisputed):
            disputes.append((position, event))
    live = {c for _, _, c in current.values() if c not in retracted}
    found: list[tuple[int, str, str, bool]] = []
    for position, dispute in disputes:
        claim = claims[dispute.target][0]
        assert isinstance(claim, FigureReported | ClaimMade)
        if dispute.source == claim.source:
            continue
        found.append((position, claim.topic, dispute.source, dispute.target in live))
    counts = Counter(topic for _, topic, _, active in found if active)
    stances: dict[tuple[str, str], dict[str, set[str]]] = {}
    for key, (_, _, claim_id) in current.items():
        if len(key) != 3:
            continue
        side = stances.setdefault((key[0], key[1]), {"affirms": set(), "denies": set()})
        if claim_id in live:
            made = claims[claim_id][0]
            assert isinstance(made, ClaimMade)
            side[made.stance].add(made.source)
    holders = {(k[0], k[1], k[2]) for k, v in current.items() if len(k) == 3 and v[2] in live}
    for _, dispute in disputes:
        claim = claims[dispute.target][0]
        if not isinstance(claim, ClaimMade) or dispute.target not in live:
            continue
        if dispute.source == claim.source:
            continue
        if (claim.topic, claim.proposition, dispute.source) in holders:
            continue
        opposite = "denies" if claim.stance == "affirms" else "affirms"
        stances[(claim.topic, claim.proposition)][opposite].add(dispute.source)
    return {"disputes": found, "counts": dict(counts), "stances": stances}


def observed(view: LedgerView) -> dict[str, Any]:
    """What the ledger answers for the same questions."""
    stances = {
        (p.topic, p.proposition): {"affirms": set(p.affirmed_by), "denies": set(p.denied_by)}
        for p in view.propositions()
    }
    return {
        "disputes": [(d.position, d.topic, d.source, d.active) for d in view.disputes()],
        "counts": view.active_disputes(),
        "stances": stances,
    }


@given(
    events=event_sequences(min_size=1, max_size=30),
    cuts=st.lists(st.integers(0, 40), max_size=3),
)
def test_disputes_counts_and_stances_match_the_oracle_on_every_path(
    events: list[Event], cuts: list[int]
) -> None:
    expected = oracle(events)
    with Ledger.open("memory://") as lg:
        lg.extend(events)
        assert observed(lg) == expected
    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / "oracle.db")
        bounds = sorted({0, len(events), *(min(c, len(events)) for c in cuts)})
        for start, stop in itertools.pairwise(bounds):
            # Each batch folds over the rows the previous sessions stored.
            with Ledger.open(path) as lg:
                lg.extend(events[start:stop])
        with Ledger.open(path, read_only=True) as lg:
            assert observed(lg) == expected
            for topic, count in expected["counts"].items():
                assert lg.active_disputes(topic) == {topic: count}
