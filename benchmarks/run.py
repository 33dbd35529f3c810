"""The benchmark harness: ``python -m benchmarks.run [--sizes 10000,100000,1000000] [--quick]``.

For each size it generates the seeded ledger and, on the same events:

1. builds it three ways in lock-step, batch by batch (1,000 events): through
   ``Ledger.extend`` into a SQLite ledger, through raw sqlite3 ``executemany``
   of the very rows the ledger stored, and through the eventsourcing library;
2. times a full replay (cold open, no snapshot, every TopicView), the raw
   sqlite3 + orjson fold and the eventsourcing rebuild, each in a fresh
   process (``benchmarks.replay``), interleaved, best of ``--repeat``, with
   each one's peak RSS; and checks that the three agree, topic by topic, on
   every range;
3. times cold opens as the ledger ships (with its projection snapshot): all
   TopicViews, and one topic;
4. times ``Ledger.verify()``;
5. last, because it grows the files, times single durable appends (each
   followed by re-rendering the touched TopicView) against raw single-row
   inserts of the same rows.

Then it prints the table and, unless ``--quick``, writes benchmarks/RESULTS.md.
Generated files go under benchmarks/data/ (git-ignored) and are rebuilt on
every run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import itertools
import os
import shlex
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson

from benchmarks.baselines import (
    EventsourcingBaseline,
    RawStore,
)
from benchmarks.generate import LedgerGenerator
from benchmarks.report import (
    Results,
    code_revision,
    describe_machine,
    format_table,
    render,
    write_results,
)
from ledger import Ledger

__all__ = ["Options", "main", "measure"]

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
BATCH = 1_000
T = TypeVar("T")


class Options:
    """What to measure and how hard: sizes, shape, repeats, appends."""

    def __init__(
        self,
        sizes: list[int],
        data_dir: Path,
        *,
        seed: int = 8,
        topics: int = 10_000,
        sources: int = 500,
        repeat: int | None = None,
        appends: int = 200,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.sizes = sizes
        self.data_dir = data_dir
        self.seed = seed
        self.topics = topics
        self.sources = sources
        self.repeat = repeat
        self.appends = appends
        self.progress = progress or (lambda _: None)

    def repeats(self, size: int) -> int:
        """Best-of count for the replays: three of each, interleaved."""
        if self.repeat is not None:
            return self.repeat
        return 3


def _batched(items: Iterable[T], n: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, n)):
        yield chunk


def _fresh(path: Path) -> Path:
    for name in (str(path), str(path) + ".snapshot"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(name + suffix).unlink(missing_ok=True)
    Path(str(path) + ".topics.json").unlink(missing_ok=True)
    return path


class _Paths:
    def __init__(self, data_dir: Path, size: int) -> None:
        self.ledger = _fresh(data_dir / f"ledger-{size}.db")
        self.raw = _fresh(data_dir / f"raw-{size}.db")
        self.es = _fresh(data_dir / f"eventsourcing-{size}.db")


def _build(
    size: int, gen: LedgerGenerator, paths: _Paths, es: EventsourcingBaseline, opts: Options
) -> dict[str, float]:
    """The three builds in lock-step, batch by batch; wall and CPU seconds spent in each."""
    spent = dict.fromkeys(("ledger", "raw", "es", "ledger_cpu", "raw_cpu"), 0.0)
    lg = Ledger.open(str(paths.ledger))
    raw = RawStore(paths.raw)
    wall, cpu = time.perf_counter, time.process_time
    started = wall()
    done = 0
    try:
        for chunk in _batched(gen.take(size), BATCH):
            head = lg.head
            c0, t0 = cpu(), wall()
            lg.extend(chunk)
            t1, c1 = wall(), cpu()
            rows = list(lg.rows(head))
            c2, t2 = cpu(), wall()
            raw.insert_many(rows)
            t3, c3 = wall(), cpu()
            es.store(rows)
            t4 = wall()
            spent["ledger"] += t1 - t0
            spent["ledger_cpu"] += c1 - c0
            spent["raw"] += t3 - t2
            spent["raw_cpu"] += c3 - c2
            spent["es"] += t4 - t3
            done += len(chunk)
            if done % max(BATCH, size // 10) == 0 or done == size:
                elapsed = wall() - started
                opts.progress(
                    f"  built {done:,}/{size:,} in {elapsed:,.0f} s "
                    f"(about {elapsed / done * (size - done):,.0f} s to go)"
                )
    finally:
        lg.close()
        raw.close()
        es.finish_storing()
    return spent


def _subprocess(kind: str, path: Path, *extra: str) -> dict[str, Any]:
    """Run ``python -m benchmarks.replay KIND PATH …`` and return what it printed."""
    # The caller's PYTHONPATH first, so that a ledger exported elsewhere (a "before"
    # tree) is the one imported; and not cwd=ROOT, which -m would put ahead of it.
    paths = [os.environ.get("PYTHONPATH"), str(ROOT)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.replay", kind, str(path.resolve()), *extra],
        cwd=path.resolve().parent,
        env=env,
        capture_output=True,
        check=False,
        text=True,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"the {kind} subprocess failed: {tail[0]}")
    return dict(orjson.loads(done.stdout.strip().splitlines()[-1]))


def _replays(size: int, paths: _Paths, results: Results, opts: Options) -> None:
    """Full replay, raw fold and eventsourcing rebuild, each in a fresh process, interleaved.

    Best of n on each clock; the peak RSS of each; then a check that all three
    found the same range for every topic.
    """
    runs = (("replay", "ledger", paths.ledger), ("raw_fold", "raw", paths.raw))
    runs += (("es_rebuild", "es", paths.es),)
    best: dict[str, float] = {}
    peak: dict[str, float] = {}
    ranges: dict[str, Any] = {}
    failed: set[str] = set()
    # The builds leave a gigabyte or more of dirty pages; write them out now,
    # not while the first replay runs.
    os.sync()
    for i in range(opts.repeats(size)):
        for key, kind, path in runs:
            if key in failed:
                continue
            out_file = opts.data_dir / f"ranges-{key}-{size}.json"
            try:
                out = _subprocess(kind, path, "--ranges", str(out_file))
            except Exception as exc:
                failed.add(key)
                results.notes.append(f"{size:,} events: {key} FAILED: {exc}")
                continue
            ranges[key] = orjson.loads(out_file.read_bytes())
            out_file.unlink()
            best[f"{key}_s"] = min(best.get(f"{key}_s", float("inf")), out["seconds"])
            best[f"{key}_cpu_s"] = min(best.get(f"{key}_cpu_s", float("inf")), out["cpu_seconds"])
            peak[key] = max(peak.get(key, 0), out["peak_kib"] / 1024)
            opts.progress(
                f"  {key} #{i + 1}: {out['seconds']:,.2f} s ({out['cpu_seconds']:,.2f} s CPU), "
                f"peak RSS {out['peak_kib'] / 1024:,.0f} MiB (from {out['start_kib'] / 1024:,.0f})"
            )
    for key, value in best.items():
        results.set(key, size, value)
    results.set("rss_mib", size, peak.get("replay"))
    results.set("rss_raw_mib", size, peak.get("raw_fold"))
    if failed:
        results.checks[size] = f"not checked: {', '.join(sorted(failed))} failed"
        return
    results.checks[size] = _agreement(ranges["replay"], ranges["raw_fold"], ranges["es_rebuild"])


def _agreement(ledger: dict[str, Any], raw: dict[str, Any], es: dict[str, Any]) -> str:
    problems = []
    for name, other in (("raw fold", raw), ("eventsourcing", es)):
        if set(other) != set(ledger):
            problems.append(f"{name} has {len(other):,} topics, the ledger {len(ledger):,}")
            continue
        differ = sorted(t for t in ledger if ledger[t] != other[t])
        if differ:
            t = differ[0]
            problems.append(
                f"{name} differs on {len(differ):,} topics, e.g. {t}: "
                f"ledger {ledger[t]}, {name} {other[t]}"
            )
    if problems:
        return "DISAGREE: " + "; ".join(problems)
    return f"ledger, raw fold and eventsourcing agree on all {len(ledger):,} topic ranges"


def _shipped(size: int, paths: _Paths, topic: str, results: Results) -> None:
    """Cold opens as the ledger ships (its snapshot), each in a fresh process."""
    # Open and close once as a user would have, so that a ledger that keeps a
    # snapshot has written it.
    Ledger.open(str(paths.ledger)).close()
    every = _subprocess("shipped", paths.ledger)
    one = _subprocess("shipped", paths.ledger, "--topic", topic)
    results.set("open_all_s", size, every["seconds"])
    results.set("open_query_s", size, one["seconds"])
    results.notes.append(
        f"{size:,} events: cold open + query one topic ({topic}) found {one['snapshot']}; "
        f"{one['cpu_seconds']:,.3f} s CPU, peak RSS {one['peak_kib'] / 1024:,.0f} MiB"
    )


def _verify(size: int, paths: _Paths, results: Results) -> None:
    """Ledger.verify() on the file, opened as shipped."""
    lg = Ledger.open(str(paths.ledger))
    try:
        t0 = time.perf_counter()
        try:
            report = lg.verify()
        except ImportError as exc:
            results.notes.append(f"{size:,} events: verify() unavailable ({exc})")
            return
        results.set("verify_s", size, time.perf_counter() - t0)
        if not getattr(report, "ok", False):
            results.notes.append(f"{size:,} events: verify() did NOT report ok: {report}")
    finally:
        lg.close()


def _appends(
    size: int, gen: LedgerGenerator, paths: _Paths, results: Results, opts: Options
) -> None:
    """Single durable appends, each with its TopicView re-rendered, against raw inserts."""
    lg = Ledger.open(str(paths.ledger))
    raw = RawStore(paths.raw)
    lg.topics()  # a long-running process has every view rendered already
    append_ms: list[float] = []
    view_ms: list[float] = []
    raw_ms: list[float] = []
    clock = time.perf_counter
    try:
        for event in itertools.islice(gen.body(), opts.appends):
            topic = gen.topic_of(event)
            t0 = clock()
            record = lg.append(event)
            t1 = clock()
            if topic is not None:
                lg.topic(topic)
            t2 = clock()
            (row,) = lg.rows(record.position - 1)
            t3 = clock()
            raw.insert_one(row)
            t4 = clock()
            append_ms.append((t1 - t0) * 1000)
            view_ms.append((t2 - t0) * 1000)
            raw_ms.append((t4 - t3) * 1000)
    finally:
        lg.close()
        raw.close()
    results.notes.append(
        f"{size:,} events: {len(view_ms)} single appends + view: median "
        f"{statistics.median(view_ms):.2f} ms, mean {statistics.fmean(view_ms):.2f} ms, "
        f"max {max(view_ms):.1f} ms; raw insert + commit: median "
        f"{statistics.median(raw_ms):.2f} ms, max {max(raw_ms):.1f} ms"
    )
    results.set("append_ms", size, statistics.median(append_ms))
    results.set("one_more_ms", size, statistics.median(view_ms))
    results.set("raw_one_ms", size, statistics.median(raw_ms))


def _guard(results: Results, size: int, what: str, fn: Callable[[], None]) -> None:
    """Run one phase; a failure becomes a note (and n/a cells), not a lost run."""
    try:
        fn()
    except Exception as exc:
        results.notes.append(f"{size:,} events: {what} FAILED: {type(exc).__name__}: {exc}")
        print(traceback.format_exc(), file=sys.stderr)


def measure_size(size: int, results: Results, opts: Options) -> None:
    """Every measurement at one size."""
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    opts.progress(f"{size:,} events: generating and building (load average {load_start:.2f})")
    gen = LedgerGenerator(seed=opts.seed, topics=opts.topics, sources=opts.sources)
    paths = _Paths(opts.data_dir, size)
    spent = _build(size, gen, paths, EventsourcingBaseline(paths.es), opts)
    results.counts[size] = gen.counts.copy()
    results.set("extend_eps", size, size / spent["ledger"])
    results.set("raw_many_eps", size, size / spent["raw"])
    results.set("extend_cpu_eps", size, size / spent["ledger_cpu"])
    results.set("raw_many_cpu_eps", size, size / spent["raw_cpu"])
    results.set("es_store_eps", size, size / spent["es"])
    # What the harness holds is not garbage: keep the collector from rescanning it.
    gc.collect()
    gc.freeze()
    opts.progress(f"{size:,} events: replays")
    _guard(results, size, "replays", lambda: _replays(size, paths, results, opts))
    opts.progress(f"{size:,} events: cold open as shipped, verify")
    _guard(
        results,
        size,
        "cold open as shipped",
        lambda: _shipped(size, paths, gen.hottest_topic, results),
    )
    _guard(results, size, "verify", lambda: _verify(size, paths, results))
    opts.progress(f"{size:,} events: single appends")
    _guard(results, size, "single appends", lambda: _appends(size, gen, paths, results, opts))
    results.load[size] = (load_start, os.getloadavg()[0])
    results.seconds[size] = time.perf_counter() - started
    opts.progress(f"{size:,} events: done in {results.seconds[size]:,.0f} s")


def measure(opts: Options) -> Results:
    """Every measurement at every size, smallest first."""
    opts.data_dir.mkdir(parents=True, exist_ok=True)
    results = Results(sizes=sorted(opts.sizes))
    for size in results.sizes:
        measure_size(size, results, opts)
    return results


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, and write RESULTS.md (not with --quick)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="comma-separated event counts"
    )
    parser.add_argument(
        "--quick", action="store_true", help="1,000 events, small shape, no RESULTS.md"
    )
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where generated files go")
    parser.add_argument("--out", type=Path, default=None, help="results file (default RESULTS.md)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=None, help="best-of count for the replays")
    parser.add_argument("--appends", type=int, default=200, help="single appends to time")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    topics, sources, appends = args.topics, args.sources, args.appends
    if args.quick:
        sizes, topics, sources, appends = (
            [1_000],
            min(topics, 200),
            min(sources, 50),
            min(appends, 20),
        )
    opts = Options(
        sizes,
        args.data,
        seed=args.seed,
        topics=topics,
        sources=sources,
        repeat=args.repeat,
        appends=appends,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    command = "python -m benchmarks.run " + shlex.join(argv if argv is not None else sys.argv[1:])
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    revision = code_revision()
    results = measure(opts)
    machine = describe_machine(args.data)
    machine["ledger code"] = revision
    if code_revision() != revision:
        results.notes.append(f"the ledger code changed during the run; now {code_revision()}")
    print(format_table(results))
    (args.data / "last-results.json").write_bytes(
        orjson.dumps(
            {"command": command, "when": when, "machine": machine, **results.as_json()},
            option=orjson.OPT_INDENT_2,
        )
    )
    out = args.out or (None if args.quick else HERE / "RESULTS.md")
    if out is not None:
        write_results(out, render(results, machine, command.strip(), when))
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
