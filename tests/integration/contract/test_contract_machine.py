"""A hypothesis state machine per store, checked against a plain list of events.

Rules append valid and invalid events, re-append stored ones, append with a
stale expected position, extend with a poisoned batch, let another writer
append, damage the read model, and close and reopen the store; after every
step the store must hold exactly the model's events at positions 1..n, and
its views (read model or not) must equal a fresh replay of its records.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from ledger import (
    ClaimMade,
    ClaimRetracted,
    ConcurrencyError,
    Event,
    FigureReported,
    ValidationError,
)
from ledger.facade import LedgerView

from .builders import claim, dispute, figure, retract, unknown_dispute
from .conftest import DAMAGE, NewStore, StoreUnderTest

SOURCES = ("src/a", "src/b", "src/c")


class LedgerMachine(RuleBasedStateMachine):
    """One store against a list model."""

    def __init__(self, make: Callable[[], StoreUnderTest]) -> None:
        super().__init__()
        self.store = make()
        self.model: list[Event] = []
        self.count = 0  # numbers every event built, stored or not

    # -- building events against the model ------------------------------

    def _number(self) -> int:
        self.count += 1
        return self.count

    def _live_claims(self) -> dict[str, str]:
        owners: dict[str, str] = {}
        for event in self.model:
            if isinstance(event, ClaimMade | FigureReported):
                owners[event.claim_id] = event.source
            elif isinstance(event, ClaimRetracted):
                owners.pop(event.target, None)
        return owners

    def _valid(self, data: st.DataObject) -> Event:
        n = self._number()
        source = data.draw(st.sampled_from(SOURCES))
        owners = self._live_claims()
        kinds = ["figure", "figure", "claim"]
        others = sorted(c for c, owner in owners.items() if owner != source)
        own = sorted(c for c, owner in owners.items() if owner == source)
        if others:
            kinds.append("dispute")
        if own:
            kinds.append("retract")
        kind = data.draw(st.sampled_from(kinds))
        if kind == "figure":
            low = data.draw(st.integers(0, 50))
            return figure(n, source, low, low + data.draw(st.integers(0, 50)))
        if kind == "claim":
            return claim(n, source)
        if kind == "dispute":
            return dispute(n, data.draw(st.sampled_from(others)), source)
        return retract(n, data.draw(st.sampled_from(own)), source)

    def _invalid(self, data: st.DataObject) -> Event:
        n = self._number()
        owners = self._live_claims()
        kinds = ["unknown"]
        if owners:
            kinds += ["duplicate-claim", "self-dispute"]
        kind = data.draw(st.sampled_from(kinds))
        if kind == "unknown":
            return unknown_dispute(n)
        target = data.draw(st.sampled_from(sorted(owners)))
        if kind == "self-dispute":
            return dispute(n, target, owners[target])
        return attrs.evolve(figure(n, "src/z"), claim_id=target)

    # -- rules ----------------------------------------------------------

    @rule(data=st.data())
    def append_valid(self, data: st.DataObject) -> None:
        event = self._valid(data)
        recorded = self.store.ledger.append(event)
        self.model.append(event)
        assert recorded.position == len(self.model)

    @rule(data=st.data(), size=st.integers(1, 5))
    def extend_valid(self, data: st.DataObject, size: int) -> None:
        batch: list[Event] = []
        for _ in range(size):
            event = self._valid(data)
            batch.append(event)
            self.model.append(event)  # later events of the batch may refer to it
        recorded = self.store.ledger.extend(batch)
        assert [r.position for r in recorded] == list(
            range(len(self.model) - size + 1, len(self.model) + 1)
        )

    @rule(data=st.data())
    def append_invalid(self, data: st.DataObject) -> None:
        with pytest.raises(ValidationError):
            self.store.ledger.append(self._invalid(data))

    @rule(data=st.data())
    def reappend_stored(self, data: st.DataObject) -> None:
        if not self.model:
            return
        index = data.draw(st.integers(0, len(self.model) - 1))
        recorded = self.store.ledger.append(self.model[index])
        assert recorded.position == index + 1
        assert recorded.event == self.model[index]

    @rule(data=st.data())
    def append_with_stale_position(self, data: st.DataObject) -> None:
        head = len(self.model)
        # Positions a writer could have seen or guessed; a negative one is bad input,
        # refused as InvalidEvent (tests/unit/test_bad_api_input.py).
        stale = data.draw(
            st.sampled_from([p for p in (head - 1, head + 1, 0) if p != head and p >= 0])
        )
        with pytest.raises(ConcurrencyError) as caught:
            self.store.ledger.append(self._valid(data), expected_position=stale)
        assert (caught.value.expected, caught.value.actual) == (stale, head)

    @rule(data=st.data(), good=st.integers(0, 3), at=st.integers(0, 3))
    def extend_with_one_bad_event(self, data: st.DataObject, good: int, at: int) -> None:
        batch = [figure(self._number(), "src/a") for _ in range(good)]
        batch.insert(min(at, good), self._invalid(data))
        with pytest.raises(ValidationError):
            self.store.ledger.extend(batch)

    @rule()
    def close_and_reopen(self) -> None:
        self.store.reopen()

    @rule(data=st.data())
    def another_writer_appends(self, data: st.DataObject) -> None:
        # Another process's Ledger on the same store; this one must see its records.
        event = self._valid(data)
        other = self.store.open_another()
        try:
            other.append(event)
        finally:
            if self.store.kind != "memory":
                other.close()
        self.model.append(event)

    @rule(how=st.sampled_from(DAMAGE), reopen=st.booleans())
    def damage_the_read_model(self, how: str, reopen: bool) -> None:
        self.store.damage(how)
        if reopen:
            self.store.reopen()

    # -- invariants -----------------------------------------------------

    @invariant()
    def head_is_the_model_length(self) -> None:
        assert self.store.ledger.head == len(self.model)

    @invariant()
    def records_are_the_model_in_order_at_gapless_positions(self) -> None:
        records = list(self.store.ledger.records())
        assert [r.position for r in records] == list(range(1, len(self.model) + 1))
        assert [r.event for r in records] == self.model
        assert self.store.ledger.store.tree().size == len(self.model)

    @invariant()
    def views_equal_a_fresh_replay(self) -> None:
        fresh = LedgerView.replay(self.model)
        lg = self.store.ledger
        assert lg.topics() == fresh.topics()
        assert lg.propositions() == fresh.propositions()
        assert lg.disputes() == fresh.disputes()
        for topic in fresh.topics():
            assert lg.history(topic.topic) == fresh.history(topic.topic)

    def teardown(self) -> None:
        self.store.close()


def test_every_store_behaves_like_a_list(new_store: NewStore) -> None:
    # A quarter of the profile's examples: 15 in the fast profile, 500 nightly.
    run_state_machine_as_test(
        lambda: LedgerMachine(new_store),
        settings=settings(
            max_examples=max(15, settings.default.max_examples // 4),
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
