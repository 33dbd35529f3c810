"""The Ledger: one object that validates, stores, folds and answers queries.

It composes the codec, a store, the validation rules and the built-in
projection kept current by a ``Keeper``. Each write first makes the
projection stand at the log's head (what other writers stored), checks
idempotency and the caller's expected position, validates the batch against
the facts, folds it, and asks the store to write the records and the read
model's changes at exactly the head it validated against; if another writer
got there first, it forgets what it folded, catches up and tries again.

Nothing here touches the user's process: the garbage-collector tuning that
speeds up very long folds is opt-in (``tune_gc=True``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import attrs

from ledger import tamper
from ledger.codec import Codec, StoredRow, make_codec, parse_timestamp
from ledger.domain.events import Event, events_in, to_timestamp
from ledger.domain.figures import surrogate_in
from ledger.domain.records import Recorded
from ledger.errors import (
    ConcurrencyError,
    DuplicateEvent,
    InvalidEvent,
    RecordTooLarge,
    StoreError,
    StoreUnavailable,
    ValidationError,
    brief,
)
from ledger.facade.audit import audit_read_model, with_audit
from ledger.facade.keeper import MODEL_NAME, Keeper, decoded
from ledger.facade.tracking import PersistedProjection, Tracked
from ledger.facade.view import LedgerView
from ledger.io.authoring import check_events, parse_file
from ledger.io.importing import append_checked, check_path, pinned
from ledger.projections.protocol import LedgerProjection, Projection, fold, in_view, stated_by
from ledger.projections.reader import Reader
from ledger.projections.validation import validate
from ledger.stores import open_store
from ledger.stores.base import LAST_POSITION, Clock, Store
from ledger.stores.follow import follow as follow_store
from ledger.stores.readmodel import MAX_VERSION, ModelDamaged, ModelWrite
from ledger.tamper import Checkpoint, ConsistencyProof, Receipt, VerifyReport

__all__ = ["TUNED_BATCH", "Imported", "Ledger", "LedgerView"]

T = TypeVar("T")
S = TypeVar("S")
log = logging.getLogger(__name__)

#: How long a writer keeps retrying when other writers keep moving the head.
_RETRY_SECONDS = 120.0
#: Repairs of the read model, and races lost to other processes repairing it,
#: before a ledger folds the log in memory instead (Ledger._current).
_REPAIRS = 3
_LOST_RACES = 50
#: With ``tune_gc``, appends of this many events or more run as long folds do.
TUNED_BATCH = 1_000


@attrs.frozen
class Imported:
    """What an import did: how many events the file held, and how many were new to the ledger."""

    events: int
    added: int


class Ledger(LedgerView):
    """An append-only, tamper-evident log of claims with its projections."""

    def __init__(self, store: Store, codec: Codec | None = None, *, tune_gc: bool = False) -> None:
        _check_tune_gc(tune_gc)
        self.store = store
        self.codec = codec or make_codec()
        self._tune_gc = tune_gc
        self._keeper = Keeper(store, self.codec, writable=not store.read_only)
        super().__init__(self._keeper.reader)
        # The read model is checked (and caught up or rebuilt) by the first
        # query or write, not here: opening to append, verify or prove costs nothing.

    @classmethod
    def open(
        cls,
        url: str,
        *,
        clock: Clock | None = None,
        tune_gc: bool = False,
        **options: Any,
    ) -> Ledger:
        """Open (creating if needed) the ledger at url: memory://, *.jsonl, *.db, sqlite://, postgresql://.

        ``tune_gc=True`` lets long folds (building a read model, ``as_of``,
        ``project``), appends of ``TUNED_BATCH`` events or more and reads of
        every topic pause the garbage collector and freeze what they built;
        without it the ledger never touches the collector.
        """
        _check_tune_gc(tune_gc)  # before a store is opened for nothing
        store = open_store(url, clock=clock, **options)
        try:
            return cls(store, tune_gc=tune_gc)
        except BaseException:
            store.close()
            raise

    # -- the projection, current --------------------------------------------

    def _current(self) -> None:
        """Make the facts stand at the log's head, repairing the read model if it must.

        A read model is a cache: when it cannot be brought to the head (other
        processes keep storing chunks first while they catch it up too, or it
        keeps reading back damaged), this ledger folds the log in memory
        instead, with a warning, rather than fail the query or the append.
        """
        keeper = self._keeper
        repairs = lost = 0
        while True:
            with self.store.reading():
                at_head, damaged = self._standing()
                if at_head:
                    return
            if repairs == _REPAIRS or lost == _LOST_RACES:
                break
            with self._collector():
                keeper.repair(rebuild=damaged)
            if keeper.moved:
                # Another process stored first: it is catching up as well. Give it
                # a moment, then stand on what it stored.
                lost += 1
                time.sleep(random.uniform(0, min(0.002 * 2**lost, 0.1)))
            else:
                repairs += 1
        keeper.fold_in_memory("the read model cannot be brought to the log's head")

    def _ask(self, query: Callable[[Reader], T], *, whole: bool = False) -> T:
        """Answer a query from the projection at the log's head, in one read snapshot.

        A query of every topic (``whole``) loads the read model's rows of all
        of them: with ``tune_gc`` it runs as a long fold does.
        """
        for attempt in (1, 2, 3):
            with self.store.reading():
                at_head, rebuild = self._standing()
                if at_head:
                    try:
                        with self._collector() if whole else contextlib.nullcontext():
                            return query(self._keeper.reader)
                    except ModelDamaged as exc:
                        if attempt == 3:
                            raise
                        self._forget_damaged(exc)
                        rebuild = True
            if rebuild:
                with self._collector():
                    self._keeper.repair(rebuild=True)
            # Not at the head, or just rebuilt: bring the facts there, ask again.
            self._current()
        raise ModelDamaged(f"{self.url}: the read model cannot be read")

    def _standing(self) -> tuple[bool, bool]:
        """Whether the facts stand at the head, and whether the read model must be rebuilt.

        Called inside ``store.reading()``. When rows read while folding what was
        appended since do not read back, what was loaded is forgotten.
        """
        try:
            return self._keeper.current(), False
        except ModelDamaged as exc:
            self._forget_damaged(exc)
            return False, True

    def _forget_damaged(self, exc: ModelDamaged) -> None:
        """Read-model rows that do not read back: say so, and drop what was loaded."""
        log.warning("%s: %s: rebuilding the read model", self.url, exc)
        self._keeper.forget()

    @contextlib.contextmanager
    def _collector(self) -> Iterator[None]:
        """With tune_gc, pause the collector over a long fold and freeze what it built."""
        if not self._tune_gc or not gc.isenabled():
            yield
            return
        gc.disable()
        try:
            yield
        finally:
            gc.freeze()
            gc.enable()

    # -- the log ------------------------------------------------------------

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

    # -- writing --------------------------------------------------------------

    def append(self, event: Event, *, expected_position: int | None = None) -> Recorded:
        """Validate and store one event; idempotent for the same event_id and payload."""
        return self.extend([event], expected_position=expected_position)[0]

    def extend(
        self, events: Iterable[Event], *, expected_position: int | None = None
    ) -> list[Recorded]:
        """Validate and store a batch atomically: all of it lands or none of it."""
        batch = list(events_in(events))
        if expected_position is not None:
            _check_position("expected_position", expected_position)
        if not batch:
            return []
        # A bulk load's batch is a long fold too; a single append never tunes.
        tuned = self._collector() if len(batch) >= TUNED_BATCH else contextlib.nullcontext()
        with self.store.writing(), tuned:
            return self._extend(batch, expected_position)

    def _extend(self, batch: list[Event], expected_position: int | None) -> list[Recorded]:
        deadline = time.monotonic() + _RETRY_SECONDS
        conflicts = 0
        # First assume the whole batch is new, which it nearly always is, and
        # skip looking every event_id up; anything unexpected (a validation
        # error, an event_id the store already holds, another expected head)
        # sends the batch down the careful path, which looks them up first.
        careful = False
        keeper = self._keeper
        while True:
            self._current()
            facts = keeper.facts
            head = facts.position
            careful = careful or (expected_position is not None and expected_position != head)
            stored = self._stored(batch) if careful else _no_repeats(batch)
            fresh = [e for e in batch if e.event_id not in stored]
            if not fresh:
                return [self._decode(stored[e.event_id]) for e in batch]
            if expected_position is not None and expected_position != head:
                raise ConcurrencyError(expected_position, head)
            try:
                keeper.prefetch(fresh)
                validate(facts, fresh)
            except ValidationError as exc:
                if careful:
                    raise _in_batch(exc, batch, fresh) from None
                careful = True
                continue
            except ModelDamaged as exc:
                # Read-model rows that do not read back: rebuild them from the log, retry.
                self._forget_damaged(exc)
                keeper.repair(rebuild=True)
                continue
            now = _checked_clock(self.store.clock())
            try:
                rows = self.codec.encode_many(head, fresh, now)
            except RecordTooLarge as exc:
                raise _in_batch(exc, batch, fresh) from None
            try:
                self._write(rows, fresh, head)
            except ModelDamaged as exc:
                log.warning("%s: %s: rebuilding the read model", self.url, exc)
                keeper.repair(rebuild=True)
                continue
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
            made = {
                e.event_id: Recorded(
                    row.position, row.event_id, recorded_at, e, bytes.fromhex(row.hash)
                )
                for row, e in zip(rows, fresh, strict=True)
            }
            # Events stored before are returned as stored; new ones as just written.
            return [made.get(e.event_id) or self._decode(stored[e.event_id]) for e in batch]

    def _write(self, rows: list[StoredRow], events: list[Event], head: int) -> None:
        """Store rows at head with the projection's changes; fold them into the facts."""
        keeper = self._keeper
        facts = keeper.facts
        if keeper.in_memory:
            # Whole facts in memory cannot be taken back: fold only what is stored.
            self.store.write(rows, head)
            for row, event in zip(rows, events, strict=True):
                facts.apply(row.position, event)
            return

        # A read model is written with the records, in the same transaction:
        # the store folds them while it writes (write_folding). If the write
        # fails, what was folded is forgotten and read again.
        def folded() -> ModelWrite | None:
            for row, event in zip(rows, events, strict=True):
                facts.apply(row.position, event)
            return keeper.write(head)

        try:
            written, model = self.store.write_folding(
                rows, head, folded, waits=keeper.waits(len(rows))
            )
        except BaseException:
            keeper.forget()
            raise
        keeper.wrote(model, written)

    def import_events(
        self,
        path: str | Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        delimiter: str | None = None,
        date_format: str | None = None,
        ignore_columns: bool = False,
    ) -> Imported:
        """Import an authoring file (JSON Lines, CSV or TSV): events held, and how many were new.

        Every line is checked first, streamed, against the ledger: a file with
        bad lines imports nothing and ImportFailed lists up to 20 of them.
        Then the events are appended in batches. Events already stored are
        skipped, so importing a file again (or again after an interruption)
        adds nothing twice.
        """
        options: dict[str, Any] = {
            "delimiter": delimiter,
            "date_format": date_format,
            "ignore_columns": ignore_columns,
        }
        label = check_path(path)
        self._current()
        with pinned(label) as copy:
            total = check_events(
                copy,
                self._keeper.facts,
                stored=self._already_stored,
                progress=progress,
                label=label,
                **options,
            )
            added = append_checked(label, parse_file(copy, label=label, **options), self._added)
        return Imported(total, added)

    def _added(self, batch: list[Event]) -> int:
        """Append a batch; how many of its events were new (the others were stored before)."""
        before = self.head
        return sum(1 for record in self.extend(batch) if record.position > before)

    def _already_stored(self, events: list[Event]) -> dict[str, bool]:
        found = self.store.find([e.event_id for e in events])
        by_id = {e.event_id: e for e in events}
        return {i: self._same(by_id[i], row) for i, row in found.items()}

    def _same(self, event: Event, row: StoredRow) -> bool:
        # Compare what the events say, upcast to today's schema, not raw bytes.
        known = self._decode(row).event
        same_type = type(known) is type(event)
        return same_type and self.codec.event_data(known) == self.codec.event_data(event)

    def _stored(self, batch: Sequence[Event]) -> dict[str, StoredRow]:
        _no_repeats(batch)
        stored = self.store.find([e.event_id for e in batch])
        for event in batch:
            row = stored.get(event.event_id)
            if row is not None and not self._same(event, row):
                raise DuplicateEvent(event.event_id, row.position)
        return stored

    # -- projections ----------------------------------------------------------

    def project(
        self,
        projection: Projection[S],
        *,
        position: int | None = None,
        stated: datetime | date | None = None,
    ) -> S:
        """Run a projection over the log (as of a position and/or a stated time); its state."""
        _check_projection(projection)
        limit, cutoff = self._cutoffs(position, stated)
        with self._collector():
            return fold(projection, in_view(self.records(), limit, cutoff))

    def track(self, projection: Projection[S]) -> Tracked[S]:
        """A projection kept current: its ``state`` folds what was appended since, on each read.

        A ``PersistedProjection`` (``name``, ``version``, ``dump``, ``load``
        besides ``initial`` and ``step``) is kept in the store beside the log:
        it starts from the state stored there and stores it after each read
        that folds (memory:// keeps none).
        """
        _check_projection(projection)
        if isinstance(projection, PersistedProjection):
            _check_persisted(projection)
        return Tracked(projection, self.records, self.store)

    def as_of(
        self, position: int | None = None, stated: datetime | date | None = None
    ) -> LedgerView:
        """A read-only view of the events up to a position and/or stated up to a time.

        The built-in projection folded from the first record, as ``project``
        would; its step needs only each event and position, so the records are
        decoded straight from the store's rows, without building a Recorded.
        """
        limit, cutoff = self._cutoffs(position, stated)
        reader = LedgerProjection().initial()
        apply = reader.facts.apply
        with self._collector():
            for at, event, _ in decoded(self.store, self.codec, 0, limit):
                if stated_by(event, cutoff):
                    apply(at, event)
        return LedgerView(reader)

    def _cutoffs(
        self, position: int | None, stated: datetime | date | None
    ) -> tuple[int, datetime | None]:
        if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
            raise InvalidEvent("must be an integer", field="position")
        if position is not None and position < 0:
            raise InvalidEvent(f"{brief(position)} is negative", field="position")
        try:
            cutoff = None if stated is None else to_timestamp(stated)
        except ValueError as exc:
            raise InvalidEvent(str(exc), field="stated") from None
        return (self.head if position is None else position), cutoff

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

    def checkpoint(self, origin: str | None = None) -> Checkpoint:
        """The tree size and Merkle root of the log now, from the store's right edge.

        ``origin`` names the log in the note (default: the ledger's own origin).
        """
        return tamper.checkpoint(self.store, origin)

    def prove(self, position: int, size: int | None = None, origin: str | None = None) -> Receipt:
        """An inclusion receipt for the record at position in the tree of size (default: head).

        ``origin`` names the checkpoint the receipt is for (default: the ledger's own).
        """
        return tamper.prove(self.store, position, size, origin)

    def prove_consistency(
        self, old_size: int, new_size: int | None = None, origin: str | None = None
    ) -> ConsistencyProof:
        """A proof that the log of old_size is a prefix of the log of new_size (default: head).

        ``origin`` names the checkpoints it joins (default: the ledger's own).
        """
        return tamper.prove_consistency(self.store, old_size, new_size, origin)

    def verify(
        self, checkpoint: Checkpoint | None = None, *, read_model: bool = True
    ) -> VerifyReport:
        """Recompute every leaf and the root; report the first fault, never raise on tampering.

        When the log verifies and ``read_model`` is true, the read model kept
        beside it is compared with a fold of the log as well (a full replay):
        rows that do not follow from the records make the report not ok
        (``read_model_agrees`` False), since the views read them. Nothing is
        written or repaired; ``rebuild()`` builds the read model again.
        """
        if type(read_model) is not bool:
            raise InvalidEvent(f"must be True or False, not {read_model!r}", field="read_model")
        report = tamper.verify_store(self.store, checkpoint, codec=self.codec)
        if not read_model or not report.ok:
            return report
        # Not under _collector: the fold is thrown away, nothing of it is worth freezing.
        return with_audit(report, audit_read_model(self.store, self.codec))

    def rebuild(self) -> int:
        """Build the read model again from the first record; the records folded.

        For a read model that ``verify()`` found disagreeing with the log (its
        rows altered while its checkpoint was not): the checks made before
        every query cannot see that. A ledger kept in memory has nothing to
        rebuild; a read-only one raises StoreUnavailable.
        """
        keeper = self._keeper
        if keeper.model is None:
            return self.head
        if not keeper.writable or keeper.in_memory:
            # Opened read-only, or found unable to write the read model (a role
            # without the grants): the views are folded in memory instead.
            raise StoreUnavailable(
                f"{self.url}: the read model cannot be written here (the ledger is "
                "read-only): cannot rebuild it"
            )
        log.info("%s: building the read model again from the first record", self.url)
        with self.store.writing(), self._collector():
            keeper.repair(rebuild=True)
        if not keeper.writable or keeper.in_memory:
            # The store refused the rows (a role without write grants on the read
            # model's tables): the views are folded in memory, nothing was rebuilt.
            raise StoreUnavailable(
                f"{self.url}: the read model cannot be written here (the store refused "
                "it): cannot rebuild it"
            )
        return keeper.facts.position

    def close(self) -> None:
        """Store the read-model changes still waiting in memory, then close the store."""
        try:
            if self._keeper.waiting:
                with self.store.writing():
                    self._keeper.flush()
        except StoreError as exc:
            # A cache not written is caught up by the next open; closing goes on.
            log.warning("%s: the read model was not written (%s)", self.url, exc)
        finally:
            self.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


_Refused = TypeVar("_Refused", ValidationError, RecordTooLarge)


def _in_batch(exc: _Refused, batch: Sequence[Event], fresh: Sequence[Event]) -> _Refused:
    """The error of an event of fresh, naming its item in the batch the caller gave."""
    if exc.item is not None:
        event = fresh[exc.item]
        exc.item = next(i for i, e in enumerate(batch) if e is event)
        if len(batch) > 1:
            exc.args = (f"item {exc.item}: {exc}",)
    return exc


def _check_projection(projection: object) -> None:
    """A projection has initial() and step(state, record); anything else is refused by name."""
    if isinstance(projection, type):
        raise InvalidEvent(
            f"{projection.__name__} is a class: pass an instance of it, "
            f"{projection.__name__}(), as the projection",
            field="projection",
        )
    if not all(callable(getattr(projection, name, None)) for name in ("initial", "step")):
        raise InvalidEvent(
            f"{type(projection).__name__} is not a projection: it needs initial() and "
            "step(state, record)",
            field="projection",
        )


def _check_persisted(projection: PersistedProjection[Any]) -> None:
    name, version = projection.name, projection.version
    if not isinstance(name, str) or not name or name == MODEL_NAME:
        raise InvalidEvent(
            f"a persisted projection's name must be text other than {MODEL_NAME!r} (the "
            f"built-in views'), not {name!r}",
            field="projection",
        )
    wrong = surrogate_in(name)
    if wrong is not None:
        raise InvalidEvent(f"a persisted projection's name {wrong}", field="projection")
    if type(version) is not int or not 0 <= version <= MAX_VERSION:
        raise InvalidEvent(
            f"a persisted projection's version must be an integer from 0 to {MAX_VERSION}, "
            f"not {version!r}",
            field="projection",
        )


def _check_tune_gc(tune_gc: object) -> None:
    # A process-wide side effect is taken on only when asked for in so many words:
    # a truthy "no" or 1 is refused, not read as consent.
    if type(tune_gc) is not bool:
        raise InvalidEvent(f"must be True or False, not {tune_gc!r}", field="tune_gc")


def _check_position(field: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LAST_POSITION:
        raise InvalidEvent(
            f"must be a position (an integer from 0 to 2**63 - 1), not {brief(value)}", field=field
        )


def _checked_clock(now: object) -> datetime:
    # An injected clock is code, but a wrong one would stamp every record wrongly.
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise InvalidEvent(f"must return a timezone-aware datetime, not {now!r}", field="clock")
    return now
