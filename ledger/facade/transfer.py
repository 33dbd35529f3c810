"""Copy a ledger from any store to any store, byte for byte."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ledger.codec import StoredRow
from ledger.errors import CorruptLog, StoreUnavailable, ValidationError
from ledger.facade import Ledger
from ledger.merkle import CompactRange, leaf_hash
from ledger.stores.urls import locate

__all__ = ["copy_ledger"]

#: Rows per store write: large enough to be fast, small enough to bound memory.
CHUNK = 5_000


def _chunks(rows: Iterable[StoredRow], size: int) -> Iterator[list[StoredRow]]:
    chunk: list[StoredRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def copy_ledger(
    src_url: str,
    dst_url: str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Copy every record of src into the empty dst, identical bytes, hashes and root; the count."""
    where = locate(dst_url)
    if where.kind == "memory" or (where.kind == "sqlite" and where.path is None):
        # Each open of memory:// (or sqlite:///:memory:) is a new, empty ledger: the
        # copy would be gone as soon as it was made.
        raise StoreUnavailable(f"{dst_url}: a ledger in memory cannot be a copy's destination")
    with Ledger.open(src_url) as src, Ledger.open(dst_url) as dst:
        if dst.head:
            raise ValidationError(
                f"{dst_url}: holds {dst.head} record(s); copy writes only to an empty ledger"
            )
        total = src.head
        expected = src.store.tree().root()
        written = 0
        # The stored rows, not decoded events: re-encoding could change bytes or
        # recorded_at, and then the hashes; opening src already decoded them all.
        for chunk in _chunks(src.rows(), CHUNK):
            dst.store.write(chunk, written)
            written += len(chunk)
            if progress is not None:
                progress(written, total)
    _check(dst_url, written, expected)
    return written


def _check(dst_url: str, size: int, expected_root: bytes) -> None:
    # Reopening decodes every row; recomputing each leaf from the stored bytes
    # proves the destination holds exactly what the source held.
    with Ledger.open(dst_url) as dst:
        tree = CompactRange()
        for row in dst.rows():
            digest = leaf_hash(row.leaf_bytes())
            if digest.hex() != row.hash:
                raise CorruptLog(
                    f"{dst_url}: copied bytes do not match their hash", position=row.position
                )
            tree.append(digest)
        if dst.head != size or tree.root() != expected_root:
            raise CorruptLog(
                f"{dst_url}: the copy has {dst.head} record(s) and root {tree.root().hex()}, "
                f"expected {size} and {expected_root.hex()}"
            )
        # The records went in without the read model: build it now, so that
        # every reader of the copy (read-only ones too) reads through it.
        dst.rebuild()
