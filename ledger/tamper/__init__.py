"""Tamper evidence: checkpoints, inclusion receipts, consistency proofs and verify.

The log is an RFC 9162 Merkle tree whose leaf at index ``position - 1`` is the
record's leaf bytes (see ``ledger.codec``). A ``Checkpoint`` (size, root) prints as
a C2SP tlog-checkpoint note; a ``Receipt`` proves that one record is in the tree
of a given size and a ``ConsistencyProof`` that a smaller tree is a prefix of a
larger one. Both are JSON that a third party checks with ``ledger.merkle`` alone.
``verify`` streams the stored rows once, in O(log n) memory, and reports the
first record whose bytes, hash or position are wrong; it never raises on
tampering. The formats are in docs/tamper-evidence.md.

The modules, each importing only those above it:

- ``notes``: ``Checkpoint``, its C2SP note, ``split_note`` and ``origin_for``;
- ``receipts``: ``Receipt``, ``ConsistencyProof``, their JSON and checking them;
- ``ranges``: proofs as leaf ranges, folded while the rows stream past;
- ``proving``: ``checkpoint``, ``prove`` and ``prove_consistency`` from a ledger;
- ``verification``: ``verify_url``, ``verify_store`` and ``VerifyReport``;
- ``signing``: Ed25519 signed notes (the ``signing`` extra).
"""

from __future__ import annotations

from ledger.tamper.notes import Checkpoint, origin_for, split_note
from ledger.tamper.proving import checkpoint, prove, prove_consistency
from ledger.tamper.receipts import (
    CONSISTENCY_FORMAT,
    RECEIPT_FORMAT,
    ConsistencyProof,
    Receipt,
    verify_consistency_proof,
    verify_receipt,
)
from ledger.tamper.verification import VerifyReport, verify_store, verify_url

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
    "verify_consistency_proof",
    "verify_receipt",
    "verify_store",
    "verify_url",
]
