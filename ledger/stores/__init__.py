"""Stores by URL: memory://, JSON Lines files, SQLite files and PostgreSQL.

``ledger.stores.urls`` reads the URL; ``open_store`` opens the store it names.
"""

from __future__ import annotations

from typing import Any

from ledger.errors import StoreUnavailable
from ledger.stores.base import Clock, Store, utc_now
from ledger.stores.urls import file_of, locate, redact

__all__ = ["Store", "file_of", "open_store", "redact"]


def open_store(
    url: str, *, clock: Clock | None = None, read_only: bool = False, **options: Any
) -> Store:
    """The store a URL names; StoreUnavailable for an unknown scheme or bad path.

    ``read_only=True`` (or ``?mode=ro`` in a sqlite:// URL) opens a store that
    reads without writing anything, anywhere: it creates no file or table,
    repairs nothing and refuses appends with StoreUnavailable.
    """
    where = locate(url)
    if type(read_only) is not bool:
        # A truthy "no" read as read-only, or a falsy 0 as writable, would be a guess.
        raise StoreUnavailable(f"{redact(url)}: read_only must be True or False, not {read_only!r}")
    if clock is not None and not callable(clock):
        raise StoreUnavailable(
            f"{redact(url)}: clock must be a function that returns the time, not {clock!r}"
        )
    clock = clock or utc_now
    read_only = read_only or where.read_only
    if where.kind == "memory":
        from ledger.stores.memory import MemoryStore

        if options:
            raise StoreUnavailable(f"memory:// takes no options, got {', '.join(sorted(options))}")
        return MemoryStore(url, clock, read_only=read_only)
    if where.kind == "postgresql":
        from ledger.stores.postgres import PostgresStore

        return PostgresStore(url, clock=clock, read_only=read_only, **options)
    if where.kind == "jsonl":
        from ledger.stores.jsonl import JsonlStore

        assert where.path is not None
        return JsonlStore(where.path, url=url, clock=clock, read_only=read_only, **options)
    from ledger.stores.sqlite import SQLiteStore

    return SQLiteStore(
        where.path, url=url, clock=clock, read_only=read_only, create=where.create, **options
    )
