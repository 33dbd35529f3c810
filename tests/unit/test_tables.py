"""The projection tables: loaded partition by partition, they answer as if whole in memory.

A table over a loader (the store's read model) sees only what it has loaded
and the changes it has not stored yet; whatever the interleaving of writes,
stores, forgets and loads, every read equals a plain dict of what was
written. A Lookup (one row per partition) keeps None as a value.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ledger import ClaimDisputed, ClaimMade, Event, Figure, FigureReported
from ledger.projections.facts import CLAIM, FIGURE, ClaimFact, Facts, HistoryFact, figure_of
from ledger.projections.rows import decode_value, encode_value
from ledger.projections.tables import DELETED, Lookup, Table


class Store:
    """A loader over a dict of stored rows, counting the partitions it is asked for."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.asked = 0

    def load(self, ns: str, parts: Collection[str]) -> Mapping[str, Mapping[str, Any]]:
        self.asked += len(parts)
        return {p: dict(self.rows[p]) for p in parts if p in self.rows}

    def load_all(self, ns: str) -> Mapping[str, Mapping[str, Any]]:
        return {p: dict(rows) for p, rows in self.rows.items()}

    def store(self, table: Table) -> None:
        for part, item, value in table.changes():
            rows = self.rows.setdefault(part, {})
            if value is DELETED:
                rows.pop(item, None)
            else:
                rows[item] = value
            if not rows:
                del self.rows[part]
        table.settle()


PARTS = st.sampled_from(["a", "b", "c", "d"])
ITEMS = st.sampled_from(["", "x", "y"])
VALUES = st.one_of(st.none(), st.integers(0, 3))
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("put"), PARTS, ITEMS, VALUES),
        st.tuples(st.just("delete"), PARTS, ITEMS, st.none()),
        st.tuples(st.sampled_from(["store", "forget", "fetch_all"]), PARTS, ITEMS, st.none()),
        st.tuples(st.just("fetch"), PARTS, ITEMS, st.none()),
    ),
    max_size=40,
)


def expected_reads(table: Table, model: dict[str, dict[str, Any]]) -> None:
    for part in ("a", "b", "c", "d"):
        assert table.part(part) == model.get(part, {})
        for item in ("", "x", "y"):
            assert table.get(part, item) == model.get(part, {}).get(item)


def run(table: Table, store: Store, steps: list[tuple[str, str, str, Any]], single: bool) -> None:
    model: dict[str, dict[str, Any]] = {}
    for action, part, item, value in steps:
        if single:
            item = ""  # a Lookup has the one item
        if action == "put":
            table.put(part, item, value)
            model.setdefault(part, {})[item] = value
        elif action == "delete":
            table.delete(part, item)
            model.get(part, {}).pop(item, None)
        elif action == "store":
            store.store(table)
        elif action == "forget":
            store.store(table)  # what is forgotten must have been stored first
            table.forget()
        elif action == "fetch":
            table.fetch((part,))
        else:
            table.fetch_all()
        model = {p: rows for p, rows in model.items() if rows}
        expected_reads(table, model)
    assert table.parts() == sorted(model)
    assert dict(table.items()) == model


@given(STEPS)
def test_a_table_over_a_loader_reads_what_was_written(
    steps: list[tuple[str, str, str, Any]],
) -> None:
    store = Store()
    run(Table("t", store), store, steps, single=False)


@given(STEPS)
def test_a_lookup_over_a_loader_reads_what_was_written(
    steps: list[tuple[str, str, str, Any]],
) -> None:
    store = Store()
    run(Lookup("t", store), store, steps, single=True)


@given(STEPS)
def test_whole_tables_read_what_was_written(steps: list[tuple[str, str, str, Any]]) -> None:
    kept = [s for s in steps if s[0] in ("put", "delete")]
    run(Table("t"), Store(), kept, single=False)
    run(Lookup("t"), Store(), kept, single=True)


def test_a_lookup_keeps_none_as_a_value_and_loads_a_partition_once() -> None:
    store = Store()
    store.rows = {"a": {"": None}}
    table = Lookup("t", store)
    assert table.value("a") is None
    assert table.part("a") == {"": None}
    assert table.get("a") is None
    assert table.part("b") == {}
    assert store.asked == 2
    table.part("a")
    table.part("b")
    assert store.asked == 2  # both known now: found, and found empty


def test_the_facts_kept_for_every_claim_and_figure_are_left_untracked_by_the_collector() -> None:
    # A long fold holds a claim row and a history entry for every record, and
    # a row for every current figure, current claim on a proposition and
    # dispute: as plain tuples of strings, numbers and datetimes (a figure as
    # the tuple of its fields) the collector stops tracking them, so its full
    # collections do not walk them. Read back from a read model's rows they
    # are the same plain tuples.
    stated = datetime(2024, 8, 6, tzinfo=UTC)
    figure = Figure(10, 20, unit="people", phrase="10 to 20")
    made = ClaimMade(
        claim_id="c2", topic="t", source="s2", statement="So.", proposition="p", stated_at=stated
    )
    events: list[Event] = [
        FigureReported(claim_id="c1", topic="t", source="s1", figure=figure, stated_at=stated),
        made,
        FigureReported(claim_id="c3", topic="u", source="s1", figure=figure, stated_at=stated),
        ClaimDisputed(target="c1", source="s2", reason="too low", stated_at=stated),
    ]
    facts = Facts(Store())  # over a read model (empty): the rows it would store
    facts.whole()
    for position, event in enumerate(events, 1):
        facts.apply(position, event)
    kept = {
        "claim": facts.claims.get("c1"),
        "history": facts.history.get("t", "c1"),
        "figure": facts.figures.get("t", "s1"),
        "proposition": facts.propositions.get("t", "p|s2"),
        "dispute": facts.disputes.get("t", "4"),
    }
    rows = [*kept.values(), facts.claims.get("c2")]
    read_back = {
        table: decode_value(table, encode_value(table, row))
        for table, row in kept.items()
        if table != "history"
    }
    # A row of history holds the entries one write added: each read back as a plain tuple.
    (entry,) = decode_value("history", encode_value("history", [("c1", *kept["history"])]))
    read_back["history"] = entry[1:]
    rows += [*read_back.values(), entry]
    # A current figure's row holds its figure's row: the outer tuple is let go
    # on the collection after the one that let go of the inner.
    gc.collect()
    gc.collect()
    assert [type(row) for row in rows] == [tuple] * len(rows)
    assert not any(gc.is_tracked(row) for row in rows)
    # The figure's own fields, built back as the Figure that was reported.
    assert figure_of(kept["figure"][4]) == figure
    assert facts.figure("t", "s1") == (
        "c1",
        1,
        stated,
        stated,
        (10, 20, False, False, None, "people", "10 to 20", None),
        False,
        ("s2",),
    )
    assert facts.disputes_of("t")["4"].reason == "too low"
    assert facts.propositions_of("t")["p|s2"].claim_id == "c2"
    assert read_back == kept
    assert entry[0] == "c1"
    # Asked for, they are the named facts.
    assert facts.claim("c1") == ClaimFact("t", "s1", FIGURE, 1, stated, None)
    assert facts.claim("c2") == ClaimFact("t", "s2", CLAIM, 2, stated, "p")
    assert facts.history_of("t") == {"c1": HistoryFact("s1", 1, stated)}
    assert facts.claim("c4") is None


def test_a_fold_that_keeps_its_events_reads_the_history_from_them() -> None:
    # A fold from the first record (as_of, a replay, memory://) keeps every
    # event by position and no history table: the same history, read from
    # the events when first asked, and kept up as the fold goes on.
    stated = datetime(2024, 8, 6, tzinfo=UTC)
    figure = Figure(10, 20, unit="people")

    def reported(claim_id: str, topic: str, source: str) -> FigureReported:
        return FigureReported(
            claim_id=claim_id, topic=topic, source=source, figure=figure, stated_at=stated
        )

    first = [reported("c1", "t", "s1"), reported("c2", "u", "s1"), reported("c1", "t", "s2")]
    later = [reported("c3", "t", "s2"), reported("c4", "v", "s3")]
    kept, tabled = Facts(), Facts(Store())
    tabled.whole()
    for facts in (kept, tabled):
        for position, event in enumerate(first, 1):
            facts.apply(position, event)
    assert kept.history.size() == 0
    # The second c1 (a claim_id seen twice, in an unvalidated log) is not history.
    assert kept.history_of("t") == tabled.history_of("t") == {"c1": HistoryFact("s1", 1, stated)}
    for facts in (kept, tabled):
        for position, event in enumerate(later, len(first) + 1):
            facts.apply(position, event)
    for topic in ("t", "u", "v", "w"):
        assert kept.history_of(topic) == tabled.history_of(topic)
    assert set(kept.history_of("t")) == {"c1", "c3"}
