"""The read model beside the log: where it lives, what a query reads, and everything it survives.

The read model is a cache, never evidence: whatever happens to it (missing,
stale, foreign, damaged) the views are those of a full replay of the log,
with a warning, never an error.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import psycopg
import pytest

from ledger import (
    ClaimDisputed,
    FigureReported,
    Ledger,
    LedgerView,
    SourceDescribed,
    TopicDefined,
)
from ledger.codec import make_codec
from ledger.facade import keeper
from ledger.stores.postgres import split_url
from ledger.stores.readmodel import SQLiteModel
from tests.integration.contract.builders import T0, claim, dispute, figure, retract, topic
from tests.integration.projections import FiguresPerSource, by_hand
from tests.pg_server import other_database

FILE_KINDS = [".db", ".jsonl"]


def story(offset: int = 0) -> list[object]:
    """A few topics, a composite, voices, disputes and a retraction."""
    n = offset
    return [
        topic(),
        TopicDefined(topic="kursk/killed", title="Killed", unit="people"),
        TopicDefined(topic="kursk/other", title="Other", unit="people"),
        SourceDescribed(source="src/a", name="A", affiliation="ukraine"),
        SourceDescribed(source="src/b", name="B", affiliation="ukraine"),
        figure(n + 1, "src/a", 100, 200),
        figure(n + 2, "src/b", 150, 250),
        figure(n + 3, "src/c", 400, 500),
        claim(n + 4, "src/c"),
        dispute(n + 5, f"c{n + 1}", "src/c"),
        retract(n + 6, f"c{n + 2}", "src/b"),
    ]


def views(lg: LedgerView) -> tuple[object, ...]:
    """Everything the built-in views answer."""
    return (
        lg.topics(),
        lg.propositions(),
        lg.disputes(),
        [lg.history(t.topic) for t in lg.topics()],
        lg.claim("c1"),
        lg.definition("kursk/casualties"),
        lg.source("src/a"),
    )


def replayed(lg: Ledger) -> tuple[object, ...]:
    return views(LedgerView.replay(r.event for r in lg.records()))


@pytest.fixture
def path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    suffix = getattr(request, "param", ".db")
    return tmp_path / f"log{suffix}"


def build(path: Path) -> None:
    with Ledger.open(str(path)) as lg:
        lg.extend(story())  # type: ignore[arg-type]


def model_file(path: Path) -> Path:
    return path if path.suffix == ".db" else Path(f"{path}.readmodel")


def sql(path: Path, *statements: str) -> None:
    """Run statements on the SQLite file that holds the read model, as damage would."""
    conn = sqlite3.connect(model_file(path), isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


# -- where it lives -----------------------------------------------------------------


def test_a_sqlite_ledger_keeps_its_read_model_in_its_own_file_at_the_head(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    build(path)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "log.db"
    ]
    conn = sqlite3.connect(path)
    try:
        meta = conn.execute("SELECT name, version, position FROM model_meta").fetchall()
        rows = conn.execute("SELECT count(*) FROM model_rows").fetchone()[0]
    finally:
        conn.close()
    assert meta == [("ledger", keeper.MODEL_VERSION, len(story()))]
    assert rows > 0


@pytest.mark.parametrize("path", [".jsonl"], indirect=True)
def test_a_jsonl_ledger_keeps_its_read_model_beside_it_and_an_empty_one_makes_none(
    path: Path,
) -> None:
    with Ledger.open(str(path)) as lg:
        assert lg.topics() == []
    assert not Path(f"{path}.readmodel").exists()
    build(path)
    assert Path(f"{path}.readmodel").exists()
    with Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_one_topic_reads_only_the_rows_of_that_topic_and_its_sources(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(path)
    with Ledger.open(str(path)) as lg:
        lg.append(figure(50, "src/z", 1, 2))  # on kursk/casualties too
        lg.append(TopicDefined(topic="far/away", title="Far", unit="people"))
    asked: list[tuple[str, tuple[str, ...]]] = []
    whole: list[str] = []
    load, load_all = SQLiteModel.load, SQLiteModel.load_all

    def counting_load(self: SQLiteModel, table: str, parts: object) -> object:
        asked.append((table, tuple(parts)))  # type: ignore[arg-type]
        return load(self, table, parts)  # type: ignore[arg-type]

    def counting_all(self: SQLiteModel, table: str) -> object:
        whole.append(table)
        return load_all(self, table)

    monkeypatch.setattr(SQLiteModel, "load", counting_load)
    monkeypatch.setattr(SQLiteModel, "load_all", counting_all)
    with Ledger.open(str(path)) as lg:
        view = lg.topic("kursk/casualties")
    assert whole == []
    named = {part for _, parts in asked for part in parts}
    assert named <= {"kursk/casualties", *(f.source for f in view.figures)}


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_a_single_append_asks_the_read_model_only_for_its_claim(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a writer holds its topic, a new figure costs one request: is its claim_id new?

    (Orphaned disputes, which only a log written without validation holds,
    are loaded once, whole, not looked up for every append.)
    """
    build(path)
    asked: list[tuple[str, tuple[str, ...]]] = []
    load, load_all = SQLiteModel.load, SQLiteModel.load_all

    def counting_load(self: SQLiteModel, table: str, parts: object) -> object:
        asked.append((table, tuple(parts)))  # type: ignore[arg-type]
        return load(self, table, parts)  # type: ignore[arg-type]

    def counting_all(self: SQLiteModel, table: str) -> object:
        asked.append((table, ("*",)))
        return load_all(self, table)

    monkeypatch.setattr(SQLiteModel, "load", counting_load)
    monkeypatch.setattr(SQLiteModel, "load_all", counting_all)
    with Ledger.open(str(path)) as lg:
        lg.append(figure(70, "src/y", 1, 2))
        asked.clear()
        for n in range(71, 75):
            lg.append(figure(n, "src/y", n, n + 1))
        assert asked == [("claim", (f"c{n}",)) for n in range(71, 75)]
        assert views(lg) == replayed(lg)


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_a_dispute_stored_before_its_claim_is_adopted_by_a_later_writer(path: Path) -> None:
    """A log written without validation may hold a dispute before the claim it disputes.

    The read model keeps it aside; a writer in another session, appending
    the claim, finds it there and folds it, as a replay of the log would.
    """
    build(path)
    with Ledger.open(str(path)) as lg:
        head = lg.head
        early = [dispute(80, "c81", "src/a"), retract(82, "c83", "src/c")]
        lg.store.write(make_codec().encode_many(head, early, lg.store.clock()), head)
    with Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)
    with Ledger.open(str(path)) as lg:
        lg.extend([figure(81, "src/c", 10, 20), figure(83, "src/c", 30, 40)])
        assert [d.target for d in lg.disputes()].count("c81") == 1
        assert views(lg) == replayed(lg)
    with Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)
        assert lg.claim("c83") is not None


# -- what it survives ---------------------------------------------------------------


def damage_cases() -> dict[str, Callable[[Path], None]]:
    return {
        "the tables are gone": lambda p: sql(p, "DROP TABLE model_rows", "DROP TABLE model_meta"),
        # Its checkpoint left behind would otherwise vouch for a table made again empty.
        "the rows' table is gone": lambda p: sql(p, "DROP TABLE model_rows"),
        "the checkpoints' table is gone": lambda p: sql(p, "DROP TABLE model_meta"),
        # Tables of another shape: every statement on them fails (no such column).
        "the rows' table is of another shape": lambda p: sql(
            p, "DROP TABLE model_rows", "CREATE TABLE model_rows (x)"
        ),
        "the checkpoints' table is of another shape": lambda p: sql(
            p, "DROP TABLE model_meta", "CREATE TABLE model_meta (x)"
        ),
        "a row does not read back": lambda p: sql(
            p, "UPDATE model_rows SET value = 'not json' WHERE tbl = 'figure'"
        ),
        "a row of the wrong shape": lambda p: sql(
            p, "UPDATE model_rows SET value = '[1, 2]' WHERE tbl = 'figure'"
        ),
        "the checkpoint is of another version": lambda p: sql(
            p, "UPDATE model_meta SET version = 99"
        ),
        "the checkpoint is past the log": lambda p: sql(
            p, "UPDATE model_meta SET position = position + 5"
        ),
        "the checkpoint's edge is garbage": lambda p: sql(p, "UPDATE model_meta SET edge = x'00'"),
        "the checkpoint's root is another log's": lambda p: sql(
            p, "UPDATE model_meta SET edge = zeroblob(length(edge))"
        ),
    }


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
@pytest.mark.parametrize("damage", sorted(damage_cases()))
def test_a_damaged_read_model_gives_the_same_answers_with_a_warning(
    path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    build(path)
    damage_cases()[damage](path)
    with caplog.at_level(logging.WARNING, logger="ledger"), Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)
        lg.append(figure(60, "src/d", 1, 1000))
        assert views(lg) == replayed(lg)
    assert any("read model" in r.getMessage() for r in caplog.records)
    with Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
@pytest.mark.parametrize("damage", sorted(damage_cases()))
def test_a_read_model_damaged_while_a_ledger_has_it_open_never_stops_an_append(
    path: Path, damage: str
) -> None:
    build(path)
    with Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)
        damage_cases()[damage](path)
        lg.append(figure(60, "src/d", 1, 1000))
        lg.extend([figure(61, "src/e", 2, 3), figure(62, "src/f", 4, 5)])
        assert views(lg) == replayed(lg)
    with Ledger.open(str(path)) as lg:
        assert lg.head == len(story()) + 3
        assert views(lg) == replayed(lg)


@pytest.mark.parametrize("path", [".jsonl"], indirect=True)
@pytest.mark.parametrize(
    "how",
    ["missing", "garbage bytes", "empty", "another ledger's", "an older copy of its own"],
)
def test_a_side_file_that_is_not_this_log_s_read_model_is_set_aside(
    path: Path, how: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    side = Path(f"{path}.readmodel")
    build(path)
    if how == "an older copy of its own":
        shutil.copyfile(side, tmp_path / "old")
        with Ledger.open(str(path)) as lg:
            lg.extend([figure(70, "src/e", 5, 6), dispute(71, "c3", "src/e")])
        shutil.copyfile(tmp_path / "old", side)
    elif how == "another ledger's":
        other = tmp_path / "other.jsonl"
        with Ledger.open(str(other)) as lg:
            lg.extend([topic(), figure(1, "src/q", 1, 2)])
        shutil.copyfile(f"{other}.readmodel", side)
    elif how == "missing":
        side.unlink()
    else:
        side.write_bytes(b"" if how == "empty" else b"\x00garbage" * 100)
    for sibling in (Path(f"{side}-wal"), Path(f"{side}-shm")):
        sibling.unlink(missing_ok=True)
    with caplog.at_level(logging.WARNING, logger="ledger"), Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)
    assert caplog.records


@pytest.mark.parametrize("path", [".jsonl"], indirect=True)
def test_a_directory_where_the_side_file_goes_is_left_alone_and_the_log_folded_in_memory(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    side = Path(f"{path}.readmodel")
    build(path)
    for file in (side, Path(f"{side}-wal"), Path(f"{side}-shm")):
        file.unlink(missing_ok=True)
    side.mkdir()
    (side / "theirs").write_text("not ours")
    with caplog.at_level(logging.WARNING, logger="ledger"), Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)
        lg.append(figure(60, "src/d", 1, 1000))
        assert views(lg) == replayed(lg)
    assert any(f"{side}: cannot write the read model" in r.getMessage() for r in caplog.records)
    assert [p.name for p in side.iterdir()] == ["theirs"]


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_records_appended_without_the_read_model_are_caught_up_on_open(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    build(path)
    # An older claims-ledger appends the records and knows nothing of read models.
    with Ledger.open(str(path)) as lg:
        head = lg.head
        events = [
            figure(80, "src/f", 7, 9),
            ClaimDisputed(target="c80", source="src/a", stated_at=T0),
        ]
        rows = make_codec().encode_many(head, events, lg.store.clock())
        lg.store.write(rows, head)
    with caplog.at_level(logging.WARNING, logger="ledger"), Ledger.open(str(path)) as lg:
        assert lg.topic("kursk/casualties").figure_of("src/f") is not None
        assert views(lg) == replayed(lg)


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_an_old_snapshot_file_is_removed_on_open(path: Path) -> None:
    build(path)
    old = Path(f"{path}.snapshot")
    old.write_bytes(b"an index kept by an older claims-ledger")
    Path(f"{old}-wal").write_bytes(b"")
    with Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)
    assert not old.exists()
    assert not Path(f"{old}-wal").exists()


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_another_process_s_appends_are_seen_at_the_next_query(path: Path) -> None:
    build(path)
    with Ledger.open(str(path)) as reader, Ledger.open(str(path)) as writer:
        before = reader.topic("kursk/casualties")
        writer.append(figure(90, "src/g", 1, 3))
        after = reader.topic("kursk/casualties")
        assert after != before
        assert after.figure_of("src/g") is not None
        assert views(reader) == replayed(writer)


# -- large batches: changes that wait in the writer's memory ---------------------------


def spread(start: int, count: int) -> list[FigureReported]:
    """count figures, each on a topic of its own: a batch that changes many partitions."""
    return [
        attrs.evolve(figure(n, f"src/{n % 7}", n, n + 10), topic=f"spread/{n}")
        for n in range(start, start + count)
    ]


def stored_at(lg: Ledger) -> int:
    """The position the ledger's read model stands at in its store."""
    model = lg.store.model("ledger")
    assert model is not None
    found = model.checkpoint()
    return 0 if found is None else found.position


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_a_large_batch_s_changes_wait_in_the_writer_and_close_stores_them(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert keeper.WRITE_SMALL < 4 * 400  # each figure below changes four partitions
    writer = Ledger.open(str(path))
    writer.extend(spread(0, 400))
    assert stored_at(writer) == 0  # the rows wait in the writer's memory
    assert views(writer) == replayed(writer)
    # Another process catches the read model up from the log, and says so.
    with caplog.at_level(logging.WARNING, logger="ledger"), Ledger.open(str(path)) as other:
        assert views(other) == replayed(other)
    assert "building it" in caplog.text
    assert stored_at(writer) == 400
    # The writer sees the read model moved, drops what waited, and goes on.
    writer.extend(spread(400, 400))
    writer.append(figure(900, "src/a", 1, 2))
    assert stored_at(writer) == 400
    assert views(writer) == replayed(writer)
    writer.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ledger"), Ledger.open(str(path)) as lg:
        assert stored_at(lg) == lg.head == 801
        assert views(lg) == replayed(lg)
    assert not caplog.records


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_changes_that_cover_write_every_records_are_stored_with_the_append(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keeper, "WRITE_EVERY", 1_000)
    with Ledger.open(str(path)) as lg:
        lg.extend(spread(0, 600))
        assert stored_at(lg) == 0
        lg.extend(spread(600, 600))  # 1,200 records waiting: stored with this append
        assert stored_at(lg) == lg.head == 1_200
        lg.append(figure(2_000, "src/a", 1, 2))  # a small append is stored at once
        assert stored_at(lg) == lg.head
        assert views(lg) == replayed(lg)


def test_a_writer_that_ends_without_close_leaves_the_log_whole_and_the_next_open_catches_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "log.db"
    with Ledger.open(str(path)) as lg:
        lg.extend(story())  # type: ignore[arg-type]
    writer = Ledger.open(str(path))
    writer.extend(spread(100, 400))
    writer.store.close()  # no close(): the waiting changes are lost with the process
    with caplog.at_level(logging.WARNING, logger="ledger"), Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)
        assert lg.topic("spread/499").figure_of("src/2") is not None
    assert "covers 11 of 411 records: catching up" in caplog.text


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_a_read_only_ledger_folds_in_memory_only_what_a_writer_has_not_stored(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    build(path)
    writer = Ledger.open(str(path))
    writer.extend(spread(100, 400))  # waits in the writer's memory
    with caplog.at_level(logging.WARNING, logger="ledger"):
        reader = Ledger.open(str(path), read_only=True)
        scanned: list[int] = []
        scan = reader.store.scan

        def counting(after: int = 0) -> Iterator[tuple[object, ...]]:
            for values in scan(after):
                scanned.append(values[0])  # type: ignore[arg-type]
                yield values

        reader.store.scan = counting  # type: ignore[method-assign]
        seen = views(reader)
        assert min(scanned) == 12  # the stored rows stand for records 1..11
        assert seen == replayed(reader)
        writer.extend(spread(500, 400))  # more waiting changes, the read model unmoved
        scanned.clear()
        seen = views(reader)
        assert min(scanned) == 412  # only the records appended since
        assert seen == replayed(reader)
        reader.close()
    writer.close()
    assert not caplog.records  # nothing is wrong: no warning
    with Ledger.open(str(path), read_only=True) as lg:
        assert stored_at(lg) == lg.head == 811


# -- PostgreSQL ------------------------------------------------------------------------


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    name = f"t{uuid.uuid4().hex[:12]}"
    return f"{postgres_url}{'&' if '?' in postgres_url else '?'}ledger={name}"


def pg(url: str, *statements: str) -> None:
    ledger = url.rsplit("ledger=", 1)[1]
    with psycopg.connect(split_url(url)[0], autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.replace(":ledger", "%s"), (ledger,) * statement.count(":ledger"))


@pytest.mark.postgres
@pytest.mark.parametrize(
    "damage",
    [
        "DELETE FROM ledger_model_meta WHERE ledger = :ledger",
        "UPDATE ledger_model_rows SET value = 'x' WHERE ledger = :ledger AND tbl = 'figure'",
        "UPDATE ledger_model_meta SET position = position - 2 WHERE ledger = :ledger",
        "UPDATE ledger_model_meta SET version = 99 WHERE ledger = :ledger",
        # Every ledger's rows at once; the next writable open makes the table again.
        "DROP TABLE ledger_model_rows",
    ],
)
def test_a_damaged_postgresql_read_model_gives_the_same_answers(pg_url: str, damage: str) -> None:
    with Ledger.open(pg_url) as lg:
        lg.extend(story())  # type: ignore[arg-type]
    pg(pg_url, damage)
    with Ledger.open(pg_url) as lg:
        assert views(lg) == replayed(lg)
        lg.append(figure(60, "src/d", 1, 1000))
        assert views(lg) == replayed(lg)


#: Read-model tables of another shape (an owner's ALTER): every statement on them fails.
PG_SHAPES = {
    "a rows' column renamed": ["ALTER TABLE ledger_model_rows RENAME COLUMN value TO other"],
    "a checkpoints' column renamed": ["ALTER TABLE ledger_model_meta RENAME COLUMN edge TO other"],
    "a rows' column retyped": [
        "ALTER TABLE ledger_model_rows ALTER COLUMN value TYPE integer USING 0"
    ],
    "a constraint new rows break": [
        "ALTER TABLE ledger_model_rows ADD COLUMN other integer",
        "ALTER TABLE ledger_model_rows"
        " ADD CONSTRAINT other_set CHECK (other IS NOT NULL) NOT VALID",
    ],
    "the rows' key dropped": [
        "ALTER TABLE ledger_model_rows DROP CONSTRAINT ledger_model_rows_pkey"
    ],
}


@pytest.mark.postgres
@pytest.mark.parametrize("read_first", [False, True], ids=["altered-unread", "altered-after-reads"])
@pytest.mark.parametrize("shape", sorted(PG_SHAPES))
def test_postgresql_read_model_tables_of_another_shape_give_the_same_answers(
    postgres_url: str, shape: str, read_first: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # The tables are every ledger's in the schema: altered in a database of their own.
    with other_database(postgres_url, "shape") as base:
        url = f"{base}&ledger=shaped"
        with Ledger.open(url) as lg:
            lg.extend(story())  # type: ignore[arg-type]
            lg.track(FiguresPerSource())
        with caplog.at_level(logging.WARNING, logger="ledger"):
            lg = Ledger.open(url)
            try:
                if read_first:
                    assert views(lg) == replayed(lg)
                pg(url, *PG_SHAPES[shape])
                assert views(lg) == replayed(lg)
                lg.append(figure(60, "src/d", 1, 1000))
                assert views(lg) == replayed(lg)
                # Once refused, the rows are not tried again with every append.
                caplog.clear()
                for n in range(61, 66):
                    lg.append(figure(n, f"src/{n}", 2, 3))
                    assert lg.topics() == replayed(lg)[0]
                assert "not written with the records" not in caplog.text
                tracked = lg.track(FiguresPerSource())
                assert tracked.state == by_hand(lg)
                lg.append(figure(66, "src/f", 4, 5))
                assert tracked.state == by_hand(lg)
                assert views(lg) == replayed(lg)
            finally:
                lg.close()
            with Ledger.open(url) as lg:
                assert lg.head == len(story()) + 7
                assert views(lg) == replayed(lg)
                assert lg.track(FiguresPerSource()).state == by_hand(lg)
                assert lg.verify().ok  # the log is whole; the cache is not evidence
        assert any("read model" in r.getMessage() for r in caplog.records)


@pytest.mark.postgres
def test_a_postgresql_write_of_more_read_model_rows_than_one_statement_holds(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Each figure changes about four rows: 1,500 of them are several statements' worth.
    first = spread(0, 1_500)
    revised = [
        attrs.evolve(figure(5_000 + n, f.source, n + 1, n + 30), topic=f.topic)
        for n, f in enumerate(first)
    ]
    with Ledger.open(pg_url) as lg:
        lg.extend(first)
        lg.extend(revised)  # the same rows again, with new values
    with caplog.at_level(logging.WARNING, logger="ledger"), Ledger.open(pg_url) as lg:
        assert stored_at(lg) == lg.head == 3_000
        assert views(lg) == replayed(lg)
        assert lg.topic("spread/7").figure_of("src/0").figure.low == 8
    assert not caplog.records


@pytest.mark.postgres
def test_every_process_that_opens_a_postgresql_ledger_reads_its_read_model(pg_url: str) -> None:
    with Ledger.open(pg_url) as writer:
        writer.extend(story())  # type: ignore[arg-type]
        with Ledger.open(pg_url) as reader:
            assert views(reader) == replayed(writer)
            writer.append(figure(99, "src/h", 3, 4))
            assert reader.topic("kursk/casualties").figure_of("src/h") is not None
