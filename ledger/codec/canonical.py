"""Why a stored data text is not the canonical JSON of its content.

Decoding compares the stored text with the re-encoding of what it parses to
(``ledger.codec.registry``); this module only explains a difference, on the
error path, for the CorruptLog message.
"""

from __future__ import annotations

import json
from typing import Any

from ledger.errors import brief

__all__ = ["not_canonical", "repeated_key"]


def not_canonical(text: str, canonical: bytes) -> str:
    """What makes a data text differ from the canonical JSON of its content."""
    repeated = repeated_key(text)
    if repeated is not None:
        return f"the key {brief(repeated)} is repeated"
    stored = text.encode()
    at = next(
        (i for i, (a, b) in enumerate(zip(stored, canonical, strict=False)) if a != b),
        min(len(stored), len(canonical)),
    )

    def shown(raw: bytes) -> str:
        return repr(raw[at : at + 24].decode(errors="replace"))

    return f"at byte {at} the text has {shown(stored)} where canonical JSON has {shown(canonical)}"


def repeated_key(text: str | bytes) -> str | None:
    """A key that some object of the JSON text holds twice, None if none does."""
    found: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys: set[str] = set()
        for key, _ in items:
            if key in keys and not found:
                found.append(key)
            keys.add(key)
        return dict(items)

    try:
        json.loads(text, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return None
    return found[0] if found else None
