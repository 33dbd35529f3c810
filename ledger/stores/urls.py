"""Store URLs in one place: which store a URL names, its file, its options, and redaction.

The forms (docs/storage.md):

- ``memory://``;
- a path ending in ``.jsonl`` (JSON Lines) or ``.db``, ``.sqlite``, ``.sqlite3``
  (SQLite), taken literally: never a URI, no query;
- ``sqlite:///relative.db`` and ``sqlite:////absolute.db``, percent-decoded,
  with the query ``mode=ro`` (read-only), ``mode=rw`` (must exist) or
  ``mode=rwc`` (the default); ``sqlite:///:memory:`` is a throwaway database;
- ``postgresql://`` and ``postgres://``: a libpq URL whose ``ledger=NAME`` and
  ``schema=NAME`` parameters are the store's own (``split_url``).

``redact`` is the one place credentials are scrubbed from text meant for
people: every message, ``repr`` and log line that may hold a URL goes
through it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, unquote, unquote_plus, urlsplit

import attrs

from ledger.errors import StoreUnavailable

__all__ = [
    "Location",
    "file_of",
    "ledger_name",
    "ledger_schema",
    "locate",
    "redact",
    "split_url",
]

Kind = Literal["memory", "jsonl", "sqlite", "postgresql"]

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
#: The in-memory SQLite database's name, as SQLite spells it.
MEMORY = ":memory:"
_SQLITE_MODES = {"ro": (True, False), "rw": (False, False), "rwc": (False, True)}
_CHOICES = "use memory://, a .jsonl or .db path, sqlite:///path or postgresql://"


@attrs.frozen
class Location:
    """Where a store URL points: the kind of store, its file, and what the URL asks of it."""

    url: str
    kind: Kind
    #: The file of a JSON Lines or SQLite store; None for memory, PostgreSQL and :memory:.
    path: str | None = None
    #: The URL itself asks for a read-only store (sqlite:///…?mode=ro).
    read_only: bool = False
    #: A missing file may be created (False for sqlite:///…?mode=rw and ?mode=ro).
    create: bool = True


def locate(url: str) -> Location:
    """The store a URL names; StoreUnavailable (naming the URL, redacted) when it names none."""
    if not isinstance(url, str) or not url:
        raise StoreUnavailable(f"store URL must be a non-empty string, not {url!r}")
    if "\x00" in url:
        raise StoreUnavailable(f"{redact(url)!r}: a store URL cannot hold NUL")
    try:
        url.encode()
    except UnicodeEncodeError:
        raise StoreUnavailable(
            f"{redact(url)!r}: a store URL must be text (it holds a lone surrogate, "
            "which no store can open)"
        ) from None
    if url.startswith("memory://"):
        return Location(url, "memory")
    if url.startswith("sqlite:"):
        return _sqlite(url)
    if url.startswith(("postgresql://", "postgres://")):
        return Location(url, "postgresql")
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise StoreUnavailable(f"unknown store scheme {scheme!r} in {redact(url)!r}: {_CHOICES}")
    if url.startswith("file:"):
        # SQLite would read it as a URI; a plain path is always a file name.
        raise StoreUnavailable(
            f"{url!r} looks like a SQLite URI: name the file (./{url} if that is its name) "
            "or use sqlite:///path"
        )
    if url.endswith(".jsonl"):
        return Location(url, "jsonl", url)
    if url.endswith(SQLITE_SUFFIXES):
        return Location(url, "sqlite", url)
    raise StoreUnavailable(
        f"cannot tell the store from {redact(url)!r}: name a .jsonl or .db file, "
        "or use memory://, sqlite:///path or postgresql://"
    )


def _sqlite(url: str) -> Location:
    """sqlite:///relative, sqlite:////absolute (as in SQLAlchemy), with ?mode=."""
    if not url.startswith("sqlite://"):
        raise StoreUnavailable(f"{url!r}: a SQLite URL starts sqlite:/// (try sqlite:///ledger.db)")
    parts = urlsplit(url)
    if parts.fragment or url.endswith("#"):
        raise StoreUnavailable(f"{url}: a store URL has no #fragment (write # in a path as %23)")
    if parts.netloc:
        raise StoreUnavailable(
            f"{url}: a SQLite URL names no host: use sqlite:///relative.db or sqlite:////abs.db"
        )
    try:
        path = unquote(parts.path.removeprefix("/"), errors="strict")
    except UnicodeDecodeError:
        raise StoreUnavailable(f"{url}: its %-escapes are not UTF-8 text") from None
    if not path:
        raise StoreUnavailable(f"{url}: no SQLite file named (try sqlite:///ledger.db)")
    read_only, create = False, True
    for key, value in parse_qsl(parts.query, keep_blank_values=True, errors="strict"):
        if key != "mode" or value not in _SQLITE_MODES:
            raise StoreUnavailable(
                f"{url}: unknown SQLite URL parameter {key}={value!r} "
                "(the only one is mode=ro, rw or rwc)"
            )
        read_only, create = _SQLITE_MODES[value]
    if path == MEMORY:
        if read_only or not create:
            raise StoreUnavailable(
                f"{url}: an in-memory database starts empty: it cannot be read-only or required "
                "to exist"
            )
        return Location(url, "sqlite", None)
    if "\x00" in path:
        raise StoreUnavailable(f"{url!r}: a file name cannot hold NUL")
    return Location(url, "sqlite", path, read_only, create)


def file_of(url: str) -> Path | None:
    """The file a store URL names (for the CLI and verify); None for memory, servers, bad URLs."""
    try:
        path = locate(url).path
    except StoreUnavailable:
        return None
    return None if path is None else Path(path)


def ledger_name(url: str) -> str:
    """A ledger's short name (for checkpoint origins): its file's stem, its ?ledger= name, memory.

    Never raises: a URL that names no store gives the text before any query.
    """
    try:
        where = locate(url)
    except StoreUnavailable:
        return Path(url.split("?", 1)[0]).stem or "ledger"
    if where.kind == "memory":
        return url.removeprefix("memory://") or "memory"
    if where.kind == "postgresql":
        try:
            return split_url(url)[1]
        except StoreUnavailable:
            return "postgres"
    return "memory" if where.path is None else Path(where.path).stem


# -- PostgreSQL ----------------------------------------------------------------------------

#: The query parameters of a PostgreSQL URL that are the store's own, not libpq's.
_OWN = ("ledger", "schema")


def _own_params(url: str) -> tuple[str, dict[str, str]]:
    """The URL without the store's own parameters, and those parameters, decoded."""
    base, _, query = url.partition("?")
    kept: list[str] = []
    found: dict[str, list[str]] = {key: [] for key in _OWN}
    for part in query.split("&") if query else ():
        key, _, value = part.partition("=")
        if unquote(key) in found:
            try:
                # Strict: %FF and %FE are not both U+FFFD, naming one ledger twice.
                found[unquote(key)].append(unquote(value, errors="strict"))
            except UnicodeDecodeError:
                raise StoreUnavailable(
                    f"the {unquote(key)} name in the URL: its %-escapes are not UTF-8 text"
                ) from None
        elif part:
            kept.append(part)
    own: dict[str, str] = {}
    for key, values in found.items():
        if len(values) > 1:
            raise StoreUnavailable(f"the {key} is named {len(values)} times in the URL")
        if values:
            if not values[0] or "\x00" in values[0]:
                raise StoreUnavailable(f"{key} name {values[0]!r} must be non-empty text")
            own[key] = values[0]
    return (f"{base}?{'&'.join(kept)}" if kept else base), own


def split_url(url: str) -> tuple[str, str]:
    """The libpq URL without the store's own parameters, and the ledger name (default "default")."""
    conninfo, own = _own_params(url)
    return conninfo, own.get("ledger", "default")


def ledger_schema(url: str, options: str | None = None) -> tuple[str, bool]:
    """The schema that holds a PostgreSQL URL's tables, and whether the URL names it.

    ``schema=NAME`` names it; so does the first schema of a search path set in
    libpq ``options`` (``options=-csearch_path%3Dledgers``, the older way).
    Otherwise ``public``: the server's search path is never consulted, so a
    schema someone else creates earlier on it cannot shadow the tables.
    """
    own = _own_params(url)[1]
    if "schema" in own:
        return own["schema"], True
    found = re.search(r"(?:^|\s)(?:-c\s*|--)search_path\s*=\s*((?:\\.|[^\\\s])+)", options or "")
    if found is None:
        return "public", False
    first = found[1].replace("\\ ", " ").split(",")[0].strip()
    if first.startswith('"') and first.endswith('"') and len(first) > 1:
        first = first[1:-1].replace('""', '"')
    if not first or first in ("$user", "pg_temp", "pg_catalog"):
        raise StoreUnavailable(
            f"the search path in the URL's options starts with {first!r}: "
            "name the ledger's schema with schema=NAME"
        )
    return first, True


# -- redaction -----------------------------------------------------------------------------

#: libpq keywords whose values are secrets.
_SECRET_KEYS = frozenset(("password", "sslpassword"))
_MASK = "***"
#: A stray copy of a password this long is masked wherever it appears; a
#: shorter one only where no letter or digit touches it (it would match
#: inside words).
_LONG_SECRET = 8
# scheme://user:password@ (userinfo before the host); "/" ends the authority.
_USERINFO = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*):[^\s/@]*@")
# ?key=value and &key=value in a URL query, the key possibly percent-encoded.
_QUERY = re.compile(r"([?&;])([^=&#\s'\"]+)=([^&#\s'\"]*)")
# key = value in a libpq conninfo, the value bare or single-quoted with \ escapes.
_CONNINFO = re.compile(r"(?i)(?<![\w%])((?:ssl)?password)(\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s'&]*)")


def redact(text: str, url: str | None = None) -> str:
    """Text fit to show: every password in it, in any form, replaced by ``***``.

    Scrubs a URL's userinfo password (``user:pass@``), ``password=`` and
    ``sslpassword=`` query parameters in any letter case or percent-encoding,
    libpq ``password=`` keywords (bare or quoted), the password of ``url``
    (raw and decoded) wherever the text repeats it (one shorter than eight
    characters only where no letter or digit touches it), and the value of
    ``PGPASSWORD`` from the environment, which is never echoed.
    """
    secrets = _secrets_of(url) if url else set()
    for name in ("PGPASSWORD", "PGSSLPASSWORD"):
        value = os.environ.get(name)
        if value:
            secrets.add(value)
    # The patterns first, so that "***" replaces whole values, then any stray copies.
    text = _USERINFO.sub(rf"\1:{_MASK}@", text)
    text = _QUERY.sub(_query_value, text)
    text = _CONNINFO.sub(rf"\1\2{_MASK}", text)
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _LONG_SECRET:
            text = text.replace(secret, _MASK)
        else:
            # A short one only where it stands alone: password "o" must not
            # turn "connect to PostgreSQL" into "c***nnect t*** P***stgreSQL".
            alone = rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])"
            text = re.sub(alone, _MASK, text)
    return text


def _query_value(match: re.Match[str]) -> str:
    key = unquote_plus(match[2]).strip().lower()
    return f"{match[1]}{match[2]}={_MASK}" if key in _SECRET_KEYS else match[0]


def _secrets_of(url: str) -> set[str]:
    """The passwords a URL or conninfo holds, as written and decoded."""
    found: list[str] = []
    netloc = url.partition("://")[2].split("/", 1)[0].split("?", 1)[0]
    if "@" in netloc:
        userinfo = netloc.rpartition("@")[0]
        if ":" in userinfo:
            found.append(userinfo.partition(":")[2])
    for match in _QUERY.finditer(url):
        if unquote_plus(match[2]).strip().lower() in _SECRET_KEYS:
            found.append(match[3])
    for match in _CONNINFO.finditer(url):
        value = match[3]
        found.append(value)
        if value.startswith("'"):
            found.append(re.sub(r"\\(.)", r"\1", value.strip("'")))
    decoded = {unquote(v) for v in found} | {unquote_plus(v) for v in found}
    return {v for v in (*found, *decoded) if v}
