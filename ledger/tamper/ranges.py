"""Proofs as leaf ranges, their roots folded while the rows stream past.

``ledger.merkle`` builds RFC 9162 proofs from a list of every leaf hash. Here the
same walks yield the leaf ranges whose roots make up a proof, and ``Fold``
builds those roots as the rows arrive in order, so ``prove`` and ``verify``
make a proof in one pass over the log and O(log n) memory. Internal to
``ledger.tamper``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.errors import InvalidProof
from ledger.merkle import CompactRange

__all__ = ["Fold", "consistency_ranges", "inclusion_ranges"]


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2), where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
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


def consistency_ranges(old_size: int, size: int) -> list[tuple[int, int]]:
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


class Fold:
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
