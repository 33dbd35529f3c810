"""A user's projection (DESIGN §7): project and track fold exactly the records of their view.

The projection here counts figures per (source, topic) and keeps the
positions it saw, as a user would write it, returning a new state each step.
Over any valid log, ``project`` equals a fold written out by hand over
``records()`` (all of them, the first n, or those stated by a time, with
definitions and descriptions always in), and ``track`` equals ``project``
however the log was appended. A step that raises leaves the tracker where it
stood: the next read folds the failing record again, and no record is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ledger import Event, FigureReported, Ledger, Recorded
from ledger.testing.strategies import event_sequences, numbers


class FiguresPerSourceAndTopic:
    """(source, topic) -> figures reported, and the positions folded; a new state each step."""

    def initial(self) -> tuple[dict[tuple[str, str], int], tuple[int, ...]]:
        return {}, ()

    def step(
        self, state: tuple[dict[tuple[str, str], int], tuple[int, ...]], record: Recorded
    ) -> tuple[dict[tuple[str, str], int], tuple[int, ...]]:
        counts, seen = state
        event = record.event
        if isinstance(event, FigureReported):
            key = (event.source, event.topic)
            counts = {**counts, key: counts.get(key, 0) + 1}
        return counts, (*seen, record.position)


def by_hand(records: Sequence[Recorded]) -> tuple[dict[tuple[str, str], int], tuple[int, ...]]:
    counts: dict[tuple[str, str], int] = {}
    for record in records:
        event = record.event
        if isinstance(event, FigureReported):
            key = (event.source, event.topic)
            counts[key] = counts.get(key, 0) + 1
    return counts, tuple(r.position for r in records)


def stated(event: Event) -> datetime | None:
    when: datetime | None = getattr(event, "stated_at", None)
    return when


@given(
    events=event_sequences(max_size=24),
    cut=st.integers(0, 40),
    shift=st.integers(-3, 3),
)
def test_project_folds_the_records_of_its_view_and_nothing_else(
    events: list[Event], cut: int, shift: int
) -> None:
    lg = Ledger.open("memory://")
    lg.extend(events)
    records = list(lg.records())
    projection = FiguresPerSourceAndTopic()
    assert lg.project(projection) == by_hand(records)
    assert lg.project(projection, position=cut) == by_hand(records[:cut])
    times = sorted({t for r in records if (t := stated(r.event)) is not None})
    if times:
        t = times[len(times) // 2] + timedelta(seconds=shift)
        kept = [r for r in records if (s := stated(r.event)) is None or s <= t]
        assert lg.project(projection, stated=t) == by_hand(kept)
        both = [r for r in kept if r.position <= cut]
        assert lg.project(projection, position=cut, stated=t) == by_hand(both)


@given(events=event_sequences(max_size=24), chunks=st.lists(st.integers(1, 6), max_size=8))
def test_track_stays_equal_to_project_however_the_log_is_appended(
    events: list[Event], chunks: list[int]
) -> None:
    lg = Ledger.open("memory://")
    live = lg.track(FiguresPerSourceAndTopic())
    assert live.state == ({}, ())
    start = 0
    for size in [*chunks, len(events)]:
        lg.extend(events[start : start + size])
        start += size
        assert live.state == lg.project(FiguresPerSourceAndTopic())
        assert live.position == lg.head


class Failing(FiguresPerSourceAndTopic):
    """Raises once, on the first record at a given position."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.failed = False

    def step(
        self, state: tuple[dict[tuple[str, str], int], tuple[int, ...]], record: Recorded
    ) -> tuple[dict[tuple[str, str], int], tuple[int, ...]]:
        if record.position == self.at and not self.failed:
            self.failed = True
            raise ValueError("a step that fails once")
        return super().step(state, record)


@given(events=event_sequences(min_size=1, max_size=16), at=st.integers(1, 30))
def test_a_step_that_raises_loses_no_record(events: list[Event], at: int) -> None:
    lg = Ledger.open("memory://")
    lg.extend(events)
    at = min(at, lg.head)
    live = lg.track(Failing(at))
    try:
        live.refresh()
    except ValueError:
        assert live.position == at - 1
    else:
        raise AssertionError("the step did not raise")
    # The next read folds the failing record again: each record once, in order.
    assert live.state == by_hand(list(lg.records()))
    assert live.state[1] == tuple(range(1, lg.head + 1))
    assert live.position == lg.head


@given(events=event_sequences(spread=True, values=numbers, max_size=20))
def test_spread_sequences_over_every_number_are_valid_logs(events: list[Event]) -> None:
    lg = Ledger.open("memory://")
    lg.extend(events)
    assert lg.head == len(events)
