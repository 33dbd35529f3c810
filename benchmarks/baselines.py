"""What the ledger is measured against: raw sqlite3, and the eventsourcing library.

* ``RawStore``: the same stored rows (the codec's canonical JSON, byte for
  byte) in a plain table with the ledger's columns, its primary key and its
  unique event_id, under the ledger's pragmas (WAL, synchronous=FULL, BEGIN
  IMMEDIATE). No triggers, no checks, no Merkle edge: the floor for a
  durable append of those bytes.
* ``raw_fold``: a sqlite3 + orjson loop that reads every row in position
  order and folds it into each topic's current figures (latest by
  (stated_at, position), retracted ones dropped, composites derived from
  their parts) and their hull: the practical limit for a full replay that
  answers "what is each topic's range now". It keeps no typed events, no
  disputes and no consensus, which the ledger does.
* ``EventsourcingBaseline``: what a user would build on the ``eventsourcing``
  library (extra ``bench``): one aggregate per topic on its SQLite recorder,
  each ledger event stored as an aggregate event carrying the same data
  (disputes and retractions go to their target's topic), and a rebuild that
  reads every aggregate back through the repository and folds the same
  hulls.

The three folds return the same mapping, topic -> hull as a tuple
``(low, high, low_open, high_open)`` or None, so the harness can check that
they agree with the ledger's ``TopicView.range`` before it trusts a timing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson

from ledger.codec import StoredRow

__all__ = [
    "EventsourcingBaseline",
    "Hull",
    "RawStore",
    "fold_hulls",
    "raw_fold",
]

# (low, high, low_open, high_open); None bounds are unbounded.
Hull = tuple[Any, Any, bool, bool]
# What a fold keeps of a current figure: (low, high, low_open, high_open).
Bounds = tuple[Any, Any, bool, bool]

_RAW_TABLE = """CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY,
    event_id    TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    schema      INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    data        TEXT NOT NULL,
    hash        TEXT NOT NULL
)"""
_INSERT = (
    "INSERT INTO events (position, event_id, type, schema, recorded_at, data, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _values(row: StoredRow) -> tuple[Any, ...]:
    return (row.position, row.event_id, row.type, row.schema, row.recorded_at, row.data, row.hash)


class RawStore:
    """The same rows in a plain SQLite table: the floor for durable appends."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute(_RAW_TABLE)

    def insert_many(self, rows: Sequence[StoredRow]) -> None:
        """One transaction, one executemany: a batched durable append."""
        values = [_values(r) for r in rows]
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(_INSERT, values)
        self.conn.execute("COMMIT")

    def insert_one(self, row: StoredRow) -> None:
        """One transaction, one row: a single durable append."""
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(_INSERT, _values(row))
        self.conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


# -- the fold shared by the baselines ---------------------------------------


def _hull(figures: Sequence[Bounds]) -> Hull | None:
    """The hull as DESIGN.md §4 defines the range."""
    if not figures:
        return None
    lows = [f[0] for f in figures]
    highs = [f[1] for f in figures]
    low = None if None in lows else min(lows)
    high = None if None in highs else max(highs)
    low_open = low is not None and all(f[2] for f in figures if f[0] == low)
    high_open = high is not None and all(f[3] for f in figures if f[1] == high)
    return (low, high, low_open, high_open)


def _derive(parts: Sequence[Bounds]) -> Bounds:
    lows = [p[0] for p in parts]
    highs = [p[1] for p in parts]
    low = None if None in lows else sum(lows)
    high = None if None in highs else sum(highs)
    # An unbounded side has no end to be open, nor has a single point.
    return (
        low,
        high,
        low is not None and low != high and any(p[2] for p in parts),
        high is not None and low != high and any(p[3] for p in parts),
    )


def fold_hulls(
    current: dict[str, dict[str, Bounds]],
    parts: dict[str, Sequence[str]],
    mentioned: Iterable[str],
) -> dict[str, Hull | None]:
    """Each mentioned topic's hull, composites derived from their parts' current figures."""
    memo: dict[str, dict[str, Bounds]] = {}

    def figures(topic: str) -> dict[str, Bounds]:
        if topic in memo:
            return memo[topic]
        memo[topic] = {}  # a guard: validated logs have no cycles
        own = dict(current.get(topic, {}))
        topic_parts = parts.get(topic, ())
        if topic_parts:
            by_part = [figures(p) for p in topic_parts]
            common = set.intersection(*(set(p) for p in by_part))
            for source in common:
                if source not in own:
                    own[source] = _derive([p[source] for p in by_part])
        memo[topic] = own
        return own

    return {t: _hull(list(figures(t).values())) for t in mentioned}


def raw_fold(path: str | Path, stats: dict[str, int] | None = None) -> dict[str, Hull | None]:
    """Every row read with sqlite3 and orjson, folded into each topic's current hull.

    ``stats``, when given, receives the shape of the log: the figures
    reported, the (topic, source) pairs that reported one, and the current
    figures (each pair's latest, unless retracted; composites not derived).
    """
    conn = sqlite3.connect(str(path))
    loads = orjson.loads
    # claim_id -> (order key, bounds) of every figure
    claims: dict[str, tuple[tuple[str, int], Bounds]] = {}
    latest: dict[str, dict[str, str]] = {}  # topic -> source -> claim_id
    retracted: set[str] = set()
    parts: dict[str, Sequence[str]] = {}
    mentioned: set[str] = set()
    try:
        rows = conn.execute("SELECT position, type, data FROM events ORDER BY position")
        for position, kind, text in rows:
            data = loads(text)
            if kind == "FigureReported":
                claim_id = data["claim_id"]
                if claim_id in claims:
                    continue
                f = data["figure"]
                # Timestamps are canonical ISO text; whole seconds compare as text.
                key = (data["stated_at"], position)
                claims[claim_id] = (key, (f["low"], f["high"], f["low_open"], f["high_open"]))
                topic = data["topic"]
                mentioned.add(topic)
                sources = latest.setdefault(topic, {})
                source = data["source"]
                current = sources.get(source)
                if current is None or claims[current][0] < key:
                    sources[source] = claim_id
            elif kind == "ClaimRetracted":
                retracted.add(data["target"])
            elif kind == "ClaimMade":
                mentioned.add(data["topic"])
            elif kind == "TopicDefined":
                parts[data["topic"]] = data["parts"]
                mentioned.add(data["topic"])
    finally:
        conn.close()
    current = {
        topic: {s: claims[c][1] for s, c in sources.items() if c not in retracted}
        for topic, sources in latest.items()
    }
    if stats is not None:
        stats["figures_reported"] = len(claims)
        stats["pairs"] = sum(len(sources) for sources in latest.values())
        stats["current"] = sum(len(figures) for figures in current.values())
    return fold_hulls(current, parts, mentioned)


# -- eventsourcing ------------------------------------------------------------

_TOPIC_NAMESPACE = uuid5(NAMESPACE_URL, "https://claims-ledger.example/bench/topic")


try:  # the `bench` extra
    from eventsourcing.domain import Aggregate, event
except ImportError:  # pragma: no cover - without the extra, only this baseline is missing
    Aggregate = None

if Aggregate is not None:
    # At module level, so that eventsourcing can resolve the event classes' topics on read.

    class TopicAggregate(Aggregate):  # type: ignore[misc]
        """One topic's events, folded into its current figures."""

        @staticmethod
        def create_id(topic: str) -> UUID:
            return uuid5(_TOPIC_NAMESPACE, topic)

        @event("Started")
        def __init__(self, topic: str) -> None:
            self.topic = topic
            self.parts: list[str] = []
            self.figures: dict[str, tuple[tuple[str, int], Bounds]] = {}
            self.latest: dict[str, str] = {}
            self.retracted: set[str] = set()
            self.disputes: dict[str, list[str]] = {}

        @event("Recorded")
        def record(self, position: int, kind: str, data: dict[str, Any]) -> None:
            if kind == "FigureReported":
                f = data["figure"]
                key = (data["stated_at"], position)
                claim_id = data["claim_id"]
                self.figures[claim_id] = (
                    key,
                    (f["low"], f["high"], f["low_open"], f["high_open"]),
                )
                source = data["source"]
                current = self.latest.get(source)
                if current is None or self.figures[current][0] < key:
                    self.latest[source] = claim_id
            elif kind == "ClaimRetracted":
                self.retracted.add(data["target"])
            elif kind == "ClaimDisputed":
                self.disputes.setdefault(data["target"], []).append(data["source"])
            elif kind == "TopicDefined":
                self.parts = list(data["parts"])

        def current(self) -> dict[str, Bounds]:
            """Each source's current figure: its latest, unless retracted."""
            return {
                s: self.figures[c][1] for s, c in self.latest.items() if c not in self.retracted
            }


class EventsourcingBaseline:
    """The same events as one eventsourcing aggregate per topic, on its SQLite recorder."""

    def __init__(self, path: str | Path) -> None:
        from eventsourcing.application import Application

        if Aggregate is None:
            raise RuntimeError("the eventsourcing baseline needs the `bench` extra")
        self.path = str(path)
        self._application = Application
        self.app = self._open()
        self.aggregate = TopicAggregate
        self._live: dict[str, Any] = {}  # topic -> aggregate, while storing
        self._claim_topic: dict[str, str] = {}
        self.topics: list[str] = []

    def _open(self) -> Any:
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": self.path}
        return self._application(env=env)

    def store(self, rows: Sequence[StoredRow]) -> None:
        """Record a batch of rows as aggregate events, saved in one call (one transaction)."""
        touched: dict[str, Any] = {}
        for row in rows:
            data = orjson.loads(row.data)
            topic = data.get("topic")
            if topic is None:
                target = data.get("target")
                if target is None:
                    continue  # SourceDescribed bears on no topic
                topic = self._claim_topic[target]
            elif "claim_id" in data:
                self._claim_topic[data["claim_id"]] = topic
            aggregate = self._live.get(topic)
            if aggregate is None:
                aggregate = self.aggregate(topic=topic)
                self._live[topic] = aggregate
                self.topics.append(topic)
            aggregate.record(row.position, row.type, data)
            touched[topic] = aggregate
        if touched:
            self.app.save(*touched.values())

    @property
    def index_path(self) -> Path:
        """Where the list of topic aggregates is kept: the repository has no listing."""
        return Path(self.path + ".topics.json")

    def finish_storing(self) -> None:
        """Drop what storing kept in memory and write the topic index, so a rebuild starts cold."""
        self._live.clear()
        self._claim_topic.clear()
        self.app.close()
        self.index_path.write_bytes(orjson.dumps(self.topics))

    @classmethod
    def reopen(cls, path: str | Path) -> EventsourcingBaseline:
        """The baseline over a file stored earlier, with its topic index."""
        baseline = cls(path)
        baseline.app.close()
        baseline.topics = list(orjson.loads(baseline.index_path.read_bytes()))
        return baseline

    def rebuild(self) -> dict[str, Hull | None]:
        """A fresh application reads every aggregate back and folds the same hulls."""
        app = self._open()
        try:
            get = app.repository.get
            create_id = self.aggregate.create_id
            current: dict[str, dict[str, Bounds]] = {}
            parts: dict[str, Sequence[str]] = {}
            for topic in self.topics:
                aggregate = get(create_id(topic))
                current[topic] = aggregate.current()
                if aggregate.parts:
                    parts[topic] = aggregate.parts
            return fold_hulls(current, parts, self.topics)
        finally:
            app.close()
