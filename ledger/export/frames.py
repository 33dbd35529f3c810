"""An export as a pandas DataFrame, with a dtype for each column's kind.

pandas is the optional ``pandas`` extra (``pip install 'claims-ledger[pandas]'``)
and is imported only when a DataFrame is asked for.

==========  ===========================================================
kind        dtype
==========  ===========================================================
text        ``string`` (missing: ``<NA>``)
int         ``Int64`` (nullable)
number      ``Int64`` when every value is an int, else ``Float64``
bool        ``boolean`` (nullable)
time        ``datetime64[us, UTC]``
duration    ``timedelta64[us]``
list        ``object``, each cell a list of strings
==========  ===========================================================
"""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

from ledger.errors import LedgerError
from ledger.export.rows import COLUMNS, KINDS, ReadView, rows

__all__ = ["MissingPandas", "to_pandas"]


class MissingPandas(LedgerError, ImportError):
    """A DataFrame was asked for and pandas, the optional ``pandas`` extra, is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "a DataFrame needs pandas: pip install 'claims-ledger[pandas]'", name="pandas"
        )


def _pandas() -> Any:
    # Through importlib the module is Any: pandas ships no type information.
    try:
        return importlib.import_module("pandas")
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != "pandas":
            raise
        raise MissingPandas() from None


def _column(pd: Any, kind: str, values: list[Any]) -> Any:
    if kind == "text":
        return pd.array(values, dtype="string")
    if kind == "int":
        return pd.array(values, dtype="Int64")
    if kind == "number":
        ints = all(v is None or isinstance(v, int) for v in values)
        return pd.array(values, dtype="Int64" if ints else "Float64")
    if kind == "bool":
        return pd.array(values, dtype="boolean")
    if kind == "time":
        return pd.Series(values, dtype="datetime64[us, UTC]").array
    if kind == "duration":
        return pd.Series(
            [v if isinstance(v, timedelta) else None for v in values], dtype="timedelta64[us]"
        ).array
    found = pd.Series([None if v is None else list(v) for v in values], dtype=object)
    return found.array


def to_pandas(
    view: ReadView,
    what: str,
    *,
    window: timedelta | None = None,
    topic_prefix: str | None = None,
) -> Any:
    """One export (``rows(view, what, ...)``) as a ``pandas.DataFrame`` with typed columns."""
    pd = _pandas()
    found = list(rows(view, what, window=window, topic_prefix=topic_prefix))
    kinds = KINDS[what]
    return pd.DataFrame(
        {c: _column(pd, kinds[c], [row[c] for row in found]) for c in COLUMNS[what]}
    )
