"""Checkpoints, inclusion receipts and consistency proofs made from a store.

Each proof is folded from one pass over the first rows (``ledger.tamper.ranges``)
and its root checked against the store's right edge, so a proof is never built
from rows that disagree with what the store publishes.
"""

from __future__ import annotations

from collections.abc import Iterator

from ledger import merkle
from ledger.codec import StoredRow
from ledger.errors import CorruptLog, InvalidEvent, brief
from ledger.merkle import CompactRange
from ledger.stores.base import Store
from ledger.tamper.notes import Checkpoint, origin_for
from ledger.tamper.ranges import Fold, consistency_ranges, inclusion_ranges
from ledger.tamper.receipts import ConsistencyProof, Receipt

__all__ = ["checkpoint", "default_origin", "prove", "prove_consistency"]

_EMPTY_ROOT = merkle.root([])


def default_origin(store: Store) -> str:
    """The ledger's default origin: its name and the leaf hash of its record 1 (notes.origin_for).

    Derived, never stored: one row is read, and its leaf hash recomputed from its bytes.
    """
    rows = store.read(0)
    try:
        first = next(rows, None)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    digest = None if first is None else merkle.leaf_hash(first.leaf_bytes())
    return origin_for(store.url, digest)


def checkpoint(store: Store, origin: str | None = None) -> Checkpoint:
    """The log's checkpoint now, from the store's right edge: O(log n), no rescan."""
    tree = store.tree()
    return Checkpoint(tree.size, tree.root(), origin or default_origin(store))


def prove(
    store: Store, position: int, size: int | None = None, origin: str | None = None
) -> Receipt:
    """An inclusion receipt for the record at position in the tree of size (default: head).

    The receipt names the origin of the checkpoint it is made for (default: the
    ledger's default origin), and verify_receipt checks that they agree.
    """
    size = _size_arg(store, size, "size")
    _int_arg(position, "position")
    if not 1 <= position <= size:
        raise InvalidEvent(f"{brief(position)} is not in 1..{size}", field="position")
    index = position - 1
    fold = Fold(inclusion_ranges(index, size))
    edge = CompactRange()
    target: StoredRow | None = None
    for i, row in _prefix(store, size):
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
    root = _checked_root(store, size, edge)
    origin = origin or default_origin(store)
    return Receipt(position, size, leaf_hash, fold.proof(), root, origin, leaf)


def prove_consistency(
    store: Store, old_size: int, new_size: int | None = None, origin: str | None = None
) -> ConsistencyProof:
    """A proof that the log of old_size is a prefix of the log of new_size (default: head).

    Like a receipt, it names the origin of the checkpoints it joins.
    """
    new_size = _size_arg(store, new_size, "new_size")
    _int_arg(old_size, "old_size")
    if not 1 <= old_size <= new_size:
        raise InvalidEvent(f"{brief(old_size)} is not in 1..{new_size}", field="old_size")
    fold = Fold(consistency_ranges(old_size, new_size))
    edge = CompactRange()
    old_root = _EMPTY_ROOT
    for i, row in _prefix(store, new_size):
        digest = _stored_hash(row)
        fold.add(i, digest)
        edge.append(digest)
        if i == old_size - 1:
            old_root = edge.root()
    root = _checked_root(store, new_size, edge)
    origin = origin or default_origin(store)
    return ConsistencyProof(old_size, new_size, old_root, root, fold.proof(), origin)


def _int_arg(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEvent(f"must be an integer, not {value!r}", field=name)


def _size_arg(store: Store, size: int | None, name: str) -> int:
    head = store.head()
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
