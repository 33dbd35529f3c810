"""verify compares the read model with a fold of the log; rebuild builds it again.

The checks made before every query (the read model's checkpoint against the
log's head and root) cannot see rows altered while the checkpoint was left
alone: a writer of the file can make the views disagree with the log that way.
``Ledger.verify()`` (and ``ledger verify``) fold the log and compare every
stored row, and say so; ``Ledger.rebuild()`` (``ledger rebuild``) replaces the
rows with the fold.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger import Ledger, LedgerView, StoreUnavailable
from ledger.codec import make_codec
from ledger.facade.audit import audit_read_model
from ledger.stores import open_store
from tests.integration.contract.builders import figure
from tests.integration.test_read_model import (
    FILE_KINDS,
    build,
    model_file,
    pg,
    replayed,
    spread,
    stored_at,
    story,
    views,
)
from tests.pg_server import with_ledger

#: Changes to the stored rows that decode well and leave the checkpoint alone.
TAMPERING: dict[str, tuple[str, str]] = {
    "a figure's bound changed": (
        "UPDATE model_rows SET value = replace(value, '[400,500', '[401,500')"
        " WHERE tbl = 'figure' AND item = 'src/c'",
        "'figure', partition 'kursk/casualties', item 'src/c' holds",
    ),
    "a figure removed": (
        "DELETE FROM model_rows WHERE tbl = 'figure' AND item = 'src/a'",
        "'figure', partition 'kursk/casualties', item 'src/a' is missing",
    ),
    "a retraction removed": (
        "DELETE FROM model_rows WHERE tbl = 'retraction'",
        "table 'retraction'",
    ),
    "a dispute invented": (
        "INSERT INTO model_rows SELECT name, tbl, part, '999', value FROM model_rows"
        " WHERE tbl = 'dispute'",
        "item '999' holds",
    ),
    "a topic invented under the least key": (
        "INSERT INTO model_rows VALUES ('ledger', 'meta', '', '', '\"people\"')",
        "'meta', partition '' holds",
    ),
    # A topic's history is stored grouped (a row per write): compared entry by entry.
    "a history entry given to another source": (
        'UPDATE model_rows SET value = replace(value, \'["c2","src/b"\', \'["c2","src/z"\')'
        " WHERE tbl = 'history'",
        "'history', partition 'kursk/casualties', item 'c2' holds",
    ),
    "a history entry removed": (
        "UPDATE model_rows SET value = replace(value, ',' || json_array('c3', 'src/c', 8,"
        " '2024-08-06T03:00:00Z'), '') WHERE tbl = 'history'",
        "'history', partition 'kursk/casualties', item 'c3' is missing",
    ),
    "two sources' figures swapped": (
        "UPDATE model_rows SET item = '-' WHERE tbl = 'figure' AND item = 'src/a';"
        "UPDATE model_rows SET item = 'src/a' WHERE tbl = 'figure' AND item = 'src/c';"
        "UPDATE model_rows SET item = 'src/c' WHERE tbl = 'figure' AND item = '-';",
        "'figure', partition 'kursk/casualties', item 'src/a' holds",
    ),
}


def tamper(path: Path, statement: str) -> None:
    conn = sqlite3.connect(model_file(path), isolation_level=None)
    try:
        conn.executescript(statement)
        assert conn.total_changes > 0
    finally:
        conn.close()


@pytest.fixture
def path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return tmp_path / f"log{getattr(request, 'param', '.db')}"


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_a_read_model_that_follows_from_the_log_verifies(path: Path) -> None:
    build(path)
    with Ledger.open(str(path)) as lg:
        report = lg.verify()
        head = lg.head
    assert report.ok
    assert report.read_model_agrees is True
    assert report.read_model == f"every row agrees with the log at position {head}"
    assert report.to_dict()["read_model_agrees"] is True


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_rows_altered_behind_the_checkpoint_are_found_and_rebuild_mends_them(
    path: Path, how: str
) -> None:
    statement, named = TAMPERING[how]
    build(path)
    tamper(path, statement)
    with Ledger.open(str(path)) as lg:
        assert views(lg) != replayed(lg)  # what the check is for: the views read the rows
        report = lg.verify()
        assert not report.ok
        assert report.read_model_agrees is False
        assert report.first_bad_position is None  # the log itself is intact
        assert named in report.reason
        assert report.summary().startswith("NOT OK (read model): ")
        # Only the log: as before, ok.
        assert lg.verify(read_model=False).ok
        assert lg.verify(read_model=False).read_model is None
        assert lg.rebuild() == lg.head
        assert views(lg) == replayed(lg)
        assert lg.verify().read_model_agrees is True
    with Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_a_history_entry_stored_twice_is_found_though_the_views_agree(path: Path) -> None:
    build(path)
    tamper(
        path,
        "INSERT INTO model_rows SELECT name, tbl, part, '99999999999999999999', value"
        " FROM model_rows WHERE tbl = 'history'",
    )
    with Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)
        report = lg.verify()
        assert report.read_model_agrees is False
        assert "partition 'kursk/casualties': the entry of 'c1' is stored twice" in report.reason
        lg.rebuild()
        assert lg.verify().read_model_agrees is True


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_history_stored_by_many_writes_agrees_entry_by_entry(path: Path) -> None:
    # Single appends, a batch, and a bulk batch whose changes wait: each write
    # groups the entries it adds to a topic; the fold compared knows no writes.
    build(path)
    with Ledger.open(str(path)) as lg:
        for n in range(20, 25):
            lg.append(figure(n, f"src/s{n}", n, n + 10))
        lg.extend(figure(n, f"src/s{n}", n, n + 10) for n in range(30, 40))
        assert [h.source for h in lg.history("kursk/casualties")][-3:] == [
            "src/s37",
            "src/s38",
            "src/s39",
        ]
        report = lg.verify()
        assert report.read_model_agrees is True, report.reason
    with Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)
        assert len(lg.history("kursk/casualties")) == 3 + 5 + 10


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_a_read_only_ledger_verifies_its_read_model_but_cannot_rebuild_it(path: Path) -> None:
    build(path)
    tamper(path, TAMPERING["a figure removed"][0])
    with Ledger.open(str(path), read_only=True) as lg:
        assert lg.verify().read_model_agrees is False
        with pytest.raises(StoreUnavailable, match="read-only"):
            lg.rebuild()
    with open_store(str(path), read_only=True) as store:
        assert audit_read_model(store, make_codec()).agrees is False


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_a_read_model_behind_the_log_is_compared_at_its_own_position(path: Path) -> None:
    build(path)
    with Ledger.open(str(path)) as lg:
        at = stored_at(lg)
        head = lg.head
        # Records stored without their read-model changes (a writer killed in between).
        rows = make_codec().encode_many(head, [figure(70, "src/e", 5, 6)], lg.store.clock())
        lg.store.write(rows, head)
    with open_store(str(path), read_only=True) as store:
        found = audit_read_model(store, make_codec())
    assert (found.agrees, found.position) == (True, at)
    assert at == head


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_a_bulk_writer_s_waiting_changes_are_no_disagreement(path: Path) -> None:
    with Ledger.open(str(path)) as writer:
        writer.extend(story())  # type: ignore[arg-type]
        stored = writer.head
        writer.extend(spread(100, 400))
        assert stored_at(writer) == stored < writer.head  # the changes wait in its memory
        report = writer.verify()
        assert report.read_model_agrees is True
        assert report.read_model == f"every row agrees with the log at position {stored}"
    with Ledger.open(str(path)) as lg:
        assert lg.verify().read_model_agrees is True
        assert stored_at(lg) == lg.head


CACHE_ONLY: dict[str, Callable[[Path], None]] = {
    "another version": lambda p: tamper(p, "UPDATE model_meta SET version = 99"),
    "another log's edge": lambda p: tamper(
        p, "UPDATE model_meta SET edge = zeroblob(length(edge))"
    ),
    "no checkpoint": lambda p: tamper(p, "DELETE FROM model_meta"),
}


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
@pytest.mark.parametrize("how", sorted(CACHE_ONLY))
def test_a_read_model_the_next_open_rebuilds_is_not_compared(path: Path, how: str) -> None:
    # The checks before every query set it aside: the views cannot read it, so
    # verify has nothing to report against the log.
    build(path)
    CACHE_ONLY[how](path)
    with open_store(str(path), read_only=True) as store:
        found = audit_read_model(store, make_codec())
    assert found.agrees is None
    assert "the next open" in found.detail
    with Ledger.open(str(path), read_only=True) as lg:
        report = lg.verify()
        assert report.ok
        assert report.read_model_agrees is None
        assert views(lg) == replayed(lg)


def test_a_memory_ledger_keeps_no_read_model() -> None:
    lg = Ledger.open("memory://")
    lg.extend(story())  # type: ignore[arg-type]
    report = lg.verify()
    assert report.ok
    assert report.read_model_agrees is None
    assert report.read_model is not None
    assert "none kept" in report.read_model
    assert lg.rebuild() == lg.head


def test_the_log_s_own_damage_is_reported_first(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    build(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET data = replace(data, 'src/c', 'src/x') WHERE position = 8")
    conn.close()
    with Ledger.open(str(path), read_only=True) as lg:
        report = lg.verify()
    assert not report.ok
    assert report.first_bad_position == 8
    assert report.read_model is None  # not compared with a log that does not verify


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_rows_under_a_table_the_projection_does_not_keep_are_found(path: Path) -> None:
    build(path)
    tamper(path, "INSERT INTO model_rows VALUES ('ledger', 'bogus', 'zzz', '', '1')")
    with Ledger.open(str(path)) as lg:
        assert views(lg) == replayed(lg)  # nobody reads them, but the log does not give them
        report = lg.verify()
        assert (report.ok, report.read_model_agrees) == (False, False)
        assert "table 'bogus' holds rows the log does not give" in report.reason
        lg.rebuild()
        assert lg.verify().read_model_agrees is True


@pytest.mark.postgres
def test_a_postgresql_read_model_with_rows_under_a_table_it_does_not_keep(
    postgres_url: str,
) -> None:
    pg_url = with_ledger(postgres_url, f"audit{uuid.uuid4().hex[:12]}")
    with Ledger.open(pg_url) as lg:
        lg.extend(story())  # type: ignore[arg-type]
    pg(pg_url, "INSERT INTO ledger_model_rows VALUES (:ledger, 'ledger', 'bogus', 'z', '', '1')")
    with Ledger.open(pg_url) as lg:
        report = lg.verify()
        assert report.read_model_agrees is False
        assert "table 'bogus'" in report.reason
        lg.rebuild()
        assert lg.verify().ok


@pytest.mark.postgres
def test_a_postgresql_read_model_altered_behind_its_checkpoint(postgres_url: str) -> None:
    pg_url = with_ledger(postgres_url, f"audit{uuid.uuid4().hex[:12]}")
    with Ledger.open(pg_url) as lg:
        lg.extend(story())  # type: ignore[arg-type]
        assert lg.verify().read_model_agrees is True
    pg(
        pg_url,
        "DELETE FROM ledger_model_rows WHERE ledger = :ledger AND tbl = 'figure'"
        " AND item = 'src/a'",
    )
    with Ledger.open(pg_url) as lg:
        assert views(lg) != replayed(lg)
        report = lg.verify()
        assert report.read_model_agrees is False
        assert "item 'src/a' is missing" in report.reason
        lg.rebuild()
        assert views(lg) == replayed(lg)
        assert lg.verify().ok


def test_the_views_after_rebuild_are_a_replay_s(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    build(path)
    with Ledger.open(str(path)) as lg:
        lg.extend(spread(100, 50))
        lg.rebuild()
        assert views(lg) == views(LedgerView.replay(r.event for r in lg.records()))


def many(path_or_url: str) -> None:
    """A read model whose tables are read in several pages (over 5,000 rows each)."""
    with Ledger.open(path_or_url) as lg:
        lg.extend(story())  # type: ignore[arg-type]
        lg.extend(spread(100, 5_200))


@pytest.mark.parametrize("path", [".db"], indirect=True)
def test_a_table_read_in_pages_is_compared_whole(path: Path) -> None:
    many(str(path))
    with Ledger.open(str(path)) as lg:
        assert lg.verify().read_model_agrees is True
    # The last row of the largest tables, in key order: on the last page.
    tamper(path, "DELETE FROM model_rows WHERE tbl = 'figure' AND part = 'spread/999'")
    with Ledger.open(str(path), read_only=True) as lg:
        report = lg.verify()
    assert report.read_model_agrees is False
    assert "table 'figure', partition 'spread/999', item 'src/5' is missing" in report.reason


@pytest.mark.postgres
def test_a_postgresql_table_read_in_pages_is_compared_whole(postgres_url: str) -> None:
    url = with_ledger(postgres_url, f"pages{uuid.uuid4().hex[:12]}")
    many(url)
    with Ledger.open(url) as lg:
        assert lg.verify().read_model_agrees is True
    pg(url, "DELETE FROM ledger_model_rows WHERE ledger = :ledger AND part = 'spread/999'")
    with Ledger.open(url, read_only=True) as lg:
        report = lg.verify()
    assert report.read_model_agrees is False
    assert "partition 'spread/999'" in report.reason


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_rows_that_do_not_read_back_are_no_disagreement_but_said(path: Path) -> None:
    # A query that reads such a row finds the read model damaged and rebuilds it:
    # the views never show it. verify says so without calling the ledger NOT OK.
    build(path)
    tamper(path, "UPDATE model_rows SET value = '{' WHERE tbl = 'claim' AND part = 'c3'")
    with Ledger.open(str(path), read_only=True) as lg:
        report = lg.verify()
    assert report.ok
    assert report.read_model_agrees is None
    assert report.read_model is not None
    assert "do not read back (table 'claim', partition 'c3': '{')" in report.read_model


@pytest.mark.parametrize("path", FILE_KINDS, indirect=True)
def test_a_row_that_reads_back_altered_is_found_beside_rows_that_do_not(path: Path) -> None:
    build(path)
    tamper(path, "UPDATE model_rows SET value = 'not json' WHERE tbl = 'claim'")
    tamper(path, TAMPERING["a figure's bound changed"][0])
    with Ledger.open(str(path), read_only=True) as lg:
        report = lg.verify()
    assert report.read_model_agrees is False
    assert TAMPERING["a figure's bound changed"][1] in report.reason


@pytest.mark.postgres
def test_a_postgresql_row_under_the_least_key_is_compared_too(postgres_url: str) -> None:
    pg_url = with_ledger(postgres_url, f"audit{uuid.uuid4().hex[:12]}")
    with Ledger.open(pg_url) as lg:
        lg.extend(story())  # type: ignore[arg-type]
    pg(pg_url, "INSERT INTO ledger_model_rows VALUES (:ledger, 'ledger', 'meta', '', '', '1')")
    with Ledger.open(pg_url) as lg:
        report = lg.verify()
        assert report.read_model_agrees is False
        assert "'meta', partition '' holds" in report.reason
