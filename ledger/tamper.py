"""Tamper evidence: checkpoints, inclusion receipts, consistency proofs and verify.

The log is an RFC 9162 Merkle tree whose leaf at index ``position - 1`` is the
record's leaf bytes (see ``ledger.codec``). A ``Checkpoint`` (size, root) prints as
a C2SP tlog-checkpoint note; a ``Receipt`` proves that one record is in the tree
of a given size and a ``ConsistencyProof`` that a smaller tree is a prefix of a
larger one. Both are JSON that a third party checks with ``ledger.merkle`` alone.
``verify`` streams the stored rows once, in O(log n) memory, and reports the
first record whose bytes, hash or position are wrong; it never raises on
tampering. The formats are in docs/tamper-evidence.md.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import attrs

from ledger import merkle
from ledger.codec import Codec, StoredRow, make_codec
from ledger.errors import (
    CorruptLog,
    InvalidEvent,
    InvalidProof,
    LedgerError,
    StoreUnavailable,
)
from ledger.merkle import CompactRange
from ledger.stores import open_store

if TYPE_CHECKING:
    from ledger.facade import Ledger
    from ledger.stores.base import Store

__all__ = [
    "CONSISTENCY_FORMAT",
    "RECEIPT_FORMAT",
    "Checkpoint",
    "ConsistencyProof",
    "Receipt",
    "VerifyReport",
    "checkpoint",
    "origin_for",
    "prove",
    "prove_consistency",
    "split_note",
    "verify",
    "verify_consistency_proof",
    "verify_receipt",
    "verify_store",
    "verify_url",
]

RECEIPT_FORMAT = "claims-ledger/inclusion-receipt/v1"
CONSISTENCY_FORMAT = "claims-ledger/consistency-proof/v1"
_EMPTY_ROOT = merkle.root([])
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_SIGNATURE_LINE = re.compile(r"\u2014 ([^\s+]+) (\S+)")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_MAX_SIGNATURES = 100
_WHERE = re.compile(r"(line \d+, position \d+|line \d+|position \d+): ")


# -- values --------------------------------------------------------------------


def _size(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidProof(f"{attribute.name} must be a non-negative integer, not {value!r}")


def _position(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidProof(f"{attribute.name} must be a positive integer, not {value!r}")


def _hash(_: object, attribute: attrs.Attribute[bytes], value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != merkle.HASH_SIZE:
        raise InvalidProof(f"{attribute.name} must be {merkle.HASH_SIZE} bytes, not {value!r}")


def _hashes(_: object, attribute: attrs.Attribute[tuple[bytes, ...]], value: Any) -> None:
    for i, item in enumerate(value):
        if not isinstance(item, bytes) or len(item) != merkle.HASH_SIZE:
            raise InvalidProof(f"{attribute.name}[{i}] must be {merkle.HASH_SIZE} bytes")


def _to_tuple(value: Iterable[bytes]) -> tuple[bytes, ...]:
    return tuple(value)


def _origin(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value or "\n" in value or _CONTROL.search(value):
        raise InvalidProof(f"{attribute.name} must be one non-empty line, not {value!r}")


@attrs.frozen
class Checkpoint:
    """The size and Merkle root of the log at one moment: a C2SP tlog-checkpoint."""

    size: int = attrs.field(validator=_size)
    root: bytes = attrs.field(validator=_hash)
    origin: str = attrs.field(default="claims-ledger", validator=_origin)

    def to_note(self) -> str:
        """The unsigned note: origin, decimal size and base64 root, one per line."""
        return f"{self.origin}\n{self.size}\n{_b64(self.root)}\n"

    @classmethod
    def from_note(cls, text: str) -> Checkpoint:
        """Parse a note, its signatures checked for syntax only; InvalidProof names the line."""
        body, _ = split_note(text)
        lines = body.split("\n")[:-1]
        # Check line by line, so the message names the first line that is wrong.
        for number, line in enumerate(lines, 1):
            if number == 1 and not line:
                raise InvalidProof("checkpoint line 1: the origin is empty")
            if number == 2 and not _DECIMAL.fullmatch(line):
                raise InvalidProof(
                    f"checkpoint line 2: tree size {line!r} is not a decimal without leading zeros"
                )
            if number == 3:
                digest = _unb64(line, "checkpoint line 3: root hash")
                if len(digest) != merkle.HASH_SIZE or _b64(digest) != line:
                    raise InvalidProof(f"checkpoint line 3: {line!r} is not the base64 of 32 bytes")
            # Extension lines (4 on) are opaque, as C2SP allows, but must not be empty.
            if number > 3 and not line:
                raise InvalidProof(f"checkpoint line {number}: an empty line")
        if len(lines) < 3:
            wanted = ("the origin", "the tree size", "the root hash")[len(lines)]
            raise InvalidProof(f"checkpoint line {len(lines) + 1}: {wanted} is missing")
        return cls(int(lines[1]), base64.b64decode(lines[2]), lines[0])


@attrs.frozen
class Receipt:
    """Proof that one record is the leaf at position - 1 of the tree of size with root."""

    position: int = attrs.field(validator=_position)
    size: int = attrs.field(validator=_size)
    leaf_hash: bytes = attrs.field(validator=_hash)
    proof: tuple[bytes, ...] = attrs.field(converter=_to_tuple, validator=_hashes)
    root: bytes = attrs.field(validator=_hash)
    origin: str = ""
    #: The record's leaf bytes (canonical JSON), so the receipt shows what it proves.
    leaf: bytes | None = None

    def to_json(self) -> str:
        """The receipt as a JSON object with hex hashes (docs/tamper-evidence.md)."""
        doc: dict[str, Any] = {
            "format": RECEIPT_FORMAT,
            "origin": self.origin,
            "position": self.position,
            "size": self.size,
            "leaf_hash": self.leaf_hash.hex(),
            "proof": [p.hex() for p in self.proof],
            "root": self.root.hex(),
        }
        if self.leaf is not None:
            doc["leaf"] = self.leaf.decode()
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Receipt:
        """Parse to_json's output; InvalidProof names the key that is wrong."""
        doc = _load(text, RECEIPT_FORMAT, cls, optional={"leaf"})
        leaf = doc.get("leaf")
        if leaf is not None and not isinstance(leaf, str):
            raise InvalidProof("receipt: leaf must be a string")
        return cls(
            position=_int(doc, "position"),
            size=_int(doc, "size"),
            leaf_hash=_hex(doc, "leaf_hash"),
            proof=_hex_list(doc, "proof"),
            root=_hex(doc, "root"),
            origin=_str(doc, "origin"),
            leaf=None if leaf is None else leaf.encode(),
        )


@attrs.frozen
class ConsistencyProof:
    """Proof that the tree of old_size with old_root is a prefix of the tree of new_size."""

    old_size: int = attrs.field(validator=_size)
    new_size: int = attrs.field(validator=_size)
    old_root: bytes = attrs.field(validator=_hash)
    new_root: bytes = attrs.field(validator=_hash)
    proof: tuple[bytes, ...] = attrs.field(converter=_to_tuple, validator=_hashes)
    origin: str = ""

    def to_json(self) -> str:
        """The proof as a JSON object with hex hashes (docs/tamper-evidence.md)."""
        doc = {
            "format": CONSISTENCY_FORMAT,
            "origin": self.origin,
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": self.old_root.hex(),
            "new_root": self.new_root.hex(),
            "proof": [p.hex() for p in self.proof],
        }
        return json.dumps(doc, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> ConsistencyProof:
        """Parse to_json's output; InvalidProof names the key that is wrong."""
        doc = _load(text, CONSISTENCY_FORMAT, cls)
        return cls(
            old_size=_int(doc, "old_size"),
            new_size=_int(doc, "new_size"),
            old_root=_hex(doc, "old_root"),
            new_root=_hex(doc, "new_root"),
            proof=_hex_list(doc, "proof"),
            origin=_str(doc, "origin"),
        )


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

    def summary(self) -> str:
        """One line for people: ok or the fault, with where it is."""
        if self.ok:
            return f"ok: {self.reason}"
        where = [] if self.first_bad_position is None else [f"position {self.first_bad_position}"]
        where += [] if self.line is None else [f"line {self.line}"]
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
        }


# -- checking receipts and proofs (ledger.merkle only) ---------------------------


def verify_receipt(receipt: Receipt, checkpoint: Checkpoint | None = None) -> None:
    """Check a receipt, and that its root is the checkpoint's; InvalidProof if not."""
    if receipt.leaf is not None:
        if merkle.leaf_hash(receipt.leaf) != receipt.leaf_hash:
            raise InvalidProof("the receipt's record does not hash to its leaf_hash")
        try:
            stated = json.loads(receipt.leaf).get("position")
        except (ValueError, AttributeError):
            raise InvalidProof("the receipt's record is not a JSON object") from None
        if stated != receipt.position:
            raise InvalidProof(f"the record says position {stated}, the receipt {receipt.position}")
    merkle.verify_inclusion(
        receipt.leaf_hash, receipt.position - 1, receipt.size, receipt.proof, receipt.root
    )
    if checkpoint is not None:
        _same_tree("receipt", receipt.size, receipt.root, checkpoint)


def verify_consistency_proof(
    proof: ConsistencyProof, old: Checkpoint | None = None, new: Checkpoint | None = None
) -> None:
    """Check a consistency proof, and that its ends are the given checkpoints."""
    merkle.verify_consistency(
        proof.old_size, proof.new_size, proof.old_root, proof.new_root, proof.proof
    )
    if old is not None:
        _same_tree("old end of the proof", proof.old_size, proof.old_root, old)
    if new is not None:
        _same_tree("new end of the proof", proof.new_size, proof.new_root, new)


def _same_tree(what: str, size: int, root: bytes, checkpoint: Checkpoint) -> None:
    if size != checkpoint.size:
        raise InvalidProof(f"the {what} is for size {size}, the checkpoint for {checkpoint.size}")
    if root != checkpoint.root:
        raise InvalidProof(
            f"the {what} has root {_b64(root)}, the checkpoint {_b64(checkpoint.root)}"
        )


# -- producing checkpoints and proofs from a ledger -------------------------------


def origin_for(url: str) -> str:
    """The default checkpoint origin of a ledger: claims-ledger/<name of its file or database>."""
    if url.startswith("memory://"):
        name = url.removeprefix("memory://") or "memory"
    elif url.startswith(("postgresql://", "postgres://")):
        # One database holds many ledgers, told apart by ?ledger=NAME.
        parts = urlsplit(url)
        names = parse_qs(parts.query).get("ledger", [])
        name = names[0] if names else parts.path.strip("/") or "postgres"
    else:
        name = Path(url.removeprefix("sqlite://")).stem
    # An origin that is also a valid key name lets the signing key be named after it.
    return "claims-ledger/" + (re.sub(r"[\s+]+", "-", name) or "ledger")


def checkpoint(lg: Ledger, origin: str | None = None) -> Checkpoint:
    """The ledger's checkpoint now, from the store's right edge: O(log n), no rescan."""
    tree = lg.store.tree()
    return Checkpoint(tree.size, tree.root(), origin or origin_for(lg.url))


def prove(lg: Ledger, position: int, size: int | None = None) -> Receipt:
    """An inclusion receipt for the record at position in the tree of size (default: head)."""
    size = _size_arg(lg, size, "size")
    _int_arg(position, "position")
    if not 1 <= position <= size:
        raise InvalidEvent(f"{position} is not in 1..{size}", field="position")
    index = position - 1
    fold = _Fold(_inclusion_ranges(index, size))
    edge = CompactRange()
    target: StoredRow | None = None
    for i, row in _prefix(lg.store, size):
        digest = _stored_hash(row)
        fold.add(i, digest)
        edge.append(digest)
        if i == index:
            target = row
    assert target is not None  # _prefix yields every index below size
    leaf = target.leaf_bytes()
    leaf_hash = merkle.leaf_hash(leaf)
    if leaf_hash != _stored_hash(target):
        raise CorruptLog(
            "the record's bytes do not match its hash: run ledger verify", position=position
        )
    root = _checked_root(lg.store, size, edge)
    return Receipt(position, size, leaf_hash, fold.proof(), root, origin_for(lg.url), leaf)


def prove_consistency(lg: Ledger, old_size: int, new_size: int | None = None) -> ConsistencyProof:
    """A proof that the log of old_size is a prefix of the log of new_size (default: head)."""
    new_size = _size_arg(lg, new_size, "new_size")
    _int_arg(old_size, "old_size")
    if not 1 <= old_size <= new_size:
        raise InvalidEvent(f"{old_size} is not in 1..{new_size}", field="old_size")
    fold = _Fold(_consistency_ranges(old_size, new_size))
    edge = CompactRange()
    old_root = _EMPTY_ROOT
    for i, row in _prefix(lg.store, new_size):
        digest = _stored_hash(row)
        fold.add(i, digest)
        edge.append(digest)
        if i == old_size - 1:
            old_root = edge.root()
    root = _checked_root(lg.store, new_size, edge)
    return ConsistencyProof(old_size, new_size, old_root, root, fold.proof(), origin_for(lg.url))


def _int_arg(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEvent(f"must be an integer, not {value!r}", field=name)


def _size_arg(lg: Ledger, size: int | None, name: str) -> int:
    head = lg.head
    if size is None:
        return head
    _int_arg(size, name)
    if not 1 <= size <= head:
        raise InvalidEvent(f"{size} is not in 1..{head} (the head)", field=name)
    return size


def _prefix(store: Store, size: int) -> Iterator[tuple[int, StoredRow]]:
    """The first size rows with their leaf indexes; CorruptLog if positions are not 1..size."""
    index = 0
    for row in store.read(0):
        if index == size:
            return
        if row.position != index + 1:
            raise CorruptLog(
                f"found position {row.position} where {index + 1} belongs: run ledger verify",
                position=index + 1,
            )
        yield index, row
        index += 1
    if index < size:
        raise CorruptLog(f"the log ends at {index}, before size {size}", position=index + 1)


def _stored_hash(row: StoredRow) -> bytes:
    try:
        digest = bytes.fromhex(row.hash)
    except (TypeError, ValueError):
        digest = b""
    if len(digest) != merkle.HASH_SIZE:
        raise CorruptLog(f"hash {row.hash!r} is not 32 bytes of hex", position=row.position)
    return digest


def _checked_root(store: Store, size: int, edge: CompactRange) -> bytes:
    root = edge.root()
    tree = store.tree()
    # A proof from rows that disagree with the published edge would verify against nothing.
    if tree.size == size and tree.root() != root:
        raise CorruptLog("the stored rows do not match the store's right edge: run ledger verify")
    return root


# -- proofs as ranges, folded while the rows stream past --------------------------


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2), where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose roots form PATH(index, D[size]), leaf side first."""
    # The walk of merkle.inclusion_proof, keeping ranges instead of hashing them, so the
    # roots can be folded in one pass over the rows; a unit test keeps the two equal.
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            ranges.append((mid, hi))
            hi = mid
        else:
            ranges.append((lo, mid))
            lo = mid
    ranges.reverse()
    return ranges


def _consistency_ranges(old_size: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose roots form PROOF(old_size, D[size]), in proof order."""
    ranges: list[tuple[int, int]] = []
    lo, hi, m, whole = 0, size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


class _Fold:
    """The roots of disjoint leaf ranges, built as leaves arrive in index order."""

    def __init__(self, ranges: Sequence[tuple[int, int]]) -> None:
        self._ranges = ranges
        self._order = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
        self._roots: list[bytes | None] = [None] * len(ranges)
        self._next = 0
        self._edge = CompactRange()

    def add(self, index: int, leaf_hash: bytes) -> None:
        """Fold the leaf at index; leaves must come in order, none skipped."""
        if self._next == len(self._order):
            return
        slot = self._order[self._next]
        lo, hi = self._ranges[slot]
        if index < lo:
            return
        self._edge.append(leaf_hash)
        if index == hi - 1:
            self._roots[slot] = self._edge.root()
            self._edge = CompactRange()
            self._next += 1

    def proof(self) -> list[bytes]:
        """The range roots in proof order, once every range has been folded."""
        roots = [r for r in self._roots if r is not None]
        if len(roots) != len(self._roots):
            raise InvalidProof("the leaves ended before every proof range was complete")
        return roots


# -- verify ------------------------------------------------------------------------


def verify(lg: Ledger, checkpoint: Checkpoint | None = None) -> VerifyReport:
    """Recompute every leaf and the root of a ledger; report the first fault, never raise on it."""
    return verify_store(lg.store, checkpoint, codec=lg.codec)


def verify_url(url: str, checkpoint: Checkpoint | None = None, **options: Any) -> VerifyReport:
    """Verify the ledger at url without folding it; damage that stops it opening is reported."""
    path = _local_path(url)
    if path is not None and not path.is_file():
        raise StoreUnavailable(f"{url}: no such ledger file")
    try:
        store = open_store(url, **options)
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


def _local_path(url: str) -> Path | None:
    if url.startswith(("memory://", "postgresql://", "postgres://")):
        return None
    if url.startswith("sqlite://"):
        return Path(url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url[9:])
    return None if "://" in url else Path(url)


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
        scan.fault(None, f"the store's right edge cannot be read: {exc}")
    else:
        scan.check_edge(tree, root)
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
        self._proof: _Fold | None = None

    def fault(self, position: int | None, reason: str, line: int | None = None) -> None:
        if self.first is None:
            self.first = _Fault(position, reason, line)

    def run(self, rows: Iterator[StoredRow], head: int) -> None:
        # Fold an RFC 9162 consistency proof from the checkpoint to the head in the same
        # pass, so the checkpoint is checked exactly as a third party would check it.
        self._head = head
        if self._old and self._old < head:
            self._proof = _Fold(_consistency_ranges(self._old, head))
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
                    self.codec.decode(row)
                except LedgerError as exc:
                    self.fault(row.position, f"the record does not decode: {exc}")
            self.edge.append(leaf)
            if self._proof is not None:
                self._proof.add(self.count, leaf)
            self.count += 1
            if self.count == self._old:
                self.old_root = self.edge.root()

    def check_checkpoint(self, checkpoint: Checkpoint, root: bytes) -> None:
        size = checkpoint.size
        if size > self.count:
            self.fault(
                self.count + 1,
                f"the log has {self.count} records but the checkpoint covers {size}: "
                f"records {self.count + 1}..{size} are gone (truncated)",
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
        self.checked.append(f"the checkpoint of size {size}")

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


# -- small helpers -------------------------------------------------------------------


def split_note(text: str) -> tuple[str, tuple[tuple[str, bytes], ...]]:
    """A note's text and its (key name, signature bytes) lines, checked for syntax only."""
    if not isinstance(text, str):
        raise InvalidProof(f"a note must be text, not {type(text).__name__}")
    if not text:
        raise InvalidProof("the note is empty")
    for number, line in enumerate(text.split("\n"), 1):
        if _CONTROL.search(line):
            raise InvalidProof(f"note line {number}: control character (use \\n line endings)")
    if not text.endswith("\n"):
        raise InvalidProof("the note does not end with a newline")
    cut = text.rfind("\n\n")
    if cut < 0:
        return text, ()
    body, tail = text[: cut + 1], text[cut + 2 :]
    first = body.count("\n") + 2
    if not tail:
        raise InvalidProof(f"note line {first - 1}: a blank line with no signature after it")
    signatures: list[tuple[str, bytes]] = []
    for number, line in enumerate(tail[:-1].split("\n"), first):
        match = _SIGNATURE_LINE.fullmatch(line)
        if match is None:
            raise InvalidProof(f"note line {number}: not a signature line '\u2014 <name> <base64>'")
        blob = _unb64(match.group(2), f"note line {number}: signature")
        if len(blob) < 5:
            raise InvalidProof(f"note line {number}: the signature is too short")
        signatures.append((match.group(1), blob))
    if len(signatures) > _MAX_SIGNATURES:
        raise InvalidProof(f"the note has more than {_MAX_SIGNATURES} signatures")
    return body, tuple(signatures)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidProof(f"{what} {text!r} is not base64") from None


def _short(hex_text: str) -> str:
    return hex_text[:12] + "…" if len(hex_text) > 12 else repr(hex_text)


def _load(
    text: str | bytes, kind: str, cls: type[Any], optional: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    """The JSON object of a receipt or proof, with exactly the keys of cls and its format."""
    try:
        doc = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise InvalidProof(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise InvalidProof("expected a JSON object")
    if doc.get("format") != kind:
        raise InvalidProof(f"format: expected {kind!r}, found {doc.get('format')!r}")
    fields = {a.name for a in attrs.fields(cls)}
    unknown = sorted(set(doc) - fields - {"format"})
    missing = sorted(fields - optional - set(doc))
    if unknown or missing:
        raise InvalidProof(f"unknown keys {unknown}" if unknown else f"missing keys {missing}")
    return doc


def _int(doc: dict[str, Any], key: str) -> int:
    value = doc[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidProof(f"{key}: expected an integer, found {value!r}")
    return value


def _str(doc: dict[str, Any], key: str) -> str:
    value = doc[key]
    if not isinstance(value, str):
        raise InvalidProof(f"{key}: expected a string, found {value!r}")
    return value


def _hex(doc: dict[str, Any], key: str) -> bytes:
    value = doc[key]
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise InvalidProof(f"{key}: expected 64 lowercase hex digits, found {value!r}")
    return bytes.fromhex(value)


def _hex_list(doc: dict[str, Any], key: str) -> tuple[bytes, ...]:
    value = doc[key]
    if not isinstance(value, list):
        raise InvalidProof(f"{key}: expected a list, found {value!r}")
    return tuple(_hex({f"{key}[{i}]": v}, f"{key}[{i}]") for i, v in enumerate(value))
