"""A snapshot plus the tail of the log always equals a full replay.

The ledger is written with a snapshot taken every few records, then maybe
grown by a writer that keeps no snapshot, then maybe its snapshot file is
damaged; reopened, every view equals a ledger that replayed the whole log.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import Ledger
from ledger.domain.events import Event

from .strategies import event_sequences

DAMAGES = [
    "none",
    "garbage",
    "truncated",
    "deleted",
    "rows-removed",
    "moved-position",
    "dangling-topic",
    "text-topic",
    "dangling-claim",
    "foreign",
]
# The last index row of a topic (not a definition or a source description).
LAST_TOPIC_ROW = (
    "SELECT max(position) FROM topic_events WHERE topic != (SELECT id FROM topics WHERE topic = '')"
)


def views(lg: Ledger) -> object:
    return (lg.head, lg.topics(), lg.propositions(), lg.disputes())


def one_by_one(lg: Ledger, reference: Ledger, order: list[int]) -> None:
    """Each topic asked about on its own, in some order, as a reader of one topic would."""
    names = [t.topic for t in reference.topics()]
    for i in order:
        if not names:
            break
        name = names[i % len(names)]
        assert lg.topic(name) == reference.topic(name)
        assert lg.propositions(name) == reference.propositions(name)
        assert lg.disputes(name) == reference.disputes(name)


def damage(path: str, how: str, other: str) -> None:
    snapshot = path + ".snapshot"
    if how == "none" or not os.path.exists(snapshot):
        return
    if how == "garbage":
        size = os.path.getsize(snapshot)
        with open(snapshot, "r+b") as f:
            f.seek(min(100, size))
            f.write(os.urandom(max(size - 100, 1)))
    elif how == "truncated":
        with open(snapshot, "r+b") as f:
            f.truncate(os.path.getsize(snapshot) // 2)
    elif how == "deleted":
        os.remove(snapshot)
    elif how == "rows-removed":
        with sqlite3.connect(snapshot) as conn:
            conn.execute(f"DELETE FROM topic_events WHERE position = ({LAST_TOPIC_ROW})")
    elif how == "moved-position":
        with sqlite3.connect(snapshot) as conn:
            conn.execute("INSERT OR IGNORE INTO topics (topic) VALUES ('war/elsewhere')")
            conn.execute(
                "UPDATE OR IGNORE topic_events SET topic = "
                "(SELECT id FROM topics WHERE topic = 'war/elsewhere') "
                f"WHERE position = ({LAST_TOPIC_ROW})"
            )
    elif how in ("dangling-topic", "text-topic"):
        moved_to = "999999" if how == "dangling-topic" else "'war/elsewhere'"
        with sqlite3.connect(snapshot) as conn:
            conn.execute(
                f"UPDATE OR IGNORE topic_events SET topic = {moved_to} "
                f"WHERE position = ({LAST_TOPIC_ROW})"
            )
    elif how == "dangling-claim":
        with sqlite3.connect(snapshot) as conn:
            conn.execute("UPDATE claims SET topic = 999999")
    elif how == "foreign":
        # Another ledger's snapshot put in place of this one.
        os.replace(other + ".snapshot", snapshot)


@settings(max_examples=25)
@given(
    event_sequences(min_size=1, max_size=16),
    st.sampled_from([".db", ".jsonl"]),
    st.integers(1, 5),
    st.integers(0, 16),
    st.integers(0, 4),
    st.sampled_from(DAMAGES),
    st.lists(st.integers(0, 50), max_size=4),
)
def test_a_snapshot_plus_the_tail_equals_a_full_replay(
    events: list[Event], suffix: str, every: int, cut: int, grown: int, how: str, order: list[int]
) -> None:
    cut = min(cut, len(events))
    grown = min(cut + grown, len(events))
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / f"log{suffix}")
        other = str(Path(tmp) / f"other{suffix}")
        with Ledger.open(path, snapshot_every=every) as lg:
            lg.extend(events[:cut])
        with Ledger.open(other, snapshot_every=1) as lg:
            lg.extend(events[: max(1, cut // 2)])
        with Ledger.open(path, snapshot_every=None) as lg:
            lg.extend(events[cut:grown])
        damage(path, how, other)
        reference = Ledger.open("memory://", snapshot_every=None)
        reference.extend(events[:grown])
        with Ledger.open(path, snapshot_every=every) as lg:
            if how != "moved-position":
                # A row moved to another topic is found when that topic is read
                # (or every topic is), not by a reader of the topic it left:
                # docs/storage.md, "What it is not".
                one_by_one(lg, reference, order)
            assert views(lg) == views(reference)
            lg.extend(events[grown:])
            reference.extend(events[grown:])
            assert views(lg) == views(reference)
        with Ledger.open(path, snapshot_every=every) as lg:
            assert views(lg) == views(reference)
