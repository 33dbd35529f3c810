"""A Ledger on memory:// driven by random valid and invalid writes, against a list model.

The model is the list of events that should be in the log. Every valid write
extends it; every invalid one must raise its error and leave the ledger
exactly as the model says: same head, same records, same views.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ledger import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    ConcurrencyError,
    DuplicateClaim,
    DuplicateEvent,
    Event,
    FigureReported,
    ForeignRetraction,
    Ledger,
    LedgerView,
    RetractedClaim,
    SelfDispute,
    UnitMismatch,
    UnknownClaim,
    ValidationError,
)
from ledger.testing.strategies import (
    NUMERIC_TOPICS,
    PROPOSITIONS,
    QUALITATIVE,
    SOURCES,
    UNIT,
    definitions,
    figures,
    small_numbers,
)

BASE = datetime(2024, 3, 1, tzinfo=UTC)
hours = st.integers(0, 6).map(lambda h: BASE + timedelta(hours=h))
sources = st.sampled_from(SOURCES)
figure_rows = st.tuples(
    sources, st.sampled_from(NUMERIC_TOPICS), figures(small_numbers, st.just(UNIT))
)


def altered(event: Event) -> Event:
    """The same event_id with another payload: one text field changed."""
    for field in ("quote", "reason", "title", "name"):
        if hasattr(event, field):
            return attrs.evolve(event, **{field: (getattr(event, field) or "") + " (edited)"})
    raise AssertionError(f"no text field to alter on {type(event).__name__}")


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ticks = 0
        self.lg = Ledger.open("memory://", clock=self.clock)
        self.model: list[Event] = []
        self.serial = 0

    def clock(self) -> datetime:
        self.ticks += 1
        return BASE + timedelta(seconds=self.ticks)

    # -- the model ------------------------------------------------------------

    def fresh(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def owners(self) -> dict[str, str]:
        return {
            e.claim_id: e.source for e in self.model if isinstance(e, ClaimMade | FigureReported)
        }

    def retracted(self) -> set[str]:
        return {e.target for e in self.model if isinstance(e, ClaimRetracted)}

    def live(self) -> dict[str, str]:
        gone = self.retracted()
        return {c: s for c, s in self.owners().items() if c not in gone}

    def stored(self, event: Event) -> None:
        self.model.append(event)

    def refused(self, error: type[Exception], *events: Event) -> None:
        def write() -> object:
            return self.lg.append(events[0]) if len(events) == 1 else self.lg.extend(events)

        with pytest.raises(error):
            write()

    def figure_event(self, source: str, topic: str, figure: Any, when: datetime) -> Event:
        return FigureReported(
            claim_id=self.fresh("c"),
            topic=topic,
            source=source,
            figure=figure,
            stated_at=when,
            event_id=self.fresh("e"),
        )

    # -- valid writes -----------------------------------------------------------

    @initialize()
    def define_topics(self) -> None:
        records = self.lg.extend(definitions(), expected_position=0)
        assert [r.position for r in records] == [1, 2, 3]
        self.model.extend(definitions())

    @rule(
        source=sources,
        topic=st.sampled_from(NUMERIC_TOPICS),
        figure=figures(small_numbers, st.just(UNIT)),
        when=hours,
    )
    def report_a_figure(self, source: str, topic: str, figure: Any, when: datetime) -> None:
        event = self.figure_event(source, topic, figure, when)
        record = self.lg.append(event, expected_position=len(self.model))
        assert (record.position, record.event) == (len(self.model) + 1, event)
        self.stored(event)

    @rule(
        source=sources,
        topic=st.sampled_from((QUALITATIVE, *NUMERIC_TOPICS)),
        proposition=st.sampled_from(PROPOSITIONS),
        stance=st.sampled_from(["affirms", "denies"]),
        when=hours,
    )
    def make_a_claim(
        self, source: str, topic: str, proposition: str, stance: str, when: datetime
    ) -> None:
        event = ClaimMade(
            claim_id=self.fresh("c"),
            topic=topic,
            source=source,
            statement="said",
            proposition=proposition,
            stance=stance,  # type: ignore[arg-type]
            stated_at=when,
            event_id=self.fresh("e"),
        )
        self.lg.append(event)
        self.stored(event)

    @precondition(lambda self: len(set(self.live().values())) >= 2)
    @rule(data=st.data(), when=hours)
    def dispute_a_claim(self, data: st.DataObject, when: datetime) -> None:
        target, owner = data.draw(st.sampled_from(sorted(self.live().items())))
        source = data.draw(st.sampled_from([s for s in SOURCES if s != owner]))
        event = ClaimDisputed(
            target=target, source=source, stated_at=when, event_id=self.fresh("e")
        )
        self.lg.append(event)
        self.stored(event)

    @precondition(lambda self: bool(self.live()))
    @rule(data=st.data(), when=hours)
    def retract_a_claim(self, data: st.DataObject, when: datetime) -> None:
        target, owner = data.draw(st.sampled_from(sorted(self.live().items())))
        event = ClaimRetracted(
            target=target, source=owner, stated_at=when, event_id=self.fresh("e")
        )
        self.lg.append(event)
        self.stored(event)

    @rule(
        batch=st.lists(
            figure_rows,
            min_size=1,
            max_size=3,
        ),
        when=hours,
    )
    def report_a_batch(self, batch: list[tuple[str, str, Any]], when: datetime) -> None:
        events = [self.figure_event(s, t, f, when) for s, t, f in batch]
        records = self.lg.extend(events, expected_position=len(self.model))
        assert [r.position for r in records] == list(
            range(len(self.model) + 1, len(self.model) + 1 + len(events))
        )
        self.model.extend(events)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def re_append_a_stored_event(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.model) - 1))
        stored = next(iter(self.lg.records(after=index)))
        assert self.lg.append(self.model[index]) == stored

    # -- invalid writes -----------------------------------------------------------

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def re_append_an_event_id_with_another_payload(self, data: st.DataObject) -> None:
        event = data.draw(st.sampled_from(self.model))
        changed: Event
        if isinstance(event, ClaimMade | FigureReported | ClaimDisputed):
            changed = attrs.evolve(event, url="https://changed.example")
        else:
            changed = ClaimMade(
                claim_id=self.fresh("c"),
                topic=QUALITATIVE,
                source="src/a",
                statement="x",
                stated_at=BASE,
                event_id=event.event_id,
            )
        self.refused(DuplicateEvent, changed)

    @precondition(lambda self: bool(self.owners()))
    @rule(data=st.data(), source=sources, when=hours)
    def reuse_a_claim_id(self, data: st.DataObject, source: str, when: datetime) -> None:
        claim_id = data.draw(st.sampled_from(sorted(self.owners())))
        event = ClaimMade(
            claim_id=claim_id,
            topic=QUALITATIVE,
            source=source,
            statement="again",
            stated_at=when,
            event_id=self.fresh("e"),
        )
        self.refused(DuplicateClaim, event)

    @rule(source=sources, when=hours, retract=st.booleans())
    def target_an_unknown_claim(self, source: str, when: datetime, retract: bool) -> None:
        kind = ClaimRetracted if retract else ClaimDisputed
        event = kind(target="no/such-claim", source=source, stated_at=when)
        self.refused(UnknownClaim, event)

    @precondition(lambda self: bool(self.retracted()))
    @rule(data=st.data(), when=hours, retract=st.booleans())
    def target_a_retracted_claim(self, data: st.DataObject, when: datetime, retract: bool) -> None:
        target = data.draw(st.sampled_from(sorted(self.retracted())))
        owner = self.owners()[target]
        source = owner if retract else next(s for s in SOURCES if s != owner)
        kind = ClaimRetracted if retract else ClaimDisputed
        self.refused(RetractedClaim, kind(target=target, source=source, stated_at=when))

    @precondition(lambda self: bool(self.live()))
    @rule(data=st.data(), when=hours)
    def dispute_one_s_own_claim(self, data: st.DataObject, when: datetime) -> None:
        target, owner = data.draw(st.sampled_from(sorted(self.live().items())))
        self.refused(SelfDispute, ClaimDisputed(target=target, source=owner, stated_at=when))

    @precondition(lambda self: bool(self.live()))
    @rule(data=st.data(), when=hours)
    def retract_another_s_claim(self, data: st.DataObject, when: datetime) -> None:
        target, owner = data.draw(st.sampled_from(sorted(self.live().items())))
        source = data.draw(st.sampled_from([s for s in SOURCES if s != owner]))
        self.refused(
            ForeignRetraction, ClaimRetracted(target=target, source=source, stated_at=when)
        )

    @rule(
        source=sources,
        topic=st.sampled_from(NUMERIC_TOPICS),
        figure=figures(small_numbers, st.just("dollars")),
        when=hours,
    )
    def report_in_another_unit(self, source: str, topic: str, figure: Any, when: datetime) -> None:
        # Every numeric topic is linked to war/all, defined in people.
        self.refused(UnitMismatch, self.figure_event(source, topic, figure, when))

    @rule(source=sources, figure=figures(small_numbers, st.just(UNIT)), behind=st.integers(1, 3))
    def append_at_a_stale_position(self, source: str, figure: Any, behind: int) -> None:
        event = self.figure_event(source, "war/a", figure, BASE)
        # Behind the head when it can be, else ahead of it.
        ahead = len(self.model) < behind
        expected = len(self.model) + behind if ahead else len(self.model) - behind
        with pytest.raises(ConcurrencyError) as caught:
            self.lg.append(event, expected_position=expected)
        assert caught.value.actual == len(self.model)

    @rule(
        batch=st.lists(
            figure_rows,
            max_size=3,
        ),
        at=st.integers(0, 3),
        when=hours,
    )
    def extend_with_one_bad_event(
        self, batch: list[tuple[str, str, Any]], at: int, when: datetime
    ) -> None:
        events = [self.figure_event(s, t, f, when) for s, t, f in batch]
        bad = ClaimDisputed(target="no/such-claim", source="src/a", stated_at=when)
        events.insert(min(at, len(events)), bad)
        with pytest.raises(ValidationError):
            self.lg.extend(events)

    # -- batches that repeat stored events ---------------------------------------------

    @rule(data=st.data(), row=figure_rows, when=hours)
    def re_extend_stored_events_around_a_new_one(
        self, data: st.DataObject, row: tuple[str, str, Any], when: datetime
    ) -> None:
        picks = data.draw(
            st.lists(st.integers(0, len(self.model) - 1), min_size=1, max_size=3, unique=True)
        )
        new = self.figure_event(*row, when)
        batch = [self.model[picks[0]], new, *(self.model[i] for i in picks[1:])]
        records = self.lg.extend(batch)
        # Stored events come back as stored; only the new one is written.
        expected = [picks[0] + 1, len(self.model) + 1, *(i + 1 for i in picks[1:])]
        assert [r.position for r in records] == expected
        assert [r.event for r in records] == batch
        self.stored(new)

    @rule(data=st.data(), row=figure_rows, when=hours)
    def a_stored_event_id_with_another_payload_spoils_its_batch(
        self, data: st.DataObject, row: tuple[str, str, Any], when: datetime
    ) -> None:
        stored = self.model[data.draw(st.integers(0, len(self.model) - 1))]
        self.refused(DuplicateEvent, self.figure_event(*row, when), altered(stored))

    # -- what must always hold ---------------------------------------------------------

    @invariant()
    def the_log_is_the_model(self) -> None:
        assert self.lg.head == len(self.model)
        records = list(self.lg.records())
        assert [r.position for r in records] == list(range(1, len(self.model) + 1))
        assert [r.event for r in records] == self.model
        assert [r.event_id for r in records] == [e.event_id for e in self.model]

    @invariant()
    def the_views_are_a_replay_of_the_model(self) -> None:
        replay = LedgerView.replay(self.model)
        assert self.lg.topics() == replay.topics()
        assert self.lg.propositions() == replay.propositions()


LedgerMachine.TestCase.settings = settings(settings.default, stateful_step_count=40)
test_a_ledger_behaves_like_its_list_model = LedgerMachine.TestCase
