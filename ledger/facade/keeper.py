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

``memory://`` keeps no read model: its facts are whole, in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any

from ledger.codec import Codec
from ledger.domain.events import Event
from ledger.errors import StoreError
from ledger.merkle import CompactRange
from ledger.projections.facts import Facts
from ledger.projections.reader import Reader
from ledger.projections.rows import decode_value, encode_value
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

__all__ = ["MODEL_NAME", "MODEL_VERSION", "Keeper"]

log = logging.getLogger("ledger")

#: The built-in projection's name and the version of its rows (bump when they change).
MODEL_NAME = "ledger"
MODEL_VERSION = 1
#: Records a catch-up folds per transaction of the read model.
_CHUNK = 20_000
#: Partitions a writer keeps loaded before it forgets them all (read again on demand).
_KEEP_PARTITIONS = 200_000


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
        if not _covers(found, tree):
            return False
        if self.facts.position != tree.size:
            self.forget()
            self.facts.position = tree.size
        return True

    def _fold_new(self) -> None:
        facts = self.facts
        decode, numbered = self.codec.decode_values, self.store.numbered_lines
        for values in self.store.scan(facts.position):
            position = values[0]
            facts.apply(position, decode(values, line=position if numbered else None))

    def repair(self, *, rebuild: bool = False) -> None:
        """Bring the read model to the log's head: catch up, rebuild, or fold in memory.

        ``rebuild``: its rows were found damaged, whatever its checkpoint says.
        """
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
        if not self.writable:
            log.warning(
                "%s: the read model does not match the log and the ledger is read-only: "
                "folding the log in memory",
                self.store.url,
            )
            self._in_memory()
            return
        start = found if found is not None and self._prefix(found, tree) else None
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
            elif tree.size:
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
        except ModelReadOnly as exc:
            log.warning(
                "%s: %s; the read model stays as it is and the log is folded in memory",
                self.store.url,
                exc,
            )
            self._in_memory()

    def _in_memory(self) -> None:
        self.in_memory = True
        self.reader = self._reader()
        self._fold_new()

    def _prefix(self, found: ModelCheckpoint, tree: CompactRange) -> bool:
        """Whether the read model covers a prefix of this very log, at its own version."""
        if found.version != MODEL_VERSION or found.position > tree.size:
            return False
        grown = found.edge.copy()
        grown.extend(bytes.fromhex(row.hash) for row in self.store.read(found.position))
        return grown.size == tree.size and grown.root() == tree.root()

    def _catch_up(self, start: ModelCheckpoint | None) -> None:
        """Fold the records after start (None: rebuild from the first) into the read model."""
        assert self.model is not None
        edge = CompactRange() if start is None else start.edge.copy()
        if start is None:
            self.model.replace(MODEL_VERSION, [], edge, expected=None, reset=True)
        self.forget()
        facts = self.facts
        facts.position = edge.size
        decode, numbered = self.codec.decode_values, self.store.numbered_lines
        chunk: list[tuple[int, Event]] = []
        for values in self.store.scan(edge.size):
            position = values[0]
            chunk.append((position, decode(values, line=position if numbered else None)))
            edge.append(bytes.fromhex(values[6]))
            if len(chunk) == _CHUNK:
                self._fold_chunk(chunk, edge)
                chunk = []
        if chunk:
            self._fold_chunk(chunk, edge)

    def _fold_chunk(self, chunk: list[tuple[int, Event]], edge: CompactRange) -> None:
        assert self.model is not None
        facts = self.facts
        since = facts.position
        facts.prefetch([event for _, event in chunk])
        for position, event in chunk:
            facts.apply(position, event)
        stored = self.model.replace(MODEL_VERSION, self.changes(), edge, expected=since)
        # Each chunk is loaded afresh: a catch-up of a long log stays in bounded memory.
        self.forget()
        facts.position = edge.size
        if not stored:
            raise StoreError("another process changed the read model during the catch-up")

    # -- writing ------------------------------------------------------------

    def changes(self) -> list[Change]:
        """The pending changes of every table, as rows."""
        found: list[Change] = []
        for table in self.facts.tables:
            name = table.ns
            for part, item, value in table.changes():
                text = None if value is DELETED else encode_value(name, value)
                found.append((name, part, item, text))
        return found

    def write(self, since: int) -> ModelWrite | None:
        """The read model write of a batch folded from since; None in memory."""
        if self.in_memory:
            return None
        return ModelWrite(MODEL_NAME, MODEL_VERSION, since, self.changes())

    def settle(self) -> None:
        """The pending changes are stored; what was loaded stays, within a bound."""
        tables = self.facts.tables
        for table in tables:
            table.settle()
        # A long-running writer touches every claim and topic in time: past a
        # bound, forget what is loaded (it is read again on demand) so memory
        # stays bounded however long the log grows.
        if sum(table.size() for table in tables) > _KEEP_PARTITIONS:
            self.forget()

    def forget(self) -> None:
        """Drop what was loaded and what is pending: it is read again on demand."""
        if self.in_memory:
            return
        for table in self.facts.tables:
            table.forget()
        self.facts.events.clear()
        self.reader.forget()


class _Rows:
    """The Loader a keeper's facts read their partitions through: rows decoded by their codec."""

    def __init__(self, model: ReadModel) -> None:
        self._model = model

    def load(self, ns: str, parts: Collection[str]) -> Mapping[str, Mapping[str, Any]]:
        return _decoded(ns, self._model.load(ns, parts))

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


def _decoded(ns: str, raw: dict[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
    try:
        return {p: {i: decode_value(ns, v) for i, v in items.items()} for p, items in raw.items()}
    except Exception as exc:  # any fault of a cached row means the same: rebuild it
        raise ModelDamaged(f"a row of {ns!r} does not read back: {exc!r}") from exc


def _covers(found: ModelCheckpoint | None, tree: CompactRange) -> bool:
    """Whether a read model stands exactly at the log's head, at this version."""
    if found is None:
        return tree.size == 0  # the empty log needs no rows
    return (
        found.version == MODEL_VERSION
        and found.position == tree.size
        and found.edge.root() == tree.root()
    )
