"""What the numbers were measured on, which ledger code ran, and where RESULTS.md is written."""

from __future__ import annotations

import hashlib
import os
import platform
import sqlite3
import subprocess
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["code_revision", "describe_machine", "write_results"]


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
        # An exported tree (`git archive C ledger`) may name its commit in a COMMIT file.
        marker = package.parent / "COMMIT"
        named = f"commit {marker.read_text().strip()}, " if marker.exists() else ""
        return f"{named}ledger imported from {package} ({fingerprint})"
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
            for d in ("claims-ledger", "eventsourcing", "orjson", "cattrs", "attrs", "psycopg")
        ),
    }


_START = "<!-- results:start -->"
_END = "<!-- results:end -->"
_NOTES_STUB = """
## Notes

Hand-written notes (profiles, what changed, before/after tables) go below;
`python -m benchmarks.run` rewrites only the part between the results markers.
"""


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
