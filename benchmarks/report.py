"""The benchmark's results: the tables, the goals, the machine, and RESULTS.md."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.machine import code_revision, describe_machine, write_results

__all__ = [
    "APPENDS",
    "GOALS",
    "PREVIOUS",
    "RATIOS",
    "READS",
    "Results",
    "code_revision",
    "describe_machine",
    "format_profile",
    "render",
    "write_results",
]

# key -> (label, unit): the append table, in order.
APPENDS: dict[str, tuple[str, str]] = {
    "extend_eps": ("SQLite: Ledger.extend of 1,000 (wall)", "events/s"),
    "extend_cpu_eps": ("SQLite: Ledger.extend of 1,000, per CPU second", "events/s"),
    "tuned_extend_eps": ("SQLite: Ledger.extend of 1,000, opt-in tune_gc=True (wall)", "events/s"),
    "raw_many_eps": ("SQLite: raw sqlite3 executemany of 1,000 (wall)", "events/s"),
    "es_store_eps": ("SQLite: eventsourcing save (extra)", "events/s"),
    "pg_extend_eps": ("PostgreSQL: Ledger.extend of 1,000 (wall)", "events/s"),
    "before_extend_eps": ("before: SQLite Ledger.extend of 1,000 (wall)", "events/s"),
    "before_pg_extend_eps": ("before: PostgreSQL Ledger.extend of 1,000 (wall)", "events/s"),
    "append_ms": ("SQLite: single durable append, Ledger.append (median)", "ms"),
    "raw_one_ms": ("SQLite: raw insert + commit of the same row (median)", "ms"),
    "one_more_ms": ("SQLite: one more append + its TopicView (median)", "ms"),
    "pg_append_ms": ("PostgreSQL: single append, Ledger.append (median)", "ms"),
    "pg_one_more_ms": ("PostgreSQL: one more append + its TopicView (median)", "ms"),
    "follow_p50_ms": ("PostgreSQL: follow latency, append called -> followed (median)", "ms"),
    "follow_p95_ms": ("PostgreSQL: follow latency (p95)", "ms"),
    "verify_s": ("SQLite: Ledger.verify(read_model=False)", "s"),
    "import_s": ("fresh process: import ledger and its SQLite store (before any clock)", "s"),
    "pg_import_s": ("fresh process: import ledger and its PostgreSQL store (psycopg)", "s"),
}

# key -> label: reads, each timed in a fresh process (wall s, CPU s, peak RSS MiB).
READS: dict[str, str] = {
    "open_all": "SQLite: cold open + every TopicView (read model)",
    "open_one": "SQLite: cold open + one topic (read model)",
    "replay": "SQLite: full replay, Ledger.open(tune_gc=True).as_of().topics()",
    "replay_default": "SQLite: full replay, collector untouched (no tune_gc)",
    "rebuild": "SQLite: cold open of a copy without its read model + every TopicView",
    "raw_fold": "raw sqlite3 + orjson fold to current hulls",
    "es_rebuild": "eventsourcing: rebuild every topic aggregate + hull",
    "pg_open_all": "PostgreSQL: cold open + every TopicView (read model)",
    "pg_open_one": "PostgreSQL: cold open + one topic (read model)",
    "before_open_all": "before: SQLite cold open + every TopicView (its snapshot)",
    "before_open_one": "before: SQLite cold open + one topic (its snapshot)",
    "before_replay": "before: SQLite full replay (snapshot_every=None)",
    "before_pg_open_all": "before: PostgreSQL cold open + every TopicView (a full replay)",
    "before_pg_open_one": "before: PostgreSQL cold open + one topic (a full replay)",
}


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


@dataclass
class Results:
    """One profile's measurements by key and size, its event mix, shape and notes."""

    profile: str
    sizes: list[int]
    values: dict[str, dict[int, float | None]] = field(default_factory=dict)
    counts: dict[int, Counter[str]] = field(default_factory=dict)
    shape: dict[int, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    checks: dict[int, str] = field(default_factory=dict)
    load: dict[int, tuple[float, float]] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)

    def set(self, key: str, size: int, value: float | None) -> None:
        """Record one measurement."""
        base = key.removesuffix("_cpu_s").removesuffix("_rss_mib").removesuffix("_s")
        if key not in APPENDS and base not in READS:
            raise KeyError(key)
        self.values.setdefault(key, {})[size] = value

    def get(self, key: str, size: int) -> float | None:
        """One measurement, or None if it was not taken."""
        return self.values.get(key, {}).get(size)

    def ratio(self, name: str, size: int | None = None) -> float | None:
        """A ratio of RATIOS (at a size, else the largest)."""
        size = size if size is not None else max(self.sizes)
        return RATIOS[name][1](lambda key: self.get(key, size))

    def as_json(self) -> dict[str, Any]:
        """Everything, for a machine to compare runs."""
        return {
            "profile": self.profile,
            "sizes": self.sizes,
            "values": {k: {str(s): v for s, v in d.items()} for k, d in self.values.items()},
            "counts": {str(s): dict(c) for s, c in self.counts.items()},
            "shape": {str(s): d for s, d in self.shape.items()},
            "ratios": {r: {str(s): self.ratio(r, s) for s in self.sizes} for r in RATIOS},
            "checks": {str(s): c for s, c in self.checks.items()},
            "notes": self.notes,
        }


Get = Callable[[str], float | None]

# name -> (label, how it is computed from one size's values). Speeds are
# inverse times: "2x" means half the time.
RATIOS: dict[str, tuple[str, Callable[[Get], float | None]]] = {
    "all_vs_raw": (
        "SQLite cold open + every TopicView, speed / raw fold (CPU)",
        lambda g: _div(g("raw_fold_cpu_s"), g("open_all_cpu_s")),
    ),
    "all_vs_raw_wall": (
        "SQLite cold open + every TopicView, speed / raw fold (wall)",
        lambda g: _div(g("raw_fold_s"), g("open_all_s")),
    ),
    "pg_all_vs_raw": (
        "PostgreSQL cold open + every TopicView, speed / raw fold on SQLite (wall)",
        lambda g: _div(g("raw_fold_s"), g("pg_open_all_s")),
    ),
    "replay_vs_raw": (
        "full replay (as_of, tune_gc), speed / raw fold (CPU)",
        lambda g: _div(g("raw_fold_cpu_s"), g("replay_cpu_s")),
    ),
    "replay_vs_es": (
        "full replay (as_of, tune_gc), speed / eventsourcing rebuild (CPU)",
        lambda g: _div(g("es_rebuild_cpu_s"), g("replay_cpu_s")),
    ),
    "rebuild_vs_raw": (
        "cold open without read model (builds it), speed / raw fold (CPU)",
        lambda g: _div(g("raw_fold_cpu_s"), g("rebuild_cpu_s")),
    ),
    "extend_vs_raw": (
        "SQLite Ledger.extend / raw executemany (wall)",
        lambda g: _div(g("extend_eps"), g("raw_many_eps")),
    ),
    "extend_vs_before": (
        "SQLite Ledger.extend, rate / before's rate (wall)",
        lambda g: _div(g("extend_eps"), g("before_extend_eps")),
    ),
    "tuned_extend_vs_before": (
        "SQLite Ledger.extend with the opt-in tune_gc=True, rate / before's rate (wall)",
        lambda g: _div(g("tuned_extend_eps"), g("before_extend_eps")),
    ),
    "pg_extend_vs_before": (
        "PostgreSQL Ledger.extend, rate / before's rate (wall)",
        lambda g: _div(g("pg_extend_eps"), g("before_pg_extend_eps")),
    ),
    "replay_vs_before": (
        "full replay, CPU time / before's full replay",
        lambda g: _div(g("replay_cpu_s"), g("before_replay_cpu_s")),
    ),
    "all_vs_before": (
        "SQLite cold open + every TopicView, CPU time / before's (snapshot)",
        lambda g: _div(g("open_all_cpu_s"), g("before_open_all_cpu_s")),
    ),
    "pg_all_vs_before": (
        "PostgreSQL cold open + every TopicView, wall time / before's",
        lambda g: _div(g("pg_open_all_s"), g("before_pg_open_all_s")),
    ),
}

#: The previous round's table (RESULTS.md at 38653ef, measured at c435eba,
#: default profile): key -> {size: value}, for the comparison issue 13 asks for.
PREVIOUS: dict[str, dict[int, float]] = {
    "extend_eps": {10_000: 57_129, 100_000: 38_282, 1_000_000: 23_383},
    "raw_many_eps": {10_000: 190_311, 100_000: 81_119, 1_000_000: 38_455},
    "one_more_ms": {10_000: 0.460, 100_000: 0.446, 1_000_000: 0.584},
    "append_ms": {10_000: 0.417, 100_000: 0.380, 1_000_000: 0.473},
    "replay_cpu_s": {10_000: 0.153, 100_000: 1.262, 1_000_000: 12.5},
    "raw_fold_cpu_s": {10_000: 0.034, 100_000: 0.373, 1_000_000: 4.270},
    "es_rebuild_cpu_s": {10_000: 0.435, 100_000: 2.658, 1_000_000: 22.5},
    "open_all_s": {10_000: 0.159, 100_000: 1.239, 1_000_000: 12.0},
    "open_one_s": {10_000: 0.016, 100_000: 0.038, 1_000_000: 0.255},
    "replay_rss_mib": {10_000: 41, 100_000: 119, 1_000_000: 786},
    "verify_s": {10_000: 0.095, 100_000: 0.970, 1_000_000: 10.8},
}
_PREVIOUS_LABELS = {
    "extend_eps": "Ledger.extend of 1,000, events/s (wall)",
    "raw_many_eps": "raw executemany of 1,000, events/s (wall; the machine's pace)",
    "one_more_ms": "one more append + its TopicView, ms (median)",
    "append_ms": "single durable append, ms (median)",
    "replay_cpu_s": "full replay, CPU s (then: snapshot_every=None; now: as_of, tune_gc)",
    "raw_fold_cpu_s": "raw fold, CPU s (the machine's pace)",
    "es_rebuild_cpu_s": "eventsourcing rebuild, CPU s",
    "open_all_s": "cold open + every TopicView, s (then: snapshot; now: read model)",
    "open_one_s": "cold open + one topic, s (then: snapshot; now: read model)",
    "replay_rss_mib": "peak RSS of the full replay, MiB",
    "verify_s": "Ledger.verify() of the log, s",
}


@dataclass(frozen=True)
class Goal:
    """One goal of the issues: a measured value at the largest size against a bound."""

    name: str
    unit: str
    value: Callable[[Results], float | None]
    #: profile -> (bound text, at_least, at_most); a profile not listed has no such goal.
    targets: dict[str, tuple[str, float | None, float | None]]

    def status(self, profile: str, value: float | None) -> str:
        """PASS, FAIL or n/a for a measured value."""
        if value is None:
            return "n/a"
        _, at_least, at_most = self.targets[profile]
        ok = (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
        return "PASS" if ok else "FAIL"


def _at_largest(key: str) -> Callable[[Results], float | None]:
    return lambda r: r.get(key, max(r.sizes))


def _ratio(name: str) -> Callable[[Results], float | None]:
    return lambda r: r.ratio(name)


def _growth(r: Results) -> float | None:
    if len(r.sizes) < 2:
        return None
    return _div(r.get("one_more_ms", max(r.sizes)), r.get("one_more_ms", min(r.sizes)))


def _against_previous(key: str, invert: bool = False) -> Callable[[Results], float | None]:
    def value(r: Results) -> float | None:
        size = max(r.sizes)
        before = PREVIOUS[key].get(size)
        now = r.get(key, size)
        return _div(before, now) if invert else _div(now, before)

    return value


_BOTH = ("default", "revision-heavy")

GOALS: list[Goal] = [
    Goal(
        "14: SQLite cold open + every TopicView, speed / raw fold (CPU)",
        "x",
        _ratio("all_vs_raw"),
        {"default": (">= 1x", 1.0, None), "revision-heavy": (">= 5x", 5.0, None)},
    ),
    Goal(
        "14: SQLite cold open + one topic, CPU s",
        "s",
        _at_largest("open_one_cpu_s"),
        dict.fromkeys(_BOTH, ("< 0.1 s", None, 0.1)),
    ),
    Goal(
        "14: PostgreSQL cold open + one topic, wall s",
        "s",
        _at_largest("pg_open_one_s"),
        dict.fromkeys(_BOTH, ("< 0.3 s", None, 0.3)),
    ),
    Goal(
        "14: PostgreSQL cold open + every TopicView, speed / raw fold (wall)",
        "x",
        _ratio("pg_all_vs_raw"),
        {"default": (">= 1x", 1.0, None), "revision-heavy": (">= 2x", 2.0, None)},
    ),
    Goal(
        "14: SQLite Ledger.extend rate / before's, same run",
        "x",
        _ratio("extend_vs_before"),
        dict.fromkeys(_BOTH, (">= 0.8x", 0.8, None)),
    ),
    Goal(
        "14: PostgreSQL Ledger.extend rate / before's, same run",
        "x",
        _ratio("pg_extend_vs_before"),
        dict.fromkeys(_BOTH, (">= 0.8x", 0.8, None)),
    ),
    Goal(
        "14: one more append, cost at the largest size / at the smallest",
        "x",
        _growth,
        dict.fromkeys(_BOTH, ("<= 1.5x", None, 1.5)),
    ),
    Goal(
        "14: peak RSS of cold open + every TopicView (SQLite)",
        "MiB",
        _at_largest("open_all_rss_mib"),
        {"revision-heavy": ("< 300 MiB", None, 300.0)},
    ),
    Goal(
        "13: full replay CPU time / before's, same run",
        "x",
        _ratio("replay_vs_before"),
        dict.fromkeys(_BOTH, ("<= 1.1x", None, 1.1)),
    ),
    Goal(
        "13: SQLite Ledger.extend rate / before's, same run",
        "x",
        _ratio("extend_vs_before"),
        dict.fromkeys(_BOTH, (">= 0.9x", 0.9, None)),
    ),
    Goal(
        "13: full replay CPU time / the previous round's table",
        "x",
        _against_previous("replay_cpu_s"),
        {"default": ("<= 1.1x", None, 1.1)},
    ),
    Goal(
        "13: Ledger.extend rate / the previous round's table",
        "x",
        _against_previous("extend_eps"),
        {"default": (">= 0.9x", 0.9, None)},
    ),
]


def size_label(size: int) -> str:
    """10k, 100k, 1M, or the number itself."""
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 10_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return f"{size:,}"


def fmt(value: float | None, unit: str) -> str:
    """A value as the tables print it."""
    if value is None:
        return "n/a"
    if unit in ("events/s", "MiB", "count"):
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


def _table(head: list[str], rows: list[list[str]], numeric_from: int = 1) -> list[str]:
    lines = ["| " + " | ".join(head) + " |"]
    lines.append("|" + "---|" * numeric_from + "---:|" * (len(head) - numeric_from))
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def format_profile(r: Results) -> str:
    """One profile's tables (appends, reads, ratios, goals) as Markdown."""
    sizes = r.sizes
    labels = [size_label(s) for s in sizes]
    taken = [k for k in APPENDS if any(r.get(k, s) is not None for s in sizes)]
    lines = _table(
        ["appends, follow, verify, imports", "unit", *labels],
        [
            [APPENDS[k][0], APPENDS[k][1]] + [fmt(r.get(k, s), APPENDS[k][1]) for s in sizes]
            for k in taken
        ],
        numeric_from=2,
    )

    def cell(key: str, size: int) -> str:
        wall, cpu, rss = (r.get(f"{key}{x}", size) for x in ("_s", "_cpu_s", "_rss_mib"))
        if wall is None:
            return "n/a"
        return f"{fmt(wall, 's')} / {fmt(cpu, 's')} / {fmt(rss, 'MiB')}"

    reads = [k for k in READS if any(r.get(f"{k}_s", s) is not None for s in sizes)]
    lines += [
        "",
        "Reads, each in a fresh process, best of the repeats: wall s / CPU s / peak RSS MiB",
        "",
    ]
    lines += _table(["read", *labels], [[READS[k]] + [cell(k, s) for s in sizes] for k in reads])
    ratios = [n for n in RATIOS if any(r.ratio(n, s) is not None for s in sizes)]
    lines += [""]
    lines += _table(
        ["ratio", *labels],
        [[RATIOS[n][0]] + [fmt(r.ratio(n, s), "x") for s in sizes] for n in ratios],
    )
    lines += ["", *format_goals(r)]
    return "\n".join(lines)


def format_goals(r: Results) -> list[str]:
    """The goals of the issues for one profile, at its largest size."""
    largest = size_label(max(r.sizes))
    rows = []
    for goal in GOALS:
        if r.profile not in goal.targets:
            continue
        value = goal.value(r)
        where = f"{largest} vs {size_label(min(r.sizes))}" if goal.value is _growth else largest
        rows.append(
            [
                f"{goal.name} ({where})",
                goal.targets[r.profile][0],
                fmt(value, goal.unit),
                goal.status(r.profile, value),
            ]
        )
    return _table(["goal", "target", "measured", "status"], rows, numeric_from=2)


def format_shape(r: Results) -> str:
    """The event mix and the shape of each generated ledger."""
    kinds = sorted({k for c in r.counts.values() for k in c})
    rows = []
    for size in r.sizes:
        counts = r.counts.get(size, Counter())
        shape = r.shape.get(size, {})
        pairs = shape.get("pairs")
        reported = shape.get("figures_reported")
        per_pair = f"{reported / pairs:.1f}" if pairs and reported else "n/a"
        rows.append(
            [size_label(size)]
            + [f"{counts.get(k, 0):,}" for k in kinds]
            + [
                fmt(shape.get("topics"), "count"),
                fmt(pairs, "count"),
                per_pair,
                fmt(shape.get("current"), "count"),
                fmt(shape.get("figures"), "count"),
            ]
        )
    head = ["events", *kinds, "topics", "(topic, source) pairs with a figure"]
    head += ["figures per pair", "current figures (direct)", "current figures (with derived)"]
    return "\n".join(_table(head, rows))


def format_previous(r: Results) -> str:
    """This run beside the previous round's table (issue 13), default profile only."""
    rows = []
    for key, label in _PREVIOUS_LABELS.items():
        for size in r.sizes:
            before = PREVIOUS[key].get(size)
            now = r.get(key, size)
            if before is None:
                continue
            rows.append(
                [
                    f"{label} ({size_label(size)})",
                    fmt(before, "s"),
                    fmt(now, "s"),
                    fmt(_div(now, before), "x"),
                ]
            )
    return "\n".join(
        _table(["measurement", "previous round (c435eba)", "this run", "this / previous"], rows)
    )


def render(
    results: list[Results], machine: dict[str, str], command: str, when: str, before: str | None
) -> str:
    """The generated part of RESULTS.md."""
    parts = [
        f"Command: `{command}`  ",
        f"Run: {when}, {sum(sum(r.seconds.values()) for r in results):,.0f} s in all",
        "",
        "Machine:",
        "",
        *[f"- {k}: {v}" for k, v in machine.items()],
    ]
    for r in results:
        load = "; ".join(
            f"{size_label(s)}: {a:.2f} at start, {b:.2f} at end" for s, (a, b) in r.load.items()
        )
        parts.append(f"- load average (1 min), {r.profile}: {load}")
    if before:
        parts += ["", f'"before" rows: {before}, built and read in the same run, in lock-step.']
    for r in results:
        parts += [
            "",
            f"### Profile: {r.profile}",
            "",
            format_profile(r),
            "",
            "Shape of the log:",
            "",
            format_shape(r),
            "",
            "Checks: " + "; ".join(f"{size_label(s)}: {c}" for s, c in r.checks.items()),
        ]
        if r.profile == "default":
            parts += ["", "Against the previous round's table (issue 13):", "", format_previous(r)]
        if r.notes:
            parts += ["", "Observed during the run:", "", *[f"- {n}" for n in r.notes]]
    return "\n".join(parts)
