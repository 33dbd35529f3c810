"""The long-row reader reads every row as csv.reader(strict=True) does, and has no field limit.

``ledger.io.longcells.long_row`` reads again a row that ``csv.reader`` refused
only for a field over its size limit. Law: on any text of short fields, the
rows it reads one after another are the rows csv.reader reads, and it
refuses (csv.Error) the first row that csv.reader refuses. And a
spreadsheet whose cell is over the csv module's limit imports with its text
whole, while the limit stays what it was.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import Ledger
from ledger.io.longcells import Recorder, long_row

TEXT = st.text(alphabet='ab,;\t" \r\n\x00é', max_size=60)


def lines_of(text: str) -> list[str]:
    """The lines a binary file gives when iterated: split after each LF only."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def by_csv(text: str, delimiter: str) -> tuple[list[list[str]], str | None]:
    rows: list[list[str]] = []
    reader = csv.reader(iter(lines_of(text)), delimiter=delimiter, strict=True)
    try:
        rows.extend(reader)
    except csv.Error as exc:
        return rows, str(exc)
    return rows, None


def by_long_row(text: str, delimiter: str) -> tuple[list[list[str]], str | None]:
    rows: list[list[str]] = []
    feed = Recorder(iter(lines_of(text)))
    while True:
        feed.mark()
        first = next(feed, None)
        if first is None:
            return rows, None
        try:
            rows.append(long_row(feed, delimiter))
        except csv.Error as exc:
            return rows, str(exc)


@given(TEXT, st.sampled_from([",", ";", "\t"]))
def test_long_row_reads_what_csv_reads_and_refuses_what_it_refuses(
    text: str, delimiter: str
) -> None:
    rows, refused = by_long_row(text, delimiter)
    expected, error = by_csv(text, delimiter)
    assert rows == expected
    assert (refused is None) == (error is None), (refused, error)


@pytest.mark.parametrize("size", [csv.field_size_limit() + 1, 600_000])
def test_a_cell_over_the_csv_limit_imports_whole_and_the_limit_is_untouched(
    tmp_path: Path, size: int
) -> None:
    limit = csv.field_size_limit()
    quote = ('He said "no", then: ' * (size // 20 + 1))[:size] + "\r\nend"
    cell = '"' + quote.replace('"', '""') + '"'
    path = tmp_path / "long.csv"
    path.write_text(
        "type,topic,source,claim_id,statement,stated_at,quote\r\n"
        f"ClaimMade,k/t,a,c1,said,2025-01-13,{cell}\r\n"
        "ClaimMade,k/t,b,c2,said too,2025-01-14,short\r\n",
        encoding="utf-8",
        newline="",
    )
    lg = Ledger.open("memory://")
    assert lg.import_events(path).added == 2
    assert [r.event.quote for r in lg.records()] == [quote, "short"]
    assert csv.field_size_limit() == limit
