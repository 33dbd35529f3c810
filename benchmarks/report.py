"""The benchmark's results: the table, the goals, the machine, and RESULTS.md."""

from __future__ import annotations

import hashlib
import os
import platform
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "GOALS",
    "MEASUREMENTS",
    "RATIOS",
    "Results",
    "code_revision",
    "describe_machine",
    "format_table",
    "write_results",
]

# key -> (label, unit); the order of the table.
MEASUREMENTS: dict[str, tuple[str, str]] = {
    "extend_eps": ("batched append: Ledger.extend of 1,000", "events/s"),
    "raw_many_eps": ("batched append: raw sqlite3 executemany of 1,000", "events/s"),
    "extend_cpu_eps": ("batched append: Ledger.extend of 1,000, per CPU second", "events/s"),
    "raw_many_cpu_eps": ("batched append: raw executemany, per CPU second", "events/s"),
    "es_store_eps": ("batched append: eventsourcing save (extra)", "events/s"),
    "append_ms": ("single durable append: Ledger.append (median)", "ms"),
    "raw_one_ms": ("single durable append: raw sqlite3 insert + commit (median)", "ms"),
    "one_more_ms": ("one more append + its TopicView re-rendered (median)", "ms"),
    "replay_s": ("cold open + all TopicViews (full replay)", "s"),
    "raw_fold_s": ("raw sqlite3 + orjson fold to current intervals + hull", "s"),
    "es_rebuild_s": ("eventsourcing: rebuild every topic aggregate + hull", "s"),
    "replay_cpu_s": ("full replay, CPU time", "s"),
    "raw_fold_cpu_s": ("raw fold, CPU time", "s"),
    "es_rebuild_cpu_s": ("eventsourcing rebuild, CPU time", "s"),
    "open_all_s": ("cold open + all TopicViews (as shipped)", "s"),
    "open_query_s": ("cold open + query one topic (as shipped)", "s"),
    "rss_mib": ("peak RSS of a full replay (subprocess VmHWM)", "MiB"),
    "rss_raw_mib": ("peak RSS of the raw fold (subprocess VmHWM)", "MiB"),
    "verify_s": ("Ledger.verify()", "s"),
}


@dataclass(frozen=True)
class Goal:
    """One goal of the issue: a measured ratio or value against a bound."""

    name: str
    target: str
    at_least: float | None = None
    at_most: float | None = None

    def status(self, value: float | None) -> str:
        """PASS, FAIL or n/a for a measured value."""
        if value is None:
            return "n/a"
        ok = (self.at_least is None or value >= self.at_least) and (
            self.at_most is None or value <= self.at_most
        )
        return "PASS" if ok else "FAIL"


# Replays are CPU-bound (the files sit in the page cache), so their goals are
# judged on process CPU time, which other users of a shared machine disturb far
# less than wall time; durable appends wait on fsync, so theirs on wall time.
GOALS: dict[str, Goal] = {
    "replay_vs_raw": Goal("full replay speed / raw fold speed (CPU)", ">= 0.33x", at_least=0.33),
    "replay_vs_es": Goal(
        "full replay speed / eventsourcing rebuild speed (CPU)", ">= 5x", at_least=5
    ),
    "extend_vs_raw": Goal(
        "batched append speed / raw executemany speed (wall)", ">= 0.5x", at_least=0.5
    ),
    "append_growth": Goal(
        "one more append: cost at largest size / at smallest", "<= 1.5x", at_most=1.5
    ),
    "rss": Goal("peak RSS after replaying the largest size", "<= 1024 MiB", at_most=1024),
    "open_query": Goal("cold open + query one topic at the largest size", "< 1 s", at_most=1.0),
}


# Ratio rows of the table: the goals' ratios, and the same on the other clock.
RATIOS = {
    "replay_vs_raw": "full replay / raw fold, CPU (goal >= 0.33x)",
    "replay_vs_raw_wall": "full replay / raw fold, wall",
    "replay_vs_es": "full replay / eventsourcing rebuild, CPU (goal >= 5x)",
    "replay_vs_es_wall": "full replay / eventsourcing rebuild, wall",
    "extend_vs_raw": "Ledger.extend / raw executemany, wall (goal >= 0.5x)",
    "extend_vs_raw_cpu": "Ledger.extend / raw executemany, CPU",
}


@dataclass
class Results:
    """Every measurement by key and size, the event mix, and notes on what was seen."""

    sizes: list[int]
    values: dict[str, dict[int, float | None]] = field(default_factory=dict)
    counts: dict[int, Counter[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    checks: dict[int, str] = field(default_factory=dict)
    load: dict[int, tuple[float, float]] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)

    def set(self, key: str, size: int, value: float | None) -> None:
        """Record one measurement."""
        if key not in MEASUREMENTS:
            raise KeyError(key)
        self.values.setdefault(key, {})[size] = value

    def get(self, key: str, size: int) -> float | None:
        """One measurement, or None if it was not taken."""
        return self.values.get(key, {}).get(size)

    def ratio(self, goal: str, size: int | None = None) -> float | None:
        """The measured value of a goal (at a size, else the largest)."""
        size = size if size is not None else max(self.sizes)
        g = self.get

        def div(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None or b == 0 else a / b

        if goal == "replay_vs_raw":
            return div(g("raw_fold_cpu_s", size), g("replay_cpu_s", size))
        if goal == "replay_vs_es":
            return div(g("es_rebuild_cpu_s", size), g("replay_cpu_s", size))
        if goal == "extend_vs_raw":
            return div(g("extend_eps", size), g("raw_many_eps", size))
        if goal == "replay_vs_raw_wall":
            return div(g("raw_fold_s", size), g("replay_s", size))
        if goal == "replay_vs_es_wall":
            return div(g("es_rebuild_s", size), g("replay_s", size))
        if goal == "extend_vs_raw_cpu":
            return div(g("extend_cpu_eps", size), g("raw_many_cpu_eps", size))
        if goal == "append_growth":
            if len(self.sizes) < 2:
                return None
            return div(g("one_more_ms", max(self.sizes)), g("one_more_ms", min(self.sizes)))
        if goal == "rss":
            return g("rss_mib", size)
        if goal == "open_query":
            return g("open_query_s", size)
        raise KeyError(goal)

    def as_json(self) -> dict[str, Any]:
        """Everything, for a machine to compare runs."""
        return {
            "sizes": self.sizes,
            "values": {k: {str(s): v for s, v in d.items()} for k, d in self.values.items()},
            "counts": {str(s): dict(c) for s, c in self.counts.items()},
            "ratios": {goal: {str(s): self.ratio(goal, s) for s in self.sizes} for goal in GOALS},
            "checks": {str(s): c for s, c in self.checks.items()},
            "notes": self.notes,
        }


def _size_label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 10_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return f"{size:,}"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "events/s":
        return f"{value:,.0f}"
    if unit == "MiB":
        return f"{value:,.0f}"
    if unit == "x":
        return f"{value:.2f}x"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.01:
        return f"{value:.3f}"
    return f"{value:.2g}"


def format_table(results: Results) -> str:
    """The measurements, the ratios per size and the goals, as Markdown."""
    sizes = results.sizes
    head = "| measurement | unit | " + " | ".join(_size_label(s) for s in sizes) + " |"
    rule = "|---|---|" + "---:|" * len(sizes)
    lines = [head, rule]
    for key, (label, unit) in MEASUREMENTS.items():
        cells = [_fmt(results.get(key, s), unit) for s in sizes]
        lines.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
    for goal_key, label in RATIOS.items():
        cells = [_fmt(results.ratio(goal_key, s), "x") for s in sizes]
        lines.append(f"| ratio: {label} | x | " + " | ".join(cells) + " |")
    lines += ["", "| goal | target | measured | status |", "|---|---|---:|---|"]
    largest = _size_label(max(sizes))
    for key, goal in GOALS.items():
        value = results.ratio(key)
        unit = {"rss": "MiB", "open_query": "s"}.get(key, "x")
        where = f"{_size_label(max(sizes))} vs {_size_label(min(sizes))}"
        where = where if key == "append_growth" else largest
        shown = _fmt(value, unit)
        lines.append(f"| {goal.name} ({where}) | {goal.target} | {shown} | {goal.status(value)} |")
    return "\n".join(lines)


def format_counts(results: Results) -> str:
    """The event mix of each generated ledger."""
    kinds = sorted({k for c in results.counts.values() for k in c})
    lines = [
        "| events | " + " | ".join(kinds) + " |",
        "|---|" + "---:|" * len(kinds),
    ]
    for size in results.sizes:
        counts = results.counts.get(size, Counter())
        lines.append(
            f"| {_size_label(size)} | " + " | ".join(f"{counts.get(k, 0):,}" for k in kinds) + " |"
        )
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _filesystem(path: Path) -> str:
    """The file system type holding path, from /proc/mounts (fsync cost depends on it)."""
    try:
        target = str(path.resolve())
        best = ("", "unknown")
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and target.startswith(parts[1]) and len(parts[1]) > len(best[0]):
                best = (parts[1], parts[2])
        return f"{best[1]} (mounted at {best[0]})"
    except OSError:
        return "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def code_revision() -> str:
    """Which ledger code ran: its git commit and changed files, or where it was imported from."""
    import ledger

    package = Path(ledger.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.read_bytes())
    fingerprint = f"ledger/ sha256 {digest.hexdigest()[:12]}"

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(package.parent), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.rstrip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    top = git("rev-parse", "--show-toplevel")
    if not commit or not top or Path(top).resolve() != package.parent:
        return f"ledger imported from {package} ({fingerprint})"
    dirty = git("status", "--porcelain", "--", "ledger").splitlines()
    changed = ", ".join(line[3:] for line in dirty) or "none"
    return f"commit {commit}, uncommitted changes in ledger/: {changed} ({fingerprint})"


def describe_machine(data_dir: Path) -> dict[str, str]:
    """What the numbers were measured on."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "CPU": _cpu_model(),
        "cores": f"{os.cpu_count()} (usable by this process: {affinity})",
        "memory": _memory(),
        "OS": platform.platform(),
        "Python": sys.version.split()[0] + f" ({platform.python_implementation()})",
        "SQLite": sqlite3.sqlite_version,
        "data file system": _filesystem(data_dir),
        "packages": ", ".join(
            f"{d} {_version(d)}"
            for d in ("claims-ledger", "eventsourcing", "orjson", "cattrs", "attrs")
        ),
    }


_START = "<!-- results:start -->"
_END = "<!-- results:end -->"
_NOTES_STUB = """
## Notes

Hand-written notes (profiles, what changed, before/after tables) go below;
`python -m benchmarks.run` rewrites only the part between the results markers.
"""


def render(results: Results, machine: dict[str, str], command: str, when: str) -> str:
    """The generated part of RESULTS.md."""
    load = "; ".join(
        f"{s:,} events: {a:.2f} at start, {b:.2f} at end" for s, (a, b) in results.load.items()
    )
    parts = [
        f"Command: `{command}`  ",
        f"Run: {when}, {sum(results.seconds.values()):,.0f} s in all",
        "",
        "Machine:",
        "",
        *[f"- {k}: {v}" for k, v in machine.items()],
        f"- load average (1 min) during the run: {load}",
        "",
        format_table(results),
        "",
        "Event mix:",
        "",
        format_counts(results),
        "",
        "Checks: " + "; ".join(f"{s:,} events: {c}" for s, c in results.checks.items()),
    ]
    if results.notes:
        parts += ["", "Observed during the run:", "", *[f"- {n}" for n in results.notes]]
    return "\n".join(parts)


def write_results(path: Path, generated: str) -> None:
    """Rewrite the generated part of RESULTS.md, keeping hand-written notes around it."""
    block = f"{_START}\n{generated}\n{_END}"
    if path.exists():
        text = path.read_text()
        if _START in text and _END in text:
            before = text.split(_START, 1)[0]
            after = text.split(_END, 1)[1]
            path.write_text(before + block + after)
            return
    path.write_text(f"# Benchmark results\n\n{block}\n{_NOTES_STUB}")
