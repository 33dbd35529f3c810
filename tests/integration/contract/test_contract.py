"""The store contract (DESIGN.md §3), run against every store the project ships.

The suite itself is ``ledger.testing.contract.StoreContract``, the class a
third-party store subclasses too; each class here binds it to one store and
says how that store's read model can be damaged.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from ledger.stores import open_store
from ledger.stores.base import Clock, Store
from ledger.stores.memory import MemoryStore
from ledger.stores.postgres import split_url
from ledger.testing.contract import StoreContract

#: SQL damage to a read model, by the name the state machine gives it.
SQLITE_DAMAGE = {
    "drop the checkpoint": "DELETE FROM model_meta",
    "another version": "UPDATE model_meta SET version = version + 1",
    "behind the log": "UPDATE model_meta SET position = max(position - 1, 0)",
    "unreadable rows": "UPDATE model_rows SET value = '{' WHERE tbl IN ('figure', 'claim')",
}
POSTGRES_DAMAGE = {
    "drop the checkpoint": "DELETE FROM ledger_model_meta WHERE ledger = %s",
    "another version": "UPDATE ledger_model_meta SET version = version + 1 WHERE ledger = %s",
    "behind the log": (
        "UPDATE ledger_model_meta SET position = greatest(position - 1, 0) WHERE ledger = %s"
    ),
    "unreadable rows": (
        "UPDATE ledger_model_rows SET value = '{' WHERE ledger = %s AND tbl IN ('figure', 'claim')"
    ),
}


def damage_sqlite_file(path: Path, how: str) -> None:
    """Damage a read model kept in a SQLite file (the ledger's own, or a side file)."""
    if not path.exists():
        return
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        conn.execute(SQLITE_DAMAGE.get(how, SQLITE_DAMAGE["drop the checkpoint"]))
    except sqlite3.DatabaseError:
        pass  # already damaged past SQL: that is damage too
    finally:
        conn.close()


class TestMemoryStore(StoreContract):
    """memory://: one object per name, shared by every Ledger opened on it."""

    @pytest.fixture(autouse=True)
    def _stores(self) -> None:
        self.stores: dict[str, MemoryStore] = {}

    def open_store(self, name: str, clock: Clock | None, *, read_only: bool = False) -> Store:
        if name not in self.stores:
            self.stores[name] = MemoryStore(**({"clock": clock} if clock else {}))
        shared = self.stores[name]
        return shared.read_only_view() if read_only else shared


class TestJsonlStore(StoreContract):
    """JSON Lines, its read model in a side file."""

    def open_store(self, name: str, clock: Clock | None, *, read_only: bool = False) -> Store:
        return open_store(str(self.place / f"{name}.jsonl"), clock=clock, read_only=read_only)

    def damage_read_model(self, name: str, how: str) -> None:
        side = self.place / f"{name}.jsonl.readmodel"
        if how == "remove the file":
            side.unlink(missing_ok=True)
        elif how == "garbage file":
            if side.exists():
                side.write_bytes(b"\x00 not a database " * 64)
        else:
            damage_sqlite_file(side, how)


class TestSQLiteStore(StoreContract):
    """SQLite, its read model in the ledger's own file."""

    def open_store(self, name: str, clock: Clock | None, *, read_only: bool = False) -> Store:
        return open_store(str(self.place / f"{name}.db"), clock=clock, read_only=read_only)

    def damage_read_model(self, name: str, how: str) -> None:
        # The read model shares the log's file: no file of its own to remove.
        damage_sqlite_file(self.place / f"{name}.db", how)


class TestPostgresStore(StoreContract):
    """PostgreSQL, one ledger per name in the test database."""

    @pytest.fixture(autouse=True)
    def _server(self, postgres_url: str) -> None:
        self.base = postgres_url

    def _url(self, name: str) -> str:
        return f"{self.base}{'&' if '?' in self.base else '?'}ledger={name}"

    def open_store(self, name: str, clock: Clock | None, *, read_only: bool = False) -> Store:
        return open_store(self._url(name), clock=clock, read_only=read_only)

    def damage_read_model(self, name: str, how: str) -> None:
        statement = POSTGRES_DAMAGE.get(how, POSTGRES_DAMAGE["drop the checkpoint"])
        with psycopg.connect(split_url(self._url(name))[0], autocommit=True) as conn:
            conn.execute(statement, (name,))
