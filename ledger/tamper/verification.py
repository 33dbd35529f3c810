"""Verify: stream the stored rows once and report the first fault, never raising on it.

Positions, leaf hashes, decoding, an optional checkpoint (checked through the
consistency proof a third party would check) and the store's right edge, in
O(log n) memory. A ``VerifyReport`` says what was found and where.

What verify promises (docs/tamper-evidence.md): it checks one consistent
prefix of the log (the rows, the head and the right edge are read inside
``Store.reading()``, so appends by other processes never look like
tampering); it hashes the stored bytes as they are, never re-encoded; it
never writes (``verify_url`` opens the store read-only), so it works on a
read-only copy; and it reports damage a read-only store reads past, such as
a torn last line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs

from ledger import merkle
from ledger.codec import Codec, StoredRow, make_codec
from ledger.errors import CorruptLog, InvalidProof, LedgerError, StoreUnavailable, brief
from ledger.merkle import CompactRange
from ledger.stores import open_store
from ledger.stores.base import Store
from ledger.stores.urls import file_of, redact
from ledger.tamper.notes import Checkpoint, _b64
from ledger.tamper.ranges import Fold, consistency_ranges

__all__ = ["VerifyReport", "verify_store", "verify_url"]

_EMPTY_ROOT = merkle.root([])
_WHERE = re.compile(r"(line \d+, position \d+|line \d+|position \d+): ")


@attrs.frozen
class VerifyReport:
    """What verify found: ok, the size and recomputed root, and the first fault if any."""

    ok: bool
    size: int
    #: The root recomputed from the stored bytes; None when the rows could not all be read.
    root: bytes | None
    first_bad_position: int | None
    reason: str
    #: The file line of a structural fault, when the store names one (JSON Lines).
    line: int | None = None
    #: Whether the read model's rows follow from the log: None when not compared
    #: (not asked, none kept, or one the next open rebuilds anyway); see ``read_model``.
    read_model_agrees: bool | None = None
    #: What the comparison of the read model with the log found, in words; None when not asked.
    read_model: str | None = None

    def summary(self) -> str:
        """One line for people: ok or the fault, with where it is."""
        if self.ok:
            return f"ok: {self.reason}"
        where = [] if self.first_bad_position is None else [f"position {self.first_bad_position}"]
        where += [] if self.line is None else [f"line {self.line}"]
        if not where and self.read_model_agrees is False:
            where = ["read model"]
        return f"NOT OK ({', '.join(where) or 'root mismatch'}): {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values, the root in hex."""
        return {
            "ok": self.ok,
            "size": self.size,
            "root": None if self.root is None else self.root.hex(),
            "first_bad_position": self.first_bad_position,
            "line": self.line,
            "reason": self.reason,
            "read_model_agrees": self.read_model_agrees,
            "read_model": self.read_model,
        }


def verify_url(url: str, checkpoint: Checkpoint | None = None, **options: Any) -> VerifyReport:
    """Verify the ledger at url without folding it or writing anything; damage is reported.

    The store is opened read-only: nothing is created, repaired or moved,
    so a read-only copy verifies as well as the original. Damage that stops
    the store from opening is reported, not raised.
    """
    path = file_of(url)
    try:
        found = path is None or path.is_file()
        if not found and path is not None and path.is_dir():
            raise StoreUnavailable(f"{redact(url)}: is a directory, not a ledger file")
        if not found and path is not None and path.exists():
            # A device, a pipe or a socket (or a link to one), as the stores say.
            raise StoreUnavailable(f"{redact(url)} is not a regular file")
    except OSError as exc:  # a name too long for the file system, say
        raise StoreUnavailable(f"{redact(url)}: cannot read it: {exc.strerror or exc}") from None
    if not found:
        raise StoreUnavailable(f"{redact(url)}: no such ledger file")
    try:
        store = open_store(url, read_only=True, **options)
    except CorruptLog as exc:
        position, line, reason = _damage_at(exc, None)
        return VerifyReport(False, 0, None, position, reason, line)
    with store:
        return verify_store(store, checkpoint)


def _damage_at(exc: CorruptLog, fallback: int | None) -> tuple[int | None, int | None, str]:
    """The (first bad position, line, reason) a CorruptLog points at."""
    # The report says where; drop the error's own "line n, position m: " prefix.
    reason = _WHERE.sub("", str(exc), count=1)
    # In a JSON Lines ledger line n holds position n, so a damaged line is the first bad
    # position even when the record on it claims another one (after a gap or a swap).
    if exc.line is not None:
        return exc.line, exc.line, reason
    return exc.position or fallback, None, reason


@attrs.define
class _Fault:
    position: int | None
    reason: str
    line: int | None = None


def verify_store(
    store: Store, checkpoint: Checkpoint | None = None, *, codec: Codec | None = None
) -> VerifyReport:
    """Stream a store's rows once: positions, hashes, decoding, checkpoint and right edge."""
    if checkpoint is not None and not isinstance(checkpoint, Checkpoint):
        raise InvalidProof(f"expected a Checkpoint, not {type(checkpoint).__name__}")
    scan = _Scan(codec or make_codec(), checkpoint)
    # One snapshot: the rows, the head and the right edge of the same prefix of the log.
    with store.reading():
        try:
            scan.run(store.read(0), store.head())
        except CorruptLog as exc:
            # Structural damage the store itself detects mid-stream: a report, not an error.
            position, line, reason = _damage_at(exc, scan.count + 1)
            scan.fault(position, reason, line)
            return scan.report(None)
        root = scan.edge.root()
        if checkpoint is not None:
            scan.check_checkpoint(checkpoint, root)
        try:
            tree = store.tree()
        except CorruptLog as exc:
            # The position it names (the first of the records gone) is the first at fault.
            position, line, reason = _damage_at(exc, None)
            scan.fault(position, f"the store's right edge cannot be read: {reason}", line)
        else:
            scan.check_edge(tree, root)
        fault = store.stored_fault()
        if fault is not None:
            scan.stored_fault(*fault)
        left = store.unrepaired()
    if left is not None:
        # Damage past the rows read (a torn last line): the first fault if nothing came before.
        position, line, reason = _damage_at(left, scan.count + 1)
        scan.fault(position, reason, line)
    return scan.report(root)


class _Scan:
    """The state of one pass over the rows: the recomputed edge and the first fault."""

    def __init__(self, codec: Codec, checkpoint: Checkpoint | None) -> None:
        self.codec = codec
        self.count = 0
        self.edge = CompactRange()
        self.first: _Fault | None = None
        self.checked: list[str] = []
        self._old = checkpoint.size if checkpoint else None
        self.old_root: bytes | None = _EMPTY_ROOT if self._old == 0 else None
        self._head = 0
        self._proof: Fold | None = None

    def stored_fault(self, position: int, reason: str) -> None:
        """A record's columns disagree (Store.stored_fault): a fault, unless one came first."""
        first = self.first
        if first is not None and first.position is not None and first.position < position:
            return
        self.first = None
        self.fault(position, reason)

    def fault(self, position: int | None, reason: str, line: int | None = None) -> None:
        if self.first is None:
            self.first = _Fault(position, reason, line)

    def run(self, rows: Iterator[StoredRow], head: int) -> None:
        # Fold an RFC 9162 consistency proof from the checkpoint to the head in the same
        # pass, so the checkpoint is checked exactly as a third party would check it.
        self._head = head
        if self._old and self._old < head:
            self._proof = Fold(consistency_ranges(self._old, head))
        it = iter(rows)
        ahead: list[StoredRow] = []
        while True:
            row = ahead.pop() if ahead else next(it, None)
            if row is None:
                return
            expected = self.count + 1
            if row.position != expected and self.first is None:
                self.fault(expected, _misplaced(row.position, expected, it, ahead))
            leaf = merkle.leaf_hash(row.leaf_bytes())
            if self.first is None and row.hash != leaf.hex():
                self.fault(
                    row.position,
                    f"the stored hash {_short(row.hash)} is not the hash of the stored "
                    f"bytes {_short(leaf.hex())}: the record or its hash was altered",
                )
            if self.first is None:
                try:
                    recorded = self.codec.decode(row)
                except LedgerError as exc:
                    self.fault(row.position, f"the record does not decode: {exc}")
                else:
                    odd = self.codec.respelled(row, recorded)
                    if odd is not None:
                        self.fault(row.position, f"the record is not stored canonically: {odd}")
            self.edge.append(leaf)
            if self._proof is not None:
                self._proof.add(self.count, leaf)
            self.count += 1
            if self.count == self._old:
                self.old_root = self.edge.root()

    def check_checkpoint(self, checkpoint: Checkpoint, root: bytes) -> None:
        size = checkpoint.size
        if size > self.count:
            # A checkpoint of a longer log proves nothing about the records left.
            unknown = (
                f"; whether records 1..{self.count} were rewritten too, a checkpoint of a "
                "longer log cannot tell"
                if self.count
                else ""
            )
            self.fault(
                self.count + 1,
                f"the log has {self.count} records but the checkpoint covers {brief(size)}: "
                f"records {self.count + 1}..{brief(size)} are gone (truncated{unknown})",
            )
        elif self.old_root != checkpoint.root:
            assert self.old_root is not None
            self.fault(
                None,
                f"the root of records 1..{size} is {_b64(self.old_root)} but the checkpoint "
                f"says {_b64(checkpoint.root)}: records were rewritten",
            )
        elif self._proof is not None and self.count == self._head:
            try:
                merkle.verify_consistency(
                    size, self.count, checkpoint.root, root, self._proof.proof()
                )
            except InvalidProof as exc:
                self.fault(None, f"the consistency proof from the checkpoint fails: {exc}")
        self.checked.append(f"the checkpoint of size {brief(size)}")

    def check_edge(self, tree: CompactRange, root: bytes) -> None:
        if tree.size != self.count:
            first = min(tree.size, self.count) + 1
            what = "are gone" if tree.size > self.count else "were added outside the ledger"
            self.fault(
                first,
                f"the store's right edge covers {tree.size} records but {self.count} are "
                f"stored: records from {first} {what}",
            )
        elif tree.root() != root:
            self.fault(
                None,
                f"the store's right edge has root {_b64(tree.root())} but the rows give "
                f"{_b64(root)}: the rows or the edge were altered",
            )
        self.checked.insert(0, "the store's right edge")

    def report(self, root: bytes | None) -> VerifyReport:
        if self.first is not None:
            f = self.first
            return VerifyReport(False, self.count, root, f.position, f.reason, f.line)
        against = " and ".join(self.checked)
        return VerifyReport(
            True, self.count, root, None, f"{self.count} records verify; the root matches {against}"
        )


def _misplaced(found: int, expected: int, it: Iterator[StoredRow], ahead: list[StoredRow]) -> str:
    """Why the row at slot expected holds found: a gap, a swap or a repeat."""
    if found < expected:
        return f"position {found} comes again after position {expected - 1} (repeated or moved)"
    peek = next(it, None)
    if peek is not None:
        ahead.append(peek)
        if peek.position == expected:
            return f"position {found} comes before {expected}: the records are swapped"
    return f"position {expected} is missing: position {found} follows {expected - 1}"


def _short(hex_text: str) -> str:
    return hex_text[:12] + "…" if len(hex_text) > 12 else repr(hex_text)
