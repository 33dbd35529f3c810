"""Stores by URL: memory://, JSON Lines files, SQLite files and PostgreSQL."""

from __future__ import annotations

from typing import Any

from ledger.errors import StoreUnavailable
from ledger.stores.base import Clock, Store, utc_now

__all__ = ["Store", "open_store"]


def open_store(url: str, *, clock: Clock | None = None, **options: Any) -> Store:
    """The store a URL names; StoreUnavailable for an unknown scheme or bad path."""
    if not isinstance(url, str) or not url:
        raise StoreUnavailable(f"store URL must be a non-empty string, not {url!r}")
    clock = clock or utc_now
    if url == "memory://" or url.startswith("memory://"):
        from ledger.stores.memory import MemoryStore

        if options:
            raise StoreUnavailable(f"memory:// takes no options, got {', '.join(sorted(options))}")
        return MemoryStore(url, clock)
    if url.startswith("sqlite://"):
        from ledger.stores.sqlite import SQLiteStore

        # As in SQLAlchemy: sqlite:///rel.db is relative, sqlite:////abs.db absolute.
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url[9:]
        return SQLiteStore(path, url=url, clock=clock, **options)
    if url.startswith(("postgresql://", "postgres://")):
        from ledger.stores.postgres import PostgresStore

        return PostgresStore(url, clock=clock, **options)
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise StoreUnavailable(
            f"unknown store scheme {scheme!r} in {url!r}: use memory://, a .jsonl or .db "
            "path, sqlite:///path or postgresql://"
        )
    if url.endswith(".jsonl"):
        from ledger.stores.jsonl import JsonlStore

        return JsonlStore(url, clock=clock, **options)
    if url.endswith((".db", ".sqlite", ".sqlite3")):
        from ledger.stores.sqlite import SQLiteStore

        return SQLiteStore(url, url=url, clock=clock, **options)
    raise StoreUnavailable(
        f"cannot tell the store from {url!r}: name a .jsonl or .db file, "
        "or use memory://, sqlite:///path or postgresql://"
    )
