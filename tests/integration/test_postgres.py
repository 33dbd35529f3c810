"""The postgresql:// store on a real server: bytes, ledgers, triggers, grants and copies."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import attrs
import psycopg
import pytest

from ledger import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    ConcurrencyError,
    CorruptLog,
    DuplicateEvent,
    Event,
    Figure,
    FigureReported,
    Ledger,
    SourceDescribed,
    StoreError,
    StoreUnavailable,
    TopicDefined,
    ValidationError,
)
from ledger.codec import StoredRow, make_codec
from ledger.facade.keeper import MODEL_NAME
from ledger.merkle import leaf_hash, root
from ledger.stores import open_store
from ledger.stores.follow import follow
from ledger.stores.memory import MemoryStore
from ledger.stores.pgschema import Statements
from ledger.stores.postgres import PostgresStore, split_url
from ledger.tamper import verify_url
from tests.integration.contract.builders import claim
from tests.pg_server import PostgresServer, other_database, with_ledger

pytestmark = pytest.mark.postgres

DOCS = Path(__file__).resolve().parents[2] / "docs" / "postgres.md"
T0 = datetime(2024, 8, 6, 9, 0, tzinfo=UTC)


def fresh(url: str) -> str:
    """The URL of a new, empty ledger in the test database."""
    return with_ledger(url, f"t{uuid.uuid4().hex[:12]}")


def ticking(step: timedelta = timedelta(microseconds=250_001)) -> Iterator[datetime]:
    """A store clock: whole seconds first, then times with microseconds."""
    return (T0 + i * step for i in count())


def story() -> list[Event]:
    """A small, valid log touching every event type, with text beyond ASCII."""
    unit = "people"
    return [
        TopicDefined(topic="kursk/casualties", title="Casualties in Kursk", unit=unit),
        SourceDescribed(source="mod/ru", name="Министерство обороны", kind="military"),
        SourceDescribed(source="gs/ua", name="General Staff 🇺🇦", kind="military"),
        FigureReported(
            claim_id="ru-1",
            topic="kursk/casualties",
            source="mod/ru",
            figure=Figure(3000, 4000, best=3500, unit=unit, phrase="more than 3,000"),
            stated_at=T0,
            quote="«потери противника» — \u0000 NUL and tab\t survive",
        ),
        FigureReported(
            claim_id="ua-1",
            topic="kursk/casualties",
            source="gs/ua",
            figure=Figure(1.5, None, unit=unit),
            stated_at=T0 + timedelta(days=1),
        ),
        ClaimMade(
            claim_id="ua-2",
            topic="kursk/casualties",
            source="gs/ua",
            statement="Troops crossed the border",
            stated_at=T0 + timedelta(days=2),
        ),
        ClaimDisputed(target="ua-2", source="mod/ru", stated_at=T0 + timedelta(days=3)),
        ClaimRetracted(target="ua-2", source="gs/ua", stated_at=T0 + timedelta(days=4)),
    ]


def insert_by_hand(conn: psycopg.Connection[Any], table: str, name: str, row: StoredRow) -> None:
    """A stored row inserted as an operator would, around the ledger (recorded at T0)."""
    conn.execute(
        f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            name,
            row.position,
            row.event_id,
            row.type,
            row.schema,
            T0,
            row.recorded_at,
            row.data,
            bytes.fromhex(row.hash),
        ),
    )


def raw(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """A plain psycopg connection to the test database, as an operator would open."""
    return psycopg.connect(split_url(url)[0], autocommit=True)


def test_a_new_ledger_creates_its_tables_and_is_empty(postgres_url: str) -> None:
    with Ledger.open(fresh(postgres_url)) as lg:
        assert lg.head == 0
        assert list(lg.records()) == []
        assert lg.store.tree().size == 0
    with raw(postgres_url) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables")}
    assert {"ledger_events", "ledger_tree", "ledger_meta"} <= tables


def test_rows_come_back_byte_for_byte_with_the_hashes_they_were_written_with(
    postgres_url: str,
) -> None:
    url = fresh(postgres_url)
    clock = ticking()
    with Ledger.open(url, clock=lambda: next(clock)) as lg:
        written = [lg.append(e) for e in story()]
    with Ledger.open(url) as lg:
        rows = list(lg.rows())
        assert [r.position for r in rows] == list(range(1, len(story()) + 1))
        assert [r.recorded_at for r in rows][:2] == [
            "2024-08-06T09:00:00Z",
            "2024-08-06T09:00:00.250001Z",
        ]
        for row, record in zip(rows, written, strict=True):
            assert row.hash == record.hash.hex()
            assert leaf_hash(row.leaf_bytes()).hex() == row.hash
        assert [r.event for r in lg.records()] == [r.event for r in written]
        tree = lg.store.tree()
        assert tree.size == len(rows)
        assert tree.root() == root([bytes.fromhex(r.hash) for r in rows])


def test_rows_a_store_is_given_are_kept_exactly_even_with_unusual_timestamps(
    postgres_url: str,
) -> None:
    # A log copied from a hand-made JSON Lines file: offsets, dates, no sorting of data keys.
    texts = ["2025-01-13T09:00:00+00:00", "2025-01-13", "2025-01-13T12:00:00.5+02:00"]
    rows = []
    for position, text in enumerate(texts, 1):
        row = StoredRow(position, f"e{position}", "SourceDescribed", 1, text, '{"b":1, "a":2}', "")
        digest = leaf_hash(row.leaf_bytes()).hex()
        rows.append(
            StoredRow(position, f"e{position}", "SourceDescribed", 1, text, row.data, digest)
        )
    with PostgresStore(fresh(postgres_url)) as store:
        store.write(rows, 0)
        assert list(store.read()) == rows
        assert list(store.read(2)) == rows[2:]
        assert store.find(["e2", "nope"]) == {"e2": rows[1]}


def test_a_write_at_a_stale_head_is_refused_and_writes_nothing(postgres_url: str) -> None:
    url = fresh(postgres_url)
    with Ledger.open(url) as first, Ledger.open(url) as second:
        first.append(story()[0])
        with pytest.raises(ConcurrencyError) as caught:
            second.append(story()[1], expected_position=0)
        assert (caught.value.expected, caught.value.actual) == (0, 1)
        row = second.codec.encode(1, story()[1], T0)
        with pytest.raises(ConcurrencyError):
            second.store.write([row], 0)
        assert second.head == 1
        assert second.store.tree().size == 1


def test_re_appending_is_idempotent_and_another_payload_is_a_duplicate(postgres_url: str) -> None:
    with Ledger.open(fresh(postgres_url)) as lg:
        source = SourceDescribed(source="mod/ru", name="MoD", event_id="fixed")
        first = lg.append(source)
        assert lg.append(source) == first
        with pytest.raises(DuplicateEvent) as caught:
            lg.append(SourceDescribed(source="mod/ru", name="Other", event_id="fixed"))
        assert caught.value.position == 1
        assert lg.head == 1


def test_a_batch_holding_a_stored_event_id_is_refused_whole(postgres_url: str) -> None:
    with Ledger.open(fresh(postgres_url)) as lg:
        lg.append(SourceDescribed(source="a", name="A", event_id="taken"))
        before = lg.store.tree().root()
        rows = [
            lg.codec.encode(2, SourceDescribed(source="b", name="B"), T0),
            lg.codec.encode(3, SourceDescribed(source="c", name="C", event_id="taken"), T0),
        ]
        with pytest.raises(DuplicateEvent) as caught:
            lg.store.write(rows, 1)
        assert (caught.value.event_id, caught.value.position) == ("taken", 1)
        assert lg.head == 1
        assert lg.store.tree().root() == before
        assert lg.store.find([rows[0].event_id]) == {}


def test_rows_that_would_break_the_log_are_refused_before_any_sql(postgres_url: str) -> None:
    with Ledger.open(fresh(postgres_url)) as lg:
        row = lg.codec.encode(1, story()[0], T0)
        with pytest.raises(StoreError, match="position 2, expected 1"):
            lg.store.write([StoredRow(2, *_rest(row))], 0)
        with pytest.raises(StoreError, match="hex digits"):
            lg.store.write([StoredRow(1, *_rest(row)[:-1], "zz")], 0)
        with pytest.raises(ValidationError, match="NUL"):
            lg.store.write([StoredRow(1, "a\x00b", *_rest(row)[1:])], 0)
        assert lg.store.find(["a\x00b"]) == {}
        assert lg.head == 0


def _rest(row: StoredRow) -> tuple[str, str, int, str, str, str]:
    return (row.event_id, row.type, row.schema, row.recorded_at, row.data, row.hash)


def test_several_ledgers_live_side_by_side_in_one_database(postgres_url: str) -> None:
    name = uuid.uuid4().hex[:8]
    kursk, gaza = (
        with_ledger(postgres_url, f"kursk-{name}"),
        with_ledger(postgres_url, f"gaza/{name}"),
    )
    events = story()
    with Ledger.open(kursk) as a, Ledger.open(gaza) as b:
        a.extend(events)
        b.extend(events[:3])  # the same event_ids, in another ledger
        assert (a.head, b.head) == (len(events), 3)
        assert [r.position for r in b.records()] == [1, 2, 3]
        assert a.store.tree().root() != b.store.tree().root()
        assert b.store.find([events[5].event_id]) == {}
    with open_store(kursk.replace("postgresql://", "postgres://")) as store:
        assert isinstance(store, PostgresStore)
        assert store.head() == len(events)
    with Ledger.open(kursk) as again:
        assert again.head == len(events)


def test_the_url_names_the_ledger_and_the_rest_goes_to_libpq() -> None:
    assert split_url("postgresql:///db?host=/s&ledger=kursk&user=u") == (
        "postgresql:///db?host=/s&user=u",
        "kursk",
    )
    assert split_url("postgresql://h/db?ledger=a%2Fb") == ("postgresql://h/db", "a/b")
    assert split_url("postgres://h/db") == ("postgres://h/db", "default")
    with pytest.raises(StoreUnavailable, match="named 2 times"):
        split_url("postgresql://h/db?ledger=a&ledger=b")
    with pytest.raises(StoreUnavailable, match="non-empty"):
        split_url("postgresql://h/db?ledger=")


def test_the_default_ledger_is_used_when_the_url_names_none(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    with store:
        assert store.ledger == "default"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_events SET data = '{}' WHERE ledger = %s",
        "DELETE FROM ledger_events WHERE ledger = %s",
        "TRUNCATE ledger_events",
        "DELETE FROM ledger_tree WHERE ledger = %s",
        "UPDATE ledger_tree SET size = 0, hashes = '{}' WHERE ledger = %s",
        # The same size with other hashes: later checkpoints would never verify.
        "UPDATE ledger_tree SET hashes = array_replace(hashes, hashes[1], sha256(hashes[1]))"
        " WHERE ledger = %s",
        "TRUNCATE ledger_tree",
    ],
)
def test_sql_cannot_change_or_remove_records(postgres_url: str, statement: str) -> None:
    url = fresh(postgres_url)
    with Ledger.open(url) as lg:
        lg.extend(story())
        rows, edge = list(lg.rows()), lg.store.tree()
        ledger = split_url(url)[1]
    with raw(postgres_url) as conn:
        args = (ledger,) if "%s" in statement else ()
        with pytest.raises(
            psycopg.errors.InsufficientPrivilege, match=r"claims-ledger: .*(refused|only grow)"
        ):
            conn.execute(statement, args)
    with Ledger.open(url) as lg:
        assert list(lg.rows()) == rows
        assert lg.store.tree().hashes == edge.hashes


def test_rows_hashes_and_root_are_identical_to_a_sqlite_copy(
    postgres_url: str, tmp_path: Path
) -> None:
    clock = ticking()
    with Ledger.open(str(tmp_path / "source.db"), clock=lambda: next(clock)) as lite:
        lite.extend(story())
        for i in range(40):
            lite.append(SourceDescribed(source=f"s/{i}", name=f"Source №{i}"))
        rows, lite_root = list(lite.rows()), lite.store.tree().root()
    url = fresh(postgres_url)
    with Ledger.open(url) as pg:
        for start in range(0, len(rows), 16):  # in batches, as `ledger copy` does
            pg.store.write(rows[start : start + 16], start)
    with Ledger.open(url) as pg:
        assert list(pg.rows()) == rows
        assert pg.store.tree().root() == lite_root
        back = list(pg.rows())
    with Ledger.open(str(tmp_path / "back.db")) as lite_again:
        lite_again.store.write(back, 0)
        assert list(lite_again.rows()) == rows
        assert lite_again.store.tree().root() == lite_root


def test_follow_catches_up_then_yields_new_rows_as_they_commit(postgres_url: str) -> None:
    url = fresh(postgres_url)
    done = threading.Event()
    seen: list[int] = []
    with Ledger.open(url) as lg:
        lg.extend(story()[:3])

        def reader() -> None:
            with PostgresStore(url) as store:
                seen.extend(
                    r.position for r in follow(store, 1, poll_interval=30, stop=done.is_set)
                )

        thread = threading.Thread(target=reader)
        thread.start()
        lg.extend(story()[3:])
        # With a 30 s poll, only NOTIFY can deliver the new rows this soon.
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while len(seen) < len(story()) - 1 and datetime.now(UTC) < deadline:
            done.wait(0.02)
        assert seen == list(range(2, len(story()) + 1))
        done.set()
        lg.append(SourceDescribed(source="late", name="Late"))
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert seen in (list(range(2, 10)), list(range(2, 9)))


def test_follow_on_postgres_yields_what_the_polling_follow_yields_on_memory(
    postgres_url: str,
) -> None:
    url = fresh(postgres_url)
    memory = MemoryStore()
    with Ledger.open(url) as pg:
        pg.extend(story())
        memory.write(list(pg.rows()), 0)
        stop = lambda: True  # noqa: E731 - catch up once and end
        assert list(follow(pg.store, 2, 0.01, stop)) == list(follow(memory, 2, 0.01, stop))
        assert [r.position for r in pg.follow(5, poll_interval=0.01, stop=stop)] == [6, 7, 8]


@pytest.mark.parametrize(("after", "poll"), [(-1, 1.0), (1.5, 1.0), (0, 0), (0, float("nan"))])
def test_follow_refuses_a_bad_position_or_interval(
    postgres_url: str, after: object, poll: float
) -> None:
    store = PostgresStore(fresh(postgres_url))
    with store, pytest.raises(ValidationError):
        next(store.follow(after, poll))  # type: ignore[arg-type]


def test_an_unreachable_server_is_store_unavailable_and_the_password_stays_secret(
    tmp_path: Path,
) -> None:
    url = f"postgresql://someone:hunter2@/db?host={tmp_path}&connect_timeout=2"
    with pytest.raises(StoreUnavailable) as caught:
        Ledger.open(url)
    message = str(caught.value)
    assert "hunter2" not in message
    assert "'db'" in message
    assert str(tmp_path) in message
    with pytest.raises(StoreUnavailable) as caught:
        Ledger.open(f"postgresql:///db?host={tmp_path}&password=s3cr%21t")
    assert "s3cr!t" not in str(caught.value)


def test_a_closed_store_is_unavailable(postgres_url: str) -> None:
    store = PostgresStore(fresh(postgres_url))
    store.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        store.head()
    with pytest.raises(StoreUnavailable, match="closed"):
        next(store.follow(0, 0.01))


def test_a_database_not_in_utf8_is_refused(postgres_url: str) -> None:
    how = "ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'"
    with (
        other_database(postgres_url, "latin", how) as other,
        pytest.raises(StoreUnavailable, match="UTF8"),
    ):
        PostgresStore(other)


def _grants() -> list[str]:
    """The GRANT statements of docs/postgres.md, exactly as users are told to run them."""
    found = re.search(r"<!-- tested: grants.*?-->\s*```sql\n(.*?)```", DOCS.read_text(), re.DOTALL)
    assert found, "docs/postgres.md has no tested grants block"
    lines = [line for line in found.group(1).splitlines() if not line.startswith("--")]
    statements = [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
    assert statements
    assert all(s.startswith("GRANT ") for s in statements)
    return statements


def _as_role(url: str, role: str) -> str:
    base, ledger = split_url(url)
    base = re.sub(r"([?&])user=[^&]*&?", r"\1", base).rstrip("?&")
    return with_ledger(f"{base}{'&' if '?' in base else '?'}user={role}", ledger)


def test_the_documented_grants_let_a_writer_append_and_a_reader_only_read(
    postgres_server: PostgresServer,
) -> None:
    url = fresh(postgres_server.url)
    suffix = uuid.uuid4().hex[:8]
    writer, reader = f"ledger_writer_{suffix}", f"ledger_reader_{suffix}"
    with Ledger.open(url) as owner:  # the owner opens first: it creates the tables
        owner.extend(story()[:2])
    with raw(postgres_server.url) as conn:
        try:
            conn.execute(f"CREATE ROLE {writer} LOGIN")
            conn.execute(f"CREATE ROLE {reader} LOGIN")
        except psycopg.Error as exc:
            pytest.skip(f"cannot create roles on this server: {exc}")
        try:
            for grant in _grants():
                conn.execute(
                    grant.replace("ledger_writer", writer).replace("ledger_reader", reader)
                )
            _check_roles(url, writer, reader)
        finally:
            for role in (writer, reader):
                conn.execute(f"DROP OWNED BY {role}")
                conn.execute(f"DROP ROLE {role}")


def _check_roles(url: str, writer: str, reader: str) -> None:
    with Ledger.open(_as_role(url, writer)) as lg:
        lg.extend(story()[2:])
        assert lg.head == len(story())
    with psycopg.connect(split_url(_as_role(url, writer))[0]) as conn:
        for statement in ("UPDATE ledger_events SET type = 'x'", "DELETE FROM ledger_events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(statement)
            conn.rollback()
    with Ledger.open(_as_role(url, reader)) as lg:
        assert [r.position for r in lg.records()] == list(range(1, len(story()) + 1))
        assert lg.store.tree().size == len(story())
        assert [r.position for r in lg.follow(7, poll_interval=0.01, stop=lambda: True)] == [8]
        with pytest.raises(StoreUnavailable, match="permission denied"):
            lg.append(SourceDescribed(source="reader", name="Reader"))
        # Asked to rebuild the read model it may not write, it says so, never "done".
        with pytest.raises(StoreUnavailable, match="cannot rebuild it"):
            lg.rebuild()
        assert lg.topics() == lg.as_of().topics()


def test_rows_loaded_by_hand_without_their_tree_get_it_rebuilt(postgres_url: str) -> None:
    source = fresh(postgres_url)
    with Ledger.open(source) as lg:
        lg.extend(story())
        rows, expected = list(lg.rows()), lg.store.tree().root()
    target = fresh(postgres_url)
    with raw(postgres_url) as conn, conn.cursor() as cur:
        # An operator's bulk load: the rows, and no ledger_tree row.
        cur.execute(
            "INSERT INTO ledger_events SELECT %s, position, event_id, type, schema, recorded_at,"
            " recorded_at_text, data, hash FROM ledger_events WHERE ledger = %s",
            (split_url(target)[1], split_url(source)[1]),
        )
    with Ledger.open(target) as lg:
        assert lg.store.tree().root() == expected
        lg.append(SourceDescribed(source="next", name="Next"))
        assert lg.store.tree().size == len(rows) + 1
        assert list(lg.rows())[:-1] == rows


def test_a_tree_beyond_the_log_is_reported_as_corrupt(postgres_url: str) -> None:
    url = fresh(postgres_url)
    with raw(postgres_url) as conn:
        conn.execute(
            "INSERT INTO ledger_tree VALUES (%s, 1, ARRAY[%s::bytea])",
            (split_url(url)[1], bytes(32)),
        )
    with PostgresStore(url) as store:
        with pytest.raises(CorruptLog, match="tree covers 1 records"):
            store.tree()
        with pytest.raises(CorruptLog):
            store.write([], 0)


def test_the_writer_turn_makes_other_writers_wait_and_is_re_entrant(postgres_url: str) -> None:
    url = fresh(postgres_url)
    codec = make_codec()
    first, second = PostgresStore(url), PostgresStore(url)
    with first, second:
        written = threading.Event()

        def other_writer() -> None:
            second.write([codec.encode(2, SourceDescribed(source="b", name="B"), T0)], 1)
            written.set()

        with first.writing():
            with first.writing():  # re-entrant
                first.write([codec.encode(1, SourceDescribed(source="a", name="A"), T0)], 0)
            thread = threading.Thread(target=other_writer)
            thread.start()
            assert not written.wait(0.5), "another writer wrote during the turn"
        assert written.wait(30)
        thread.join()
        assert [r.event_id for r in first.read()] == [r.event_id for r in second.read()]
        assert first.head() == 2


def test_a_malformed_url_never_shows_its_password() -> None:
    for url in ("postgresql://u:s%40cret@[::1/db", "postgresql://u@[::1/db?password=s%40cret"):
        with pytest.raises(StoreUnavailable, match="bad PostgreSQL URL") as caught:
            PostgresStore(url)
        assert "cret" not in str(caught.value)


# -- roles under attack (issue 15) ------------------------------------------------------------


def _roles(conn: psycopg.Connection[tuple[object, ...]], *names: str) -> None:
    for name in names:
        try:
            conn.execute(f"CREATE ROLE {name} LOGIN")
        except psycopg.Error as exc:
            pytest.skip(f"cannot create roles on this server: {exc}")


def _drop_roles(conn: psycopg.Connection[tuple[object, ...]], *names: str) -> None:
    for name in names:
        conn.execute(f"DROP OWNED BY {name} CASCADE")
        conn.execute(f"DROP ROLE {name}")


def _grant(conn: psycopg.Connection[tuple[object, ...]], writer: str, reader: str) -> None:
    for grant in _grants():
        conn.execute(grant.replace("ledger_writer", writer).replace("ledger_reader", reader))


def test_a_writer_role_can_neither_block_appends_nor_rewrite_the_tree(
    postgres_server: PostgresServer,
) -> None:
    url = fresh(postgres_server.url)
    suffix = uuid.uuid4().hex[:8]
    writer, reader = f"writer_{suffix}", f"reader_{suffix}"
    with Ledger.open(url) as owner:
        owner.extend(story()[:4])
        checkpoint = owner.checkpoint()
    name = split_url(url)[1]
    with raw(postgres_server.url) as conn:
        _roles(conn, writer, reader)
        try:
            _grant(conn, writer, reader)
            as_writer = _as_role(url, writer)
            with psycopg.connect(split_url(as_writer)[0], autocommit=True) as attacker:
                attacks = [
                    # A size no append can follow: every later append would be refused.
                    ("UPDATE ledger_tree SET size = 2^41 WHERE ledger = %s", (name,)),
                    # The same size, other hashes: later checkpoints would never verify.
                    (
                        "UPDATE ledger_tree SET hashes = array_replace(hashes, hashes[1],"
                        " sha256(hashes[1])) WHERE ledger = %s",
                        (name,),
                    ),
                    ("INSERT INTO ledger_tree VALUES (%s, 2^41, '{}')", (name + "-next",)),
                    ("DELETE FROM ledger_tree WHERE ledger = %s", (name,)),
                ]
                for statement, args in attacks:
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        attacker.execute(statement, args)
                with pytest.raises(psycopg.Error):
                    attacker.execute("SELECT ledger_grow_tree()")
                # Rows with a gap, inserted by hand, cannot make the tree skip.
                row = make_codec().encode(6, SourceDescribed(source="gap", name="Gap"), T0)
                with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="missing"):
                    insert_by_hand(attacker, "ledger_events", name, row)
            with Ledger.open(as_writer) as lg:
                lg.extend(story()[4:])
                assert lg.head == len(story())
                report = lg.verify(checkpoint)
                assert report.ok, report.reason
        finally:
            _drop_roles(conn, writer, reader)


def _shadow(
    conn: psycopg.Connection[tuple[object, ...]],
    schema: str,
    url: str,
    meta: list[tuple[object, ...]],
) -> None:
    """In a schema the attacker owns, ledger tables holding one forged record for url's ledger."""
    name = split_url(url)[1]
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"SET search_path = {schema}")
    conn.execute(_OLD_TABLES + _OLD_MODEL_TABLES)
    conn.execute("RESET search_path")
    conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO PUBLIC")
    conn.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO PUBLIC")
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {schema}.ledger_meta VALUES (%s, %s)", meta)
    forged = make_codec().encode(1, SourceDescribed(source="forged", name="Forged"), T0)
    digest = leaf_hash(forged.leaf_bytes())
    conn.execute(
        f"INSERT INTO {schema}.ledger_events VALUES (%s, 1, %s, %s, %s, %s, %s, %s, %s)",
        (
            name,
            forged.event_id,
            forged.type,
            forged.schema,
            T0,
            forged.recorded_at,
            forged.data,
            digest,
        ),
    )
    conn.execute(
        f"INSERT INTO {schema}.ledger_tree VALUES (%s, 1, ARRAY[%s::bytea])", (name, digest)
    )


def test_a_schema_someone_creates_on_the_search_path_cannot_shadow_the_tables(
    postgres_server: PostgresServer,
) -> None:
    url = fresh(postgres_server.url)
    suffix = uuid.uuid4().hex[:8]
    writer, reader, evil = f"writer_{suffix}", f"reader_{suffix}", f"evil_{suffix}"
    with Ledger.open(url) as owner:
        owner.extend(story()[:4])
        genuine = list(owner.rows())
    with raw(postgres_server.url) as conn:
        _roles(conn, writer, reader, evil)
        try:
            _grant(conn, writer, reader)
            database = conn.execute("SELECT current_database()").fetchone()
            assert database is not None
            conn.execute(f"GRANT CREATE ON DATABASE {database[0]} TO {evil}")
            # The genuine meta rows, so the forged tables look current to the store.
            meta = conn.execute("SELECT key, value FROM public.ledger_meta").fetchall()
            with psycopg.connect(split_url(_as_role(url, evil))[0], autocommit=True) as attacker:
                # "$user" comes first on the default search path: a schema named after
                # each victim is searched before public.
                _shadow(attacker, writer, url, meta)
                _shadow(attacker, reader, url, meta)
            with Ledger.open(_as_role(url, reader)) as lg:
                assert list(lg.rows()) == genuine
                assert lg.verify().ok
            with Ledger.open(_as_role(url, writer)) as lg:
                assert list(lg.rows()) == genuine
                lg.extend(story()[4:])
            with Ledger.open(url) as owner:
                assert owner.head == len(story())
                assert list(owner.rows())[:4] == genuine
            shadowed = conn.execute(f"SELECT count(*) FROM {writer}.ledger_events").fetchone()
            assert shadowed == (1,), "an append went to the attacker's table"
        finally:
            _drop_roles(conn, evil, writer, reader)


# The tables as schemas 1 and 2 made them (unqualified, the tree written by writers).
_OLD_TABLES = """
CREATE TABLE ledger_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE ledger_events (
    ledger text NOT NULL, position bigint NOT NULL CHECK (position >= 1),
    event_id text NOT NULL, type text NOT NULL, schema integer NOT NULL CHECK (schema >= 1),
    recorded_at timestamptz NOT NULL, recorded_at_text text NOT NULL, data text NOT NULL,
    hash bytea NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (ledger, position),
    CONSTRAINT ledger_events_event_id_key UNIQUE (ledger, event_id)
);
CREATE TABLE ledger_tree (
    ledger text PRIMARY KEY, size bigint NOT NULL CHECK (size >= 0), hashes bytea[] NOT NULL
);
"""
_OLD_MODEL_TABLES = """
CREATE TABLE ledger_model_meta (
    ledger text NOT NULL, name text NOT NULL, version integer NOT NULL,
    position bigint NOT NULL, edge bytea NOT NULL, PRIMARY KEY (ledger, name)
);
CREATE TABLE ledger_model_rows (
    ledger text NOT NULL, name text NOT NULL, tbl text NOT NULL, part text NOT NULL,
    item text NOT NULL, value text NOT NULL, PRIMARY KEY (ledger, name, tbl, part, item)
);
"""


@pytest.mark.parametrize("old", ["1", "2"])
def test_tables_of_schema_1_and_2_are_upgraded_and_writers_lose_the_tree(
    postgres_server: PostgresServer, old: str
) -> None:
    source = fresh(postgres_server.url)
    with Ledger.open(source) as lg:
        lg.extend(story()[:5])
        rows, edge = list(lg.rows()), lg.store.tree()
    schema, suffix = f"old_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:8]
    writer = f"writer_{suffix}"
    url = fresh(postgres_server.url) + f"&schema={schema}"
    name = split_url(url)[1]
    with raw(postgres_server.url) as conn:
        _roles(conn, writer)
        try:
            conn.execute(f"CREATE SCHEMA {schema}")
            conn.execute(f"SET search_path = {schema}")
            conn.execute(_OLD_TABLES + (_OLD_MODEL_TABLES if old == "2" else ""))
            conn.execute("INSERT INTO ledger_meta VALUES ('schema', %s)", (old,))
            conn.execute(
                "INSERT INTO ledger_events SELECT %s, position, event_id, type, schema,"
                " recorded_at, recorded_at_text, data, hash FROM public.ledger_events"
                " WHERE ledger = %s",
                (name, split_url(source)[1]),
            )
            conn.execute(
                "INSERT INTO ledger_tree VALUES (%s, %s, %s::bytea[])",
                (name, edge.size, list(edge.hashes)),
            )
            conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {writer}")
            conn.execute(f"GRANT SELECT, INSERT, UPDATE ON ledger_tree TO {writer}")
            conn.execute("RESET search_path")
            with pytest.raises(StoreUnavailable, match=f"schema {old}"):
                PostgresStore(url, read_only=True)
            with Ledger.open(url) as lg:  # the owner upgrades
                assert list(lg.rows()) == rows
                assert lg.verify().ok
                lg.append(SourceDescribed(source="after", name="After the upgrade"))
                assert lg.store.tree().size == len(rows) + 1
                assert lg.topics()  # the read model works
            meta = dict(conn.execute(f"SELECT key, value FROM {schema}.ledger_meta").fetchall())
            assert meta == {"schema": "3", "namespace": schema}
            granted = conn.execute(
                "SELECT privilege_type FROM information_schema.role_table_grants"
                " WHERE grantee = %s AND table_schema = %s AND table_name = 'ledger_tree'",
                (writer, schema),
            ).fetchall()
            assert granted == [("SELECT",)]
        finally:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            _drop_roles(conn, writer)


def test_the_schema_is_named_by_the_url_or_by_the_search_path_in_its_options(
    postgres_url: str,
) -> None:
    schema = f"named_{uuid.uuid4().hex[:8]}"
    with raw(postgres_url) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        by_name = fresh(postgres_url) + f"&schema={schema}"
        with Ledger.open(by_name) as lg:
            lg.extend(story()[:2])
            assert f"schema '{schema}'" in repr(lg.store)
        # The older way: options=-csearch_path=<schema>,public names the same tables.
        base, ledger = split_url(by_name)
        base = base.replace(f"schema={schema}", "").rstrip("&?")
        old_way = with_ledger(f"{base}&options=-csearch_path%3D{schema}%2Cpublic", ledger)
        with Ledger.open(old_way) as lg:
            assert lg.head == 2
        with raw(postgres_url) as conn:
            found = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = %s"
                " AND tablename LIKE 'ledger_%%'",
                (schema,),
            ).fetchone()
            assert found == (5,)
        with pytest.raises(StoreUnavailable, match=r"\$user"):
            Ledger.open(with_ledger(f"{base}&options=-csearch_path%3D%24user", ledger))
    finally:
        with raw(postgres_url) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_a_password_in_the_url_shows_nowhere(postgres_url: str) -> None:
    url = fresh(postgres_url) + "&password=hunter2-Zq9"  # trust authentication ignores it
    with Ledger.open(url) as lg:
        lg.append(story()[0])
        for shown in (lg.url, lg.store.url, repr(lg.store)):
            assert "hunter2" not in shown
            assert "password=***" in shown or "PostgresStore" in shown


def test_with_no_schema_named_tables_elsewhere_are_not_forked_into_public(
    postgres_url: str,
) -> None:
    with other_database(postgres_url, "elsewhere") as other:
        with psycopg.connect(other, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA ledgers")
        with Ledger.open(with_ledger(other, "k") + "&schema=ledgers") as lg:
            lg.append(story()[0])
        with pytest.raises(StoreUnavailable, match="'ledgers': name the schema"):
            Ledger.open(with_ledger(other, "k"))
        with psycopg.connect(other, autocommit=True) as conn:
            found = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            assert found.fetchone() == (0,)


def _rows_read(plan: Any) -> int:
    """Rows the scans of an EXPLAIN (ANALYZE, FORMAT JSON) plan read from tables, kept or not."""
    node = plan.get("Plan", plan)
    read = 0
    if "Relation Name" in node and node["Node Type"] != "ModifyTable":
        kept = int(node["Actual Rows"]) + int(node.get("Rows Removed by Filter", 0))
        read = kept * int(node.get("Actual Loops", 1))
    return read + sum(_rows_read(child) for child in node.get("Plans", ()))


def test_keyed_reads_probe_the_index_before_the_tables_have_statistics(postgres_url: str) -> None:
    """A new ledger's tables have no statistics until autovacuum's first ANALYZE.

    Until then the planner took "part = ANY(array)" for a filter over every
    read-model row of the table (a single append read all the ledger's claims
    to learn that its claim_id was new), and a delete by keys for a join that
    read every row. The partitions a fold loads, the rows it deletes and the
    records found by event_id are one index probe each, whatever the planner knows.
    """
    schema = f"nostats_{uuid.uuid4().hex[:8]}"
    url = fresh(postgres_url) + f"&schema={schema}"
    name = split_url(url)[1]
    with raw(postgres_url) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        with Ledger.open(url) as lg:
            lg.extend([claim(n, source=f"src/{n % 7}") for n in range(3_000)])
            ids = [r.event_id for r in lg.records()][::100]
        sql = Statements(schema)
        with raw(postgres_url) as conn:
            unanalyzed = conn.execute(
                "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = %s"
                " AND last_analyze IS NULL AND last_autoanalyze IS NULL",
                (schema,),
            ).fetchone()
            assert unanalyzed is not None
            assert unanalyzed[0] >= 2, "the tables were analyzed: the test proves nothing"

            def read(query: str, params: tuple[object, ...]) -> int:
                found = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}", params)
                (plan,) = found.fetchone()[0]  # type: ignore[index]
                return _rows_read(plan)

            # A probe a key reads a row or none (EXPLAIN averages rows over
            # loops, rounded); a scan would read all 3,000 claims or records.
            wanted = ["c17", "c2999", "nobody"]
            assert read(sql.model_load, (wanted, name, MODEL_NAME, "claim")) <= len(wanted)
            assert read(sql.find, ([*ids, "nobody"], name)) <= len(ids) + 1
            with conn.transaction():
                assert read(sql.model_delete, (name, MODEL_NAME, "claim", "c17", "")) == 1
                raise psycopg.Rollback
    finally:
        with raw(postgres_url) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def own_schema(postgres_url: str) -> Iterator[tuple[str, str]]:
    """A fresh ledger in a schema of its own (its tables may be altered), and the schema."""
    schema = f"own_{uuid.uuid4().hex[:8]}"
    with raw(postgres_url) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield fresh(postgres_url) + f"&schema={schema}", schema
    finally:
        with raw(postgres_url) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.mark.parametrize(
    "undo",
    [
        ["ALTER TABLE {s}.ledger_events DROP CONSTRAINT ledger_events_event_id_key"],
        [
            "ALTER TABLE {s}.ledger_events DROP CONSTRAINT ledger_events_event_id_key",
            "ALTER TABLE {s}.ledger_events ADD CONSTRAINT ledger_events_event_id_key"
            " UNIQUE (ledger, event_id) DEFERRABLE",
            "ALTER TABLE {s}.ledger_events DISABLE TRIGGER ALL",
        ],
    ],
    ids=["dropped", "deferrable, its triggers disabled"],
)
def test_a_record_repeating_an_event_id_is_reported_once_the_unique_constraint_is_dropped(
    postgres_url: str, own_schema: tuple[str, str], undo: list[str]
) -> None:
    url, schema = own_schema
    name = split_url(url)[1]
    with Ledger.open(url) as lg:
        lg.extend(story())
        head = lg.head
        assert lg.verify().ok
        again = attrs.evolve(story()[1], event_id=next(lg.records()).event_id)
    row = make_codec().encode(head + 1, again, T0)
    with raw(postgres_url) as conn:
        # As the tables' owner: the constraint goes, and a record with a hash that
        # verifies takes the first record's event_id (the trigger grows the tree).
        for statement in undo:
            conn.execute(statement.replace("{s}", schema))
        insert_by_hand(conn, f"{schema}.ledger_events", name, row)
    with Ledger.open(url, read_only=True) as lg:
        report = lg.verify()
    assert not report.ok
    assert report.first_bad_position == head + 1, report.summary()
    assert "repeats the event_id of the record at position 1" in (report.reason or "")


def test_a_recorded_at_column_that_disagrees_with_its_hashed_text_is_reported(
    postgres_url: str, own_schema: tuple[str, str]
) -> None:
    url, schema = own_schema
    name = split_url(url)[1]
    with Ledger.open(url, clock=ticking().__next__) as lg:
        lg.extend(story()[:4])  # recorded at whole seconds
        lg.extend(story()[4:])  # and with microseconds
        assert {r.recorded_at.microsecond == 0 for r in lg.records()} == {True, False}
        assert lg.verify().ok
    with raw(postgres_url) as conn:
        # As the tables' owner: the column queries read is moved, the hashed text left.
        conn.execute(f"ALTER TABLE {schema}.ledger_events DISABLE TRIGGER ALL")
        conn.execute(
            f"UPDATE {schema}.ledger_events SET recorded_at = '1999-01-01T00:00:00Z'"
            " WHERE ledger = %s AND position = 3",
            (name,),
        )
    with Ledger.open(url, read_only=True) as lg:
        report = lg.verify()
    assert not report.ok
    assert report.first_bad_position == 3, report.summary()
    assert "recorded_at column says 1999-01-01T00:00:00Z" in (report.reason or "")


def test_a_recorded_at_spelled_with_zero_microseconds_is_reported_as_the_codec_reports_it(
    postgres_url: str, own_schema: tuple[str, str], tmp_path: Path
) -> None:
    url, schema = own_schema
    name = split_url(url)[1]
    with Ledger.open(url, clock=lambda: T0) as lg:
        lg.extend(story()[:3])
        row = next(lg.store.read_positions([2]))
    # The same instant spelled with ".000000", hashed so: the two columns agree,
    # only the spelling is not the canonical one, as in a JSON Lines file.
    spelled = attrs.evolve(row, recorded_at=row.recorded_at.replace("Z", ".000000Z"))
    spelled = attrs.evolve(spelled, hash=leaf_hash(spelled.leaf_bytes()).hex())
    with raw(postgres_url) as conn:
        conn.execute(f"ALTER TABLE {schema}.ledger_events DISABLE TRIGGER ALL")
        conn.execute(
            f"UPDATE {schema}.ledger_events SET recorded_at_text = %s, hash = %s"
            " WHERE ledger = %s AND position = 2",
            (spelled.recorded_at, bytes.fromhex(spelled.hash), name),
        )
    # What the codec says of the same record in a JSON Lines file.
    path = tmp_path / "spelled.jsonl"
    with open_store(url, read_only=True) as store:
        path.write_bytes(b"".join(r.to_line() + b"\n" for r in store.read()))
    expected = verify_url(str(path))
    assert expected.first_bad_position == 2, expected.summary()
    report = verify_url(url)
    assert (report.ok, report.first_bad_position) == (False, 2), report.summary()
    assert "is not spelled canonically" in report.reason, report.summary()
    assert report.reason == expected.reason


def test_a_row_stored_before_position_1_is_reported_and_never_found_as_a_record(
    postgres_url: str, own_schema: tuple[str, str]
) -> None:
    url, schema = own_schema
    name = split_url(url)[1]
    ghost = SourceDescribed(source="ghost", name="Ghost")
    with Ledger.open(url) as lg:
        lg.extend(story()[:3])
        assert lg.verify().ok
    # As the tables' owner: the CHECK dropped, a record (hash and all) at position 0.
    row = make_codec().encode(0, ghost, T0)
    assert row.hash == leaf_hash(row.leaf_bytes()).hex()
    with raw(postgres_url) as conn:
        conn.execute(
            f"ALTER TABLE {schema}.ledger_events DROP CONSTRAINT ledger_events_position_check"
        )
        conn.execute(f"ALTER TABLE {schema}.ledger_events DISABLE TRIGGER ALL")
        insert_by_hand(conn, f"{schema}.ledger_events", name, row)
    report = verify_url(url)
    assert not report.ok, report.summary()
    assert "a record is stored before position 1 (at 0)" in report.reason
    with PostgresStore(url) as store:
        assert store.find([ghost.event_id]) == {}
    # Appending that event neither passes for stored at position 0 nor lands after it.
    with Ledger.open(url) as lg, pytest.raises(CorruptLog, match="before position 1"):
        lg.append(ghost)
    with raw(postgres_url) as conn:
        found = conn.execute(
            f"SELECT position FROM {schema}.ledger_events WHERE ledger = %s AND event_id = %s",
            (name, ghost.event_id),
        ).fetchall()
    assert found == [(0,)]


@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only"])
def test_a_schema_that_does_not_exist_is_unavailable_and_not_created(
    postgres_url: str, read_only: bool
) -> None:
    schema = f"none_{uuid.uuid4().hex[:8]}"
    url = fresh(postgres_url) + f"&schema={schema}"
    with pytest.raises(StoreUnavailable) as caught:
        open_store(url, read_only=read_only)
    message = str(caught.value)
    assert f"schema {schema!r} does not exist" in message
    assert "create it first" in message
    assert "CREATE TABLE" not in message  # no SQL of the store's own
    with raw(postgres_url) as conn:
        found = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (schema,))
        assert found.fetchone() == (0,)
