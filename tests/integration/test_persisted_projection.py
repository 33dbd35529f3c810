"""A user's projection kept in the store beside the log, as the built-in views are.

A ``PersistedProjection`` tracked on a SQLite or JSON Lines ledger starts, in
a new process, from the state stored there and folds only the records
appended since; a state of another version, of another log or that does not
read back is folded again from the first record, with a warning; a
read-only ledger reads the stored state but never writes it.
"""

from __future__ import annotations

import logging
import pickle
import sqlite3
import uuid
from pathlib import Path

import pytest

from ledger import InvalidEvent, Ledger, PersistedProjection
from tests.integration.contract.builders import figure, topic
from tests.integration.projections import FiguresPerSource, by_hand
from tests.pg_server import with_ledger

FILE_KINDS = [".db", ".jsonl"]


@pytest.fixture(params=FILE_KINDS)
def path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return tmp_path / f"log{request.param}"


def test_a_persisted_projection_starts_where_its_stored_state_stands(path: Path) -> None:
    assert isinstance(FiguresPerSource(), PersistedProjection)
    with Ledger.open(str(path)) as lg:
        lg.extend([topic(), figure(1), figure(2, source="src/b")])
        live = lg.track(FiguresPerSource())
        assert live.state == by_hand(lg) == {"src/a": 1, "src/b": 1}
        lg.append(figure(3, source="src/b"))
        assert live.state == {"src/a": 1, "src/b": 2}
    # Another process: the stored state, then only what was appended since.
    with Ledger.open(str(path)) as lg:
        lg.append(figure(4, source="src/c"))
        projection = FiguresPerSource()
        live = lg.track(projection)
        assert live.position == 4
        assert live.state == by_hand(lg) == {"src/a": 1, "src/b": 2, "src/c": 1}
        assert projection.folded == 1
    # A read-only process reads it and folds what is new, storing nothing.
    with Ledger.open(str(path)) as lg:
        lg.append(figure(5, source="src/a"))
    with Ledger.open(str(path), read_only=True) as lg:
        projection = FiguresPerSource()
        live = lg.track(projection)
        assert live.state == by_hand(lg)
        assert projection.folded == 1
    with Ledger.open(str(path)) as lg:
        projection = FiguresPerSource()
        assert lg.track(projection).state == by_hand(lg)
        assert projection.folded == 1  # the read-only process stored nothing


def test_a_stored_state_of_another_version_is_folded_again(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Ledger.open(str(path)) as lg:
        lg.extend([topic(), figure(1), figure(2, source="src/b")])
        assert lg.track(FiguresPerSource()).state == by_hand(lg)
    with caplog.at_level(logging.WARNING, logger="ledger"), Ledger.open(str(path)) as lg:
        projection = FiguresPerSource(version=2)
        assert lg.track(projection).state == by_hand(lg)
        assert projection.folded == 3
    assert "of another version or another log" in caplog.text
    with Ledger.open(str(path)) as lg:
        projection = FiguresPerSource(version=2)
        assert lg.track(projection).state == by_hand(lg)
        assert projection.folded == 0  # version 2 was stored


@pytest.mark.parametrize(
    "error",
    [ValueError("cannot read it"), pickle.UnpicklingError("pickle data was truncated")],
    ids=["ValueError", "UnpicklingError"],
)
def test_a_state_load_cannot_read_is_folded_again_whatever_load_raises(
    path: Path, caplog: pytest.LogCaptureFixture, error: Exception
) -> None:
    with Ledger.open(str(path)) as lg:
        lg.extend([topic(), figure(1), figure(2, source="src/b")])
        assert lg.track(FiguresPerSource()).state == by_hand(lg)

    class Broken(FiguresPerSource):
        def load(self, text: str) -> dict[str, int]:
            raise error

    with caplog.at_level(logging.WARNING, logger="ledger"), Ledger.open(str(path)) as lg:
        projection = Broken()
        assert lg.track(projection).state == by_hand(lg)
        assert projection.folded == 3
    assert "does not read back" in caplog.text
    assert str(error) in caplog.text


def test_resetting_one_projection_leaves_the_others_and_the_built_in_views_stored(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Other(FiguresPerSource):
        name = "other"

    with Ledger.open(str(path)) as lg:
        lg.extend([topic(), figure(1), figure(2, source="src/b")])
        assert lg.track(FiguresPerSource()).state == lg.track(Other()).state == by_hand(lg)
        lg.topics()
    with Ledger.open(str(path)) as lg:
        assert lg.track(FiguresPerSource(version=2)).state == by_hand(lg)  # folded again
    caplog.clear()
    with caplog.at_level(logging.WARNING), Ledger.open(str(path)) as lg:
        other = Other()
        assert lg.track(other).state == by_hand(lg)
        assert other.folded == 0
        assert lg.topic("kursk/casualties").range is not None
    assert caplog.text == ""  # no read model was built again


def test_a_stored_state_of_another_log_is_folded_again(tmp_path: Path) -> None:
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    with Ledger.open(str(first)) as lg:
        lg.extend([topic(), figure(1), figure(2, source="src/b")])
        assert lg.track(FiguresPerSource()).state == by_hand(lg)
    with Ledger.open(str(second)) as lg:
        lg.extend([topic(), figure(1, source="src/z"), figure(2, source="src/y")])
    # The first file's stored state copied into the second: its Merkle edge tells.
    conn = sqlite3.connect(second, isolation_level=None)
    conn.execute("ATTACH DATABASE ? AS first", (str(first),))
    for table in ("model_meta", "model_rows"):
        conn.execute(
            f"INSERT INTO {table} SELECT * FROM first.{table} WHERE name = 'figures-per-source'"
        )
    conn.execute("DETACH DATABASE first")
    conn.close()
    with Ledger.open(str(second)) as lg:
        projection = FiguresPerSource()
        assert lg.track(projection).state == {"src/z": 1, "src/y": 1}
        assert projection.folded == 3


def test_a_projection_named_as_the_built_in_views_is_refused(tmp_path: Path) -> None:
    class Clash(FiguresPerSource):
        name = "ledger"

    with (
        Ledger.open(str(tmp_path / "log.db")) as lg,
        pytest.raises(InvalidEvent, match="name must be text other than 'ledger'"),
    ):
        lg.track(Clash())


@pytest.mark.parametrize(
    ("name", "version", "message"),
    [
        ("big", 2**63, "version must be an integer from 0 to 2147483647"),
        ("negative", -1, "version must be an integer from 0 to 2147483647"),
        ("\ud800", 1, "name holds '.ud800' at index 0"),
    ],
)
def test_a_persisted_projection_a_store_cannot_hold_is_refused_by_name(
    tmp_path: Path, name: str, version: int, message: str
) -> None:
    projection = FiguresPerSource(version=version)
    projection.name = name
    with Ledger.open(str(tmp_path / "log.db")) as lg:
        lg.append(topic())
        with pytest.raises(InvalidEvent, match=message):
            lg.track(projection)


def test_a_class_given_for_a_projection_is_refused_by_name() -> None:
    lg = Ledger.open("memory://")
    with pytest.raises(InvalidEvent, match="FiguresPerSource is a class: pass an instance"):
        lg.track(FiguresPerSource)  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent, match="is a class"):
        lg.project(FiguresPerSource)  # type: ignore[arg-type]


def test_a_dump_that_does_not_give_text_is_refused_by_name(path: Path) -> None:
    class Dict(FiguresPerSource):
        def dump(self, state: dict[str, int]) -> str:
            return state  # type: ignore[return-value]

    with Ledger.open(str(path)) as lg:
        lg.extend([topic(), figure(1)])
        live = lg.track(Dict())
        with pytest.raises(InvalidEvent, match="what dump\\(\\) returned is not text"):
            live.refresh()
        assert live.position == lg.head  # folded; only the store was refused


def test_a_memory_ledger_keeps_a_persisted_projection_in_memory() -> None:
    lg = Ledger.open("memory://")
    lg.extend([topic(), figure(1)])
    projection = FiguresPerSource()
    assert lg.track(projection).state == {"src/a": 1}
    assert lg.track(FiguresPerSource()).state == {"src/a": 1}


def test_a_persisted_projection_beside_the_built_in_views_leaves_verify_and_rebuild_alone(
    path: Path,
) -> None:
    with Ledger.open(str(path)) as lg:
        lg.extend([topic(), figure(1), figure(2, source="src/b")])
        assert lg.track(FiguresPerSource()).state == by_hand(lg)
        report = lg.verify()
        assert report.ok, report.summary()
        assert report.read_model_agrees
        lg.rebuild()  # the built-in views' rows only
    with Ledger.open(str(path)) as lg:
        projection = FiguresPerSource()
        assert lg.track(projection).state == by_hand(lg)
        # The built-in views' rows are rebuilt; this projection's state stands, in either store.
        assert projection.folded == 0


@pytest.mark.postgres
def test_a_persisted_projection_on_postgresql_starts_where_its_stored_state_stands(
    postgres_url: str,
) -> None:
    url = with_ledger(postgres_url, f"kept{uuid.uuid4().hex[:12]}")
    with Ledger.open(url) as lg:
        lg.extend([topic(), figure(1), figure(2, source="src/b")])
        assert lg.track(FiguresPerSource()).state == by_hand(lg)
    with Ledger.open(url) as lg:
        lg.append(figure(3, source="src/c"))
        projection = FiguresPerSource()
        assert lg.track(projection).state == by_hand(lg)
        assert projection.folded == 1
