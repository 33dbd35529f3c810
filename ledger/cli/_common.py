"""What every command shares: opening stores, --as-of, error mapping, output."""

from __future__ import annotations

import glob
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import IO, Any, TypeVar, cast

import click
from rich.console import Console

from ledger.codec import format_timestamp, parse_timestamp
from ledger.domain.durations import parse_window
from ledger.errors import ImportFailed, InvalidEvent, LedgerError, StoreUnavailable
from ledger.facade import Ledger, LedgerView
from ledger.present.text import json_text, terminal
from ledger.stores.urls import file_of, redact

__all__ = [
    "OWN_PROCESS",
    "AsOf",
    "CliError",
    "LedgerCommand",
    "LedgerGroup",
    "Moment",
    "Whole",
    "WindowType",
    "as_of_json",
    "as_of_option",
    "console",
    "describe_as_of",
    "emit_json",
    "json_option",
    "open_ledger",
    "owns_process",
    "reading_ledger",
    "removed_on_error",
    "store_argument",
    "view_of",
    "window_option",
]

F = TypeVar("F", bound=Callable[..., Any])
#: The width of tables written to a pipe or file rather than a terminal.
PIPE_WIDTH = 160
AsOf = int | datetime
_SURROGATE = re.compile("[\ud800-\udfff]")


class CliError(click.ClickException):
    """A user mistake or a refused operation: 'Error: <message>' on stderr, exit 1."""

    exit_code = 1

    def format_message(self) -> str:
        # Messages quote stored text and arguments: nothing in them may act on the terminal.
        return terminal(self.message)


def _made_safe(exc: click.ClickException) -> None:
    """Make the message fit for a terminal: click's own errors quote arguments."""
    exc.message = terminal(exc.message)  # type: ignore[misc]  # Final in click's stubs only


#: Parameters that name files: they may hold any bytes the file system allows.
#: Every other text parameter is text for the ledger and must be valid UTF-8.
PATH_PARAMS = frozenset({"store", "src", "dst", "output", "file", "key", "note", "prefix"})


def _check_text_params(ctx: click.Context) -> None:
    """Refuse a text argument holding bytes that were not UTF-8 (lone surrogates), exit 2."""
    for name, value in ctx.params.items():
        if name in PATH_PARAMS:
            continue
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, str) and _SURROGATE.search(item):
                param = next((p for p in ctx.command.params if p.name == name), None)
                raise click.BadParameter(
                    f"{terminal(item)!s}: not UTF-8 text (it holds bytes that are not UTF-8)",
                    ctx,
                    param,
                )


def _describe(exc: LedgerError) -> str:
    if isinstance(exc, ImportFailed):
        # One line says what failed; then every listed bad line, so it can be fixed.
        lines = [f"{exc.path}: {exc.total} bad line(s), nothing imported"]
        lines += [f"  line {line}: {reason}" for line, reason in exc.problems]
        if exc.total > len(exc.problems):
            lines.append(f"  (and {exc.total - len(exc.problems)} more)")
        return "\n".join(lines)
    return str(exc)


class LedgerCommand(click.Command):
    """A command whose LedgerErrors and file errors end as one clean error line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            _check_text_params(ctx)
            return super().invoke(ctx)
        except LedgerError as exc:
            message = _describe(exc)
            store = ctx.params.get("store")
            url = store if isinstance(store, str) else None
            # Say where: the store, unless the message already names it (or a file's lines).
            named = isinstance(exc, ImportFailed) or url is None or url in message
            # Each part redacted on its own, so that a password's end is not taken for the
            # end of a URL ("?password=secret: cannot connect").
            where = "" if named else f"{redact(url or '', url)}: "
            raise CliError(where + redact(message, url)) from exc
        except BrokenPipeError:
            # The reader of the output went away (`ledger verify x | head -1`):
            # click ends quietly, as a pipeline expects, with no "Error:" line.
            raise
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise CliError(f"{where}{exc.strerror or exc}") from exc
        except UnicodeError as exc:
            # A name or text with bytes that are not UTF-8, refused below the CLI.
            raise CliError(f"{_where(ctx)}text that is not valid UTF-8: {exc}") from exc
        except RecursionError as exc:
            raise CliError(f"{_where(ctx)}input nested too deeply to read") from exc
        except OverflowError as exc:
            raise CliError(f"{_where(ctx)}a number too large to compute with: {exc}") from exc


def _where(ctx: click.Context) -> str:
    store = ctx.params.get("store")
    return f"{redact(store, store)}: " if isinstance(store, str) else ""


class LedgerGroup(click.Group):
    """A group whose commands, and subgroups' commands, map errors the same way."""

    command_class = LedgerCommand
    group_class = type  # subgroups are LedgerGroups too

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as exc:
            _made_safe(exc)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            _made_safe(exc)
            raise


def console() -> Console:
    """A rich console on the current stdout (CliRunner swaps it per test)."""
    # Piped output is read by people and tools, not squeezed into 80 columns.
    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    whole = cast(IO[str], _Whole(sys.stdout))
    return Console(highlight=False, width=PIPE_WIDTH if wide else None, file=whole)


class _Whole:
    """A text stream whose writes go out whole, or raise BrokenPipeError (write_all)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.encoding: str = getattr(stream, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        write_all(self._stream, text)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()


def emit_json(payload: Any, *, indent: int | None = 2) -> None:
    """Write one JSON document to stdout; numbers stay numbers, text stays UTF-8.

    The data is exact; characters that would act on a terminal are \\u escapes.
    """
    # json, not orjson: figures may be integers beyond 64 bits.
    text = json_text(json.dumps(payload, indent=indent, ensure_ascii=False))
    write_all(sys.stdout, text + "\n")


def write_all(stream: IO[str], text: str) -> None:
    """Write text to a stream whole, or raise BrokenPipeError.

    A large write into a pipe whose reader went away (``ledger log x.db |
    head -1``) can end in a short write that Python's buffered streams drop
    without a word: the program then exits 0 with its output cut short. On a
    stream with a file descriptor the bytes go out by ``os.write`` until all
    are written, so a reader that goes away is always an error (exit 1).
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        stream.write(text)  # no descriptor (a test's capture, a StringIO): no pipe either
        stream.flush()
        return
    stream.flush()
    data = memoryview(text.encode(getattr(stream, "encoding", None) or "utf-8"))
    while data:
        data = data[os.write(fd, data) :]


# -- stores ---------------------------------------------------------------


@contextmanager
def removed_on_error(url: str) -> Iterator[None]:
    """If the block fails, delete the store file (and its side files) that it created."""
    path = file_of(url)
    if path is None or path.exists():
        yield
        return
    # SQLite leaves -wal/-shm beside the file, other stores a lock: any new sibling goes.
    before = set(path.parent.glob(glob.escape(path.name) + "*"))
    try:
        yield
    except BaseException:
        for made in set(path.parent.glob(glob.escape(path.name) + "*")) - before:
            made.unlink(missing_ok=True)
        raise


#: The context object ``main()`` runs the command with: a process of its own.
OWN_PROCESS = "ledger: own process"


def owns_process() -> bool:
    """Whether the command runs as the `ledger` program (``main()``), not inside another's."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.find_root().obj == OWN_PROCESS


@contextmanager
def reading_ledger(url: str) -> Iterator[Ledger]:
    """A ledger opened read-only for one answer, read in one store snapshot.

    Every query of the block sees the same state of the log and its read
    model, so an answer's parts (a view, its dispute counts, its position)
    agree while other processes append.
    """
    with open_ledger(url, read_only=True) as lg, lg.store.reading():
        yield lg


@contextmanager
def open_ledger(url: str, *, create: bool = False, read_only: bool = False) -> Iterator[Ledger]:
    """Open a store; unless create, a file store that does not exist is an error.

    A store this call creates is removed again if the command fails, so a
    refused import or a bad figure leaves no empty ledger behind. A command
    that only reads opens the store ``read_only``: it writes nothing, not even
    a read model (the facade folds in memory when the stored one is behind).
    """
    path = file_of(url)
    if not create and path is not None and not path.exists():
        raise StoreUnavailable(f"{url}: no such ledger (create one with `ledger init {url}`)")
    if path is not None and path.is_dir():
        raise StoreUnavailable(f"{url}: is a directory, not a ledger file")
    tune_gc = owns_process()
    if read_only:
        lg = Ledger.open(url, read_only=True, tune_gc=tune_gc)
        try:
            yield lg
        finally:
            lg.close()
        return
    with removed_on_error(url):
        lg = Ledger.open(url, tune_gc=tune_gc)
        try:
            yield lg
        finally:
            lg.close()


def store_argument(name: str = "store") -> Callable[[F], F]:
    """The STORE argument: a .db/.jsonl path or a store URL."""
    return click.argument(name, metavar=name.upper())


class Whole(click.IntRange):
    """click.IntRange of a whole number written in ASCII digits only.

    click's INT takes whatever ``int()`` takes: ``1_0`` is 10 there, and
    digits of other scripts count. A position or a count is written plainly.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            found = re.fullmatch(r"\s*[+-]?([0-9]+)\s*", value)
            if found is None:
                self.fail(f"{value[:24]!r} is not a whole number in digits", param, ctx)
            if len(found[1].lstrip("0")) > _WIDEST_WHOLE:
                # Beyond any range here; click would echo every digit back.
                self.fail(f"{value.strip()[:20]}…: too large", param, ctx)
        return super().convert(value, param, ctx)


#: Digits of the widest whole number an option takes (a position: 2**63 - 1).
_WIDEST_WHOLE = len(str(2**63 - 1))


# -- time travel ----------------------------------------------------------


class Moment(click.ParamType):  # type: ignore[type-arg]
    """A log position (digits) or an ISO date or timestamp (a bare date is midnight UTC)."""

    name = "POSITION|DATE"

    def __init__(self, *, positions: bool = True) -> None:
        self.positions = positions
        if not positions:
            self.name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | datetime):
            return value
        text = str(value).strip()
        if self.positions and re.fullmatch(r"[0-9]+", text):
            if len(text) > 18:  # beyond any log; int() refuses 4,300 digits with a traceback
                self.fail(f"{text[:20]}…: position too large", param, ctx)
            return int(text)
        if self.positions and re.fullmatch(r"-[0-9]+", text):
            self.fail(f"{text!r}: a position is 0 or more", param, ctx)
        want = "a position or " if self.positions else ""
        expected = f"expected {want}an ISO date (2025-01-12) or timestamp (2025-01-12T18:00:00Z)"
        if len(text) > 64:  # no timestamp is this long; do not echo it twice
            self.fail(f"{text[:20]!r}…: {expected}", param, ctx)
        try:
            return parse_timestamp(text)
        except (ValueError, OverflowError) as exc:
            self.fail(f"{text!r}: {expected}: {exc}", param, ctx)


def as_of_option(func: F) -> F:
    """--as-of POSITION|DATE: read the ledger as it was then."""
    return click.option(
        "--as-of",
        "as_of",
        type=Moment(),
        default=None,
        help="Read the ledger as of a log position (an integer) or as stated up to an ISO "
        "date or timestamp; a bare date means midnight UTC, so later that day is excluded.",
    )(func)


class WindowType(click.ParamType):  # type: ignore[type-arg]
    """A freshness window: 3d, 12h, 90m, 1d12h, 2w, an ISO 8601 duration (P3D), or none.

    ``none`` is ``timedelta.max``: every topic's own window is set aside and
    no figure is stale (DESIGN §4 Freshness).
    """

    name = "DURATION"

    def __init__(self, *, none: timedelta | None = timedelta.max) -> None:
        self.none = none

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, timedelta):
            return value
        text = str(value)
        if text.strip().lower() == "none":
            return self.none
        if len(text) > 64:  # no duration is this long; do not echo it twice
            self.fail(f"{text[:20]!r}…: not a duration", param, ctx)
        try:
            return parse_window(text)
        except InvalidEvent as exc:
            # The message already quotes the text; "window:" would repeat the option's name.
            self.fail(str(exc).removeprefix("window: "), param, ctx)


def window_option(func: F) -> F:
    """--window DURATION: judge freshness under this window instead of each topic's own."""
    return click.option(
        "--window",
        type=WindowType(),
        default=None,
        help="Judge freshness under this window (3d, 12h, 90m, 1d12h or ISO 8601 such as P3D) "
        "instead of each topic's own; 'none' sets every topic's window aside.",
    )(func)


def json_option(func: F) -> F:
    """--json: machine-readable output in the documented schema."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (schema in docs/cli.md)."
    )(func)


def as_of_json(as_of: AsOf | None, position: int) -> dict[str, Any]:
    """The keys every --json document starts with: what --as-of asked, the position read."""
    shown = format_timestamp(as_of) if isinstance(as_of, datetime) else as_of
    return {"as_of": shown, "position": position}


def describe_as_of(as_of: AsOf | None) -> str:
    """In words, what an --as-of leaves out; empty when there is none."""
    if as_of is None:
        return ""
    if isinstance(as_of, int):
        return f"As of position {as_of}: records after it are left out."
    return f"As stated up to {format_timestamp(as_of)}: later statements are left out."


def cutoffs(lg: Ledger, as_of: AsOf | None) -> tuple[int, datetime | None]:
    """The (position, stated) bounds --as-of names; a position past the head is an error."""
    if isinstance(as_of, int):
        if as_of > lg.head:
            raise CliError(f"--as-of {as_of}: {redact(lg.url, lg.url)} ends at position {lg.head}")
        return as_of, None
    return lg.head, as_of


def view_of(lg: Ledger, as_of: AsOf | None) -> LedgerView:
    """The ledger now, or the read-only view --as-of names."""
    if as_of is None:
        return lg
    position, stated = cutoffs(lg, as_of)
    return lg.as_of(position=position, stated=stated)
