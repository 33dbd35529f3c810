"""SQLite files, as both file stores open them: URIs, read-only opening, transactions, error codes.

A file is always opened through a ``file:`` URI built from its absolute path
(so no file name is ever read as a URI or an option), with ``mode=ro`` for a
read-only store. A WAL database needs its ``-shm`` file to be read; on a
read-only file system that file cannot be made, so a database with no
``-wal`` beside it (no writer can be at work there) is read as immutable.

A write transaction is ``immediate()`` (BEGIN IMMEDIATE … COMMIT), or its
COMMIT runs in a thread of its own (``Committing``) while the writer works.

sqlite3 errors are told apart by ``sqlite_errorcode`` (Python 3.11), never
by their message.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from urllib.parse import quote

from ledger.stores.background import Background

__all__ = [
    "Committing",
    "connect",
    "immediate",
    "is_busy",
    "is_conversion",
    "is_corrupt",
    "is_read_only",
    "primary_code",
]

_BUSY = frozenset((sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED))
_CORRUPT = frozenset((sqlite3.SQLITE_CORRUPT,))
_READ_ONLY = frozenset(
    (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_AUTH)
)

# What a WAL reader gets when it cannot make the -shm file: a read-only mount
# gives CANTOPEN, a directory of another user READONLY (_DIRECTORY, _CANTINIT).
_NO_SHM = frozenset((sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY))


def primary_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code of an error; None when sqlite3 itself raised it."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether another connection holds the lock (SQLITE_BUSY, SQLITE_LOCKED)."""
    return primary_code(exc) in _BUSY


def is_corrupt(exc: sqlite3.Error) -> bool:
    """Whether SQLite found the file damaged (SQLITE_CORRUPT)."""
    return primary_code(exc) in _CORRUPT


def is_read_only(exc: sqlite3.Error) -> bool:
    """Whether the file may not be written here (read-only, no permission, cannot open)."""
    return primary_code(exc) in _READ_ONLY


def is_conversion(exc: sqlite3.Error) -> bool:
    """Whether sqlite3 failed to convert a value it fetched (text that is not UTF-8).

    Such errors come from the sqlite3 module, not from SQLite, and carry no
    result code.
    """
    return isinstance(exc, sqlite3.OperationalError) and primary_code(exc) is None


def _uri(path: str, mode: str, *, immutable: bool = False) -> str:
    uri = f"file:{quote(os.path.abspath(path))}?mode={mode}"
    return uri + "&immutable=1" if immutable else uri


def connect(
    path: str | None, *, timeout: float, read_only: bool = False, create: bool = True
) -> sqlite3.Connection:
    """A connection to a SQLite file (None: a new in-memory database), in autocommit mode."""
    if path is None:
        return _open(":memory:", timeout)
    mode = "ro" if read_only else "rwc" if create else "rw"
    conn = _open(_uri(path, mode), timeout)
    if not read_only:
        return conn
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        conn.close()
        if primary_code(exc) not in _NO_SHM or os.path.exists(path + "-wal"):
            raise
        # A directory this process may not write (a read-only mount, another
        # user's folder) cannot hold the -shm file WAL readers share; with no
        # -wal beside the file no writer is at work, so its pages are all there is.
        return _open(_uri(path, "ro", immutable=True), timeout)
    return conn


def _open(target: str, timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(
        target,
        timeout=timeout,
        isolation_level=None,
        check_same_thread=False,
        uri=target.startswith("file:"),
    )


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """A write transaction: BEGIN IMMEDIATE … COMMIT, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class Committing:
    """The COMMIT of a connection's write transaction, running in a thread of its own.

    SQLite syncs the file (and now and then checkpoints the WAL) without
    holding Python's interpreter lock, so the caller's own work goes on
    meanwhile. ``start()``, then ``wait()`` before the connection is used
    again. A thread that cannot be started commits in the caller's thread.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        #: What the COMMIT raised (the transaction is rolled back by wait()), if anything.
        self.error: BaseException | None = None
        self._background = Background(self._commit, "ledger-commit")

    def start(self) -> None:
        """Start the COMMIT (in the caller's thread if no thread can be started)."""
        self._background.start()

    def _commit(self) -> None:
        self._conn.execute("COMMIT")

    def wait(self) -> BaseException | None:
        """Return once the COMMIT is done: None, or its error (the transaction rolled back)."""
        self.error = self._background.wait() or self.error
        if self.error is not None:
            with contextlib.suppress(sqlite3.Error):
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
        return self.error
