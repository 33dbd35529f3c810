"""ledger.merkle against a reference built straight from RFC 9162's recursive definitions.

The reference (MTH, PATH, SUBPROOF) recurses on index ranges exactly as §2.1.1, §2.1.3.1
and §2.1.4.1 are written; it also records the *shape* of each proof (which side each
sibling is on), since a proof checked against a wrong index or size is correctly accepted
when, and only when, that wrong index or size gives the very same shape.
"""

from __future__ import annotations

import functools
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidProof
from ledger.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 300
EXHAUSTIVE_SIZE = 64
LEAVES = [leaf_hash(str(n).encode()) for n in range(MAX_SIZE)]
GARBAGE = hashlib.sha256(b"garbage").digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@functools.cache
def ref_mth(lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]), RFC 9162 §2.1.1."""
    if hi == lo:
        return hashlib.sha256(b"").digest()
    if hi - lo == 1:
        return LEAVES[lo]
    k = _split(hi - lo)
    return node_hash(ref_mth(lo, lo + k), ref_mth(lo + k, hi))


Part = tuple[int, int, str]  # (lo, hi, role): the proof holds MTH(D[lo:hi]) in that role


@functools.cache
def ref_path(m: int, lo: int, hi: int) -> tuple[Part, ...]:
    """PATH(m, D[lo:hi]), §2.1.3.1, each part with the side its sibling sits on."""
    if hi - lo == 1:
        return ()
    k = _split(hi - lo)
    if m < k:
        return (*ref_path(m, lo, lo + k), (lo + k, hi, "right"))
    return (*ref_path(m - k, lo + k, hi), (lo, lo + k, "left"))


@functools.cache
def ref_subproof(m: int, lo: int, hi: int, whole: bool) -> tuple[Part, ...]:
    """SUBPROOF(m, D[lo:hi], b), §2.1.4.1, each part with its role in the two trees."""
    if m == hi - lo:
        return () if whole else ((lo, hi, "old subtree"),)
    k = _split(hi - lo)
    if m <= k:
        return (*ref_subproof(m, lo, lo + k, whole), (lo + k, hi, "new only"))
    return (*ref_subproof(m - k, lo + k, hi, False), (lo, lo + k, "in both"))


def ref_inclusion(index: int, size: int) -> list[bytes]:
    return [ref_mth(lo, hi) for lo, hi, _ in ref_path(index, 0, size)]


def inclusion_shape(index: int, size: int) -> tuple[str, ...]:
    return tuple(side for _, _, side in ref_path(index, 0, size))


def ref_consistency(old: int, new: int) -> list[bytes]:
    return [ref_mth(lo, hi) for lo, hi, _ in ref_subproof(old, 0, new, True)]


def consistency_shape(old: int, new: int) -> tuple[str, ...]:
    return tuple(role for _, _, role in ref_subproof(old, 0, new, True))


def flip(value: bytes, position: int, bit: int) -> bytes:
    return value[:position] + bytes([value[position] ^ (1 << bit)]) + value[position + 1 :]


def rejected_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], top: bytes) -> bool:
    try:
        verify_inclusion(leaf, index, size, proof, top)
    except InvalidProof:
        return True
    return False


def rejected_consistency(old: int, new: int, r1: bytes, r2: bytes, proof: list[bytes]) -> bool:
    try:
        verify_consistency(old, new, r1, r2, proof)
    except InvalidProof:
        return True
    return False


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX_SIZE))
    return size, draw(st.integers(0, size - 1))


@st.composite
def old_and_new(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(1, new)), new


flips = st.tuples(st.integers(0, 31), st.integers(0, 7))


# Inclusion.


@given(tree_and_index())
def test_inclusion_proofs_match_the_reference_and_verify(case: tuple[int, int]) -> None:
    size, index = case
    proof = inclusion_proof(index, LEAVES[:size])
    assert proof == ref_inclusion(index, size)
    verify_inclusion(LEAVES[index], index, size, proof, ref_mth(0, size))


@given(tree_and_index(), st.data(), flips)
def test_inclusion_rejects_a_flipped_bit_anywhere(
    case: tuple[int, int], data: st.DataObject, where: tuple[int, int]
) -> None:
    size, index = case
    proof, top, leaf = ref_inclusion(index, size), ref_mth(0, size), LEAVES[index]
    target = data.draw(st.integers(-2, len(proof) - 1), label="target")
    if target == -2:
        leaf = flip(leaf, *where)
    elif target == -1:
        top = flip(top, *where)
    else:
        proof[target] = flip(proof[target], *where)
    assert rejected_inclusion(leaf, index, size, proof, top)


@given(tree_and_index(), st.integers(-MAX_SIZE, MAX_SIZE))
def test_inclusion_rejects_a_wrong_index(case: tuple[int, int], wrong: int) -> None:
    size, index = case
    if wrong == index:
        wrong = index + size
    proof = ref_inclusion(index, size)
    assert rejected_inclusion(LEAVES[index], wrong, size, proof, ref_mth(0, size))


@given(tree_and_index(), st.integers(-1, 2 * MAX_SIZE))
def test_inclusion_with_a_wrong_size_holds_only_for_the_same_path(
    case: tuple[int, int], wrong: int
) -> None:
    size, index = case
    if wrong == size:
        wrong = size + 1
    proof = ref_inclusion(index, size)
    same_path = index < wrong and inclusion_shape(index, wrong) == inclusion_shape(index, size)
    rejected = rejected_inclusion(LEAVES[index], index, wrong, proof, ref_mth(0, size))
    assert rejected != same_path


@given(tree_and_index(), st.data())
def test_inclusion_rejects_a_truncated_or_extended_proof(
    case: tuple[int, int], data: st.DataObject
) -> None:
    size, index = case
    proof = ref_inclusion(index, size)
    truncate = data.draw(st.booleans(), label="truncate")
    if proof and truncate:
        keep = data.draw(st.integers(0, len(proof) - 1), label="keep")
        drop_front = data.draw(st.booleans(), label="drop front")
        wrong = proof[len(proof) - keep :] if drop_front else proof[:keep]
    else:
        at = data.draw(st.integers(0, len(proof)), label="insert at")
        extra = data.draw(st.sampled_from([GARBAGE, ref_mth(0, size), LEAVES[index]]))
        wrong = [*proof[:at], extra, *proof[at:]]
    assert rejected_inclusion(LEAVES[index], index, size, wrong, ref_mth(0, size))


# Consistency.


@given(old_and_new())
def test_consistency_proofs_match_the_reference_and_verify(case: tuple[int, int]) -> None:
    old, new = case
    proof = consistency_proof(old, LEAVES[:new])
    assert proof == ref_consistency(old, new)
    verify_consistency(old, new, ref_mth(0, old), ref_mth(0, new), proof)


@given(old_and_new(), st.data(), flips)
def test_consistency_rejects_a_flipped_bit_anywhere(
    case: tuple[int, int], data: st.DataObject, where: tuple[int, int]
) -> None:
    old, new = case
    proof, r1, r2 = ref_consistency(old, new), ref_mth(0, old), ref_mth(0, new)
    target = data.draw(st.integers(-2, len(proof) - 1), label="target")
    if target == -2:
        r1 = flip(r1, *where)
    elif target == -1:
        r2 = flip(r2, *where)
    else:
        proof[target] = flip(proof[target], *where)
    assert rejected_consistency(old, new, r1, r2, proof)


@given(old_and_new(), st.integers(-1, 2 * MAX_SIZE), st.integers(-1, 2 * MAX_SIZE))
def test_consistency_with_wrong_sizes_holds_only_for_the_same_shape(
    case: tuple[int, int], wrong_old: int, wrong_new: int
) -> None:
    old, new = case
    if (wrong_old, wrong_new) == (old, new):
        wrong_new += 1
    proof, r1, r2 = ref_consistency(old, new), ref_mth(0, old), ref_mth(0, new)
    same_shape = 0 < wrong_old <= wrong_new and consistency_shape(
        wrong_old, wrong_new
    ) == consistency_shape(old, new)
    # The empty tree against itself takes the empty proof and equal roots, as any same size.
    same_shape = same_shape or (wrong_old == wrong_new == 0 and old == new)
    assert rejected_consistency(wrong_old, wrong_new, r1, r2, proof) != same_shape


@given(old_and_new(), st.data())
def test_consistency_rejects_a_truncated_or_extended_proof(
    case: tuple[int, int], data: st.DataObject
) -> None:
    old, new = case
    proof, r1, r2 = ref_consistency(old, new), ref_mth(0, old), ref_mth(0, new)
    truncate = data.draw(st.booleans(), label="truncate")
    if proof and truncate:
        keep = data.draw(st.integers(0, len(proof) - 1), label="keep")
        drop_front = data.draw(st.booleans(), label="drop front")
        wrong = proof[len(proof) - keep :] if drop_front else proof[:keep]
    else:
        at = data.draw(st.integers(0, len(proof)), label="insert at")
        extra = data.draw(st.sampled_from([GARBAGE, r1, r2]), label="extra")
        wrong = [*proof[:at], extra, *proof[at:]]
    assert rejected_consistency(old, new, r1, r2, wrong)


# Compact ranges.


def perfect_subtrees(size: int) -> tuple[bytes, ...]:
    """The roots of the perfect subtrees that size's binary digits cut the leaves into."""
    out, lo = [], 0
    for bit in reversed(range(size.bit_length())):
        if size >> bit & 1:
            out.append(ref_mth(lo, lo + (1 << bit)))
            lo += 1 << bit
    return tuple(out)


@given(st.lists(st.integers(0, 40), max_size=12), st.data())
def test_compact_range_root_equals_root_for_every_prefix(
    chunks: list[int], data: st.DataObject
) -> None:
    edge, size = CompactRange(), 0
    for chunk in chunks:
        chunk = min(chunk, MAX_SIZE - size)
        edge.extend(LEAVES[size : size + chunk])
        size += chunk
        assert edge.size == size
        assert edge.hashes == perfect_subtrees(size)
        assert edge.root() == root(LEAVES[:size]) == ref_mth(0, size)
        # Persisting (size, hashes) and starting again must lose nothing.
        how = data.draw(st.sampled_from(["keep", "copy", "restore"]), label="how")
        if how == "copy":
            edge = edge.copy()
        elif how == "restore":
            edge = CompactRange(edge.size, edge.hashes)


# Exhaustive, for small trees: nothing left to chance.


@pytest.mark.parametrize("size", range(1, EXHAUSTIVE_SIZE + 1))
def test_every_inclusion_proof_of_a_small_tree(size: int) -> None:
    leaves, top = LEAVES[:size], ref_mth(0, size)
    for index in range(size):
        proof = inclusion_proof(index, leaves)
        assert proof == ref_inclusion(index, size)
        verify_inclusion(leaves[index], index, size, proof, top)
        assert rejected_inclusion(flip(leaves[index], 0, 0), index, size, proof, top)
        assert rejected_inclusion(leaves[index], index, size, proof, flip(top, 31, 7))
        for n in range(len(proof)):
            wrong = list(proof)
            wrong[n] = flip(wrong[n], n % 32, n % 8)
            assert rejected_inclusion(leaves[index], index, size, wrong, top)
        if proof:
            assert rejected_inclusion(leaves[index], index, size, proof[:-1], top)
            assert rejected_inclusion(leaves[index], index, size, proof[1:], top)
        assert rejected_inclusion(leaves[index], index, size, [*proof, GARBAGE], top)
        assert rejected_inclusion(leaves[index], index, size, [GARBAGE, *proof], top)
        for other in range(size):
            if other != index:
                assert rejected_inclusion(leaves[index], other, size, proof, top)
        for other in range(1, EXHAUSTIVE_SIZE + 1):
            if other != size:
                same = index < other and inclusion_shape(index, other) == inclusion_shape(
                    index, size
                )
                assert rejected_inclusion(leaves[index], index, other, proof, top) != same


@pytest.mark.parametrize("new", range(1, EXHAUSTIVE_SIZE + 1))
def test_every_consistency_proof_of_a_small_tree(new: int) -> None:
    leaves, r2 = LEAVES[:new], ref_mth(0, new)
    for old in range(1, new + 1):
        r1 = ref_mth(0, old)
        proof = consistency_proof(old, leaves)
        assert proof == ref_consistency(old, new)
        verify_consistency(old, new, r1, r2, proof)
        assert rejected_consistency(old, new, flip(r1, 0, 0), r2, proof)
        assert rejected_consistency(old, new, r1, flip(r2, 31, 7), proof)
        for n in range(len(proof)):
            wrong = list(proof)
            wrong[n] = flip(wrong[n], n % 32, n % 8)
            assert rejected_consistency(old, new, r1, r2, wrong)
        if proof:
            assert rejected_consistency(old, new, r1, r2, proof[:-1])
            assert rejected_consistency(old, new, r1, r2, proof[1:])
        assert rejected_consistency(old, new, r1, r2, [*proof, GARBAGE])
        assert rejected_consistency(old, new, r1, r2, [GARBAGE, *proof])
        for other in range(EXHAUSTIVE_SIZE + 1):
            if other != old:
                same = 0 < other <= new and consistency_shape(other, new) == consistency_shape(
                    old, new
                )
                assert rejected_consistency(other, new, r1, r2, proof) != same
            if other != new:
                same = old <= other and consistency_shape(old, other) == consistency_shape(old, new)
                assert rejected_consistency(old, other, r1, r2, proof) != same


def test_compact_range_root_equals_root_for_every_prefix_up_to_the_maximum() -> None:
    edge = CompactRange()
    for size in range(MAX_SIZE + 1):
        assert edge.root() == root(LEAVES[:size]) == ref_mth(0, size)
        assert edge.hashes == perfect_subtrees(size)
        if size < MAX_SIZE:
            edge.append(LEAVES[size])


@given(
    st.integers(0, MAX_SIZE),
    st.one_of(st.none(), st.integers(0, MAX_SIZE)),
    st.one_of(st.none(), st.integers(0, MAX_SIZE - 1)),
)
def test_two_edges_are_the_same_tree_exactly_when_their_sizes_and_roots_agree(
    m: int, n: int | None, changed: int | None
) -> None:
    """same_tree compares hashes; it answers as comparing sizes and RFC roots would."""
    n = m if n is None else n  # the same size half of the time
    other = list(LEAVES)
    if changed is not None:
        other[changed] = GARBAGE
    a, b = CompactRange(), CompactRange()
    a.extend(LEAVES[:m])
    b.extend(other[:n])
    expected = m == n and ref_mth(0, m) == root(other[:n])
    assert expected is (m == n and (changed is None or changed >= m))
    assert a.same_tree(b) is expected
    assert b.same_tree(a) is expected
    assert a.same_tree(a.copy())
