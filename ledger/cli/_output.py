"""Files a command writes: never over the ledger it reads, and never half a file.

Every command with an output option (``-o``) goes through this module:

- ``check_output`` refuses a path that is the store, one of the files a store
  keeps beside it (``SIDE_SUFFIXES``), or one of the command's input files,
  compared as resolved real paths, so ``./v.db``, ``sqlite:///v.db`` and a
  symlink to ``v.db`` are all caught; an existing file is also compared by
  identity, which catches hard links;
- ``atomic_file`` writes a temporary file in the target's directory, fsyncs
  it and ``os.replace``\\ s it over the target (or links it into place when the
  target must not exist), so a failed write leaves no half-written file. A
  symlink stays a symlink: the file it points to is the one replaced. A
  target that exists and is not a regular file (``/dev/stdout``, a named
  pipe, ``>(command)``, a device) is written through, never replaced;
- ``output_file`` and ``write_output`` do both.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from ledger.cli._common import CliError
from ledger.present.text import terminal
from ledger.stores.urls import file_of

__all__ = [
    "SIDE_SUFFIXES",
    "atomic_file",
    "check_output",
    "output_file",
    "protected_paths",
    "write_output",
]

#: Files a store may keep beside its own ``<store>``: SQLite's journals, the
#: JSON Lines store's torn tail and pending append, a lock, the snapshot and the
#: read model (both SQLite files with journals of their own).
SIDE_SUFFIXES: tuple[str, ...] = (
    "-wal",
    "-shm",
    "-journal",
    ".torn",
    ".pending",
    ".lock",
    *(
        f"{cache}{journal}"
        for cache in (".snapshot", ".readmodel")
        for journal in ("", "-wal", "-shm", "-journal")
    ),
)

PathLike = str | os.PathLike[str]


def _real(path: PathLike) -> str:
    # realpath follows symlinks (even dangling ones) component by component, then ./ and ../.
    return os.path.realpath(os.fspath(path))


def protected_paths(store: str) -> list[tuple[str, str]]:
    """The store's file and its side files as (real path, what it is); none for servers."""
    path = file_of(store)  # as the stores read the URL: sqlite:///v%2Edb?mode=ro is v.db
    if path is None:
        return []
    base = _real(path)
    return [(base, f"the ledger {store}")] + [
        (base + suffix, f"the side file {os.path.basename(base)}{suffix} of the ledger {store}")
        for suffix in SIDE_SUFFIXES
    ]


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False  # one of them does not exist (yet)


def check_output(
    output: PathLike,
    *,
    stores: Iterable[str] = (),
    inputs: Iterable[PathLike | None] = (),
    option: str = "-o",
) -> Path:
    """The output path, unless it names a store, a store's side file or an input file.

    A refusal is a CliError (``Error: -o FILE: ...``, exit 1) and nothing is written.
    """
    target = _real(output)
    guarded = [p for store in stores for p in protected_paths(store)]
    guarded += [(_real(i), f"the input file {os.fspath(i)}") for i in inputs if i is not None]
    for path, what in guarded:
        if target == path or _same_file(target, path):
            raise CliError(
                terminal(f"{option} {os.fspath(output)}: is {what}; refusing to overwrite it")
            )
    if os.path.isdir(target) or os.fspath(output).endswith(("/", os.sep)):
        raise CliError(terminal(f"{option} {os.fspath(output)}: is a directory, not a file"))
    parent = os.path.dirname(os.path.abspath(os.fspath(output)))
    if not os.path.isdir(parent):
        # Named now, before anything is computed, and by the path the user gave
        # (not the temporary file beside it that the write goes through).
        raise CliError(terminal(f"{option} {os.fspath(output)}: no such directory {parent}"))
    return Path(output)


def _fsync_dir(directory: str) -> None:
    # The rename itself must reach the disk, or a crash can bring back the old file.
    with suppress(OSError):  # some file systems cannot open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def atomic_file(
    path: PathLike, *, mode: int = 0o666, exclusive: bool = False
) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``path`` only when the block succeeds.

    The bytes go to a temporary file beside ``path`` (created with ``mode``,
    less the umask, or with the mode of the file it replaces), which is
    fsynced and then renamed over ``path`` (over the file a symlink at
    ``path`` points to); with ``exclusive`` it is linked into place instead
    and an existing ``path`` is an error (FileExistsError). If the block
    fails, the temporary file is removed and ``path`` is untouched. An
    existing ``path`` that is not a regular file (a device, a pipe) is
    written straight through instead: there is nothing to replace.
    """
    target = os.path.abspath(os.fspath(path))
    if not exclusive:
        try:
            found = os.stat(target)  # through symlinks, /dev/fd/N included
        except OSError:
            found = None
        if found is not None and not stat.S_ISREG(found.st_mode):
            # A device, a pipe, a socket: written through, never replaced.
            with open(target, "wb") as stream:
                yield stream
            return
        if found is not None:
            mode = stat.S_IMODE(found.st_mode)
        target = os.path.realpath(target)  # a symlink stays; what it points to is replaced
    directory, name = os.path.split(target)
    temporary = os.path.join(directory, f".{name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        if exclusive:
            os.link(temporary, target)  # fails, atomically, when the target exists
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_dir(directory)


@contextmanager
def output_file(
    path: PathLike,
    *,
    stores: Iterable[str] = (),
    inputs: Iterable[PathLike | None] = (),
    option: str = "-o",
    mode: int = 0o666,
    exclusive: bool = False,
) -> Iterator[IO[bytes]]:
    """check_output, then atomic_file: the one way a command writes its output file.

    A file system error while writing it (no space, no permission, a
    read-only or special file system) is a CliError naming the path the
    user gave, not the temporary file beside it. An existing target of an
    exclusive write stays a FileExistsError, and a closed pipe a
    BrokenPipeError, for the caller.
    """
    check_output(path, stores=stores, inputs=inputs, option=option)
    try:
        with atomic_file(path, mode=mode, exclusive=exclusive) as file:
            yield file
    except (FileExistsError, BrokenPipeError):
        raise
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise CliError(terminal(f"{option} {os.fspath(path)}: {why}")) from exc


def write_output(
    path: PathLike,
    data: str | bytes,
    *,
    stores: Iterable[str] = (),
    inputs: Iterable[PathLike | None] = (),
    option: str = "-o",
    mode: int = 0o666,
    exclusive: bool = False,
) -> Path:
    """Write text (UTF-8) or bytes to an output file, checked and atomic; returns the path."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with output_file(
        path, stores=stores, inputs=inputs, option=option, mode=mode, exclusive=exclusive
    ) as file:
        file.write(raw)
    return Path(path)
