"""verify's comparison of the read model: a faithful one agrees, any altered row is found.

For any valid event sequence, the read model a ledger stores agrees with a
fold of its log; and any one change to its rows (a row removed, a row's text
replaced by another row's, a row added under a new key) that changes what the
rows say is reported: NOT OK when the changed rows read back, named as rows
that do not read back otherwise. A change that leaves every row's value as it
was (the same text written again) is no disagreement.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ledger import Ledger
from ledger.domain.events import Event
from ledger.testing.strategies import event_sequences

Row = tuple[str, str, str, str]


def rows_of(path: Path) -> list[Row]:
    conn = sqlite3.connect(path)
    try:
        found = conn.execute(
            "SELECT tbl, part, item, value FROM model_rows ORDER BY tbl, part, item"
        ).fetchall()
    finally:
        conn.close()
    return [tuple(row) for row in found]


def run(path: Path, statement: str, *args: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(statement, args)
    finally:
        conn.close()


@given(
    events=event_sequences(min_size=1, max_size=20),
    change=st.sampled_from(["remove", "replace", "add"]),
    data=st.data(),
)
def test_any_changed_row_of_the_read_model_is_found(
    events: list[Event], change: str, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "audit.db"
        with Ledger.open(str(path)) as lg:
            lg.extend(events)
            assert lg.verify().read_model_agrees is True
        rows = rows_of(path)
        tbl, part, item, value = data.draw(st.sampled_from(rows), label="row")
        same_table = [r for r in rows if r[0] == tbl]
        if change == "remove":
            run(
                path,
                "DELETE FROM model_rows WHERE tbl = ? AND part = ? AND item = ?",
                tbl,
                part,
                item,
            )
            changed = True
        elif change == "replace":
            other = data.draw(st.sampled_from(same_table), label="text of")[3]
            run(
                path,
                "UPDATE model_rows SET value = ? WHERE tbl = ? AND part = ? AND item = ?",
                other,
                tbl,
                part,
                item,
            )
            changed = other != value
        else:
            run(
                path,
                "INSERT INTO model_rows SELECT name, tbl, part, item || '~', value"
                " FROM model_rows WHERE tbl = ? AND part = ? AND item = ?",
                tbl,
                part,
                item,
            )
            changed = True
        with Ledger.open(str(path), read_only=True) as lg:
            report = lg.verify()
        if not changed:
            assert report.ok
            assert report.read_model_agrees is True
        else:
            assert report.read_model_agrees is not True, (tbl, part, item, change)
            assert report.read_model is not None
            assert f"table {tbl!r}" in report.read_model
            assert report.ok is (report.read_model_agrees is None)
