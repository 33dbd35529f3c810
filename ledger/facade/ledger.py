"""The Ledger: one object that validates, stores, folds and answers queries.

It composes the codec, a store, the validation rules and the projection
state. Each write first catches up with what other writers stored, checks
idempotency and the caller's expected position, validates the batch against
the caught-up state, and asks the store to write at exactly the head it
validated against; if another writer got there first, it catches up and
tries again.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from ledger import tamper
from ledger.codec import Codec, Recorded, StoredRow, make_codec, parse_timestamp
from ledger.domain.events import (
    EVENT_TYPES,
    ClaimMade,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
    to_timestamp,
)
from ledger.domain.freshness import check_window
from ledger.domain.views import Dispute, HistoryEntry, PropositionView, TopicView
from ledger.errors import (
    ConcurrencyError,
    DuplicateEvent,
    InvalidEvent,
    LedgerError,
    ValidationError,
)
from ledger.facade.snapshot import DEFAULT_EVERY, SnapshotDamaged, SnapshotFile
from ledger.io.authoring import read_events
from ledger.projections.state import LedgerState
from ledger.projections.validation import validate
from ledger.stores import open_store
from ledger.stores.base import Clock, Store
from ledger.stores.follow import follow as follow_store
from ledger.tamper import Checkpoint, ConsistencyProof, Receipt, VerifyReport

__all__ = ["Ledger", "LedgerView"]

T = TypeVar("T")
log = logging.getLogger(__name__)

#: How many snapshot index rows a replay holds in memory before writing them.
_FLUSH_ROWS = 200_000
#: A replay at least this long freezes what it built (see _catch_up).
_FREEZE_AFTER = 100_000
#: Appends freeze what they folded once this many records have come since the last freeze.
_SETTLE_EVERY = 10_000
#: How long a writer keeps retrying when other writers keep moving the head.
_RETRY_SECONDS = 120.0


class LedgerView:
    """Read-only queries over a folded state: the ledger now, or as of a moment."""

    def __init__(self, state: LedgerState) -> None:
        self._state = state

    @property
    def position(self) -> int:
        """The last position folded into this view."""
        return self._state.position

    def _run(self, query: Callable[[LedgerState], T]) -> T:
        return query(self._state)

    def topic(self, topic: str, *, window: timedelta | None = None) -> TopicView:
        """One topic's current figures, range and consensus; UnknownTopic if never mentioned.

        ``window`` overrides the topic's own freshness window (``timedelta.max``
        sets it aside: every current figure counts).
        """
        in_force = check_window(window)
        return self._run(lambda s: s.topic(topic, in_force))

    def topics(self, *, window: timedelta | None = None) -> list[TopicView]:
        """Every topic mentioned, sorted by topic, each under ``window`` or its own."""
        in_force = check_window(window)
        return self._run(lambda s: [s.topic(t, in_force) for t in _all(s).topic_names()])

    def history(self, topic: str, source: str | None = None) -> list[HistoryEntry]:
        """Every FigureReported on a topic (of one source), by (stated_at, position)."""
        return self._run(lambda s: s.history(topic, source))

    def propositions(self, topic: str | None = None) -> list[PropositionView]:
        """Every proposition with claims, sorted by (topic, proposition)."""
        return self._run(lambda s: (s if topic is not None else _all(s)).propositions(topic))

    def disputes(self, topic: str | None = None) -> list[Dispute]:
        """Every dispute of a claim in the view, in log order."""
        return self._run(lambda s: (s if topic is not None else _all(s)).dispute_list(topic))

    def claim(self, claim_id: str) -> ClaimMade | FigureReported | None:
        """The ClaimMade or FigureReported with this claim_id, or None."""
        found = self._run(lambda s: s.claims.get(claim_id))
        return found.event if found else None

    def source(self, source: str) -> SourceDescribed | None:
        """The latest description of a source, or None."""
        return self._state.sources.get(source)

    def definition(self, topic: str) -> TopicDefined | None:
        """The latest TopicDefined of a topic, or None."""
        return self._state.definitions.get(topic)


class Ledger(LedgerView):
    """An append-only, tamper-evident log of claims with its projections."""

    def __init__(
        self,
        store: Store,
        codec: Codec | None = None,
        *,
        snapshot_every: int | None = DEFAULT_EVERY,
    ) -> None:
        self.store = store
        self.codec = codec or make_codec()
        if snapshot_every is not None and (
            isinstance(snapshot_every, bool) or not isinstance(snapshot_every, int)
        ):
            raise InvalidEvent("must be a positive integer or None", field="snapshot_every")
        self._every = snapshot_every if snapshot_every and snapshot_every > 0 else None
        path = store.snapshot_path if self._every else None
        self._snapshot = SnapshotFile(path, store, self.codec) if path else None
        super().__init__(self._restore())
        self._run(lambda _: self._catch_up())
        # Where _settle counts from: what the open folded is the catch-up's
        # business (it freezes a long one itself), not the first append's.
        self._frozen_at = self._state.position
        self._save_snapshot(force=False)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        clock: Clock | None = None,
        snapshot_every: int | None = DEFAULT_EVERY,
        **options: Any,
    ) -> Ledger:
        """Open (creating if needed) the ledger at url: memory://, *.jsonl, *.db, sqlite://, postgresql://.

        File stores keep a projection snapshot beside the log, refreshed every
        ``snapshot_every`` records (None or 0: no snapshot).
        """
        store = open_store(url, clock=clock, **options)
        try:
            return cls(store, snapshot_every=snapshot_every)
        except BaseException:
            store.close()
            raise

    # -- snapshots ----------------------------------------------------------

    def _restore(self) -> LedgerState:
        """The state a snapshot gives, else an empty one; tracked for the next snapshot."""
        state = self._snapshot.load() if self._snapshot else None
        state = state or LedgerState()
        if self._snapshot is not None:
            state.tracked, state.tracked_claims = [], []
        return state

    def _save_snapshot(self, *, force: bool) -> None:
        snapshot = self._snapshot
        if snapshot is None or self._every is None:
            return
        pending = self._state.position - snapshot.position
        # Small logs replay in no time: they get no snapshot file beside them.
        large = self._state.position >= self._every
        if pending >= self._every or (force and large and pending > 0):
            snapshot.save(self._state, self.store.tree())

    def _run(self, query: Callable[[LedgerState], T]) -> T:
        try:
            return query(self._state)
        except SnapshotDamaged as exc:
            # The snapshot disagrees with the log: forget it, replay the log, answer.
            log.warning("%s: %s; rebuilding the projections", self.url, exc)
            assert self._snapshot is not None
            self._snapshot.discard()
            self._state = self._restore()
            self._catch_up()
            self._save_snapshot(force=True)
            return query(self._state)

    @property
    def url(self) -> str:
        """The URL the ledger was opened with."""
        return self.store.url

    @property
    def head(self) -> int:
        """The last position in the log, 0 when empty."""
        return self.store.head()

    def records(self, after: int = 0) -> Iterator[Recorded]:
        """The log itself, in position order, after a position."""
        _check_position("after", after)
        for row in self.store.read(after):
            yield self._decode(row)

    def _decode(self, row: StoredRow) -> Recorded:
        # In JSON Lines the position is the line number; say so in errors.
        line = row.position if self.store.numbered_lines else None
        return self.codec.decode(row, line=line)

    def rows(self, after: int = 0) -> Iterator[StoredRow]:
        """The stored rows exactly as the store holds them."""
        _check_position("after", after)
        return self.store.read(after)

    def append(self, event: Event, *, expected_position: int | None = None) -> Recorded:
        """Validate and store one event; idempotent for the same event_id and payload."""
        return self.extend([event], expected_position=expected_position)[0]

    def extend(
        self, events: Iterable[Event], *, expected_position: int | None = None
    ) -> list[Recorded]:
        """Validate and store a batch atomically: all of it lands or none of it."""
        try:
            batch = list(events)
        except TypeError:
            raise InvalidEvent("must be an iterable of events", field="events") from None
        if expected_position is not None:
            _check_position("expected_position", expected_position)
        if not batch:
            return []
        for i, event in enumerate(batch):
            if not isinstance(event, EVENT_TYPES):
                raise InvalidEvent(
                    f"item {i}: {type(event).__name__} is not an event", field="event"
                )
        with self.store.writing():
            done = self._run(lambda _: self._extend(batch, expected_position))
        self._save_snapshot(force=False)
        self._settle()
        return done

    def _extend(self, batch: list[Event], expected_position: int | None) -> list[Recorded]:
        deadline = time.monotonic() + _RETRY_SECONDS
        conflicts = 0
        # First assume the whole batch is new, which it nearly always is, and
        # skip looking every event_id up; anything unexpected (a validation
        # error, an event_id the store already holds, another expected head)
        # sends the batch down the careful path, which looks them up first.
        careful = False
        while True:
            self._catch_up()
            head = self._state.position
            careful = careful or (expected_position is not None and expected_position != head)
            stored = self._stored(batch) if careful else _no_repeats(batch)
            fresh = [e for e in batch if e.event_id not in stored]
            if not fresh:
                return [self._decode(stored[e.event_id]) for e in batch]
            if expected_position is not None and expected_position != head:
                raise ConcurrencyError(expected_position, head)
            try:
                validate(self._state, fresh)
            except ValidationError:
                if careful:
                    raise
                careful = True
                continue
            now = _checked_clock(self.store.clock())
            rows = self.codec.encode_many(head, fresh, now)
            try:
                self.store.write(rows, head)
            except DuplicateEvent:
                if careful:
                    raise
                careful = True
                continue
            except ConcurrencyError:
                # Another writer stored first: catch up and validate again. After
                # a few lost races a short random pause keeps the writer that
                # just won from winning every race while this one catches up.
                if time.monotonic() > deadline:
                    raise
                conflicts += 1
                if conflicts > 3:
                    time.sleep(random.uniform(0, min(0.001 * 2 ** (conflicts - 3), 0.05)))
                continue
            recorded_at = parse_timestamp(rows[0].recorded_at)
            made = {}
            for row, event in zip(rows, fresh, strict=True):
                self._state.apply(row.position, event)
                made[event.event_id] = Recorded(
                    row.position, row.event_id, recorded_at, event, bytes.fromhex(row.hash)
                )
            # Events stored before are returned as stored; new ones as just written.
            return [made.get(e.event_id) or self._decode(stored[e.event_id]) for e in batch]

    def import_events(
        self, path: str | Path, *, progress: Callable[[int, int], None] | None = None
    ) -> list[Recorded]:
        """Import an authoring-format file whole, or nothing: ImportFailed lists bad lines."""
        self._catch_up()
        events = read_events(path, self._state, stored=self._already_stored, progress=progress)
        return self.extend(events)

    def _already_stored(self, events: list[Event]) -> dict[str, bool]:
        found = self.store.find([e.event_id for e in events])
        by_id = {e.event_id: e for e in events}
        return {i: self._same(by_id[i], row) for i, row in found.items()}

    def _same(self, event: Event, row: StoredRow) -> bool:
        # Compare what the events say, upcast to today's schema, not raw bytes.
        known = self._decode(row).event
        same_type = type(known) is type(event)
        return same_type and self.codec.event_data(known) == self.codec.event_data(event)

    def as_of(
        self, position: int | None = None, stated: datetime | date | None = None
    ) -> LedgerView:
        """A read-only view of the events up to a position and/or stated up to a time."""
        if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
            raise InvalidEvent("must be an integer", field="position")
        if position is not None and position < 0:
            raise InvalidEvent(f"{position} is negative", field="position")
        try:
            cutoff = None if stated is None else to_timestamp(stated)
        except ValueError as exc:
            raise InvalidEvent(str(exc), field="stated") from None
        limit = self.head if position is None else position
        state = LedgerState()
        for record in self.records():
            if record.position > limit:
                break
            stated_at = getattr(record.event, "stated_at", None)
            if cutoff is not None and stated_at is not None and stated_at > cutoff:
                continue
            state.apply(record.position, record.event)
        return LedgerView(state)

    def follow(
        self,
        after: int = 0,
        *,
        poll_interval: float = 1.0,
        stop: Callable[[], bool] | None = None,
    ) -> Iterator[Recorded]:
        """Every record after a position, then each new one as it lands, exactly once, in order."""
        for row in follow_store(self.store, after, poll_interval=poll_interval, stop=stop):
            yield self._decode(row)

    # -- tamper evidence (ledger.tamper holds the logic) -------------------

    def checkpoint(self) -> Checkpoint:
        """The tree size and Merkle root of the log now, from the store's right edge."""
        return tamper.checkpoint(self.store)

    def prove(self, position: int, size: int | None = None) -> Receipt:
        """An inclusion receipt for the record at position in the tree of size (default: head)."""
        return tamper.prove(self.store, position, size)

    def prove_consistency(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """A proof that the log of old_size is a prefix of the log of new_size (default: head)."""
        return tamper.prove_consistency(self.store, old_size, new_size)

    def verify(self, checkpoint: Checkpoint | None = None) -> VerifyReport:
        """Recompute every leaf and the root; report the first fault, never raise on tampering."""
        return tamper.verify_store(self.store, checkpoint, codec=self.codec)

    def close(self) -> None:
        """Close the store, saving the snapshot first if records were added since."""
        try:
            self._save_snapshot(force=True)
        except LedgerError as exc:
            # Closing must not fail for a cache: the next open rebuilds what it needs.
            log.warning("%s: snapshot not saved on close: %s", self.url, exc)
        finally:
            if self._snapshot is not None:
                self._snapshot.close()
            self.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _catch_up(self) -> None:
        start = self._state.position
        with _long_fold() as folded:
            state, decode = self._state, self.codec.decode_values
            numbered = self.store.numbered_lines
            for values in self.store.scan(state.position):
                position = values[0]
                state.apply(position, decode(values, line=position if numbered else None))
                folded[0] += 1
                if state.tracked is not None and len(state.tracked) >= _FLUSH_ROWS:
                    assert self._snapshot is not None
                    self._snapshot.flush(state)
        if self._state.position - start >= _FREEZE_AFTER:
            self._frozen_at = self._state.position  # frozen by _long_fold

    def _settle(self) -> None:
        """After appends have folded many records, take them out of the collector's sight.

        Each full collection scans every tracked object, and the collector runs
        one each time the heap has grown by a quarter: a ledger built by appends
        would spend a sixth of its time rescanning its own fold. The fold holds
        no reference cycles, so frozen it is still freed by reference counting;
        a collection first frees what is garbage now, and it only scans what
        was allocated since the last freeze.
        """
        if self._state.position - self._frozen_at >= _SETTLE_EVERY and gc.isenabled():
            gc.collect()
            gc.freeze()
            self._frozen_at = self._state.position

    def _stored(self, batch: Sequence[Event]) -> dict[str, StoredRow]:
        _no_repeats(batch)
        stored = self.store.find([e.event_id for e in batch])
        for event in batch:
            row = stored.get(event.event_id)
            if row is not None and not self._same(event, row):
                raise DuplicateEvent(event.event_id, row.position)
        return stored


def _no_repeats(batch: Sequence[Event]) -> dict[str, StoredRow]:
    """Nothing (no stored rows looked up), after refusing an event_id the batch repeats."""
    ids = [e.event_id for e in batch]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        for i, event_id in enumerate(ids):
            if event_id in seen:
                raise InvalidEvent(
                    f"item {i}: {event_id!r} appears twice in the batch", field="event_id"
                )
            seen.add(event_id)
    return {}


def _all(state: LedgerState) -> LedgerState:
    """The state, with every partition folded (in one pass over the log if many are not)."""
    with _long_fold() as folded:
        folded[0] = state.fold_all()
    return state


@contextlib.contextmanager
def _long_fold() -> Iterator[list[int]]:
    """Pause the cyclic collector while a fold builds what may be millions of objects.

    The caller counts the records it folds in the list it is given. The fold
    holds no reference cycles, so the collector would only rescan it again
    and again; after _FREEZE_AFTER records or more, what was built is moved
    out of its sight for good with gc.freeze() (still freed by reference
    counting; see docs/storage.md), which spares the first full collection
    a fifth of a large replay's time.
    """
    folded = [0]
    paused = gc.isenabled()
    gc.disable()
    try:
        yield folded
    finally:
        if paused:
            if folded[0] >= _FREEZE_AFTER:
                gc.freeze()
            gc.enable()


def _check_position(field: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidEvent(f"must be a position (an integer >= 0), not {value!r}", field=field)


def _checked_clock(now: object) -> datetime:
    # An injected clock is code, but a wrong one would stamp every record wrongly.
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise InvalidEvent(f"must return a timezone-aware datetime, not {now!r}", field="clock")
    return now
