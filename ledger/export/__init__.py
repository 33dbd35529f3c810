"""Exports: a ledger's topics, figures, claims, propositions, history and definitions as rows.

``rows(view, what)`` yields plain dicts (``COLUMNS[what]``, in order) from
any object with the read methods of ``ReadView``; ``write`` puts them in a
CSV, TSV, JSON or JSON Lines stream with exact numbers and, in the two
spreadsheet formats, text that never runs as a formula; ``to_pandas`` makes
a typed DataFrame of them. docs/spreadsheets.md describes every column.

The layer sits below the facade: it imports errors, domain and codec only,
and reads a ledger through ``ReadView``.
"""

from __future__ import annotations

from ledger.export.frames import MissingPandas, to_pandas
from ledger.export.rows import COLUMNS, KINDS, WHAT, ReadView, Row, rows
from ledger.export.writers import FORMATS, cell_text, json_value, neutralise, number_text, write

__all__ = [
    "COLUMNS",
    "FORMATS",
    "KINDS",
    "WHAT",
    "MissingPandas",
    "ReadView",
    "Row",
    "cell_text",
    "json_value",
    "neutralise",
    "number_text",
    "rows",
    "to_pandas",
    "write",
]
