"""The benchmark harness: ``python -m benchmarks.run [--sizes …] [--profiles …] [--quick]``.

For each profile of the generator and each size it:

1. builds the seeded ledger in lock-step, batch by batch (1,000 events),
   every way at once: ``Ledger.extend`` into a SQLite file and into a
   PostgreSQL database (each builder alone in a process of its own,
   ``benchmarks.build``), raw sqlite3 ``executemany`` of the very rows the
   ledger stored, the eventsourcing library, and with ``--before`` the same
   two ledgers with an older commit's code;
2. times the reads, each in a fresh process (``benchmarks.replay``),
   interleaved, best of ``--repeat``, with each one's peak RSS: cold open +
   every TopicView and cold open + one topic through the read model (SQLite
   and PostgreSQL), the full replay (``as_of``), a cold open of a copy
   without its read model (which builds it), the raw sqlite3 + orjson fold,
   the eventsourcing rebuild, and the older code's reads; then checks that
   every fold found the same range for every topic;
3. times ``Ledger.verify()``;
4. last, because they grow the ledgers, and once every size is built and
   read, times single appends (each followed by re-rendering the touched
   TopicView) on SQLite against raw single-row inserts, then the same on
   PostgreSQL: one process a size (``benchmarks.appends``), asked in turn
   for one append each, so that every size meets the disk's fsync latency
   of the same moments; then the follow latency on PostgreSQL.

Then it prints the tables and, unless ``--quick``, writes benchmarks/RESULTS.md.
Generated files go under benchmarks/data/ (git-ignored) and are rebuilt on
every run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import pickle
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson

from benchmarks.appends import Appender, cached, interleaved
from benchmarks.baselines import EventsourcingBaseline, RawStore
from benchmarks.build import Builder
from benchmarks.follow import follow_latency
from benchmarks.generate import PROFILES
from benchmarks.pg import BenchServer, unavailable
from benchmarks.report import (
    Results,
    code_revision,
    describe_machine,
    format_profile,
    render,
    write_results,
)
from benchmarks.worker import child_env
from ledger import Ledger
from ledger.codec import StoredRow

__all__ = ["Options", "main", "measure"]

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
BATCH = 1_000
#: The previous round's code (RESULTS.md's table), measured beside today's with --before.
PREVIOUS_ROUND = "38653ef"


class Options:
    """What to measure and how hard: profiles, sizes, shape, repeats, appends, servers."""

    def __init__(
        self,
        sizes: list[int],
        data_dir: Path,
        *,
        profiles: tuple[str, ...] = ("default",),
        seed: int = 8,
        topics: int | None = None,
        sources: int | None = None,
        repeat: int = 3,
        appends: int = 200,
        follows: int = 100,
        postgres: bool | None = None,
        before: Path | None = None,
        before_label: str | None = None,
        server: BenchServer | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.sizes = sizes
        self.data_dir = data_dir
        self.profiles = profiles
        self.seed = seed
        self.topics = topics
        self.sources = sources
        self.repeat = repeat
        self.appends = appends
        self.follows = follows
        #: True: PostgreSQL or fail; None: when a server can be started; False: never.
        self.postgres = postgres
        #: A tree holding an older ``ledger`` package, measured beside today's.
        self.before = before
        self.before_label = before_label
        #: A PostgreSQL server already running (the tests'), used instead of a throwaway one.
        self.server = server
        self.progress = progress or (lambda _: None)


class _Paths:
    def __init__(self, data_dir: Path, profile: str, size: int) -> None:
        name = f"{profile}-{size}"
        self.ledger = _fresh(data_dir / f"ledger-{name}.db")
        self.raw = _fresh(data_dir / f"raw-{name}.db")
        self.es = _fresh(data_dir / f"eventsourcing-{name}.db")
        self.nomodel = _fresh(data_dir / f"nomodel-{name}.db")
        self.tuned = _fresh(data_dir / f"tuned-{name}.db")
        self.copy = _fresh(data_dir / f"rebuild-{name}.db")
        self.before = _fresh(data_dir / f"before-{name}.db")
        self.tail = data_dir / f"tail-{name}.pickle"
        self.logs = data_dir


def _fresh(path: Path) -> Path:
    for name in (str(path), str(path) + ".snapshot"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(name + suffix).unlink(missing_ok=True)
    Path(str(path) + ".topics.json").unlink(missing_ok=True)
    return path


# -- building -------------------------------------------------------------------


def _rows_after(conn: sqlite3.Connection, head: int) -> list[StoredRow]:
    """The rows the ledger stored after head, read from its file as they are."""
    found = conn.execute(
        "SELECT position, event_id, type, schema, recorded_at, data, hash FROM events "
        "WHERE position > ? ORDER BY position",
        (head,),
    )
    return [StoredRow(*row) for row in found]


def _build(
    size: int, profile: str, paths: _Paths, pg: dict[str, str], opts: Options
) -> dict[str, Any]:
    """Every build of a size in lock-step; wall and CPU seconds spent in each, and the mix."""
    shape = {"size": size, "profile": profile, "seed": opts.seed}
    shape |= {"topics": opts.topics, "sources": opts.sources}
    # In an order that is its own mirror image, as the builders are asked in
    # it and in reverse, batch by batch: today's SQLite and the older code's
    # take each other's places, and so do the two PostgreSQL builds.
    targets: dict[str, tuple[str, Path | None]] = {"ledger": (str(paths.ledger), None)}
    if "ledger" in pg:
        targets["pg"] = (pg["ledger"], None)
    # The same build with the collector opt-in (tune_gc=True), beside the default.
    targets["tuned"] = (str(paths.tuned), None)
    if opts.before is not None:
        if "before" in pg:
            targets["before_pg"] = (pg["before"], opts.before)
        targets["before"] = (str(paths.before), opts.before)
    builders: dict[str, Builder] = {}
    spent: Counter[str] = Counter()
    raw = RawStore(paths.raw)
    es = EventsourcingBaseline(paths.es)
    reader: sqlite3.Connection | None = None
    wall, cpu = time.perf_counter, time.process_time
    started = wall()
    try:
        for key, (target, code) in targets.items():
            log = paths.logs / f"build-{key}-{profile}-{size}.log"
            builders[key] = Builder(
                target,
                log=log,
                code=code,
                tune_gc=key == "tuned",
                **shape,  # type: ignore[arg-type]
            )
        reader = sqlite3.connect(str(paths.ledger))
        order = list(builders)
        head = 0
        while head < size:
            count = min(BATCH, size - head)
            for key in order:
                done = builders[key].ask(f"extend {count}")
                spent[key] += done["wall"]
                spent[f"{key}_cpu"] += done["cpu"]
            rows = _rows_after(reader, head)
            c0, t0 = cpu(), wall()
            raw.insert_many(rows)
            t1, c1 = wall(), cpu()
            es.store(rows)
            t2 = wall()
            spent["raw"] += t1 - t0
            spent["raw_cpu"] += c1 - c0
            spent["es"] += t2 - t1
            head += len(rows)
            # Whoever goes first meets what the batch before left behind (the
            # others' pages being written out, the harness's own inserts): a
            # builder asked first every time read ~5% slower than the same
            # code asked second (benchmarks.lockstep, one tree against itself).
            order.reverse()
            if head % max(BATCH, size // 10) < BATCH or head == size:
                # The harness's own heap (the eventsourcing aggregates) is not
                # garbage: keep its collections from rescanning it.
                gc.collect()
                gc.freeze()
                elapsed = wall() - started
                opts.progress(
                    f"  built {head:,}/{size:,} in {elapsed:,.0f} s "
                    f"(about {elapsed / head * (size - head):,.0f} s to go)"
                )
        tail = opts.appends + opts.follows
        builders["ledger"].ask(f"tail {tail} {paths.tail}")
        closed = {key: builder.close() for key, builder in builders.items()}
    finally:
        for builder in builders.values():
            builder.kill()
        if reader is not None:
            reader.close()
        raw.close()
        es.finish_storing()
    return {"spent": spent, "closed": closed}


def _without_read_model(paths: _Paths) -> None:
    """A copy of the ledger file without its read model tables: what an older writer leaves."""
    shutil.copyfile(paths.ledger, paths.nomodel)
    conn = sqlite3.connect(str(paths.nomodel), isolation_level=None)
    try:
        conn.execute("DROP TABLE model_rows")
        conn.execute("DROP TABLE model_meta")
        conn.execute("VACUUM")
    finally:
        conn.close()


# -- reading ------------------------------------------------------------------------


def _subprocess(
    kind: str, target: str, *extra: str, cwd: Path, code: Path | None = None
) -> dict[str, Any]:
    """Run ``python -m benchmarks.replay KIND TARGET …`` and return what it printed."""
    return _python(["-m", "benchmarks.replay", kind, target, *extra], kind, cwd=cwd, code=code)


def _python(args: list[str], what: str, *, cwd: Path, code: Path | None = None) -> dict[str, Any]:
    """Run ``python ARGS`` in a fresh process and return the JSON line it printed last."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=child_env(code),
        capture_output=True,
        check=False,
        text=True,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"the {what} subprocess failed: {tail[0]}")
    return dict(orjson.loads(done.stdout.strip().splitlines()[-1]))


class _Read:
    """One read to time: its key in the results, its kind, target and code."""

    def __init__(
        self,
        key: str,
        kind: str,
        target: str | Path,
        *extra: str,
        code: Path | None = None,
        prepare: Callable[[], None] | None = None,
    ) -> None:
        self.key, self.kind, self.target, self.extra = key, kind, str(target), extra
        self.code = code
        self.prepare = prepare


def _reads(
    size: int, paths: _Paths, pg: dict[str, str], topic: str, results: Results, opts: Options
) -> None:
    """Every read, each in a fresh process, interleaved, best of opts.repeat; then the check."""
    one = ("--topic", topic)

    def fresh_copy() -> None:
        _fresh(paths.copy)
        shutil.copyfile(paths.nomodel, paths.copy)

    reads = [
        _Read("open_all", "open-all", paths.ledger),
        _Read("open_one", "open-one", paths.ledger, *one),
        _Read("replay", "replay", paths.ledger),
        _Read("replay_default", "replay", paths.ledger, "--gc", "default"),
        _Read("rebuild", "rebuild", paths.copy, prepare=fresh_copy),
        _Read("raw_fold", "raw", paths.raw),
        _Read("es_rebuild", "es", paths.es),
    ]
    if "ledger" in pg:
        reads += [
            _Read("pg_open_all", "open-all", pg["ledger"]),
            _Read("pg_open_one", "open-one", pg["ledger"], *one),
        ]
    if opts.before is not None:
        code = opts.before
        reads += [
            _Read("before_open_all", "open-all", paths.before, code=code),
            _Read("before_open_one", "open-one", paths.before, *one, code=code),
            _Read("before_replay", "replay", paths.before, code=code),
        ]
        if "before" in pg:
            reads += [
                _Read("before_pg_open_all", "open-all", pg["before"], code=code),
                _Read("before_pg_open_one", "open-one", pg["before"], *one, code=code),
            ]
    best: dict[str, float] = {}
    ranges: dict[str, Any] = {}
    failed: set[str] = set()
    # The builds leave a gigabyte or more of dirty pages; write them out now,
    # not while the first read runs.
    os.sync()
    for i in range(opts.repeat):
        for read in reads:
            if read.key in failed:
                continue
            out_file = opts.data_dir / f"ranges-{read.key}-{size}.json"
            try:
                if read.prepare is not None:
                    read.prepare()
                out = _subprocess(
                    read.kind,
                    read.target,
                    *read.extra,
                    "--ranges",
                    str(out_file),
                    cwd=opts.data_dir,
                    code=read.code,
                )
            except Exception as exc:
                failed.add(read.key)
                results.notes.append(f"{size:,} events: {read.key} FAILED: {exc}")
                continue
            ranges[read.key] = orjson.loads(out_file.read_bytes())
            out_file.unlink()
            for suffix, value in (("_s", out["seconds"]), ("_cpu_s", out["cpu_seconds"])):
                best[read.key + suffix] = min(best.get(read.key + suffix, float("inf")), value)
            rss = read.key + "_rss_mib"
            best[rss] = max(best.get(rss, 0), out["peak_kib"] / 1024)
            imports = {"open_one": "import_s", "pg_open_one": "pg_import_s"}.get(read.key)
            if imports:
                best[imports] = min(best.get(imports, float("inf")), out["import_seconds"])
            if read.key == "raw_fold":
                found = {k: out[k] for k in ("figures_reported", "pairs", "current", "topics")}
                results.shape.setdefault(size, {}).update(found)
            if read.key == "open_all":
                found = {"figures": out["figures"], "derived": out["derived"]}
                results.shape.setdefault(size, {}).update(found)
            opts.progress(
                f"  {read.key} #{i + 1}: {out['seconds']:,.3f} s ({out['cpu_seconds']:,.3f} s "
                f"CPU), peak RSS {out['peak_kib'] / 1024:,.0f} MiB"
            )
    _fresh(paths.copy)
    for key, value in best.items():
        results.set(key, size, value)
    results.checks[size] = _agreement(ranges, topic)


def _agreement(ranges: dict[str, Any], topic: str) -> str:
    """Whether every fold found what the raw fold found, topic by topic."""
    raw = ranges.get("raw_fold")
    if raw is None:
        return "not checked: the raw fold failed"
    problems = []
    for key, found in sorted(ranges.items()):
        if key == "raw_fold":
            continue
        if key.endswith("open_one"):
            if found != {topic: raw.get(topic)}:
                problems.append(f"{key} gives {found}, the raw fold {raw.get(topic)}")
            continue
        if set(found) != set(raw):
            problems.append(f"{key} has {len(found):,} topics, the raw fold {len(raw):,}")
            continue
        differ = sorted(t for t in raw if raw[t] != found[t])
        if differ:
            t = differ[0]
            problems.append(
                f"{key} differs on {len(differ):,} topics, e.g. {t}: {found[t]}, raw {raw[t]}"
            )
    if problems:
        return "DISAGREE: " + "; ".join(problems)
    folds = ", ".join(sorted(k for k in ranges if k != "raw_fold"))
    return f"the raw fold and {folds} agree on all {len(raw):,} topic ranges (open_one: on {topic})"


# -- the rest ---------------------------------------------------------------------


def _verify(size: int, paths: _Paths, results: Results) -> None:
    """Ledger.verify() of the log on the SQLite file (the figure the earlier rounds measured)."""
    with Ledger.open(str(paths.ledger)) as lg:
        t0 = time.perf_counter()
        # The log alone, as before the read model was compared too (a full replay on top).
        report = lg.verify(read_model=False)
        results.set("verify_s", size, time.perf_counter() - t0)
        if not report.ok:
            results.notes.append(f"{size:,} events: verify() did NOT report ok: {report}")


def _appenders(
    store: str,
    targets: Mapping[int, tuple[str, Path | None]],
    paths: dict[int, _Paths],
    opts: Options,
) -> dict[int, dict[str, list[float]]]:
    """Single appends to each size's target, one process a size, interleaved one by one."""
    appenders: dict[int, Appender] = {}
    try:
        for size, (target, raw) in targets.items():
            log = opts.data_dir / f"appends-{store}-{paths[size].ledger.stem}.log"
            appenders[size] = Appender(
                target, paths[size].tail, count=opts.appends, log=log, raw=raw
            )
        spent = interleaved(list(appenders.values()), opts.appends)
        for appender in appenders.values():
            appender.close()
    finally:
        for appender in appenders.values():
            appender.kill()
    return dict(zip(appenders, spent, strict=True))


def _appends(
    paths: dict[int, _Paths], pg: dict[int, dict[str, str]], results: Results, opts: Options
) -> None:
    """Single appends on SQLite, then on PostgreSQL, every size's interleaved; follow latency."""
    # The reads left pages to write out (the rebuild's copy): not while these sync.
    os.sync()
    # Every SQLite file in the OS's page cache, as a long-running appender's would be.
    cached([f for p in paths.values() for f in (p.ledger, p.raw)])
    median = statistics.median
    sqlite_targets = {size: (str(p.ledger), p.raw) for size, p in paths.items()}
    for size, spent in _appenders("sqlite", sqlite_targets, paths, opts).items():
        results.set("append_ms", size, median(spent["append"]))
        results.set("one_more_ms", size, median(spent["view"]))
        results.set("raw_one_ms", size, median(spent["raw"]))
        results.notes.append(
            f"{size:,} events: {len(spent['view'])} single appends + view on SQLite "
            f"(interleaved with the other sizes'): median {median(spent['view']):.2f} ms, "
            f"mean {statistics.fmean(spent['view']):.2f} ms, max {max(spent['view']):.1f} ms; "
            f"raw insert + commit: median {median(spent['raw']):.2f} ms, "
            f"max {max(spent['raw']):.1f} ms"
        )
    pg_targets = {size: (found["ledger"], None) for size, found in pg.items() if "ledger" in found}
    if not pg_targets:
        return
    for size, spent in _appenders("pg", pg_targets, paths, opts).items():
        results.set("pg_append_ms", size, median(spent["append"]))
        results.set("pg_one_more_ms", size, median(spent["view"]))
    for size, (target, _) in pg_targets.items():
        tail: list[tuple[Any, str | None]] = pickle.loads(paths[size].tail.read_bytes())
        later = tail[opts.appends :]
        if not later:
            continue
        found = follow_latency(target, [event for event, _ in later])
        results.set("follow_p50_ms", size, found["median_ms"])
        results.set("follow_p95_ms", size, found["p95_ms"])
        results.notes.append(
            f"{size:,} events: follow latency on PostgreSQL over {found['count']} appends "
            f"(50 ms apart), from the append call: median {found['median_ms']:.2f} ms, p95 "
            f"{found['p95_ms']:.2f} ms, max {found['max_ms']:.1f} ms; the appends themselves: "
            f"median {found['append_median_ms']:.2f} ms; from the append returning: median "
            f"{found['after_return_median_ms']:.2f} ms, p95 {found['after_return_p95_ms']:.2f} ms"
        )


def _guard(results: Results, size: int, what: str, fn: Callable[[], None]) -> None:
    """Run one phase; a failure becomes a note (and n/a cells), not a lost run."""
    try:
        fn()
    except Exception as exc:
        results.notes.append(f"{size:,} events: {what} FAILED: {type(exc).__name__}: {exc}")
        print(traceback.format_exc(), file=sys.stderr)


def measure_size(
    profile: str, size: int, results: Results, server: BenchServer | None, opts: Options
) -> tuple[_Paths, dict[str, str]] | None:
    """Every measurement of one profile at one size but its single appends; where they go."""
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    opts.progress(f"{profile}, {size:,} events: building (load average {load_start:.2f})")
    paths = _Paths(opts.data_dir, profile, size)
    pg: dict[str, str] = {}
    if server is not None:
        base = f"bench_{profile.replace('-', '_')}_{size}"
        pg["ledger"] = server.create_database(base) + "&ledger=bench"
        if opts.before is not None:
            pg["before"] = server.create_database(f"{base}_before") + "&ledger=bench"
    try:
        built = _build(size, profile, paths, pg, opts)
    except Exception as exc:
        # Nothing else can be measured at this size; the other sizes and profiles still are.
        results.notes.append(f"{size:,} events: the build FAILED: {type(exc).__name__}: {exc}")
        print(traceback.format_exc(), file=sys.stderr)
        results.load[size] = (load_start, os.getloadavg()[0])
        results.seconds[size] = time.perf_counter() - started
        return None
    spent, closed = built["spent"], built["closed"]
    results.counts[size] = Counter(closed["ledger"]["counts"])
    topic = closed["ledger"]["hottest"]
    for key, label in (
        ("ledger", "extend"),
        ("tuned", "tuned_extend"),
        ("pg", "pg_extend"),
        ("before", "before_extend"),
    ):
        if key in spent:
            results.set(f"{label}_eps", size, size / spent[key])
    if "before_pg" in spent:
        results.set("before_pg_extend_eps", size, size / spent["before_pg"])
    results.set("extend_cpu_eps", size, size / spent["ledger_cpu"])
    _fresh(paths.tuned)  # built only to time its appends
    results.set("raw_many_eps", size, size / spent["raw"])
    results.set("es_store_eps", size, size / spent["es"])
    _without_read_model(paths)
    opts.progress(f"{profile}, {size:,} events: reads")
    _guard(results, size, "reads", lambda: _reads(size, paths, pg, topic, results, opts))
    opts.progress(f"{profile}, {size:,} events: verify")
    _guard(results, size, "verify", lambda: _verify(size, paths, results))
    results.load[size] = (load_start, os.getloadavg()[0])
    results.seconds[size] = time.perf_counter() - started
    opts.progress(f"{profile}, {size:,} events: done in {results.seconds[size]:,.0f} s")
    return paths, pg


def _measure_profile(results: Results, server: BenchServer | None, opts: Options) -> None:
    """Every size of a profile; then, last because they grow the ledgers, the single appends."""
    paths: dict[int, _Paths] = {}
    pg: dict[int, dict[str, str]] = {}
    for size in results.sizes:
        found = measure_size(results.profile, size, results, server, opts)
        if found is not None:
            paths[size], pg[size] = found
    if paths:
        opts.progress(f"{results.profile}: single appends (every size in turn), follow latency")
        _guard(results, max(paths), "single appends", lambda: _appends(paths, pg, results, opts))


def measure(opts: Options) -> list[Results]:
    """Every measurement of every profile at every size, smallest first."""
    opts.data_dir.mkdir(parents=True, exist_ok=True)
    server, owned = opts.server, False
    if server is None and opts.postgres is not False:
        reason = unavailable()
        if reason is not None and opts.postgres:
            raise RuntimeError(f"--postgres: {reason}")
        if reason is None:
            opts.progress("starting a throwaway PostgreSQL server")
            server, owned = BenchServer(), True
    everything = []
    try:
        for profile in opts.profiles:
            results = Results(profile=profile, sizes=sorted(opts.sizes))
            if server is not None:
                results.notes.append(f"PostgreSQL: {server.settings()}")
            elif opts.postgres is None:
                results.notes.append(f"PostgreSQL: not measured ({unavailable()})")
            _measure_profile(results, server, opts)
            everything.append(results)
    finally:
        if server is not None and owned:
            server.stop()
    return everything


def _export(commit: str, data: Path) -> Path:
    """``git archive COMMIT ledger`` unpacked under data/, for --before."""
    where = data / f"code-{commit}"
    if not (where / "ledger" / "__init__.py").exists():
        where.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "ledger"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(where)], input=archive.stdout, check=True)
        (where / "COMMIT").write_text(commit + "\n")
    return where


def main(argv: list[str] | None = None) -> int:
    """Measure, print the tables, and write RESULTS.md (not with --quick)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="comma-separated event counts"
    )
    parser.add_argument(
        "--profiles", default=",".join(PROFILES), help=f"comma-separated: {', '.join(PROFILES)}"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1,000 events, small shape, one repeat, no older code, no RESULTS.md",
    )
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where generated files go")
    parser.add_argument("--out", type=Path, default=None, help="results file (default RESULTS.md)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--topics", type=int, default=None, help="override the profile's")
    parser.add_argument("--sources", type=int, default=None, help="override the profile's")
    parser.add_argument("--repeat", type=int, default=3, help="best-of count for the reads")
    parser.add_argument("--appends", type=int, default=200, help="single appends to time")
    parser.add_argument("--follows", type=int, default=100, help="appends the follower times")
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--postgres",
        dest="postgres",
        action="store_true",
        default=None,
        help="require a throwaway PostgreSQL server (default: use one when it can be started)",
    )
    group.add_argument("--no-postgres", dest="postgres", action="store_false")
    parser.add_argument(
        "--before",
        default=PREVIOUS_ROUND,
        help=f"a commit whose ledger/ is built and read beside today's (default {PREVIOUS_ROUND}, "
        "the previous round's); 'none' to skip",
    )
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    profiles = tuple(p for p in args.profiles.split(",") if p)
    topics, sources, appends, follows = args.topics, args.sources, args.appends, args.follows
    before = None if args.before in ("", "none") else args.before
    repeat = args.repeat
    if args.quick:
        sizes, topics, sources, repeat = [1_000], min(topics or 200, 200), min(sources or 50, 50), 1
        appends, follows, before = min(appends, 20), min(follows, 10), None
    code = None
    if before:
        try:
            code = _export(before, args.data)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"--before {before}: cannot export its ledger/ ({exc}); skipped", file=sys.stderr)
            before = None
    opts = Options(
        sizes,
        args.data,
        profiles=profiles,
        seed=args.seed,
        topics=topics,
        sources=sources,
        repeat=repeat,
        appends=appends,
        follows=follows,
        postgres=args.postgres,
        before=code,
        before_label=before,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    command = "python -m benchmarks.run " + shlex.join(argv if argv is not None else sys.argv[1:])
    if os.environ.get("PYTHONPATH"):
        command = f"PYTHONPATH={os.environ['PYTHONPATH']} {command}"
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    revision = code_revision()
    everything = measure(opts)
    machine = describe_machine(args.data)
    machine["ledger code"] = revision
    if code_revision() != revision:
        everything[0].notes.append(f"the ledger code changed during the run; now {code_revision()}")
    for results in everything:
        print(f"\n## {results.profile}\n\n{format_profile(results)}")
    (args.data / "last-results.json").write_bytes(
        orjson.dumps(
            {
                "command": command,
                "when": when,
                "machine": machine,
                "before": before,
                "profiles": [r.as_json() for r in everything],
            },
            option=orjson.OPT_INDENT_2,
        )
    )
    out = args.out or (None if args.quick else HERE / "RESULTS.md")
    if out is not None:
        label = f"commit {before} (`git archive {before} ledger`)" if before else None
        write_results(out, render(everything, machine, command.strip(), when, label))
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
