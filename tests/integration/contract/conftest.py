"""The store fixture of the contract suite: one parameter per store, PostgreSQL included.

Every contract test takes `store` (or `new_store`, a factory for tests that
need several) and never names a backend: a new store joins the suite by
adding a parameter here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger import Ledger
from ledger.stores.base import Clock

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
