"""The rules a kept Merkle right edge must meet against the rows, for every store that keeps one.

SQLite's ``tree`` row and PostgreSQL's ``ledger_tree`` row are written in the
transaction of every append, so the kept edge covers exactly the stored
records. Anything else was done around the ledger: an edge beyond the log
(records removed from its end), no edge while records are stored (its removal
hides a truncation or a rewrite), an edge over fewer records that is not
theirs (a record it covers rewritten, its hash recomputed), a record before
position 1 (which the tables' CHECK refuses). Each rule is declared here once
and raised as ``CorruptLog``; verify reports it. An edge over fewer records
that is theirs is extended over the rest (rows added without it, by other
means).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice

from ledger.errors import CorruptLog, InvalidProof
from ledger.merkle import CompactRange

__all__ = ["check_first", "check_kept", "check_size", "extend_kept", "kept_edge"]

#: What a missing edge row hides, said the same by every store.
_GONE = "the stored Merkle tree, which would show a truncation or a rewrite, is gone"


def check_first(first: int | None) -> None:
    """CorruptLog when the lowest stored position is below 1, where the log's reads never reach."""
    if first is not None and first < 1:
        raise CorruptLog(f"a record is stored before position 1 (at {first}): positions start at 1")


def check_kept(kept: bool, holds_records: bool) -> None:
    """CorruptLog when the edge's row is gone while records are stored.

    The row is written with the first record and moved by every append:
    only its removal leaves records without it.
    """
    if holds_records and not kept:
        raise CorruptLog(f"the tree table's row was removed while the log holds records: {_GONE}")


def kept_edge(size: int, hashes: Sequence[bytes]) -> CompactRange:
    """The edge a tree row holds; CorruptLog when it is not one."""
    try:
        return CompactRange(size, hashes)
    except InvalidProof as exc:
        raise CorruptLog(f"the tree table's row is damaged: {exc}") from None


def check_size(size: int, head: int) -> None:
    """CorruptLog at head + 1 when the kept edge covers more records than the log holds.

    Records were removed from the log's end: refuse rather than rebuild the
    edge and hide the truncation.
    """
    if size > head:
        raise CorruptLog(
            f"the Merkle tree covers {size} records, the log ends at position {head}",
            position=head + 1,
        )


def extend_kept(kept: CompactRange, hashes: Iterable[bytes]) -> CompactRange:
    """The edge over the stored leaf hashes (from position 1, in order), kept checked against them.

    ``kept``, the stored edge over the first records, must be the edge of
    those very records: rows may have been added after it, but a record it
    covers rewritten (its hash recomputed) is tampering, not something to
    rebuild over.
    """
    stored = iter(hashes)
    edge = CompactRange()
    if kept.size:
        edge.extend(islice(stored, kept.size))
        if edge.size != kept.size or not edge.same_tree(kept):
            raise CorruptLog(
                f"the stored Merkle tree of the first {kept.size} records does not match "
                "their hashes: a record it covers was rewritten"
            )
    edge.extend(stored)
    return edge
