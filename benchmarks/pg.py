"""A throwaway PostgreSQL server for the benchmarks, started the way the tests start theirs.

It reuses ``tests/pg_server.py``: ``initdb`` and ``pg_ctl`` from PATH or
/usr/lib/postgresql/*/bin, run as the ``postgres`` user when the harness runs
as root, listening only on a unix socket in a temporary directory, with the
tests' settings (``fsync=off``, ``full_page_writes=off``: commits are not
durable, which RESULTS.md says beside every PostgreSQL figure). Each ledger
the harness builds gets a database of its own, so that one ledger's rows
never weigh on another's measurements, and so that an older ledger's schema
is never migrated by today's code.
"""

from __future__ import annotations

import os
import pwd
import re
from typing import Any

__all__ = ["BenchServer", "unavailable"]


def unavailable() -> str | None:
    """Why no throwaway server can be started here, or None if one can."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (the `postgres` extra)"
    try:
        from tests.pg_server import _find_binaries
    except ImportError as exc:
        return f"tests/pg_server.py cannot be imported ({exc})"
    if _find_binaries() is None:
        return "no initdb and pg_ctl on PATH or under /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the server as"
    return None


class BenchServer:
    """A throwaway server (``tests.pg_server.PostgresServer``) and the databases made on it."""

    def __init__(self, server: Any = None) -> None:
        """Start a throwaway server, or use a running ``PostgresServer`` (the tests')."""
        if server is None:
            from tests.pg_server import PostgresServer, _find_binaries

            binaries = _find_binaries()
            if binaries is None:
                raise RuntimeError("no PostgreSQL server binaries")
            server = PostgresServer.create(*binaries)
        self._server = server
        # postgresql:///ledger_test?host=…&user=postgres: the same host and user, other databases.
        self._query = self._server.url.partition("?")[2]

    def url(self, database: str) -> str:
        """The URL of a database on this server."""
        return f"postgresql:///{database}?{self._query}"

    def create_database(self, name: str) -> str:
        """A new, empty database (dropped first if a run left it); its URL."""
        import psycopg

        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain database name: {name!r}")
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
        return self.url(name)

    def settings(self) -> str:
        """The server's version and the settings that bear on the figures."""
        import psycopg

        names = ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers")
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            version = row[0] if row else "?"
            shown = []
            for name in names:
                value = conn.execute(f"SHOW {name}").fetchone()
                shown.append(f"{name}={value[0] if value else '?'}")
        return f"PostgreSQL {version} ({', '.join(shown)}; unix socket, same machine)"

    def stop(self) -> None:
        """Stop the server and remove its files."""
        self._server.destroy()
