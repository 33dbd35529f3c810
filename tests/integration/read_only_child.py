"""Read ledgers in a directory the test made read-only, and say what happened, as JSON.

    python read_only_child.py DIRECTORY

For each ledger file in DIRECTORY (``*.db``, ``*.jsonl``): verify it with
``verify_url``, open it with ``Ledger.open(path, read_only=True)`` and read its
records and topics, and try to append through a read-only store. Prints one
JSON object: file name -> what each step gave, and ``_writable``, whether the
directory could be written at all.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ledger import Ledger, LedgerError, SourceDescribed, StoreUnavailable
from ledger.tamper import verify_url


def look(path: Path) -> dict[str, Any]:
    """What verify, a read-only Ledger and a refused append give for one file."""
    seen: dict[str, Any] = {"verify": verify_url(str(path)).to_dict()}
    try:
        with Ledger.open(str(path), read_only=True) as lg:
            seen["head"] = lg.head
            seen["records"] = len(list(lg.records()))
            seen["topics"] = [t.topic for t in lg.topics()]
            try:
                lg.append(SourceDescribed(source="someone", name="Someone"))
            except StoreUnavailable as exc:
                seen["append"] = f"refused: {exc}"
            else:
                seen["append"] = "accepted"
    except LedgerError as exc:
        seen["error"] = f"{type(exc).__name__}: {exc}"
    return seen


def main(directory: Path) -> None:
    found = sorted(p for p in directory.iterdir() if p.suffix in (".db", ".jsonl"))
    seen: dict[str, Any] = {p.name: look(p) for p in found}
    seen["_writable"] = os.access(directory, os.W_OK)
    print(json.dumps(seen))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
