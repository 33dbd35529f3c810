"""The JSON Lines store: one record per line, fsync per append, flock for writers.

Line n holds position n, written as ``StoredRow.to_line()`` plus a newline.
The store keeps an index in memory (the offset of every line, the position
of every event_id, the Merkle right edge), built by one scan on open and
extended by every append and by every catch-up with what other processes
appended. Writers hold an exclusive ``flock`` on the file while they catch
up, check the head, write and fsync; readers take a shared one while they
read new lines, so they never see half an append.

Damage is never repaired silently. A last line without its newline is an
interrupted append: it is moved to ``<name>.torn`` with a logged warning and
the file is cut back to the last complete line. A batch of several rows is
announced first in ``<name>.pending`` (its start and end offsets, fsynced),
so a batch cut short by a crash is moved aside whole, complete lines
included, and ``extend`` stays all or nothing. A read-only store repairs
nothing: it reads the complete lines before such damage and keeps the damage
for verify (``unrepaired``). Anything else (bad JSON, a line not laid out as
the store writes it, a repeated key, a wrong, repeated or missing position,
wrong keys or types) raises ``CorruptLog`` naming the line.

The data text of a record is handed on exactly as the line holds it, never
re-encoded, so the leaf bytes verify hashes are the stored bytes.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import sqlite3
import stat
import threading
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

from ledger.codec import StoredRow
from ledger.errors import (
    ConcurrencyError,
    CorruptLog,
    LedgerError,
    StoreError,
    StoreUnavailable,
)
from ledger.merkle import CompactRange
from ledger.stores import sqlfiles
from ledger.stores.admission import admit
from ledger.stores.base import Clock, Store, file_identity, utc_now
from ledger.stores.lines import MAX_LINE, parse_line
from ledger.stores.readmodel import (
    ModelReadOnly,
    ModelWrite,
    ReadModel,
    SQLiteModel,
    create_model_tables,
    retire_snapshot,
    store_model_write,
)

__all__ = ["JsonlStore"]

log = logging.getLogger("ledger.stores.jsonl")

# Larger than any valid line, so a chunk without a newline means damage.
_CHUNK = 4 * 1024 * 1024
_fdatasync = getattr(os, "fdatasync", os.fsync)


class JsonlStore(Store):
    """The log in one JSON Lines file, safe for several writer processes."""

    #: Position n is line n, so an error at a position names the line too.
    numbered_lines = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        url: str | None = None,
        clock: Clock = utc_now,
        read_only: bool = False,
        **options: Any,
    ) -> None:
        self.url = url or os.fspath(path)
        self.clock = clock
        self.read_only = bool(read_only)
        self._path = os.path.abspath(os.fspath(path))
        if options:
            raise StoreUnavailable(f"{self.url}: unknown JSON Lines option(s) {sorted(options)}")
        self._torn_path = self._path + ".torn"
        self._pending_path = self._path + ".pending"
        self._side_path = self._path + ".readmodel"
        self._side: sqlite3.Connection | None = None
        self._side_id: tuple[int, int] | None = None
        self._reading = False
        #: Damage at the end of the file that a read-only store reads past (see unrepaired()).
        self._damage: CorruptLog | None = None
        self._mutex = threading.RLock()
        # _offsets[n] is where line n + 1 starts, so _offsets[-1] is the end
        # of the last complete line and len(_offsets) - 1 the head.
        self._offsets = array("q", [0])
        self._ids: dict[str, int] = {}
        self._edge = CompactRange()
        self._fd = self._open()
        try:
            with self._io("open"):
                self._refresh(always=True)
        except BaseException:
            os.close(self._fd)
            raise
        if not self.read_only:
            retire_snapshot(self._path)

    # -- the Store interface ---------------------------------------------

    def head(self) -> int:
        with self._mutex, self._io("read the head"):
            self._refresh()
            return len(self._offsets) - 1

    def read(self, after: int = 0) -> Iterator[StoredRow]:
        with self._mutex, self._io("read records"):
            self._refresh()
            first = min(max(after, 0), len(self._offsets) - 1)
            start, stop = self._offsets[first], self._offsets[-1]
            # A private descriptor: close() may run while the caller iterates.
            fd = os.dup(self._fd)
        try:
            yield from _rows(fd, start, stop, first + 1, self.url)
        finally:
            os.close(fd)

    def read_positions(self, positions: Sequence[int]) -> Iterator[StoredRow]:
        with self._mutex, self._io("read records"):
            self._refresh()
            rows = [self._line(p) for p in positions]
        yield from rows

    def model(self, name: str) -> ReadModel | None:
        return SQLiteModel(
            name,
            self._side_session,
            lambda: os.path.exists(self._side_path),
            None if self.read_only else self._discard_side,
            self._model_turn,
        )

    @contextlib.contextmanager
    def _model_turn(self) -> Iterator[None]:
        """The log's exclusive lock, held while the read model beside it is written.

        Appends write it under that lock already; a catch-up or a rebuild by
        any process does too, so a reader inside ``reading()`` (the shared
        lock) never sees the rows move under it, as verify's comparison must not.
        """
        with self._mutex, self._io("lock the log"):
            self._check_open()
            if self._reading:
                raise StoreError(f"{self.url}: cannot write the read model inside reading()")
            with self._flock(fcntl.LOCK_EX):
                yield

    def unrepaired(self) -> CorruptLog | None:
        return self._damage

    def _discard_side(self) -> None:
        """Remove the read model's file (before a rebuild): it is a cache, and may be damaged."""
        with self._mutex:
            self._close_side()
            for suffix in ("", "-wal", "-shm", "-journal"):
                try:
                    os.remove(self._side_path + suffix)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    # A directory, or a file this process may not remove: not ours to clear.
                    raise ModelReadOnly(
                        f"cannot remove {self._side_path + suffix} to build the read model "
                        f"again: {exc.strerror or exc}"
                    ) from exc

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        # A shared lock for the block: writers wait, so the log and its read
        # model beside it stay one consistent state while the caller reads.
        with self._mutex:
            if self._reading:
                yield
                return
            with self._io("read the head"):
                # Repairs (a writable store's) need the exclusive lock: before taking ours.
                self._refresh()
                fcntl.flock(self._fd, fcntl.LOCK_SH)
                self._reading = True
                try:
                    self._refresh()  # what was appended between the two
                except BaseException:
                    self._reading = False
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    raise
            try:
                yield
            finally:
                self._reading = False
                if self._fd >= 0:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _side_session(self, what: str) -> Iterator[sqlite3.Connection]:
        """The read model's SQLite file beside the log, opened (and made) on first use."""
        with self._mutex:
            self._check_open()
            try:
                if self._side is not None and self._side_id != file_identity(self._side_path):
                    # Another process removed or rebuilt the file: read the one there now.
                    self._close_side()
                if self._side is None:
                    self._side = _open_side(self._side_path, read_only=self.read_only)
                    self._side_id = file_identity(self._side_path)
                yield self._side
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"{self._side_path}: cannot {what}: {exc}") from exc

    def _close_side(self) -> None:
        side, self._side = self._side, None
        if side is not None:
            with contextlib.suppress(sqlite3.Error):
                side.close()

    def find(self, event_ids: Sequence[str]) -> dict[str, StoredRow]:
        found: dict[str, StoredRow] = {}
        with self._mutex, self._io("find events"):
            self._refresh()
            for event_id in event_ids:
                position = self._ids.get(event_id)
                if position is not None and event_id not in found:
                    found[event_id] = self._line(position)
        return found

    def write(
        self, rows: Sequence[StoredRow], expected_head: int, model: ModelWrite | None = None
    ) -> bool:
        self.check_writable()
        if not rows:
            return True
        lines = [row.to_line() for row in rows]
        with self._mutex, self._io("append"):
            self._check_open()
            if self._reading:
                raise StoreError(f"{self.url}: cannot append inside reading()")
            with self._flock(fcntl.LOCK_EX):
                self._append(rows, lines, expected_head)
                return model is None or self._write_model(model)

    def _write_model(self, model: ModelWrite) -> bool:
        """The read model's changes, stored beside the log while the writer still holds it."""
        try:
            with self._side_session("write the read model") as conn, sqlfiles.immediate(conn):
                return store_model_write(conn, model, self._edge)
        except StoreError as exc:
            # The records are stored: a read model left behind is caught up on the next open.
            log.warning("%s: read model not updated: %s", self.url, exc)
            return False

    def replaced(self) -> bool:
        with self._mutex:
            if self._fd < 0:
                return False
            held = os.fstat(self._fd)
            return file_identity(self._path) != (held.st_dev, held.st_ino)

    def _append(self, rows: Sequence[StoredRow], lines: list[bytes], expected_head: int) -> None:
        """The write itself, under the exclusive lock."""
        named, held = os.stat(self._path), os.fstat(self._fd)
        if (named.st_dev, named.st_ino) != (held.st_dev, held.st_ino):
            # An editor or a rotation replaced the file: appends here would be lost.
            raise StoreUnavailable(f"{self.url} was replaced since it was opened; reopen it")
        self._scan(repair=True)
        head = len(self._offsets) - 1
        if head != expected_head:
            raise ConcurrencyError(expected_head, head)
        leaves = admit(rows, head, stored=self._ids.get)
        blob = b"\n".join(lines) + b"\n"
        start = self._offsets[-1]
        if len(rows) > 1:
            self._announce(start, start + len(blob))
        try:
            _pwrite_all(self._fd, blob, start)
            _fdatasync(self._fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
                _fdatasync(self._fd)
            raise
        for row, line, leaf in zip(rows, lines, leaves, strict=True):
            self._offsets.append(self._offsets[-1] + len(line) + 1)
            self._ids[row.event_id] = row.position
            self._edge.append(leaf)
        if len(rows) > 1:
            self._announce(None)

    def tree(self) -> CompactRange:
        with self._mutex, self._io("read the Merkle tree"):
            self._refresh()
            return self._edge.copy()

    def close(self) -> None:
        with self._mutex:
            fd, self._fd = self._fd, -1
            side, self._side = self._side, None
            if side is not None:
                with contextlib.suppress(sqlite3.Error):
                    side.close()
            if fd >= 0:
                os.close(fd)

    # -- opening ----------------------------------------------------------

    def _open(self) -> int:
        path = self._path
        if os.path.isdir(path):
            raise StoreUnavailable(f"{path} is a directory, not a JSON Lines file")
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
            raise StoreUnavailable(f"cannot create {path}: directory {parent} does not exist")
        if self.read_only:
            # Without waiting: opened to read, a named pipe waits for a writer.
            flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
            try:
                fd = os.open(path, flags)
            except FileNotFoundError:
                raise StoreUnavailable(f"{path}: no such ledger file") from None
            except OSError as exc:
                raise StoreUnavailable(f"cannot open {path}: {_reason(exc)}") from exc
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise StoreUnavailable(f"{path} is not a regular file")
            os.set_blocking(fd, True)
            return fd
        flags = os.O_RDWR | getattr(os, "O_CLOEXEC", 0)
        try:
            try:
                fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                fd = os.open(path, flags)
            else:
                # A new file must survive a power cut along with its first append.
                os.fsync(fd)
                _fsync_dir(parent)
        except OSError as exc:
            raise StoreUnavailable(f"cannot open {path} for writing: {_reason(exc)}") from exc
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise StoreUnavailable(f"{path} is not a regular file")
        return fd

    # -- catching up ------------------------------------------------------

    def _check_open(self) -> None:
        if self._fd < 0:
            raise StoreUnavailable(f"{self.url}: the store is closed")

    def _refresh(self, *, always: bool = False) -> None:
        """Index what other processes appended since this one last looked."""
        self._check_open()
        if not always and os.fstat(self._fd).st_size == self._offsets[-1]:
            self._damage = None  # nothing past the complete lines (a writer repaired it)
            return
        if self._reading:
            # Inside reading() this process holds the shared lock: no writer is at work.
            self._scan(repair=False)
            return
        with self._flock(fcntl.LOCK_SH):
            clean = self._scan(repair=False)
        if not clean:
            # Damage left by a dead writer: repair it where no one else writes.
            with self._flock(fcntl.LOCK_EX):
                self._scan(repair=True)

    def _scan(self, *, repair: bool) -> bool:
        """Index the complete lines past the known end; False if damage needs repair.

        A read-only store, and any store inside reading(), never repairs: it
        indexes the complete lines before the damage and keeps the damage in
        ``_damage`` (an unacknowledged append, so reads leave it out, as a
        repair would).
        """
        hold = not repair and (self.read_only or self._reading)
        self._damage = None
        size = os.fstat(self._fd).st_size
        interrupted = False
        pending = self._pending()
        if pending is not None:
            if repair:
                self._settle(*pending)
                size = os.fstat(self._fd).st_size
            elif not hold:
                return False
            elif pending[0] < size < pending[1]:
                # A batch cut short: its lines were never acknowledged, complete or not.
                self._check_batch_start(pending[0])
                size, interrupted = pending[0], True
        pos = self._offsets[-1]
        if size < pos:
            raise CorruptLog(
                f"{self.url} shrank to {size} bytes below the {pos} bytes already read",
                line=len(self._offsets) - 1,
            )
        while pos < size:
            chunk = os.pread(self._fd, min(_CHUNK, size - pos), pos)
            cut = chunk.rfind(b"\n")
            if cut < 0:
                number = len(self._offsets)
                if pos + len(chunk) < size:
                    raise CorruptLog(f"line is over {MAX_LINE} bytes long", line=number)
                if repair:
                    self._set_aside(pos, size, f"line {number} has no newline")
                elif not hold:
                    return False
                else:
                    self._damage = CorruptLog(
                        "the last line has no newline: an append was interrupted; a writable "
                        f"open moves it to {os.path.basename(self._torn_path)}",
                        line=number,
                        position=number,
                    )
                return True
            for line in chunk[:cut].split(b"\n"):
                self._index(parse_line(line, len(self._offsets)), len(line))
            pos += cut + 1
        if interrupted:
            number = len(self._offsets)
            self._damage = CorruptLog(
                "an append of several records was interrupted from this line on; a writable "
                f"open moves its lines to {os.path.basename(self._torn_path)}",
                line=number,
                position=number,
            )
        return True

    def _index(self, row: StoredRow, length: int) -> None:
        seen = self._ids.get(row.event_id)
        if seen is not None:
            raise CorruptLog(
                f"event_id {row.event_id!r} is already stored at position {seen}",
                line=row.position,
                position=row.position,
            )
        self._edge.append(bytes.fromhex(row.hash))
        self._ids[row.event_id] = row.position
        self._offsets.append(self._offsets[-1] + length + 1)

    # -- damage -----------------------------------------------------------

    def _pending(self) -> tuple[int, int] | None:
        """The (start, end) offsets of an announced batch, or None."""
        try:
            with open(self._pending_path, "rb") as file:
                text = file.read(64)
        except FileNotFoundError:
            return None
        if not text:
            return None
        match = re.fullmatch(rb"(\d+) (\d+)\n", text)
        # An unreadable announcement was cut while being written, before any
        # byte of its batch: there is nothing to settle but the file itself.
        return (int(match[1]), int(match[2])) if match else (0, 0)

    def _announce(self, start: int | None, end: int = 0) -> None:
        """Record, durably, the batch about to be written; None clears it."""
        created = not os.path.exists(self._pending_path)
        fd = os.open(self._pending_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            if start is not None:
                _pwrite_all(fd, b"%d %d\n" % (start, end), 0)
                os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(os.path.dirname(self._path))

    def _settle(self, start: int, end: int) -> None:
        """Resolve a batch announced by a writer that did not finish."""
        size = os.fstat(self._fd).st_size
        if start < size < end:
            self._check_batch_start(start)
            self._set_aside(start, size, "a batch append was interrupted")
        self._announce(None)

    def _check_batch_start(self, start: int) -> None:
        if start < self._offsets[-1]:
            raise CorruptLog(
                f"an interrupted batch starts at byte {start}, inside lines already read",
                line=len(self._offsets) - 1,
            )
        # A batch begins where the log ended: after a newline. An announcement
        # naming any other byte was not written by a writer; act on none of it.
        if start and os.pread(self._fd, 1, start - 1) != b"\n":
            raise CorruptLog(
                f"{os.path.basename(self._pending_path)} announces a batch at byte {start}, "
                "inside a line: no writer wrote it; the log is left as it is"
            )

    def _set_aside(self, start: int, stop: int, why: str) -> None:
        """Move bytes start..stop to the .torn file, then cut the log back to start."""
        fragment = os.pread(self._fd, stop - start, start)
        if not fragment.endswith(b"\n"):
            fragment += b"\n"
        created = not os.path.exists(self._torn_path)
        fd = os.open(self._torn_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            _pwrite_all(fd, fragment, None)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(os.path.dirname(self._path))
        # Only once the fragment is safe in the side file is it cut from the log.
        os.ftruncate(self._fd, start)
        os.fsync(self._fd)
        log.warning(
            "%s: %s; moved %d bytes (from line %d) to %s",
            self.url,
            why,
            stop - start,
            self._line_of(start),
            self._torn_path,
        )

    def _line_of(self, offset: int) -> int:
        """The line that starts at a byte offset after the lines already indexed."""
        pos, line = self._offsets[-1], len(self._offsets)
        while pos < offset:  # only on a repair: the lines not indexed yet are counted
            chunk = os.pread(self._fd, min(_CHUNK, offset - pos), pos)
            if not chunk:
                break
            line += chunk.count(b"\n")
            pos += len(chunk)
        return line

    # -- plumbing ---------------------------------------------------------

    def _line(self, position: int) -> StoredRow:
        start, stop = self._offsets[position - 1], self._offsets[position]
        return parse_line(os.pread(self._fd, stop - start - 1, start), position)

    @contextlib.contextmanager
    def _flock(self, kind: int) -> Iterator[None]:
        if self._reading and kind == fcntl.LOCK_SH:
            # reading() holds it already: unlocking here would let writers in.
            yield
            return
        fcntl.flock(self._fd, kind)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _io(self, what: str) -> Iterator[None]:
        """OS errors as StoreUnavailable naming the file and the operation."""
        try:
            yield
        except LedgerError:
            raise
        except OSError as exc:
            raise StoreUnavailable(f"{self.url}: cannot {what}: {_reason(exc)}") from exc


def _rows(fd: int, start: int, stop: int, line: int, url: str) -> Iterator[StoredRow]:
    """The parsed lines between two offsets, read in chunks."""
    pos = start
    while pos < stop:
        try:
            chunk = os.pread(fd, min(_CHUNK, stop - pos), pos)
        except OSError as exc:
            raise StoreUnavailable(f"{url}: cannot read records: {_reason(exc)}") from exc
        cut = chunk.rfind(b"\n")
        if cut < 0:
            raise CorruptLog(f"{url} changed under the reader", line=line)
        for text in chunk[:cut].split(b"\n"):
            yield parse_line(text, line)
            line += 1
        pos += cut + 1


def _open_side(path: str, *, read_only: bool) -> sqlite3.Connection:
    """The read model's SQLite file: WAL, tables made if missing; read-only: as it is."""
    conn = sqlfiles.connect(path, timeout=30, read_only=read_only)
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        if read_only:
            return conn
        conn.execute("PRAGMA journal_mode = WAL")
        # A cache of the log: a power cut costs a catch-up, never a record.
        conn.execute("PRAGMA synchronous = NORMAL")
        with sqlfiles.immediate(conn):
            create_model_tables(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _pwrite_all(fd: int, data: bytes, offset: int | None) -> None:
    view = memoryview(data)
    while view:
        done = os.write(fd, view) if offset is None else os.pwrite(fd, view, offset)
        view = view[done:]
        if offset is not None:
            offset += done


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
