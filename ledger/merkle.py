"""RFC 9162 §2.1 Merkle tree: root, inclusion and consistency proofs, compact ranges.

Leaf hashes are SHA-256(0x00 || data) and interior nodes SHA-256(0x01 || left || right);
the 0x00/0x01 prefixes keep a leaf from ever passing for an interior node. Leaf indexes
are 0-based. Bad input raises ``InvalidProof``, which is both a ``LedgerError`` and a
``ValueError``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import NoReturn

from ledger.errors import InvalidProof, brief

__all__ = [
    "HASH_SIZE",
    "CompactRange",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
_EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Return the hash of one leaf: SHA-256(0x00 || data)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidProof(f"leaf data must be bytes, got {type(data).__name__}")
    return hashlib.sha256(b"\x00" + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


class CompactRange:
    """The right edge of a tree: the roots of its perfect subtrees, largest first."""

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise InvalidProof(f"size {size} is negative")
        # One perfect subtree per set bit of size, so the edge must have popcount(size) hashes.
        if len(hashes) != size.bit_count():
            raise InvalidProof(
                f"a compact range of size {size} has {size.bit_count()} hashes, got {len(hashes)}"
            )
        _check_all("compact range hash", hashes)
        self._size = size
        self._hashes = list(hashes)

    @property
    def size(self) -> int:
        """The number of leaves covered."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The perfect-subtree roots, left to right, largest subtree first."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash at the right edge, in O(log n)."""
        _check_hash("leaf hash", leaf_hash)
        self._push(leaf_hash)

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add leaf hashes in order."""
        for value in leaf_hashes:
            self.append(value)

    def root(self) -> bytes:
        """Return the root of the tree of the leaves covered (SHA-256(b"") when empty)."""
        if not self._hashes:
            return _EMPTY_ROOT
        # The RFC splits at the largest power of two, so the tree is the left-most
        # perfect subtree over the root of everything to its right: fold right to left.
        acc = self._hashes[-1]
        for value in reversed(self._hashes[:-1]):
            acc = node_hash(value, acc)
        return acc

    def same_tree(self, other: CompactRange) -> bool:
        """Whether both cover the same leaves: the same size and the same subtree roots.

        Equal edges have equal roots, and (short of a SHA-256 collision) equal
        roots of one size have equal edges; comparing them hashes nothing.
        """
        return self._size == other._size and self._hashes == other._hashes

    def copy(self) -> CompactRange:
        """Return an independent copy."""
        return CompactRange(self._size, self._hashes)

    def _push(self, value: bytes) -> None:
        # Each trailing 1 bit of the old size is a subtree as large as the one just
        # completed, so merge with it: a binary counter's carry.
        size = self._size
        while size & 1:
            value = node_hash(self._hashes.pop(), value)
            size >>= 1
        self._hashes.append(value)
        self._size += 1


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the Merkle tree hash of the leaf hashes (SHA-256(b"") for none)."""
    _check_sequence("leaf hashes", leaf_hashes)
    _check_all("leaf hash", leaf_hashes)
    return _range_root(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return the audit path PATH(index, D[n]) of RFC 9162 §2.1.3.1, leaf side first."""
    _check_int("index", index)
    _check_sequence("leaf hashes", leaf_hashes)
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise InvalidProof(f"index {brief(index)} is out of range for a tree of size {size}")
    _check_all("leaf hash", leaf_hashes)
    # Walk down from the root over index ranges rather than slices, so nothing is copied.
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            path.append(_range_root(leaf_hashes, mid, hi))
            hi = mid
        else:
            path.append(_range_root(leaf_hashes, lo, mid))
            lo = mid
    path.reverse()
    return path


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return PROOF(old_size, D[n]) of RFC 9162 §2.1.4.1; [] when old_size == n."""
    _check_int("old size", old_size)
    _check_sequence("leaf hashes", leaf_hashes)
    size = len(leaf_hashes)
    if old_size == size == 0:
        return []  # the empty tree is consistent with itself: nothing to show
    if not 0 < old_size <= size:
        raise InvalidProof(f"old size {brief(old_size)} is out of range for a tree of size {size}")
    _check_all("leaf hash", leaf_hashes)
    # SUBPROOF(m, D[lo:hi], b) unrolled: `whole` is b, true while D[lo:hi] is the left edge.
    proof: list[bytes] = []
    lo, hi, m, whole = 0, size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(_range_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_range_root(leaf_hashes, lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(_range_root(leaf_hashes, lo, hi))
    proof.reverse()
    return proof


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof by RFC 9162 §2.1.3.2; raise InvalidProof if it fails."""
    _check_int("index", index)
    _check_int("size", size)
    _check_sequence("proof", proof)
    if index < 0 or size < 0:
        raise InvalidProof(f"index {index} and size {size} must not be negative")
    if index >= size:
        raise InvalidProof(f"index {index} is not below size {size}")
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root", root)
    _check_all("proof hash", proof)

    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            _wrong_length(proof, _inclusion_length(index, size))
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        _wrong_length(proof, _inclusion_length(index, size))
    if r != root:
        raise InvalidProof(f"computed root {r.hex()} does not match root {root.hex()}")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check a consistency proof by RFC 9162 §2.1.4.2; raise InvalidProof if it fails."""
    _check_int("old size", old_size)
    _check_int("new size", new_size)
    _check_sequence("proof", proof)
    if old_size < 0 or new_size < 0:
        raise InvalidProof(f"sizes {old_size} and {new_size} must not be negative")
    if old_size == 0 and new_size != 0:
        # Every tree extends the empty one, so such a proof shows nothing worth trusting.
        raise InvalidProof("old size 0: there is no consistency proof from the empty tree")
    if old_size > new_size:
        raise InvalidProof(f"old size {old_size} is above new size {new_size}")
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    _check_all("proof hash", proof)
    if old_size == new_size:
        if proof:
            _wrong_length(proof, 0)
        if old_root != new_root:
            raise InvalidProof(f"roots differ for the same size {old_size}")
        return
    if not proof:
        _wrong_length(proof, _consistency_length(old_size, new_size))

    # A power-of-two old tree is a subtree of the new one: its root seeds the path itself.
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            _wrong_length(proof, _consistency_length(old_size, new_size))
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        _wrong_length(proof, _consistency_length(old_size, new_size))
    if fr != old_root:
        raise InvalidProof(f"computed old root {fr.hex()} does not match {old_root.hex()}")
    if sr != new_root:
        raise InvalidProof(f"computed new root {sr.hex()} does not match {new_root.hex()}")


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2), where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_root(leaf_hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) in O(hi - lo) hashes and O(log n) memory, without recursion."""
    edge = CompactRange()
    for i in range(lo, hi):
        edge._push(leaf_hashes[i])
    return edge.root()


def _check_int(what: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidProof(f"{what} must be an integer, got {type(value).__name__}")


def _check_sequence(what: str, value: object) -> None:
    # A str or bytes is a sequence too, but never a list of hashes.
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise InvalidProof(f"{what} must be a sequence of hashes, got {type(value).__name__}")


def _check_hash(what: str, value: object) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        got = f"{len(value)} bytes" if isinstance(value, bytes) else f"a {type(value).__name__}"
        raise InvalidProof(f"{what} must be bytes of length {HASH_SIZE}, got {got}")


def _check_all(what: str, values: Sequence[bytes]) -> None:
    for position, value in enumerate(values):
        # Test inline and name the position only on failure: this runs once per leaf.
        if not isinstance(value, bytes) or len(value) != HASH_SIZE:
            _check_hash(f"{what} {position}", value)


def _inclusion_length(index: int, size: int) -> int:
    # The §2.1.3.2 loop's rounds: one per level below where the leaf's path leaves the
    # right edge, then one per left sibling (1 bit of index) above it.
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def _consistency_length(old_size: int, new_size: int) -> int:
    # The seed unless old_size is a power of two, then the §2.1.4.2 loop's rounds, which
    # skip the levels inside the old tree's last perfect subtree.
    shift = (old_size & -old_size).bit_length() - 1
    seed = 0 if old_size == 1 << shift else 1
    return seed + _inclusion_length(old_size - 1, new_size) - shift


def _wrong_length(proof: Sequence[bytes], expected: int) -> NoReturn:
    raise InvalidProof(f"proof has {len(proof)} hashes, expected {expected}")
