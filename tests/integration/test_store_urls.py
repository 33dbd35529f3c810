"""Store URLs: every form opens the right store, every bad one a clear StoreUnavailable."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ledger import InvalidEvent, Ledger, StoreUnavailable, UnknownTopic, ValidationError
from ledger.cli import cli
from ledger.stores.jsonl import JsonlStore
from ledger.stores.memory import MemoryStore
from ledger.stores.sqlite import SQLiteStore
from ledger.stores.urls import file_of

from .contract.builders import topic

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "url", ["ftp://host/log", "mongodb://localhost/x", "s3://bucket/log.jsonl", "file:///x.db"]
)
def test_an_unknown_scheme_names_the_scheme_and_the_choices(url: str) -> None:
    with pytest.raises(StoreUnavailable) as caught:
        Ledger.open(url)
    message = str(caught.value)
    assert repr(url.split("://")[0]) in message
    assert "memory://" in message
    assert "sqlite:///" in message


@pytest.mark.parametrize("url", ["ledger.txt", "ledger", "kursk.json", "x.jsonl.bak"])
def test_a_path_without_a_store_suffix_is_refused(url: str) -> None:
    with pytest.raises(StoreUnavailable, match="jsonl"):
        Ledger.open(url)


def test_a_file_path_opens_its_store_by_suffix(tmp_path: Path) -> None:
    kinds = {".jsonl": JsonlStore, ".db": SQLiteStore, ".sqlite": SQLiteStore}
    kinds[".sqlite3"] = SQLiteStore
    for suffix, kind in kinds.items():
        url = str(tmp_path / f"log{suffix}")
        with Ledger.open(url) as lg:
            assert isinstance(lg.store, kind)
            assert lg.url == url
            lg.append(topic())
        with Ledger.open(url) as lg:
            assert lg.head == 1
    with Ledger.open("memory://") as lg:
        assert isinstance(lg.store, MemoryStore)


def test_sqlite_urls_take_relative_paths_with_three_slashes_and_absolute_with_four(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    with Ledger.open("sqlite:///sub/relative.db") as lg:
        assert isinstance(lg.store, SQLiteStore)
        assert lg.url == "sqlite:///sub/relative.db"
        lg.append(topic())
    assert (tmp_path / "sub" / "relative.db").is_file()
    absolute = tmp_path / "absolute.db"
    with Ledger.open(f"sqlite:///{absolute}") as lg:  # "/" + "/tmp/..." = four slashes
        lg.append(topic())
    assert absolute.is_file()
    with Ledger.open(f"sqlite:///{absolute}") as lg:
        assert lg.head == 1
    with Ledger.open(str(absolute)) as lg:  # the same file by its plain path
        assert lg.head == 1


def test_sqlite_memory_url_is_a_throwaway_database() -> None:
    with Ledger.open("sqlite:///:memory:") as lg:
        lg.append(topic())
        assert lg.head == 1


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///"])
def test_a_sqlite_url_without_a_path_is_refused(url: str) -> None:
    with pytest.raises(StoreUnavailable, match="no SQLite file"):
        Ledger.open(url)


@pytest.mark.parametrize("suffix", [".jsonl", ".db"])
def test_a_missing_directory_is_named(tmp_path: Path, suffix: str) -> None:
    url = str(tmp_path / "no" / "such" / f"log{suffix}")
    with pytest.raises(StoreUnavailable) as caught:
        Ledger.open(url)
    assert str(tmp_path / "no" / "such") in str(caught.value)
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("suffix", [".jsonl", ".db"])
def test_a_path_below_a_file_is_refused(tmp_path: Path, suffix: str) -> None:
    (tmp_path / "plain").write_text("not a directory")
    url = str(tmp_path / "plain" / f"log{suffix}")
    with pytest.raises(StoreUnavailable, match="plain"):
        Ledger.open(url)


@pytest.mark.parametrize("suffix", [".jsonl", ".db", ".sqlite"])
def test_a_directory_given_as_the_path_is_refused(tmp_path: Path, suffix: str) -> None:
    folder = tmp_path / f"folder{suffix}"
    folder.mkdir()
    with pytest.raises(StoreUnavailable, match="is a directory"):
        Ledger.open(str(folder))


def _open_as_unprivileged(url: str) -> str:
    """Open url in a forked child that gave up root's power over permissions; its error."""

    def opened() -> str:
        Ledger.open(url).close()
        return "opened"

    return _as_unprivileged(opened)


def _as_unprivileged(run: Callable[[], str]) -> str:
    """What run returns (or the error it raised) in a forked child without root's power."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        said = "nothing"
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            said = run()
        except StoreUnavailable as exc:
            said = f"StoreUnavailable: {exc}"
        except BaseException as exc:
            said = f"{type(exc).__name__}: {exc}"
        finally:
            os.write(write_end, said.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        said = pipe.read().decode()
    os.waitpid(pid, 0)
    return said


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    # Under /tmp rather than pytest's tmp_path, which an unprivileged child cannot enter.
    folder = Path(tempfile.mkdtemp(prefix="ledger-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("suffix", [".jsonl", ".db"])
def test_an_unwritable_directory_is_refused(shared_dir: Path, suffix: str) -> None:
    locked = shared_dir / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    said = _open_as_unprivileged(str(locked / f"log{suffix}"))
    assert said.startswith("StoreUnavailable:")
    assert "locked" in said


@pytest.mark.parametrize("suffix", [".db", ".jsonl"])
def test_a_ledger_in_another_users_folder_is_read_and_verified_read_only(
    shared_dir: Path, suffix: str
) -> None:
    # Another user's folder (0755) and ledger (0644): this process may read both, write
    # neither, so a SQLite reader cannot make the -shm file WAL readers share.
    path = shared_dir / f"theirs{suffix}"
    with Ledger.open(str(path)) as lg:
        lg.append(topic())
        assert lg.topics()
    path.chmod(0o644)
    before = sorted(p.name for p in shared_dir.iterdir())

    def read() -> str:
        with Ledger.open(str(path), read_only=True) as lg:
            report = lg.verify()
            names = [view.topic for view in lg.topics()]
        done = CliRunner().invoke(cli, ["verify", str(path)])
        return f"{report.ok} {report.size} {names} {done.exit_code} {done.output!r}"

    said = _as_unprivileged(read)
    assert said.startswith(f"True 1 {[topic().topic]} 0 "), said
    assert "ok: 1 records verify" in said
    assert sorted(p.name for p in shared_dir.iterdir()) == before


def test_a_read_only_jsonl_file_is_refused_with_its_path(shared_dir: Path) -> None:
    path = shared_dir / "ro.jsonl"
    with Ledger.open(str(path)) as lg:
        lg.append(topic())
    path.chmod(0o444)
    said = _open_as_unprivileged(str(path))
    assert said.startswith("StoreUnavailable:")
    assert "ro.jsonl" in said


@pytest.mark.parametrize(
    "content",
    [b"this is not a database, just text " * 200, b"SQLite format 3\x00" + b"\xff" * 200],
)
def test_a_file_that_is_not_a_database_is_refused_and_left_alone(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(StoreUnavailable) as caught:
        Ledger.open(str(path))
    assert str(path) in str(caught.value)
    assert path.read_bytes() == content


def test_a_sqlite_database_of_another_application_is_refused_and_left_alone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreUnavailable, match="another application"):
        Ledger.open(str(path))
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    assert tables == ["invoices"]
    assert mode == "delete", "the other application's journal mode was changed"


def test_an_empty_file_named_db_becomes_a_ledger(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with Ledger.open(str(path)) as lg:
        lg.append(topic())
        assert lg.head == 1


@pytest.mark.parametrize("suffix", [".jsonl", ".db"])
def test_an_unknown_option_is_refused(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(StoreUnavailable, match="colour"):
        Ledger.open(str(tmp_path / f"log{suffix}"), colour="blue")


def test_an_unknown_postgresql_option_is_refused_before_connecting() -> None:
    # Port 1 has no server: the option is refused before any connection is tried.
    with pytest.raises(StoreUnavailable, match=r"unknown PostgreSQL option.*timeout"):
        Ledger.open("postgresql://u@127.0.0.1:1/db?ledger=x", timeout=5)


@pytest.mark.parametrize("timeout", [-1, "soon", float("nan"), True, float("inf"), 10**29])
def test_a_bad_sqlite_timeout_is_refused(tmp_path: Path, timeout: object) -> None:
    with pytest.raises(StoreUnavailable, match="timeout"):
        Ledger.open(str(tmp_path / "log.db"), timeout=timeout)


def test_a_sqlite_timeout_is_taken(tmp_path: Path) -> None:
    with Ledger.open(str(tmp_path / "log.db"), timeout=0.5) as lg:
        assert lg.head == 0


@pytest.mark.parametrize("suffix", [".jsonl", ".db"])
def test_a_closed_store_says_so(tmp_path: Path, suffix: str) -> None:
    lg = Ledger.open(str(tmp_path / f"log{suffix}"))
    lg.close()
    lg.close()  # closing twice is harmless
    with pytest.raises(StoreUnavailable, match="closed"):
        lg.append(topic())
    with pytest.raises(StoreUnavailable, match="closed"):
        _ = lg.head


def test_creating_a_jsonl_file_makes_an_empty_file_and_nothing_else(tmp_path: Path) -> None:
    with Ledger.open(str(tmp_path / "new.jsonl")) as lg:
        assert lg.head == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.jsonl"]
    assert (tmp_path / "new.jsonl").read_bytes() == b""


# -- URL oddities (issue 15) ------------------------------------------------------------------


def test_sqlite_memory_names_no_file_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert file_of("sqlite:///:memory:") is None
    with Ledger.open("sqlite:///:memory:") as lg:
        lg.append(topic())
        assert lg.topics()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(StoreUnavailable, match="in-memory database"):
        Ledger.open("sqlite:///:memory:?mode=ro")
    # A file of that name is named as one.
    with Ledger.open("sqlite:///./:memory:.db") as lg:
        lg.append(topic())
    assert (tmp_path / ":memory:.db").is_file()


def test_a_plain_path_is_never_a_sqlite_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreUnavailable, match="looks like a SQLite URI"):
        Ledger.open("file:u.db")
    with pytest.raises(StoreUnavailable, match="looks like a SQLite URI"):
        Ledger.open("file:u.db?mode=memory")
    assert list(tmp_path.iterdir()) == []
    assert file_of("file:u.db") is None
    # The file really called so, as a path: taken literally, URI characters and all.
    for name in ("./file:u.db", "a?mode=ro.db", "100%.db", "x#y.jsonl"):
        with Ledger.open(name) as lg:
            lg.append(topic())
        assert file_of(name) == Path(name)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith("readmodel")) == [
        "100%.db",
        "a?mode=ro.db",
        "file:u.db",
        "x#y.jsonl",
    ]


def test_sqlite_url_query_parameters_are_parsed_not_part_of_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreUnavailable, match="no such ledger file"):
        Ledger.open("sqlite:///q.db?mode=ro")
    with pytest.raises(StoreUnavailable, match="no such ledger file"):
        Ledger.open("sqlite:///q.db?mode=rw")
    assert list(tmp_path.iterdir()) == []
    with Ledger.open("sqlite:///q.db?mode=rwc") as lg:
        lg.append(topic())
    with Ledger.open("sqlite:///q.db?mode=rw") as lg:
        assert (lg.head, lg.store.read_only) == (1, False)
    with Ledger.open("sqlite:///q.db?mode=ro") as lg:
        assert (lg.head, lg.store.read_only) == (1, True)
        with pytest.raises(StoreUnavailable, match="read-only"):
            lg.append(topic(name="kursk/other"))
    assert file_of("sqlite:///q.db?mode=ro") == Path("q.db")
    # Percent-encoding names what a URL cannot hold literally.
    with Ledger.open("sqlite:///a%3Fb%20c.db") as lg:
        lg.append(topic())
    # (A read-only reader of a WAL database may leave SQLite's -wal and -shm beside it.)
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm")))
    assert names == ["a?b c.db", "q.db"]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("sqlite:///q.db?mode=memory", "mode"),
        ("sqlite:///q.db?cache=shared", "cache"),
        ("sqlite:///q.db?timeout=5", "timeout"),
        ("sqlite://host/q.db", "names no host"),
        ("sqlite://q.db", "names no host"),
        ("sqlite:q.db", "sqlite:///"),
        ("sqlite:///q.db#frag", "fragment"),
    ],
)
def test_a_bad_sqlite_url_is_refused_naming_what_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, words: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreUnavailable, match=words):
        Ledger.open(url)
    assert list(tmp_path.iterdir()) == []


def test_file_of_names_the_file_of_every_file_store_and_none_otherwise() -> None:
    assert file_of("kursk.db") == Path("kursk.db")
    assert file_of("data/kursk.jsonl") == Path("data/kursk.jsonl")
    assert file_of("sqlite:///rel/k.db") == Path("rel/k.db")
    assert file_of("sqlite:////abs/k.db") == Path("/abs/k.db")
    for url in ("memory://", "postgresql://h/db?ledger=k", "postgres://h/db", "ftp://x", "x.txt"):
        assert file_of(url) is None, url


class _CreateBefore:
    """A trace callback: another process creates the ledger before the given statement runs."""

    def __init__(self, statement: int, path: Path) -> None:
        self.statement, self.path, self.seen, self.raced = statement, path, 0, False

    def __call__(self, _sql: str) -> None:
        self.seen += 1
        if self.seen == self.statement + 1:
            opened = f"Ledger.open({str(self.path)!r}, timeout=0.5)"
            code = f"from ledger import Ledger; {opened}.close()"
            done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True)
            self.raced = done.returncode == 0


def test_a_ledger_created_by_another_process_while_this_one_opens_it_is_not_foreign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writers racing to create one file: whenever the other one commits, this one opens it.

    Another process creates the ledger just before each of the first
    statements this one runs to open the file (when the other can get the
    lock). Were the file's identity read piecemeal, its tables could show
    without their application id and the file be refused as another
    application's.
    """
    connect = sqlite3.connect
    raced = 0
    for statement in range(1, 7):
        path = tmp_path / f"raced-{statement}.db"
        trace = _CreateBefore(statement, path)

        def traced(*args: Any, trace: _CreateBefore = trace, **kw: Any) -> Any:
            conn = connect(*args, **kw)
            conn.set_trace_callback(trace)
            return conn

        monkeypatch.setattr(sqlite3, "connect", traced)
        with Ledger.open(str(path)) as lg:
            lg.append(topic())
        monkeypatch.undo()
        with Ledger.open(str(path)) as lg:
            assert lg.position == 1
        raced += trace.raced
    assert raced >= 2, "the other process never got to create the file: nothing was raced"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("x\x00.db", "cannot hold NUL"),
        ("sqlite:///%ff.db", "not UTF-8"),
        ("sqlite:///\udcff.db", "lone surrogate"),
        ("\udcff.jsonl", "lone surrogate"),
        ("postgresql://host/db?ledger=\ud800", "lone surrogate"),
    ],
)
def test_a_url_no_store_can_open_is_refused_with_store_unavailable(url: str, said: str) -> None:
    with pytest.raises(StoreUnavailable, match=said):
        Ledger.open(url)


@pytest.mark.parametrize("suffix", [".db", ".jsonl"])
def test_names_and_positions_no_store_can_hold_are_answered_not_crashed_on(
    tmp_path: Path, suffix: str
) -> None:
    """A query names a topic, claim or source: one no store can hold is simply not there.

    (A lone surrogate cannot be encoded for SQLite; a position past 2**63 - 1
    cannot be bound.) The read model is in use: the queries reach the store.
    """
    path = str(tmp_path / f"k{suffix}")
    with Ledger.open(path) as lg:
        lg.append(topic())
    with Ledger.open(path) as lg:
        for ask in (lg.topic, lg.history, lambda t: lg.propositions(topic=t)):
            with pytest.raises(UnknownTopic):
                ask("\ud800")
        assert (lg.claim("\ud800"), lg.source("\ud800"), lg.definition("\ud800")) == (None,) * 3
        assert list(lg.records(after=2**63 - 1)) == []
        with pytest.raises(InvalidEvent, match="2\\*\\*63"):
            list(lg.records(after=2**63))
        with pytest.raises(ValidationError, match="2\\*\\*63"):
            list(lg.follow(2**63, stop=lambda: True))
        assert lg.position == 1


@pytest.mark.parametrize("url", ["memory://", "k.db", "k.jsonl"])
@pytest.mark.parametrize("stop", [True, 5, "yes"])
def test_a_stop_that_is_not_a_function_is_refused_by_name(
    tmp_path: Path, url: str, stop: object
) -> None:
    target = url if url == "memory://" else str(tmp_path / url)
    with Ledger.open(target) as lg:
        lg.append(topic())
        with pytest.raises(ValidationError, match="stop: must be a function"):
            next(lg.follow(0, poll_interval=0.01, stop=stop))  # type: ignore[arg-type]


def test_the_cli_refuses_a_position_past_the_last_as_a_usage_error(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    with Ledger.open(path) as lg:
        lg.append(topic())
    runner = CliRunner()
    for args in (["follow", path, "--after", str(2**63)], ["prove", path, str(2**63)]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert "9223372036854775807" in result.output


@pytest.mark.parametrize("name", ["%FF", "%FE", "a%C3", "%ED%A0%80"])
def test_a_postgresql_ledger_name_whose_escapes_are_not_utf8_is_refused(name: str) -> None:
    # Decoded leniently, %FF and %FE would both name the ledger U+FFFD.
    with pytest.raises(StoreUnavailable, match=r"ledger name in the URL.*not UTF-8"):
        Ledger.open(f"postgresql://u@127.0.0.1:1/db?ledger={name}")
