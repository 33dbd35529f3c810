"""Checking a read model against the log: does every stored row follow from the records?

The read model is a cache, and the keeper checks its checkpoint (position,
version, Merkle edge) before using it; that finds a stale, foreign or
unreadable read model, not one whose rows were altered while its checkpoint
was left alone. A writer of the file or the database can do that, and the
views would then disagree with the log. ``audit_read_model`` folds the log in
memory up to the read model's checkpoint and compares every stored row with
what that fold gives, table by table, partition by partition. It only reads.

It checks one consistent state, so appends by other processes never make it
report a difference: the long fold runs first, outside any lock; then the
checkpoint, the records appended meanwhile and the rows are all read inside
``Store.reading()``, one snapshot. A read model rebuilt by another process in
between is folded for again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ledger.codec import Codec
from ledger.errors import LedgerError
from ledger.facade.keeper import MODEL_NAME, MODEL_VERSION, decoded
from ledger.merkle import CompactRange
from ledger.projections.facts import Facts
from ledger.projections.rows import decoder, encoder
from ledger.projections.tables import Entries, entries_of
from ledger.stores.base import Store
from ledger.stores.readmodel import ModelDamaged, ReadModel
from ledger.tamper import VerifyReport

__all__ = ["ModelAudit", "audit_read_model", "with_audit"]

#: How many times the comparison is tried while other processes move the checkpoint.
_TRIES = 5
_SHOWN = 80


@attrs.frozen
class ModelAudit:
    """What the check of a read model found.

    ``agrees`` is True when every row follows from the log, False when one
    does not (``detail`` names the first), and None when there was nothing to
    compare: no read model kept, none built yet, or one that the next open
    rebuilds anyway (of another version, of another log, unreadable).
    """

    agrees: bool | None
    position: int
    detail: str


def audit_read_model(store: Store, codec: Codec) -> ModelAudit:
    """Compare the built-in projection's stored rows with a fold of the log; never writes."""
    model = store.model(MODEL_NAME)
    if model is None:
        return ModelAudit(None, 0, "none kept (the views are folded in memory)")
    fold = _Fold(store, codec)
    try:
        for _ in range(_TRIES):
            # The long fold first, outside any lock; then the rows, the checkpoint
            # and the few records appended meanwhile, all in one snapshot.
            found = model.checkpoint()
            if found is not None and found.version == MODEL_VERSION:
                fold.to(found.position)
            with store.reading():
                found = model.checkpoint()
                if found is None:
                    return ModelAudit(
                        None, 0, "none stored yet (a writer stores it, or the next open builds it)"
                    )
                if found.version != MODEL_VERSION:
                    return ModelAudit(
                        None,
                        found.position,
                        f"of another version ({found.version}): the next open rebuilds it",
                    )
                if found.position < fold.edge.size:
                    fold.restart()  # rebuilt by another process meanwhile: fold again
                    continue
                fold.to(found.position)
                if fold.edge.size != found.position or not found.edge.same_tree(fold.edge):
                    return ModelAudit(
                        None,
                        found.position,
                        "not this log's (its Merkle edge differs): the next open rebuilds it",
                    )
                difference, unreadable = _compare(model, fold.facts)
            at = found.position
            if difference is not None:
                return ModelAudit(
                    False, at, f"disagrees with the log at position {at}: {difference}"
                )
            if unreadable is not None:
                # Not what the views show: the first query that reads such a row
                # finds it damaged and rebuilds the read model.
                return ModelAudit(
                    None,
                    at,
                    f"holds rows that do not read back ({unreadable}): the first query "
                    "that reads one rebuilds it",
                )
            return ModelAudit(True, at, f"every row agrees with the log at position {at}")
    except ModelDamaged as exc:
        return ModelAudit(None, 0, f"unreadable ({exc}): the next open rebuilds it")
    except LedgerError as exc:
        return ModelAudit(None, 0, f"not checked: {exc}")
    return ModelAudit(None, 0, "not checked: other processes kept building it again")


def with_audit(report: VerifyReport, audit: ModelAudit) -> VerifyReport:
    """A verify report with what the read model's check found; not ok when its rows disagree."""
    if audit.agrees is False:
        return attrs.evolve(
            report,
            ok=False,
            reason=f"{report.reason}; but the read model {audit.detail} (the views "
            "read it: build it again from the log with `ledger rebuild` or Ledger.rebuild())",
            read_model_agrees=False,
            read_model=audit.detail,
        )
    return attrs.evolve(report, read_model_agrees=audit.agrees, read_model=audit.detail)


class _Fold:
    """The built-in projection folded in memory from the first record, and the log's edge."""

    def __init__(self, store: Store, codec: Codec) -> None:
        self._store = store
        self._codec = codec
        self.restart()

    def restart(self) -> None:
        """Forget what was folded: fold from the first record again."""
        self.facts = Facts(None)
        self.facts.keeps_events = False  # the rows are compared, never the events
        self.edge = CompactRange()

    def to(self, position: int) -> None:
        """Fold the records after those folded, up to position."""
        facts, edge = self.facts, self.edge
        if position <= edge.size:
            return
        for at, event, leaf in decoded(self._store, self._codec, edge.size, position):
            facts.apply(at, event)
            edge.append(bytes.fromhex(leaf))


def _compare(model: ReadModel, facts: Facts) -> tuple[str | None, str | None]:
    """The first stored row that differs from the fold, and the first that does not read back.

    Each table's stored rows are read in pages, a partition's rows together,
    never the whole table at once: the fold is all this holds in memory.
    """
    unreadable: str | None = None
    stray = sorted((model.tables() or set()) - {table.ns for table in facts.tables})
    if stray:
        return f"table {stray[0]!r} holds rows the log does not give", None
    for table in facts.tables:
        ns = table.ns
        expected: dict[str, Mapping[str, Any]] = dict(table.items())
        check = _Partitions(ns, expected, entries=isinstance(table, Entries))
        part: str | None = None
        rows: dict[str, str] = {}
        for found, item, text in model.rows(ns):
            if found != part:
                if part is not None and (difference := check(part, rows)):
                    return difference, None
                part, rows = found, {}
            rows[item] = text
        if part is not None and (difference := check(part, rows)):
            return difference, None
        missing = sorted(expected.keys() - check.seen)
        if missing:
            return check(missing[0], {}), None
        unreadable = unreadable or check.unreadable
    return None, unreadable


class _Partitions:
    """Compares a table's stored partitions, one at a time, with the fold's."""

    def __init__(
        self, ns: str, expected: Mapping[str, Mapping[str, Any]], *, entries: bool = False
    ) -> None:
        self.ns = ns
        self.expected = expected
        self.encode, self.decode = encoder(ns), decoder(ns)
        #: Whether the table stores its entries grouped (Entries): they are
        #: compared entry by entry, each as a row of one entry, whatever the grouping.
        self.entries = entries
        #: The partitions compared so far (the rest of the fold's are missing).
        self.seen: set[str] = set()
        #: The first stored row that does not read back, in words.
        self.unreadable: str | None = None

    def __call__(self, part: str, rows: Mapping[str, str]) -> str | None:
        """The first row of the partition that reads back as another value than the fold's."""
        self.seen.add(part)
        wanted = self.expected.get(part, {})
        if self.entries:
            found = self._entries(part, rows)
            if found is None or isinstance(found, str):
                return found
            rows = found
        text_of = self._text
        if len(rows) == len(wanted):
            # The common case, every row as the fold writes it: one pass, no words.
            for item, row in rows.items():
                if item not in wanted or text_of(item, wanted[item]) != row:
                    break
            else:
                return None
        for item in sorted(rows.keys() | wanted.keys()):
            where = f"table {self.ns!r}, partition {part!r}" + (f", item {item!r}" if item else "")
            stored = rows.get(item)
            text = text_of(item, wanted[item]) if item in wanted else None
            if stored == text:
                continue
            value = self._read(stored)
            if value is _UNREADABLE:
                self.unreadable = self.unreadable or f"{where}: {_cut(stored or '')}"
            elif stored is None:
                return f"{where} is missing: the log gives {_cut(text or '')}"
            elif text is None:
                return f"{where} holds {_cut(stored)}, a row the log does not give"
            elif self.encode(value) != text:
                return f"{where} holds {_cut(stored)} where the log gives {_cut(text)}"
        return None

    def _text(self, item: str, value: Any) -> str:
        """A value of the fold as the table stores it (an entry: as a row of one)."""
        return self.encode([(item, *value)] if self.entries else value)

    def _entries(self, part: str, rows: Mapping[str, str]) -> dict[str, str] | str | None:
        """An Entries partition's stored entries, each as a row of one, by item.

        A difference in words when an entry is stored twice; None, leaving the
        partition unread, when one of its rows does not read back.
        """
        found: dict[str, str] = {}
        for key, stored in rows.items():
            chunk = self._read(stored)
            if chunk is _UNREADABLE:
                where = f"table {self.ns!r}, partition {part!r}, item {key!r}"
                self.unreadable = self.unreadable or f"{where}: {_cut(stored)}"
                return None
            for item, value in entries_of(chunk):
                if item in found:
                    return (
                        f"table {self.ns!r}, partition {part!r}: the entry of {item!r} "
                        "is stored twice"
                    )
                found[item] = self._text(item, value)
        return found

    def _read(self, stored: str | None) -> Any:
        """The row's value (None when there is no row), or _UNREADABLE."""
        if stored is None:
            return None
        try:
            return self.decode(stored)
        except Exception:  # any fault of a cached row means the same: a query rebuilds it
            return _UNREADABLE


_UNREADABLE: Any = object()


def _cut(text: object) -> str:
    # A row read back is text, unless its column was retyped by hand (a number, say).
    shown = text if isinstance(text, str) else repr(text)
    return repr(shown if len(shown) <= _SHOWN else shown[:_SHOWN] + "…")
