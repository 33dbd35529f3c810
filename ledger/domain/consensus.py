"""Range and consensus over a topic's current figures: pure functions.

Consensus is a sweep over sorted endpoints, O(n log n). Each bound becomes a
key on the reals extended with infinitesimals, so that open and closed ends
compare correctly: a closed low ``l`` starts at ``l``, an open one just after
it; a closed high ``h`` ends at ``h``, an open one just before it. A set of
intervals then meets exactly when its largest start key is at most its
smallest end key, and ``[a, 3000]`` and ``(3000, b]`` do not meet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from ledger.domain.figures import Figure, Interval, Number, default_best
from ledger.domain.views import Consensus, ConsensusLevel

__all__ = ["find_consensus", "hull", "median"]

# (rank, value, nudge): rank 0 is -inf, 2 is +inf; nudge -1/0/+1 is x-ε, x, x+ε.
Key = tuple[int, Number, int]
_MINUS_INF: Key = (0, 0, 0)
_PLUS_INF: Key = (2, 0, 0)


def _start(f: Figure | Interval) -> Key:
    return _MINUS_INF if f.low is None else (1, f.low, 1 if f.low_open else 0)


def _end(f: Figure | Interval) -> Key:
    return _PLUS_INF if f.high is None else (1, f.high, -1 if f.high_open else 0)


def hull(figures: Sequence[Figure | Interval]) -> Interval | None:
    """The smallest interval holding every figure; None when there are none."""
    if not figures:
        return None
    low: Number | None = None
    high: Number | None = None
    if all(f.low is not None for f in figures):
        low = min(f.low for f in figures if f.low is not None)
    if all(f.high is not None for f in figures):
        high = max(f.high for f in figures if f.high is not None)
    # The hull's end is open only if every figure reaching that end is open there.
    low_open = low is not None and all(f.low_open for f in figures if f.low == low)
    high_open = high is not None and all(f.high_open for f in figures if f.high == high)
    return Interval(low, high, low_open, high_open)


def _width(start: Key, end: Key) -> Fraction | float:
    if start[0] != 1 or end[0] != 1:
        return math.inf
    # Exact: float subtraction can round two different widths to one value.
    return Fraction(end[1]) - Fraction(start[1])


def _best_region(keys: Sequence[tuple[Key, Key]]) -> tuple[int, Key, Key]:
    """The largest depth and, among regions of that depth, the tie-broken one."""
    sweep = sorted([(s, 0) for s, _ in keys] + [(e, 1) for _, e in keys])
    depth = top = 0
    for _, kind in sweep:
        depth += 1 if kind == 0 else -1
        top = max(top, depth)
    # At the largest depth no interval can start before one ends, so each
    # region opens at the start that reaches the depth and closes at the next end.
    best: tuple[Fraction | float, Key, Key] | None = None
    opened: Key | None = None
    depth = 0
    for key, kind in sweep:
        if kind == 0:
            depth += 1
            if depth == top:
                opened = key
        else:
            if opened is not None:
                candidate = (_width(opened, key), opened, key)
                if best is None or candidate < best:
                    best = candidate
                opened = None
            depth -= 1
    assert best is not None
    return top, best[1], best[2]


def _interval(start: Key, end: Key) -> Interval:
    low = None if start[0] == 0 else start[1]
    high = None if end[0] == 2 else end[1]
    return Interval(low, high, start[2] == 1, end[2] == -1)


def median(values: Sequence[Number]) -> Number | None:
    """The median; the mean of the two middle values for an even count."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return default_best(ordered[mid - 1], ordered[mid])


def _clamp(x: Number, interval: Interval) -> Number:
    if interval.low is not None and x < interval.low:
        return interval.low
    if interval.high is not None and x > interval.high:
        return interval.high
    return x


def _level(n: int, size: int) -> ConsensusLevel:
    if n == 1:
        return "single"
    if size == n:
        return "unanimous"
    if size == 1:
        return "none"
    return "majority" if 2 * size > n else "plurality"


def find_consensus(figures: Sequence[tuple[str, Figure]]) -> Consensus | None:
    """The consensus of (source, figure) pairs as DESIGN.md §4 defines it."""
    if not figures:
        return None
    keys = [(_start(f), _end(f)) for _, f in figures]
    size, start, end = _best_region(keys)
    level = _level(len(figures), size)
    if level == "none":
        return Consensus(None, (), tuple(sorted(s for s, _ in figures)), None, "none")
    interval = _interval(start, end)
    supporters: list[str] = []
    dissenters: list[str] = []
    bests: list[Number] = []
    for (source, figure), (s, e) in zip(figures, keys, strict=True):
        if s <= start and e >= end:
            supporters.append(source)
            best = figure.effective_best
            if best is not None:
                bests.append(best)
        else:
            dissenters.append(source)
    mid = median(bests)
    estimate = None if mid is None else _clamp(mid, interval)
    return Consensus(
        interval, tuple(sorted(supporters)), tuple(sorted(dissenters)), estimate, level
    )
