"""The store fixture of the contract suite: one parameter per store, PostgreSQL included.

Every contract test takes `store` (or `new_store`, a factory for tests that
need several) and never names a backend: a new store joins the suite by
adding a parameter here.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger import Ledger
from ledger.stores import open_store
from ledger.stores.base import Clock, Store
from ledger.stores.memory import MemoryStore
from ledger.stores.postgres import split_url

KINDS = ["memory", "jsonl", "sqlite", "postgresql"]


class StoreUnderTest:
    """One store of one kind that a test can open, close and reopen."""

    def __init__(self, kind: str, url: str, clock: Clock | None = None) -> None:
        self.kind = kind
        self.url = url
        self.clock = clock
        self.ledger = Ledger.open(url, clock=clock)

    def open_another(self) -> Ledger:
        """A second, independent Ledger on the same store (another writer)."""
        if self.kind == "memory":
            # memory:// lives in one object: share it, as two processes share a file.
            return Ledger(self.ledger.store)
        return Ledger.open(self.url, clock=self.clock)

    def open_read_only(self) -> Store:
        """A read-only store on the same log (for memory://, a read-only view of its rows)."""
        if self.kind == "memory":
            # memory:// lives in one object: the view shares its rows, as files are shared.
            shared = self.ledger.store
            assert isinstance(shared, MemoryStore)
            view = MemoryStore(read_only=True)
            view._rows, view._ids, view._tree = shared._rows, shared._ids, shared._tree
            view._lock = shared._lock
            return view
        return open_store(self.url, clock=self.clock, read_only=True)

    def reopen(self) -> Ledger:
        """Close the ledger and open the same store again, folding it from scratch."""
        if self.kind == "memory":
            store = self.ledger.store
            self.ledger.close()
            self.ledger = Ledger(store)
        else:
            self.ledger.close()
            self.ledger = Ledger.open(self.url, clock=self.clock)
        return self.ledger

    def close(self) -> None:
        """Release the store."""
        self.ledger.close()

    def damage(self, how: str) -> None:
        """Damage the store's read model as a crash, a disk or a hand would (not its log)."""
        if self.kind == "memory":
            return  # no read model: nothing to damage
        if self.kind == "postgresql":
            self._damage_postgresql(how)
            return
        model = Path(self.url if self.kind == "sqlite" else self.url + ".readmodel")
        if how in ("remove the file", "garbage file"):
            if self.kind == "sqlite":
                how = "drop the checkpoint"  # the read model shares the log's file
            else:
                if how == "remove the file":
                    model.unlink(missing_ok=True)
                elif model.exists():
                    model.write_bytes(b"\x00 not a database " * 64)
                return
        if not model.exists():
            return
        conn = sqlite3.connect(model, isolation_level=None, timeout=30)
        try:
            conn.execute(_SQLITE_DAMAGE[how])
        except sqlite3.DatabaseError:
            pass  # already damaged past SQL: that is damage too
        finally:
            conn.close()

    def _damage_postgresql(self, how: str) -> None:
        statement = _POSTGRES_DAMAGE.get(how, _POSTGRES_DAMAGE["drop the checkpoint"])
        ledger = self.url.rsplit("ledger=", 1)[1]
        with psycopg.connect(split_url(self.url)[0], autocommit=True) as conn:
            conn.execute(statement, (ledger,))


#: Damage a read model can suffer; each must leave the views those of a full replay.
DAMAGE = (
    "drop the checkpoint",
    "another version",
    "behind the log",
    "unreadable rows",
    "remove the file",
    "garbage file",
)
_SQLITE_DAMAGE = {
    "drop the checkpoint": "DELETE FROM model_meta",
    "another version": "UPDATE model_meta SET version = version + 1",
    "behind the log": "UPDATE model_meta SET position = max(position - 1, 0)",
    "unreadable rows": "UPDATE model_rows SET value = '{' WHERE tbl IN ('figure', 'claim')",
}
_POSTGRES_DAMAGE = {
    "drop the checkpoint": "DELETE FROM ledger_model_meta WHERE ledger = %s",
    "another version": "UPDATE ledger_model_meta SET version = version + 1 WHERE ledger = %s",
    "behind the log": (
        "UPDATE ledger_model_meta SET position = greatest(position - 1, 0) WHERE ledger = %s"
    ),
    "unreadable rows": (
        "UPDATE ledger_model_rows SET value = '{' WHERE ledger = %s AND tbl IN ('figure', 'claim')"
    ),
}


NewStore = Callable[..., StoreUnderTest]


@pytest.fixture(params=KINDS)
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewStore]:
    """A factory of fresh, empty stores of one kind, closed after the test."""
    kind: str = request.param
    base = ""
    if kind == "postgresql":
        base = request.getfixturevalue("postgres_url")
    made: list[StoreUnderTest] = []

    def make(**kwargs: Any) -> StoreUnderTest:
        name = f"t{uuid.uuid4().hex[:16]}"
        if kind == "memory":
            url = "memory://"
        elif kind == "jsonl":
            url = str(tmp_path / f"{name}.jsonl")
        elif kind == "sqlite":
            url = str(tmp_path / f"{name}.db")
        else:
            url = f"{base}{'&' if '?' in base else '?'}ledger={name}"
        store = StoreUnderTest(kind, url, **kwargs)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def store(new_store: NewStore) -> StoreUnderTest:
    """One fresh, empty store; `store.reopen()` closes and opens it again."""
    return new_store()
