"""The PostgreSQL server the tests run against (issue 7).

``LEDGER_TEST_POSTGRES_URL`` names a server to use when set. Otherwise a
throwaway server is built for the session: ``initdb`` and ``pg_ctl`` from
PATH or /usr/lib/postgresql/*/bin, run as the ``postgres`` user when the
tests run as root, listening only on a unix socket in a temporary directory,
stopped and removed at the end. With neither, the PostgreSQL tests skip with
the reason; ``LEDGER_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) turns that
skip into a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

__all__ = ["PostgresServer", "other_database", "postgres_server", "postgres_url", "with_ledger"]

_DATABASE = "ledger_test"


def with_ledger(url: str, name: str) -> str:
    """The URL of ledger `name` in the database that url names."""
    return f"{url}{'&' if '?' in url else '?'}ledger={name}"


@contextmanager
def other_database(url: str, prefix: str, how: str = "ENCODING 'UTF8'") -> Iterator[str]:
    """A database of its own on the test server, made `how` from template0, then dropped: its URL.

    Skipped where the server's role may not create one.
    """
    import psycopg

    from ledger.stores.postgres import split_url

    base, _ = split_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        try:
            conn.execute(f"CREATE DATABASE {name} {how} TEMPLATE template0")
        except psycopg.Error as exc:
            pytest.skip(f"cannot create a database on this server: {exc}")
    try:
        yield re.sub(r"/ledger_test(\?|$)", rf"/{name}\1", base)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _unavailable(reason: str) -> None:
    if os.environ.get("LEDGER_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"LEDGER_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _find_binaries() -> tuple[str, str] | None:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    # Debian and Ubuntu keep the server binaries off PATH, one folder per major version.
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        initdb, pg_ctl = os.path.join(folder, "initdb"), os.path.join(folder, "pg_ctl")
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb, pg_ctl
    return None


class PostgresServer:
    """A throwaway PostgreSQL server on a unix socket, or a server named by URL."""

    def __init__(self, url: str, *, pg_ctl: str | None = None, base: Path | None = None) -> None:
        #: URL of the test database, ready for `with_ledger`.
        self.url = url
        self._pg_ctl = pg_ctl
        self._base = base

    @property
    def can_restart(self) -> bool:
        """Whether the tests own this server and may stop and start it."""
        return self._pg_ctl is not None

    @classmethod
    def create(cls, initdb: str, pg_ctl: str) -> PostgresServer:
        """initdb a cluster in a fresh temporary directory and start it."""
        base = Path(tempfile.mkdtemp(prefix="ledger-pg-"))
        (base / "sock").mkdir()
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root; the postgres user must own the cluster.
            entry = pwd.getpwnam("postgres")
            for path in (base, base / "sock"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        server = cls(
            f"postgresql:///{_DATABASE}?host={base / 'sock'}&user=postgres",
            pg_ctl=pg_ctl,
            base=base,
        )
        try:
            server._run(
                initdb,
                "-D",
                str(base / "data"),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "-A",
                "trust",
                "--no-sync",
            )
            server.start()
            server._create_database()
        except BaseException:
            server.destroy()
            raise
        return server

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        base, pg_ctl = self._owned()
        # Unix socket only; fsync off because the tests crash processes, never the machine.
        options = (
            f"-k {base / 'sock'} -c listen_addresses='' -c fsync=off "
            "-c full_page_writes=off -c max_connections=60"
        )
        data, logfile = str(base / "data"), str(base / "server.log")
        self._run(pg_ctl, "start", "-w", "-t", "60", "-D", data, "-l", logfile, "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: "fast" rolls back sessions, "immediate" is a crash."""
        base, pg_ctl = self._owned()
        self._run(pg_ctl, "stop", "-w", "-t", "60", "-m", mode, "-D", str(base / "data"))

    def restart(self, mode: str = "fast", down_for: float = 0.0) -> None:
        """Stop the server, leave it down for a while, and start it again."""
        self.stop(mode)
        time.sleep(down_for)
        self.start()

    def destroy(self) -> None:
        """Stop the server if it runs and remove its directory."""
        if self._base is None:
            return
        if (self._base / "data" / "postmaster.pid").exists():
            subprocess.run(
                [str(self._pg_ctl), "stop", "-m", "immediate", "-D", str(self._base / "data")],
                capture_output=True,
                check=False,
                cwd=self._base,
                **self._user(),
            )
        shutil.rmtree(self._base, ignore_errors=True)

    def log(self) -> str:
        """The server's log so far, for failure messages."""
        if self._base is None:
            return ""
        path = self._base / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _owned(self) -> tuple[Path, str]:
        if self._base is None or self._pg_ctl is None:
            pytest.skip("the PostgreSQL server is not the tests' own (LEDGER_TEST_POSTGRES_URL)")
        return self._base, self._pg_ctl

    def _create_database(self) -> None:
        import psycopg

        base, _ = self._owned()
        admin = f"postgresql:///postgres?host={base / 'sock'}&user=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {_DATABASE} ENCODING 'UTF8' TEMPLATE template0")

    def _run(self, *argv: str) -> None:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, check=False, cwd=self._base, **self._user()
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n"
                f"{self.log()[-4000:]}"
            )

    @staticmethod
    def _user() -> dict[str, Any]:
        if os.geteuid() != 0:
            return {}
        entry = pwd.getpwnam("postgres")
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (see the module docstring)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed: install claims-ledger[postgres]")
    url = os.environ.get("LEDGER_TEST_POSTGRES_URL")
    if url:
        yield PostgresServer(url)
        return
    binaries = _find_binaries()
    if binaries is None:
        _unavailable(
            "no PostgreSQL server for the tests: set LEDGER_TEST_POSTGRES_URL, or install "
            "the server (initdb and pg_ctl on PATH or under /usr/lib/postgresql/*/bin)"
        )
        return
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("the tests run as root and there is no postgres user to run initdb as")
    server = PostgresServer.create(*binaries)
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a database on the test server; add `&ledger=NAME` (see with_ledger)."""
    return postgres_server.url
