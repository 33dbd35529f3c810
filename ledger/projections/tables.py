"""The tables a projection keeps its facts in: partitioned, loaded lazily, written back as rows.

A table is one namespace of rows ``(part, item) -> value``. Its partitions are
either all in memory (a table without a loader: a fold from the first record,
as ``as_of`` and ``memory://`` do) or loaded one by one, the first time the
fold or a query asks for them, through a ``Loader`` (the read model a store
keeps beside the log). Every write is also recorded as a pending change, so
that the facade can store the changes in the same transaction as the records
that caused them, and forget them if that transaction fails.

A ``Lookup`` is a table whose partitions hold one row each, under the item
``""`` (a claim, a source, a definition): it keeps the value itself rather
than a partition of one row, which halves what the fold allocates for them.

The loader is the one callback through which a projection reaches storage:
the tables never read a file or a connection themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, Protocol

__all__ = ["ABSENT", "DELETED", "Entries", "Loader", "Lookup", "Table", "chunk_key", "entries_of"]

#: A pending change that removes a row.
DELETED: Any = type("Deleted", (), {"__repr__": lambda self: "DELETED"})()


class Loader(Protocol):
    """Where a table finds the partitions it has not loaded: the store's read model."""

    def load(self, ns: str, parts: Collection[str]) -> Mapping[str, Mapping[str, Any]]:
        """The rows of these partitions of a namespace, decoded: part -> item -> value."""
        ...

    def load_all(self, ns: str) -> Mapping[str, Mapping[str, Any]]:
        """Every row of a namespace, decoded: part -> item -> value."""
        ...


class Table:
    """One namespace of a projection's facts: part -> item -> value."""

    __slots__ = ("_loader", "data", "kept", "ns", "pending", "whole")

    def __init__(self, ns: str, loader: Loader | None = None, *, kept: bool = True) -> None:
        self.ns = ns
        self._loader = loader
        #: Whether loaded partitions stay in memory once their changes are stored.
        #: A table the fold only writes (a topic's history) is not kept: its
        #: rows are read back by the queries that ask for them, and a writer's
        #: memory, and the collector's work over it, stay small.
        self.kept = kept
        #: The partitions in memory, each complete.
        self.data: dict[str, dict[str, Any]] = {}
        #: Changes not yet stored (only when there is a loader, i.e. a store to write to).
        self.pending: dict[str, dict[str, Any]] | None = None if loader is None else {}
        #: Whether every partition is in memory (absent ones are empty).
        self.whole = loader is None

    def part(self, part: str) -> dict[str, Any]:
        """A partition, loaded if needed; a missing one is empty (and not kept)."""
        found = self.data.get(part)
        if found is not None:
            return found
        if self.whole:
            return {}
        self.fetch((part,))
        return self.data[part]

    def get(self, part: str, item: str = "") -> Any:
        """One row's value, or None."""
        found = self.data.get(part)
        if found is None:
            if self.whole:
                return None
            found = self.part(part)
        return found.get(item)

    def fetch(self, parts: Collection[str]) -> None:
        """Load the partitions among parts that are not in memory, in one request."""
        if self.whole or self._loader is None:
            return
        missing = [p for p in dict.fromkeys(parts) if p not in self.data]
        if not missing:
            return
        loaded = self._loader.load(self.ns, missing)
        for part in missing:
            self.data[part] = self._merged(part, loaded.get(part))

    def fetch_all(self) -> None:
        """Load every partition, in one request."""
        if self.whole or self._loader is None:
            return
        loaded = self._loader.load_all(self.ns)
        for part, rows in loaded.items():
            if part not in self.data:
                self.data[part] = self._merged(part, rows)
        for part in self.pending or ():
            if part not in self.data:
                self.data[part] = self._merged(part, None)
        self.whole = True

    def _merged(self, part: str, rows: Mapping[str, Any] | None) -> dict[str, Any]:
        # Changes not stored yet stand over what the store holds.
        found = dict(rows) if rows else {}
        waiting = self.pending.get(part) if self.pending else None
        if waiting:
            for item, value in waiting.items():
                if value is DELETED:
                    found.pop(item, None)
                else:
                    found[item] = value
        return found

    def size(self) -> int:
        """How many partitions are in memory."""
        return len(self.data)

    def waiting(self) -> int:
        """How many partitions have changes not yet stored."""
        return len(self.pending) if self.pending else 0

    def assume_whole(self) -> None:
        """Every partition is in memory: the store holds none of this table's rows yet."""
        self.whole = True

    def put(self, part: str, item: str, value: Any) -> None:
        """Set a row; the partition need not be in memory."""
        found = self.data.get(part)
        if found is not None:
            found[item] = value
        elif self.whole:
            self.data[part] = {item: value}
        if self.pending is not None:
            self.pending.setdefault(part, {})[item] = value

    def delete(self, part: str, item: str = "") -> None:
        """Remove a row, if there is one."""
        found = self.data.get(part)
        if found is not None:
            found.pop(item, None)
        if self.pending is not None:
            self.pending.setdefault(part, {})[item] = DELETED

    def parts(self) -> list[str]:
        """Every partition with rows, sorted."""
        self.fetch_all()
        return sorted(p for p, rows in self.data.items() if rows)

    def items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every partition with rows and its rows, in no particular order."""
        self.fetch_all()
        return ((p, rows) for p, rows in self.data.items() if rows)

    def changes(self) -> Iterator[tuple[str, str, Any]]:
        """The pending changes: (part, item, value or DELETED)."""
        for part, rows in (self.pending or {}).items():
            for item, value in rows.items():
                yield part, item, value

    def settle(self) -> None:
        """The pending changes are stored: forget them (and the partitions, if not kept)."""
        if self.pending is not None:
            self.pending.clear()
        if not self.kept:
            self.forget()

    def forget(self) -> None:
        """Drop what is in memory (the store changed, or a write failed); reload on demand."""
        if self._loader is None:
            return
        self.data.clear()
        self.whole = False
        if self.pending is not None:
            self.pending.clear()


class Entries(Table):
    """A table whose rows are only ever added, stored grouped: one stored row per write.

    In memory a partition is ``item -> value`` as in any table; in the store,
    the entries a write adds to a partition are one row, keyed by the least
    position among them (``chunk_key``) and holding the list of
    ``(item, *value)``. A topic's history gains an entry per figure: a bulk
    write of 100,000 records stores a row per topic it touched instead of a
    row per figure, and the rows, their keys and their encoding are a
    fraction of the cost. ``position`` says where a value keeps its record's
    position (an int), unique per entry.
    """

    __slots__ = ("position",)

    def __init__(self, ns: str, loader: Loader | None = None, *, position: int) -> None:
        super().__init__(ns, loader, kept=False)
        self.position = position

    def delete(self, part: str, item: str = "") -> None:
        raise TypeError(f"the entries of table {self.ns!r} are never removed")

    def _merged(self, part: str, rows: Mapping[str, Any] | None) -> dict[str, Any]:
        # Each stored row is a list of entries; the changes not stored yet follow them.
        found: dict[str, Any] = {}
        for chunk in rows.values() if rows else ():
            found.update(entries_of(chunk))
        waiting = self.pending.get(part) if self.pending else None
        if waiting:
            found.update(waiting)
        return found

    def changes(self) -> Iterator[tuple[str, str, Any]]:
        at = self.position
        for part, added in (self.pending or {}).items():
            if added:
                first = min(value[at] for value in added.values())
                yield part, chunk_key(first), [(item, *value) for item, value in added.items()]


def entries_of(chunk: Iterable[tuple[Any, ...]]) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """The (item, value) of each entry a stored Entries row holds (each is ``(item, *value)``)."""
    return ((entry[0], entry[1:]) for entry in chunk)


def chunk_key(position: int) -> str:
    """The item of an Entries row whose least entry is at position: sorts as positions do."""
    return f"{position:020d}"


#: A Lookup's partition known to hold no row (loaded and found empty, or removed).
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()
_UNLOADED: Any = object()


class Lookup(Table):
    """A table of one row per partition, item ``""``: part -> value, with Table's interface."""

    __slots__ = ()

    # data: part -> value, or ABSENT for a partition known to be empty;
    # pending: part -> value, or DELETED.

    def value(self, part: str) -> Any:
        """The partition's value (None is a value), or ABSENT if it has none."""
        found = self.data.get(part, _UNLOADED)
        if found is _UNLOADED:
            if self.whole:
                return ABSENT
            self.fetch((part,))
            found = self.data[part]
        return found

    def part(self, part: str) -> dict[str, Any]:
        found = self.value(part)
        return {} if found is ABSENT else {"": found}

    def get(self, part: str, item: str = "") -> Any:
        found = self.data.get(part, _UNLOADED)
        if found is _UNLOADED:
            if self.whole:
                return None
            found = self.value(part)
        return None if found is ABSENT or item else found

    def _merged(self, part: str, rows: Mapping[str, Any] | None) -> Any:
        # Table.fetch and fetch_all keep what this returns: the value, or ABSENT.
        # A change not stored yet stands over what the store holds.
        waiting = self.pending.get(part, ABSENT) if self.pending else ABSENT
        if waiting is not ABSENT:
            return ABSENT if waiting is DELETED else waiting
        if rows is None or "" not in rows:
            return ABSENT
        return rows[""]

    def put(self, part: str, item: str, value: Any) -> None:
        self.data[part] = value
        if self.pending is not None:
            self.pending[part] = value

    def delete(self, part: str, item: str = "") -> None:
        self.data[part] = ABSENT
        if self.pending is not None:
            self.pending[part] = DELETED

    def parts(self) -> list[str]:
        self.fetch_all()
        return sorted(p for p, value in self.data.items() if value is not ABSENT)

    def items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        self.fetch_all()
        return ((p, {"": value}) for p, value in self.data.items() if value is not ABSENT)

    def changes(self) -> Iterator[tuple[str, str, Any]]:
        for part, value in (self.pending or {}).items():
            yield part, "", value
