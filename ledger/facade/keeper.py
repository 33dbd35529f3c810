"""Keeping the built-in projection current over a store: its read model checked and caught up.

The built-in views are folded from facts (``ledger.projections.facts``). On a
store that keeps a read model (SQLite, JSON Lines, PostgreSQL) the facts live
in it, written with the records that change them, and are loaded partition by
partition as queries need them: opening a ledger and asking for one topic, or
every topic, costs in proportion to the answer, not to the log.

The read model is a cache, never evidence. Before it is used it is checked
against the log: its checkpoint must cover exactly the log's head and give
the log's Merkle root. A read model that covers a prefix of the log (a writer
died between the log and the read model, or an older claims-ledger appended
without one) is caught up from the records after it; one that is missing,
damaged, of another version, or of another log is rebuilt from the first
record, with a warning. Both write the read model, each in chunks of its own
transactions, so memory stays bounded. A ledger opened read-only never
writes: it folds the log in memory instead, and says so.

A writer stores the changes of a small append with its records, in the same
transaction, so a ledger written by single appends always has its read model
at the head. The changes of large batches wait in the writer's memory (its
views read them there) and are stored together with a later append once they
cover ``WRITE_EVERY`` records (PostgreSQL writes those behind the append,
``ledger.stores.pgmodel``), or by ``flush()`` when the ledger closes: a
partition changed by twenty batches is written once, not twenty times, which
is most of what a read model costs an append (docs/storage.md). Until then the
read model lags the log, as after a crash, and another process that opens the
ledger catches it up; the writer notices (the checkpoint moved) and reloads.

``memory://`` keeps no read model: its facts are whole, in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from ledger.codec import Codec
from ledger.domain.events import Event
from ledger.errors import StoreError
from ledger.merkle import CompactRange
from ledger.projections.facts import Facts
from ledger.projections.reader import Reader
from ledger.projections.rows import decoder, encoder
from ledger.projections.tables import DELETED
from ledger.stores.base import Store
from ledger.stores.readmodel import (
    Change,
    ModelCheckpoint,
    ModelDamaged,
    ModelReadOnly,
    ModelWrite,
    ReadModel,
)

__all__ = [
    "KEEP_PARTITIONS",
    "MODEL_NAME",
    "MODEL_VERSION",
    "WRITE_EVERY",
    "WRITE_SMALL",
    "Keeper",
    "covers_a_prefix",
    "decoded",
]

log = logging.getLogger("ledger")

#: The built-in projection's name and the version of its rows (bump when they change).
MODEL_NAME = "ledger"
MODEL_VERSION = 3
#: Records a catch-up folds per transaction of the read model.
_CHUNK = 20_000
#: Partitions a writer keeps loaded before it forgets them all (read again on demand).
KEEP_PARTITIONS = 200_000
#: Changes to fewer partitions than this are stored with the append that made them.
WRITE_SMALL = 1_000
#: Records whose changes may wait in memory before an append stores them all:
#: a bulk load writes each page of the read model fewer times, for a lag of
#: at most this many records for another process to catch up (docs/storage.md).
WRITE_EVERY = 100_000


def decoded(
    store: Store, codec: Codec, after: int, upto: int | None = None
) -> Iterator[tuple[int, Event, str]]:
    """The records after a position (up to upto), decoded: (position, event, hash in hex).

    Straight from the store's rows, without building a Recorded: every fold
    of the log (catch-up, rebuild, ``as_of``, verify's) reads it this way.
    """
    decode, numbered = codec.decode_values, store.numbered_lines
    for values in store.scan(after):
        position = values[0]
        if upto is not None and position > upto:
            return
        yield position, decode(values, line=position if numbered else None), values[6]


class Keeper:
    """The built-in projection over one store: its facts, their reader, their read model."""

    def __init__(self, store: Store, codec: Codec, *, writable: bool = True) -> None:
        self.store = store
        self.codec = codec
        self.writable = writable
        self.model = store.model(MODEL_NAME)
        #: Whether the facts are whole in memory (no read model, or one that cannot be used).
        self.in_memory = self.model is None
        self.reader = self._reader()
        #: The log's edge at the facts' position, once checked against the store.
        self._edge: CompactRange | None = None
        #: The stored checkpoint that changes waiting in memory sit on (None: none wait).
        self._base: ModelCheckpoint | None = None
        #: Whether the last repair() gave way to another process writing the read model.
        self.moved = False

    @property
    def facts(self) -> Facts:
        """The facts the views are read from."""
        return self.reader.facts

    def _reader(self) -> Reader:
        # The facts and the reader hold the store, never the keeper: no reference cycle.
        loader = None if self.model is None or self.in_memory else _Rows(self.model)
        return Reader(Facts(loader), _Events(self.store, self.codec))

    # -- standing at the head ------------------------------------------------

    def current(self) -> bool:
        """Whether the facts stand at the log's head; called inside ``store.reading()``.

        In memory, folds what was appended since. With a read model, checks
        its checkpoint against the log and forgets what was loaded when the
        log moved; False when the read model needs ``repair()`` first.
        """
        if self.in_memory:
            self._fold_new()
            return True
        assert self.model is not None
        try:
            found = self.model.checkpoint()
        except ModelDamaged:
            return False
        tree = self.store.tree()
        facts = self.facts
        if self._base is not None:
            # Changes wait in memory: they stand while the read model is where
            # they sit. The log only grows: records appended since (by another
            # process) are folded on top of them.
            if _stored_at(found, self._base) and tree.size >= facts.position:
                self._fold_tail(tree.size)
                self._edge = tree
                return True
            self.forget()
        if not _covers(found, tree):
            return False
        if facts.position != tree.size:
            self.forget()
            facts.position = tree.size
        if not tree.size:
            # An empty log's read model holds no partition: nothing to load.
            facts.whole()
        self._edge = tree
        return True

    def _fold_new(self) -> None:
        facts = self.facts
        for position, event, _ in decoded(self.store, self.codec, facts.position):
            facts.apply(position, event)

    def _fold_tail(self, size: int) -> None:
        """Fold the records after the facts' position, up to size, over the stored rows.

        Their changes wait in memory with the others (never written here).
        """
        if size <= self.facts.position:
            return
        chunk: list[tuple[int, Event]] = []
        for position, event, _ in decoded(self.store, self.codec, self.facts.position, size):
            chunk.append((position, event))
            if len(chunk) == _CHUNK:
                self._apply(chunk)
                chunk = []
        if chunk:
            self._apply(chunk)

    def prefetch(self, events: Sequence[Event]) -> None:
        """Load what folding and checking events will read, in a few requests.

        Their partitions, and the events of any dispute or retraction the log
        holds before the claim it names (a log written without validation),
        which the fold adopts when the claim comes.
        """
        facts = self.facts
        facts.prefetch(events)
        waiting = facts.orphans_of(events)
        if waiting:
            self.reader.events(waiting)

    def _apply(self, chunk: list[tuple[int, Event]]) -> None:
        """Fold a chunk of records, loading what they touch in a few requests first."""
        self.prefetch([event for _, event in chunk])
        facts = self.facts
        for position, event in chunk:
            facts.apply(position, event)

    def _in_memory_over(self, start: ModelCheckpoint) -> None:
        """Read the rows at start and fold the records after it in memory, writing nothing."""
        self.forget()
        self._base = start
        self.facts.position = start.position

    def repair(self, *, rebuild: bool = False) -> None:
        """Bring the read model to the log's head: catch up, rebuild, or fold in memory.

        ``rebuild``: its rows were found damaged, whatever its checkpoint says.
        """
        self.moved = False
        if self.in_memory:
            return
        assert self.model is not None
        found: ModelCheckpoint | None = None
        try:
            found = None if rebuild else self.model.checkpoint()
        except ModelDamaged as exc:
            log.warning("%s: the read model is damaged (%s): rebuilding it", self.store.url, exc)
        tree = self.store.tree()
        if not rebuild and _covers(found, tree):
            return
        start = found if found is not None and self._prefix(found, tree) else None
        if not self.writable:
            if start is not None:
                # Behind, but a prefix of this log: its rows stand, the rest is
                # folded over them in memory (a bulk writer's changes not stored yet).
                log.info(
                    "%s: the read model covers %d of %d records and the ledger is "
                    "read-only: folding the rest in memory",
                    self.store.url,
                    start.position,
                    tree.size,
                )
                self._in_memory_over(start)
                return
            if found is None and not rebuild:
                log.warning(
                    "%s: no read model stored beside the log yet and the ledger is read-only: "
                    "folding the log in memory (a writable open builds it)",
                    self.store.url,
                )
            else:
                log.warning(
                    "%s: the read model does not match the log and the ledger is read-only: "
                    "folding the log in memory",
                    self.store.url,
                )
            self._in_memory()
            return
        if start is not None:
            log.warning(
                "%s: the read model covers %d of %d records: catching up",
                self.store.url,
                start.position,
                tree.size,
            )
        else:
            if found is not None:
                log.warning(
                    "%s: the read model is of another version or another log: rebuilding it",
                    self.store.url,
                )
            elif tree.size and not rebuild:
                log.warning("%s: no read model beside the log: building it", self.store.url)
        try:
            try:
                self._catch_up(start)
            except ModelDamaged as exc:
                if start is None:
                    raise
                # The rows the catch-up folds onto do not read back: build them anew.
                log.warning("%s: %s: rebuilding the read model", self.store.url, exc)
                self._catch_up(None)
        except _Moved:
            # Another process stored a chunk first (it catches up, or rebuilds,
            # too): what this one folded is dropped; the caller looks again.
            log.info("%s: another process moved the read model during the catch-up", self.store.url)
            self.moved = True
        except ModelReadOnly as exc:
            log.warning(
                "%s: %s; the read model stays as it is and the log is folded in memory",
                self.store.url,
                exc,
            )
            self.writable = False
            if start is not None:
                self._in_memory_over(start)
            else:
                self._in_memory()

    def fold_in_memory(self, why: str) -> None:
        """Give up on the read model for this ledger: fold the log in memory, with a warning."""
        log.warning("%s: %s: folding the log in memory", self.store.url, why)
        self.forget()
        self._in_memory()

    def _in_memory(self) -> None:
        self.in_memory = True
        self.reader = self._reader()
        self._fold_new()

    def _prefix(self, found: ModelCheckpoint, tree: CompactRange) -> bool:
        """Whether the read model covers a prefix of this very log, at its own version."""
        return found.version == MODEL_VERSION and covers_a_prefix(self.store, found.edge, tree)

    def _catch_up(self, start: ModelCheckpoint | None) -> None:
        """Fold the records after start (None: rebuild from the first) into the read model."""
        assert self.model is not None
        edge = CompactRange() if start is None else start.edge.copy()
        self.forget()
        facts = self.facts
        if start is None:
            self.model.replace(MODEL_VERSION, [], edge, expected=None, reset=True)
            facts.whole()  # the read model is empty now: nothing to load
        facts.position = edge.size
        chunk: list[tuple[int, Event]] = []
        for position, event, leaf in decoded(self.store, self.codec, edge.size):
            chunk.append((position, event))
            edge.append(bytes.fromhex(leaf))
            if len(chunk) == _CHUNK:
                self._fold_chunk(chunk, edge)
                chunk = []
        if chunk:
            self._fold_chunk(chunk, edge)

    def _fold_chunk(self, chunk: list[tuple[int, Event]], edge: CompactRange) -> None:
        assert self.model is not None
        facts = self.facts
        since = facts.position
        self._apply(chunk)
        stored = self.model.replace(MODEL_VERSION, self.changes(), edge, expected=since)
        if not stored:
            self.forget()
            raise _Moved
        # What was loaded stays for the next chunk, within the writer's bound.
        self.settle()
        facts.position = edge.size

    # -- writing ------------------------------------------------------------

    def changes(self) -> list[Change]:
        """The pending changes of every table, as rows."""
        found: list[Change] = []
        add = found.append
        for table in self.facts.tables:
            name = table.ns
            encode = encoder(name)
            for part, item, value in table.changes():
                add((name, part, item, None if value is DELETED else encode(value)))
        return found

    def write(self, head: int) -> ModelWrite | None:
        """What to store with an append folded from head: its changes, or None to wait.

        None in memory, and while the changes are of many partitions and
        cover fewer than ``WRITE_EVERY`` records: they wait for a later
        append or ``flush()``. None too over stored rows this process may not
        write (tables of another shape): they stay in memory, over those rows.
        """
        if self.in_memory or (not self.writable and self._base is not None):
            return None
        base, edge = self._base, self._edge
        since = head if base is None else base.position
        facts = self.facts
        waiting = sum(table.waiting() for table in facts.tables)
        if waiting < WRITE_SMALL or facts.position - since >= WRITE_EVERY:
            return ModelWrite(MODEL_NAME, MODEL_VERSION, since, self.changes())
        if base is None:
            if edge is None or edge.size != head:
                # Not checked against the log at head (never so when current() ran): store now.
                return ModelWrite(MODEL_NAME, MODEL_VERSION, since, self.changes())
            self._base = ModelCheckpoint(MODEL_VERSION, edge)
        return None

    def waits(self, records: int) -> bool:
        """Whether write() will return None after folding this many more records.

        Changes already wait in memory, of many partitions (a fold only adds
        to them), and the records after the stored checkpoint stay fewer
        than WRITE_EVERY.
        """
        base = self._base
        if self.in_memory or base is None:
            return False
        if not self.writable:
            return True
        facts = self.facts
        waiting = sum(table.waiting() for table in facts.tables)
        return waiting >= WRITE_SMALL and facts.position + records - base.position < WRITE_EVERY

    def wrote(self, model: ModelWrite | None, written: bool) -> None:
        """The append is stored, with model (None: its changes wait in memory)."""
        if model is None:
            return
        if written:
            self._base = None
            self.settle()
        else:
            # Another process moved the read model: what this one folded is read again.
            self.forget()

    @property
    def waiting(self) -> bool:
        """Whether read-model changes wait in memory for ``flush()``."""
        return self._base is not None

    def flush(self) -> None:
        """Store the changes waiting in memory, in a transaction of their own.

        The read model is a cache: if it cannot be written (another process
        moved it, the store refuses), the changes are dropped with a warning
        and the next open catches it up from the log.
        """
        base = self._base
        if base is None or self.model is None:
            return
        if not self.writable:
            self.forget()  # a read-only ledger's changes were never to be stored
            return
        try:
            found = self.model.checkpoint()
            tree = self.store.tree()
            stored = (
                _stored_at(found, base)
                and tree.size == self.facts.position
                and self.model.replace(
                    MODEL_VERSION,
                    self.changes(),
                    tree,
                    expected=None if found is None else found.position,
                )
            )
        except StoreError as exc:
            log.warning("%s: the read model was not written (%s)", self.store.url, exc)
            stored = False
        if stored:
            self._base = None
            self.settle()
        else:
            self.forget()

    def settle(self) -> None:
        """The pending changes are stored; what was loaded stays, within a bound."""
        tables = self.facts.tables
        for table in tables:
            table.settle()
        # A long-running writer touches every claim and topic in time: past a
        # bound, forget what is loaded (it is read again on demand) so memory
        # stays bounded however long the log grows. The largest tables go
        # first (the claims, one per record, are seldom read again); the
        # topics' partitions, which the next batches read, stay if they can.
        total = sum(table.size() for table in tables)
        if total <= KEEP_PARTITIONS:
            return
        for table in sorted(tables, key=lambda t: t.size(), reverse=True):
            if total <= KEEP_PARTITIONS // 2:
                break
            total -= table.size()
            table.forget()
        self.facts.events.clear()

    def forget(self) -> None:
        """Drop what was loaded and what is pending: it is read again on demand."""
        if self.in_memory:
            return
        self._base = self._edge = None
        for table in self.facts.tables:
            table.forget()
        self.facts.events.clear()
        self.reader.forget()


class _Rows:
    """The Loader a keeper's facts read their partitions through: rows decoded by their codec."""

    def __init__(self, model: ReadModel) -> None:
        self._model = model

    def load(self, ns: str, parts: Collection[str]) -> Mapping[str, Mapping[str, Any]]:
        # A name no store can hold (a lone surrogate, from a caller's query) has no rows.
        return _decoded(ns, self._model.load(ns, [p for p in parts if _storable(p)]))

    def load_all(self, ns: str) -> Mapping[str, Mapping[str, Any]]:
        return _decoded(ns, self._model.load_all(ns))


class _Events:
    """Reads events back from the log by position."""

    def __init__(self, store: Store, codec: Codec) -> None:
        self._store = store
        self._codec = codec

    def __call__(self, positions: Collection[int]) -> dict[int, Event]:
        numbered = self._store.numbered_lines
        found: dict[int, Event] = {}
        for row in self._store.read_positions(sorted(set(positions))):
            line = row.position if numbered else None
            found[row.position] = self._codec.decode_event(row, line=line)
        return found


def _storable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _decoded(ns: str, raw: dict[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
    decode = decoder(ns)
    try:
        return {p: {i: decode(v) for i, v in items.items()} for p, items in raw.items()}
    except Exception as exc:  # any fault of a cached row means the same: rebuild it
        raise ModelDamaged(f"a row of {ns!r} does not read back: {exc!r}") from exc


def covers_a_prefix(store: Store, edge: CompactRange, tree: CompactRange) -> bool:
    """Whether a stored checkpoint's edge is the edge of a prefix of this very log.

    The edge grown by the leaf hashes stored after it must give the log's own
    edge (tree): the one check every persisted projection's checkpoint passes
    before its rows are used, the built-in views' and a user's alike.
    """
    if edge.size > tree.size:
        return False
    grown = edge.copy()
    grown.extend(bytes.fromhex(row.hash) for row in store.read(edge.size))
    return grown.size == tree.size and grown.root() == tree.root()


def _covers(found: ModelCheckpoint | None, tree: CompactRange) -> bool:
    """Whether a read model stands exactly at the log's head, at this version."""
    if found is None:
        return tree.size == 0  # the empty log needs no rows
    return (
        found.version == MODEL_VERSION
        and found.position == tree.size
        and found.edge.same_tree(tree)
    )


def _stored_at(found: ModelCheckpoint | None, base: ModelCheckpoint) -> bool:
    """Whether the read model still stands at base (no checkpoint: the empty log's)."""
    if found is None:
        return base.position == 0
    return (
        found.version == base.version
        and found.position == base.position
        and found.edge.same_tree(base.edge)
    )


class _Moved(Exception):
    """Another process stored read-model rows while this one folded a chunk (see repair())."""
