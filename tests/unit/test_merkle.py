"""ledger.merkle against the published RFC 6962 test vectors, and every rejection rule.

The vectors are copied from github.com/transparency-dev/merkle: the leaf inputs, node
hashes and roots from ``testonly/constants.go``, the inclusion and consistency proofs
from ``proof/verify_test.go`` (whose leaf numbers are 1-based: leaf ``L`` is index
``L - 1`` here) and the proof shapes from ``proof/proof_test.go``.
"""

from __future__ import annotations

import hashlib

import pytest

from ledger.errors import InvalidProof, LedgerError
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


def h(text: str) -> bytes:
    return bytes.fromhex(text)


LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]

# testonly/constants.go NodeHashes(): [level][index], level 0 being the leaf hashes.
NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [
        h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ],
]
LEAVES = NODE_HASHES[0]

# testonly/constants.go RootHashes(): indexed by tree size, from the empty tree.
#: How a value that is no 32-byte hash is refused.
NOT_A_HASH = "must be bytes of length 32, got"
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# testonly/constants.go CompactTrees(): the compact range of every size 0..8, as
# (level, index) into NODE_HASHES.
COMPACT_TREES = [
    [],
    [(0, 0)],
    [(1, 0)],
    [(1, 0), (0, 2)],
    [(2, 0)],
    [(2, 0), (0, 4)],
    [(2, 0), (1, 2)],
    [(2, 0), (1, 2), (0, 6)],
    [(3, 0)],
]

# proof/verify_test.go inclusionProofs, as (0-based index, size, proof).
INCLUSION_PROOFS = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

# proof/verify_test.go consistencyProofs, as (old size, new size, proof).
CONSISTENCY_PROOFS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

# The node names of proof/proof_test.go's picture of the RFC 6962 example tree:
#     level 2: k l; level 1: g h i; level 0: a b c d e f j (then leaf 7).
# In trees of size 7, where leaf 7 is missing, l is replaced by hash(i, j).
a, b, c, d, e, f, j, leaf7 = LEAVES
g, hh, i = NODE_HASHES[1][:3]
k, ll = NODE_HASHES[2]
ij = node_hash(i, j)

# proof/proof_test.go TestInclusion, trees of at most 8 leaves: (index, size, proof).
INCLUSION_SHAPES = [
    (0, 1, []),
    (0, 2, [b]),
    (1, 2, [a]),
    (1, 3, [a, c]),
    (0, 7, [b, hh, ij]),
    (1, 7, [a, hh, ij]),
    (2, 7, [d, g, ij]),
    (3, 7, [c, g, ij]),
    (4, 7, [f, j, k]),
    (5, 7, [e, j, k]),
    (6, 7, [i, k]),
    (2, 4, [d, g]),
    (3, 5, [c, g, e]),
    (3, 6, [c, g, i]),
    (4, 6, [f, k]),
]

# proof/proof_test.go TestConsistency, trees of at most 8 leaves: (old size, size, proof).
CONSISTENCY_SHAPES = [
    (1, 2, [b]),
    (1, 4, [b, hh]),
    (1, 6, [b, hh, i]),
    (2, 3, [c]),
    (2, 8, [hh, ll]),
    (3, 7, [c, d, g, ij]),
    (4, 7, [ij]),
    (5, 7, [e, f, j, k]),
    (6, 7, [i, j, k]),
    (7, 8, [j, leaf7, i, k]),
    (1, 1, []),
    (2, 2, []),
    (3, 3, []),
    (4, 4, []),
    (5, 5, []),
    (7, 7, []),
    (8, 8, []),
    (2, 4, [hh]),
    (3, 5, [c, d, g, e]),
    (3, 6, [c, d, g, i]),
    (4, 6, [i]),
    (1, 7, [b, hh, ij]),
]

# proof/verify_test.go sha256SomeHash and sha256EmptyTreeHash.
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
EMPTY_ROOT = ROOTS[0]
OTHER = hashlib.sha256(b"other").digest()


def flip(value: bytes, position: int = 0, bit: int = 0x08) -> bytes:
    return value[:position] + bytes([value[position] ^ bit]) + value[position + 1 :]


# Hashing and roots.


def test_leaf_hashes_match_the_vectors() -> None:
    assert [leaf_hash(data) for data in LEAF_INPUTS] == LEAVES


def test_node_hashes_match_every_level_of_the_vectors() -> None:
    for level in range(1, len(NODE_HASHES)):
        below = NODE_HASHES[level - 1]
        expected = [node_hash(below[2 * n], below[2 * n + 1]) for n in range(len(below) // 2)]
        assert expected == NODE_HASHES[level]


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert leaf_hash(a + b) != node_hash(a, b)


@pytest.mark.parametrize("size", range(9))
def test_root_matches_the_vectors(size: int) -> None:
    assert root(LEAVES[:size]) == ROOTS[size]


def test_root_of_nothing_is_the_hash_of_the_empty_string() -> None:
    assert root([]) == hashlib.sha256(b"").digest() == EMPTY_ROOT


def test_root_refuses_a_leaf_hash_of_the_wrong_length() -> None:
    with pytest.raises(InvalidProof, match="leaf hash 1 must be bytes of length 32, got 31 bytes"):
        root([a, b[:31], c])


# Compact ranges.


@pytest.mark.parametrize("size", range(9))
def test_compact_range_matches_the_vectors(size: int) -> None:
    edge = CompactRange()
    edge.extend(LEAVES[:size])
    assert edge.size == size
    assert edge.hashes == tuple(NODE_HASHES[lv][n] for lv, n in COMPACT_TREES[size])
    assert edge.root() == ROOTS[size]


def test_compact_range_restored_from_size_and_hashes_carries_on() -> None:
    edge = CompactRange()
    edge.extend(LEAVES[:5])
    restored = CompactRange(edge.size, edge.hashes)
    for leaf in LEAVES[5:]:
        restored.append(leaf)
    assert restored.size == 8
    assert restored.hashes == (ROOTS[8],)
    assert restored.root() == ROOTS[8]


def test_compact_range_copy_is_independent() -> None:
    edge = CompactRange()
    edge.extend(LEAVES[:3])
    clone = edge.copy()
    clone.append(LEAVES[3])
    assert (edge.size, edge.root()) == (3, ROOTS[3])
    assert (clone.size, clone.root()) == (4, ROOTS[4])


def test_empty_compact_range_has_the_empty_root() -> None:
    assert CompactRange().root() == EMPTY_ROOT
    assert CompactRange().hashes == ()


@pytest.mark.parametrize(
    ("size", "hashes", "message"),
    [
        (3, [ROOTS[2]], "size 3 has 2 hashes, got 1"),
        (4, [ROOTS[2], c], "size 4 has 1 hashes, got 2"),
        (0, [a], "size 0 has 0 hashes, got 1"),
        (-1, [], "size -1 is negative"),
        (2, [ROOTS[2][:16]], "compact range hash 0 must be bytes of length 32, got 16 bytes"),
        (2, ["ab" * 16], "compact range hash 0 must be bytes of length 32, got a str"),
    ],
)
def test_compact_range_constructor_validates(size: int, hashes: list[bytes], message: str) -> None:
    with pytest.raises(InvalidProof, match=message):
        CompactRange(size, hashes)


def test_compact_range_append_refuses_a_bad_leaf_hash() -> None:
    edge = CompactRange()
    with pytest.raises(InvalidProof, match="leaf hash must be bytes of length 32, got 33 bytes"):
        edge.append(a + b"\x00")
    assert edge.size == 0


# Inclusion proofs: generation and verification of the published proofs.


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS + INCLUSION_SHAPES)
def test_inclusion_proof_reproduces_the_vectors(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(index, LEAVES[:size]) == proof


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS + INCLUSION_SHAPES)
def test_verify_inclusion_accepts_the_vectors(index: int, size: int, proof: list[bytes]) -> None:
    verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


def _inclusion_probes(
    index: int, size: int, proof: list[bytes]
) -> list[tuple[str, bytes, int, int, list[bytes], bytes]]:
    """proof/verify_test.go corruptInclusionProof: each probe must be rejected."""
    leaf, good_root = LEAVES[index], ROOTS[size]
    probes = [
        ("index - 1", leaf, index - 1, size, proof, good_root),
        ("index + 1", leaf, index + 1, size, proof, good_root),
        ("index ^ 2", leaf, index ^ 2, size, proof, good_root),
        ("size * 2", leaf, index, size * 2, proof, good_root),
        ("size // 2", leaf, index, size // 2, proof, good_root),
        ("wrong leaf", b"WrongLeaf", index, size, proof, good_root),
        ("other leaf", leaf_hash(b"WrongLeaf"), index, size, proof, good_root),
        ("empty root", leaf, index, size, proof, EMPTY_ROOT),
        ("random root", leaf, index, size, proof, SOME_HASH),
        ("trailing garbage", leaf, index, size, [*proof, b""], good_root),
        ("trailing root", leaf, index, size, [*proof, good_root], good_root),
        ("preceding garbage", leaf, index, size, [b"", *proof], good_root),
        ("preceding root", leaf, index, size, [good_root, *proof], good_root),
    ]
    for n in range(len(proof)):
        wrong = list(proof)
        wrong[n] = flip(wrong[n], 0, 8)
        probes.append((f"proof[{n}] bit 3", leaf, index, size, wrong, good_root))
    if proof:
        probes.append(("removed component", leaf, index, size, proof[:-1], good_root))
    if len(proof) > 1:
        inserted = [proof[0], SOME_HASH, *proof[1:]]
        probes.append(("inserted component", leaf, index, size, inserted, good_root))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_verify_inclusion_rejects_every_corruption_of_the_vectors(
    index: int, size: int, proof: list[bytes]
) -> None:
    accepted = []
    for name, leaf, wrong_index, wrong_size, wrong_proof, wrong_root in _inclusion_probes(
        index, size, proof
    ):
        try:
            verify_inclusion(leaf, wrong_index, wrong_size, wrong_proof, wrong_root)
        except InvalidProof:
            continue
        accepted.append(name)
    assert accepted == []


# Inclusion proofs: each rejection rule on its own.


def test_verify_inclusion_refuses_an_index_not_below_the_size() -> None:
    proof = inclusion_proof(2, LEAVES[:3])
    with pytest.raises(InvalidProof, match="index 3 is not below size 3"):
        verify_inclusion(c, 3, 3, proof, ROOTS[3])
    with pytest.raises(InvalidProof, match="index 0 is not below size 0"):
        verify_inclusion(a, 0, 0, [], EMPTY_ROOT)


def test_verify_inclusion_refuses_negative_numbers() -> None:
    with pytest.raises(InvalidProof, match="index -1 and size 3 must not be negative"):
        verify_inclusion(c, -1, 3, [ROOTS[2]], ROOTS[3])
    with pytest.raises(InvalidProof, match="index 0 and size -1 must not be negative"):
        verify_inclusion(a, 0, -1, [], ROOTS[1])


@pytest.mark.parametrize(
    ("leaf", "proof", "good_root", "message"),
    [
        (c[:31], [ROOTS[2]], ROOTS[3], "leaf hash must be bytes of length 32, got 31 bytes"),
        (c + b"\x00", [ROOTS[2]], ROOTS[3], "leaf hash must be bytes of length 32, got 33 bytes"),
        (c.hex(), [ROOTS[2]], ROOTS[3], "leaf hash must be bytes of length 32, got a str"),
        (c, [ROOTS[2][:31]], ROOTS[3], "proof hash 0 must be bytes of length 32, got 31 bytes"),
        (c, [b""], ROOTS[3], "proof hash 0 must be bytes of length 32, got 0 bytes"),
        (c, [None], ROOTS[3], "proof hash 0 must be bytes of length 32, got a NoneType"),
        (
            bytearray(c),
            [ROOTS[2]],
            ROOTS[3],
            "leaf hash must be bytes of length 32, got a bytearray",
        ),
        (c, [ROOTS[2]], ROOTS[3][:31], "root must be bytes of length 32, got 31 bytes"),
        (c, [ROOTS[2]], b"", "root must be bytes of length 32, got 0 bytes"),
    ],
)
def test_verify_inclusion_refuses_hashes_of_the_wrong_length(
    leaf: bytes, proof: list[bytes], good_root: bytes, message: str
) -> None:
    with pytest.raises(InvalidProof, match=message):
        verify_inclusion(leaf, 2, 3, proof, good_root)


def test_verify_inclusion_refuses_a_truncated_proof() -> None:
    proof = inclusion_proof(5, LEAVES)
    with pytest.raises(InvalidProof, match="proof has 2 hashes, expected 3"):
        verify_inclusion(f, 5, 8, proof[:2], ROOTS[8])
    with pytest.raises(InvalidProof, match="proof has 0 hashes, expected 3"):
        verify_inclusion(f, 5, 8, [], ROOTS[8])


def test_verify_inclusion_refuses_an_extended_proof() -> None:
    proof = inclusion_proof(5, LEAVES)
    with pytest.raises(InvalidProof, match="proof has 4 hashes, expected 3"):
        verify_inclusion(f, 5, 8, [*proof, ROOTS[8]], ROOTS[8])
    with pytest.raises(InvalidProof, match="proof has 1 hashes, expected 0"):
        verify_inclusion(a, 0, 1, [a], ROOTS[1])


def test_verify_inclusion_refuses_a_root_it_does_not_reach() -> None:
    proof = inclusion_proof(5, LEAVES)
    with pytest.raises(InvalidProof, match=f"computed root {ROOTS[8].hex()} does not match"):
        verify_inclusion(f, 5, 8, proof, ROOTS[7])
    with pytest.raises(InvalidProof, match="does not match"):
        verify_inclusion(e, 5, 8, proof, ROOTS[8])
    with pytest.raises(InvalidProof, match="does not match"):
        verify_inclusion(f, 4, 8, proof, ROOTS[8])


def test_single_leaf_tree_needs_no_proof_and_its_root_is_the_leaf() -> None:
    """proof/verify_test.go TestVerifyInclusionSingleEntry."""
    hashed = leaf_hash(b"data")
    verify_inclusion(hashed, 0, 1, [], hashed)
    for leaf, good_root in [(hashed, b""), (b"", hashed), (b"", b""), (hashed, OTHER)]:
        with pytest.raises(InvalidProof):
            verify_inclusion(leaf, 0, 1, [], good_root)


def test_invalid_proof_is_a_ledger_error_and_a_value_error() -> None:
    with pytest.raises(LedgerError):
        verify_inclusion(a, 1, 1, [], ROOTS[1])
    with pytest.raises(ValueError, match="not below"):
        verify_inclusion(a, 1, 1, [], ROOTS[1])


# Inclusion proofs: generation out of range.


@pytest.mark.parametrize(("index", "size"), [(8, 8), (9, 8), (-1, 8), (0, 0), (3, 2)])
def test_inclusion_proof_refuses_an_index_out_of_range(index: int, size: int) -> None:
    with pytest.raises(InvalidProof, match=f"index {index} is out of range for a tree of size"):
        inclusion_proof(index, LEAVES[:size])


def test_inclusion_proof_refuses_a_bad_leaf_hash() -> None:
    with pytest.raises(InvalidProof, match="leaf hash 2 must be bytes of length 32, got 3 bytes"):
        inclusion_proof(0, [a, b, b"abc", d])


# Consistency proofs: generation and verification of the published proofs.


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_PROOFS + CONSISTENCY_SHAPES)
def test_consistency_proof_reproduces_the_vectors(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(old, LEAVES[:new]) == proof


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_PROOFS + CONSISTENCY_SHAPES)
def test_verify_consistency_accepts_the_vectors(old: int, new: int, proof: list[bytes]) -> None:
    verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


def _consistency_probes(
    old: int, new: int, proof: list[bytes]
) -> list[tuple[str, int, int, bytes, bytes, list[bytes]]]:
    """proof/verify_test.go corruptConsistencyProof: each probe must be rejected."""
    r1, r2 = ROOTS[old], ROOTS[new]
    probes = [
        ("old - 1", old - 1, new, r1, r2, proof),
        ("old + 1", old + 1, new, r1, r2, proof),
        ("old ^ 2", old ^ 2, new, r1, r2, proof),
        ("new * 2", old, new * 2, r1, r2, proof),
        ("new // 2", old, new // 2, r1, r2, proof),
        ("wrong old root", old, new, b"WrongRoot", r2, proof),
        ("wrong new root", old, new, r1, b"WrongRoot", proof),
        ("other old root", old, new, OTHER, r2, proof),
        ("other new root", old, new, r1, OTHER, proof),
        ("swapped roots", old, new, r2, r1, proof),
        ("empty proof", old, new, r1, r2, []),
        ("trailing garbage", old, new, r1, r2, [*proof, b""]),
        ("trailing old root", old, new, r1, r2, [*proof, r1]),
        ("trailing new root", old, new, r1, r2, [*proof, r2]),
        ("preceding garbage", old, new, r1, r2, [b"", *proof]),
        ("preceding old root", old, new, r1, r2, [r1, *proof]),
        ("preceding new root", old, new, r1, r2, [r2, *proof]),
        ("preceding proof[0]", old, new, r1, r2, [proof[0], *proof]),
        ("truncated proof", old, new, r1, r2, proof[:-1]),
    ]
    for n in range(len(proof)):
        wrong = list(proof)
        wrong[n] = flip(wrong[n], 0, 16)
        probes.append((f"proof[{n}] bit 4", old, new, r1, r2, wrong))
    return probes


@pytest.mark.parametrize(("old", "new", "proof"), [v for v in CONSISTENCY_PROOFS if v[2]])
def test_verify_consistency_rejects_every_corruption_of_the_vectors(
    old: int, new: int, proof: list[bytes]
) -> None:
    accepted = []
    for name, o, n, r1, r2, wrong_proof in _consistency_probes(old, new, proof):
        try:
            verify_consistency(o, n, r1, r2, wrong_proof)
        except InvalidProof:
            continue
        accepted.append(name)
    assert accepted == []


# Consistency proofs: each rejection rule on its own.


def test_verify_consistency_refuses_old_size_zero_of_a_grown_tree() -> None:
    with pytest.raises(InvalidProof, match="old size 0"):
        verify_consistency(0, 3, EMPTY_ROOT, ROOTS[3], [])
    with pytest.raises(InvalidProof, match="old size 0"):
        verify_consistency(0, 1, EMPTY_ROOT, ROOTS[1], [LEAVES[0]])


def test_the_empty_tree_is_consistent_with_itself() -> None:
    # DESIGN §5: [] when old_size == size, the empty tree included (as transparency-dev's
    # verifier, which checks equal sizes before refusing a proof from size 0).
    assert consistency_proof(0, []) == []
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    with pytest.raises(InvalidProof, match="roots differ"):
        verify_consistency(0, 0, EMPTY_ROOT, ROOTS[1], [])
    with pytest.raises(InvalidProof):
        verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [LEAVES[0]])


def test_verify_consistency_refuses_an_old_size_above_the_new_size() -> None:
    with pytest.raises(InvalidProof, match="old size 5 is above new size 3"):
        verify_consistency(5, 3, ROOTS[5], ROOTS[3], [])
    with pytest.raises(InvalidProof, match="old size 2 is above new size 1"):
        verify_consistency(2, 1, ROOTS[2], ROOTS[1], [])


@pytest.mark.parametrize(("old", "new"), [(-1, 3), (2, -1), (-2, -1)])
def test_verify_consistency_refuses_negative_sizes(old: int, new: int) -> None:
    with pytest.raises(InvalidProof, match="must not be negative"):
        verify_consistency(old, new, ROOTS[2], ROOTS[3], [])


def test_verify_consistency_of_equal_sizes_needs_equal_roots_and_no_proof() -> None:
    verify_consistency(3, 3, ROOTS[3], ROOTS[3], [])
    with pytest.raises(InvalidProof, match="roots differ for the same size 3"):
        verify_consistency(3, 3, ROOTS[3], ROOTS[4], [])
    with pytest.raises(InvalidProof, match="proof has 1 hashes, expected 0"):
        verify_consistency(3, 3, ROOTS[3], ROOTS[3], [EMPTY_ROOT])


@pytest.mark.parametrize(
    ("old_root", "new_root", "proof", "message"),
    [
        (ROOTS[2][:31], ROOTS[5], CONSISTENCY_PROOFS[3][2], f"old root {NOT_A_HASH} 31"),
        (ROOTS[2], ROOTS[5] + b"!", CONSISTENCY_PROOFS[3][2], f"new root {NOT_A_HASH} 33"),
        (ROOTS[2], "x", CONSISTENCY_PROOFS[3][2], f"new root {NOT_A_HASH} a str"),
        (ROOTS[2], ROOTS[5], [ROOTS[2], b"\x00" * 64], f"proof hash 1 {NOT_A_HASH} 64"),
    ],
)
def test_verify_consistency_refuses_hashes_of_the_wrong_length(
    old_root: bytes, new_root: bytes, proof: list[bytes], message: str
) -> None:
    with pytest.raises(InvalidProof, match=message):
        verify_consistency(2, 5, old_root, new_root, proof)


def test_verify_consistency_refuses_a_truncated_proof() -> None:
    proof = consistency_proof(6, LEAVES)
    with pytest.raises(InvalidProof, match="proof has 2 hashes, expected 3"):
        verify_consistency(6, 8, ROOTS[6], ROOTS[8], proof[:2])
    with pytest.raises(InvalidProof, match="proof has 0 hashes, expected 3"):
        verify_consistency(6, 8, ROOTS[6], ROOTS[8], [])
    # A power-of-two old size is seeded with the old root, so its proof is one shorter.
    with pytest.raises(InvalidProof, match="proof has 1 hashes, expected 2"):
        verify_consistency(2, 5, ROOTS[2], ROOTS[5], CONSISTENCY_PROOFS[3][2][:1])
    with pytest.raises(InvalidProof, match="proof has 0 hashes, expected 1"):
        verify_consistency(4, 7, ROOTS[4], ROOTS[7], [])


def test_verify_consistency_refuses_an_extended_proof() -> None:
    proof = consistency_proof(6, LEAVES)
    with pytest.raises(InvalidProof, match="proof has 4 hashes, expected 3"):
        verify_consistency(6, 8, ROOTS[6], ROOTS[8], [*proof, ROOTS[8]])


def test_verify_consistency_refuses_roots_it_does_not_reach() -> None:
    proof = consistency_proof(6, LEAVES)
    with pytest.raises(InvalidProof, match=f"computed old root {ROOTS[6].hex()} does not match"):
        verify_consistency(6, 8, ROOTS[5], ROOTS[8], proof)
    with pytest.raises(InvalidProof, match=f"computed new root {ROOTS[8].hex()} does not match"):
        verify_consistency(6, 8, ROOTS[6], ROOTS[7], proof)


def test_verify_consistency_seeds_a_power_of_two_old_tree_with_its_root() -> None:
    # For old size 4 the proof omits the old root, so a wrong old root must still fail.
    proof = consistency_proof(4, LEAVES[:7])
    assert proof == [ij]
    verify_consistency(4, 7, ROOTS[4], ROOTS[7], proof)
    with pytest.raises(InvalidProof, match="does not match"):
        verify_consistency(4, 7, OTHER, ROOTS[7], proof)


# Consistency proofs: generation out of range.


@pytest.mark.parametrize(("old", "size"), [(0, 8), (9, 8), (-1, 8), (1, 0), (-1, 0)])
def test_consistency_proof_refuses_an_old_size_out_of_range(old: int, size: int) -> None:
    with pytest.raises(InvalidProof, match=f"old size {old} is out of range for a tree of size"):
        consistency_proof(old, LEAVES[:size])


def test_consistency_proof_refuses_a_bad_leaf_hash() -> None:
    with pytest.raises(InvalidProof, match="leaf hash 0 must be bytes of length 32, got a str"):
        consistency_proof(1, ["a" * 32, b])


# Large trees: iterative, no deep recursion and no quadratic copying.


def test_a_large_tree_roots_and_proves_without_recursion() -> None:
    size = 100_000
    leaves = [hashlib.sha256(n.to_bytes(4, "big")).digest() for n in range(size)]
    edge = CompactRange()
    edge.extend(leaves)
    big_root = root(leaves)
    assert edge.root() == big_root
    proof = inclusion_proof(77_777, leaves)
    assert len(proof) == 17
    verify_inclusion(leaves[77_777], 77_777, size, proof, big_root)
    proof = consistency_proof(65_537, leaves)
    verify_consistency(65_537, size, root(leaves[:65_537]), big_root, proof)
