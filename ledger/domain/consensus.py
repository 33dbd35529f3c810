"""Range, agreement and consensus over a topic's fresh figures (DESIGN §4): pure functions.

Each bound becomes a point of the reals extended with infinitesimals, so
that open and closed ends compare correctly: a closed low ``l`` starts at
``l``, an open one just after it (``l+ε``); a closed high ``h`` ends at
``h``, an open one just before it (``h-ε``). A figure covers an extended
point ``k`` when its start is at most ``k`` and its end at least ``k``. The
points are numbered in order (``_Ends``), so that every comparison below is
one of ints.

The sets that may be the consensus are the *maximal agreeing sets*. A set
agrees when its common intersection has positive width, or is one value that
a figure of the set states as a point. Between two neighbouring endpoint
values every point is covered by the same figures, so the candidates are:
the figures covering each open gap between neighbouring endpoints (and the
unbounded gaps at either end), and the figures covering each value some
figure states as a point. A sweep over the sorted keys counts, at each such
point, the figures and the voices covering it: O(n log n). When every figure
is a voice of its own (no two share an affiliation), the voices are the
figures, and each point's cover is counted by bisection of the sorted starts
and ends instead, in C: the same counts in two thirds of the time.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from fractions import Fraction

from ledger.domain.figures import Figure, Interval, Number, default_best, known_interval
from ledger.domain.views import Camp, Consensus, ConsensusLevel, CurrentFigure

__all__ = [
    "BOUND_RULES",
    "counted_whole",
    "estimate",
    "exact_best",
    "find_consensus",
    "hull",
    "is_bound",
    "median",
]

#: The rows of the vocabulary that state a limit, not an estimate (``<convention>:<row>``).
BOUND_RULES = frozenset(("over", "at-least", "under", "at-most"))

# Sweep order at one key: figures start, then the point is counted, then figures end.
_START, _QUERY, _END = 0, 1, 2
#: Up to this many figures, each candidate point's cover is counted directly (O(n²), less overhead).
_SMALL = 12


def is_bound(figure: Figure) -> bool:
    """Whether a figure states a limit: an unbounded end, or a bound row of the vocabulary."""
    if figure.low is None or figure.high is None:
        return True
    rule = figure.rule
    return rule is not None and rule.rpartition(":")[2] in BOUND_RULES


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
    return known_interval(low, high, low_open, high_open)


def median(values: Sequence[Number]) -> Number | None:
    """The median; the mean of the two middle values for an even count."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return default_best(ordered[mid - 1], ordered[mid])


class _Ends:
    """The extended points of a topic's figures, as ints in the order of the extended reals.

    Each distinct finite endpoint value ``values[i]`` gives three points:
    ``3i`` is just before it (x-ε), ``3i + 1`` the value itself and ``3i + 2``
    just after it (x+ε); ``-1`` is -inf and ``3n + 1`` is +inf. Ints compare
    and sort far faster than the (rank, value, nudge) tuples they stand for,
    and one sort of the values (plain numbers) orders them all.
    """

    __slots__ = ("top", "values", "where")

    def __init__(self, figures: Sequence[Figure]) -> None:
        found = {v for f in figures for v in (f.low, f.high) if v is not None}
        self.values: list[Number] = sorted(found)
        self.where = {v: i for i, v in enumerate(self.values)}
        self.top = 3 * len(self.values) + 1

    def keys(self, figures: Sequence[Figure]) -> list[tuple[int, int]]:
        """Where each figure starts and ends.

        A closed low starts at its value, an open one just after it; a closed
        high ends at its value, an open one just before it.
        """
        where, top = self.where, self.top
        return [
            (
                -1 if f.low is None else 3 * where[f.low] + (2 if f.low_open else 1),
                top if f.high is None else 3 * where[f.high] + (0 if f.high_open else 1),
            )
            for f in figures
        ]

    def points(self, keys: Sequence[tuple[int, int]], figures: Sequence[Figure]) -> list[int]:
        """The points whose covering sets are the maximal agreeing sets."""
        count = len(self.values)
        if not count:
            return [0]  # every figure is unbounded on both sides
        points = [3 * i + 2 for i in range(count - 1)]  # each open gap (a, next)
        where = self.where
        stated = {3 * where[f.low] + 1 for f in figures if f.low is not None and f.low == f.high}
        points += sorted(stated)
        if any(s < 0 for s, _ in keys):
            points.append(0)  # the gap below every endpoint
        if any(e == self.top for _, e in keys):
            points.append(3 * count - 1)  # the gap above every endpoint
        return points

    def width(self, start: int, end: int) -> Fraction | float | int:
        """The width of the intersection from start to end, exactly (inf when unbounded)."""
        if start < 0 or end == self.top:
            return math.inf
        low, high = self.values[start // 3], self.values[end // 3]
        if type(low) is int and type(high) is int:
            return high - low
        # Exact: float subtraction can round two different widths to one value.
        return Fraction(high) - Fraction(low)

    def interval(self, start: int, end: int) -> Interval:
        """The interval from start to end."""
        # A common intersection of valid figures: its ends are theirs, already checked.
        if start < 0:
            low, low_open = None, False
        else:
            low, low_open = self.values[start // 3], start % 3 == 2
        if end == self.top:
            high, high_open = None, False
        else:
            high, high_open = self.values[end // 3], end % 3 == 0
        return known_interval(low, high, low_open, high_open)


def _sweep(
    keys: Sequence[tuple[int, int]], voices: Sequence[str], points: Sequence[int]
) -> list[tuple[int, int, int]]:
    """(voices, figures, point) covering each point, by one sweep over the sorted keys."""
    marks: list[tuple[int, int, int]] = []
    append = marks.append
    for i, (start, end) in enumerate(keys):
        append((start, _START, i))
        append((end, _END, i))
    marks += [(p, _QUERY, -1) for p in points]
    marks.sort()  # by key, then starts before the point is counted, then ends
    count: dict[str, int] = {}
    covered = 0
    found: list[tuple[int, int, int]] = []
    for key, kind, i in marks:
        if kind == _START:
            voice = voices[i]
            count[voice] = count.get(voice, 0) + 1
            covered += 1
        elif kind == _END:
            voice = voices[i]
            left = count[voice] - 1
            if left:
                count[voice] = left
            else:
                del count[voice]
            covered -= 1
        else:
            found.append((len(count), covered, key))
    return found


def _counted(keys: Sequence[tuple[int, int]], points: Sequence[int]) -> list[tuple[int, int, int]]:
    """What ``_sweep`` finds when every figure is its own voice, by bisection.

    A figure covers a point when its start is at most the point and its end
    at least it; every end is at least its start, so the cover is the starts
    up to the point less the ends before it.
    """
    starts = sorted([s for s, _ in keys])
    ends = sorted([e for _, e in keys])
    covers = [bisect_right(starts, p) - bisect_left(ends, p) for p in points]
    return [(c, c, p) for c, p in zip(covers, points, strict=True)]


def counted_whole(figures: Sequence[CurrentFigure]) -> bool:
    """Whether every finite bound of every figure is an int (people are counted whole)."""
    return all(
        type(v) is int for f in figures for v in (f.figure.low, f.figure.high) if v is not None
    )


#: A value held exactly: ints and floats are compared exactly across types by
#: Python itself; a Fraction only where neither would hold the value.
Exact = int | float | Fraction


def exact_best(current: CurrentFigure) -> Exact | None:
    """A figure's best (DESIGN §4: given; none for a bound; else the midpoint), exactly."""
    figure = current.figure
    best = figure.best
    if best is not None:
        return best
    low, high = figure.low, figure.high
    if current.bound or low is None or high is None:
        return None
    if type(low) is int and type(high) is int:
        twice = low + high
        return twice // 2 if twice % 2 == 0 else Fraction(twice, 2)
    if type(low) is float and type(high) is float:
        total = low + high
        # The float sum and its half are exact when no rounding error is left
        # (Knuth's two-sum) and halving it loses no bit: most midpoints.
        back = total - low
        if math.isfinite(total) and (low - (total - back)) + (high - back) == 0:
            mid = total / 2
            if mid * 2 == total:
                return mid
    return (Fraction(low) + Fraction(high)) / 2


def _mean(a: Exact, b: Exact) -> Exact:
    if type(a) is int and type(b) is int:
        twice = a + b
        return twice // 2 if twice % 2 == 0 else Fraction(twice, 2)
    return (Fraction(a) + Fraction(b)) / 2


def _doubled(current: CurrentFigure) -> int | None:
    """Twice a figure's best, an int when its best and bounds are ints; None when it has none.

    A float best or a float bound raises TypeError: the caller then counts in
    fractions instead.
    """
    figure = current.figure
    best = figure.best
    if best is not None:
        if type(best) is not int:
            raise TypeError
        return 2 * best
    low, high = figure.low, figure.high
    if current.bound or low is None or high is None:
        return None
    if type(low) is not int or type(high) is not int:
        raise TypeError
    return low + high


def _round_half_even(num: int, den: int) -> int:
    whole, rest = divmod(num, den)
    if 2 * rest > den or (2 * rest == den and whole % 2):
        return whole + 1
    return whole


def estimate(figures: Sequence[CurrentFigure], interval: Interval) -> Number | None:
    """The median of the figures' bests, clamped into the interval; an int for whole counts.

    Computed exactly (the midpoint of [1, 2**55 + 4] is a half, not a float's
    nearest value), then rounded half to even when every finite bound of every
    figure is an int, else given as a float. Whole counts, the common case,
    are counted in integer halves; anything else in fractions.
    """
    try:
        doubled = sorted(d for d in map(_doubled, figures) if d is not None)
    except TypeError:
        return _estimate_exactly(figures, interval)
    if not doubled:
        return None
    half = len(doubled) // 2
    # The median is num / den, den 2 (a best's doubled value) or 4 (a mean of two).
    num, den = (doubled[half], 2) if len(doubled) % 2 else (doubled[half - 1] + doubled[half], 4)
    low, high = interval.low, interval.high
    if low is not None and num < low * den:
        return _finish(low if type(low) is int else Fraction(low), figures, interval)
    if high is not None and num > high * den:
        return _finish(high if type(high) is int else Fraction(high), figures, interval)
    if counted_whole(figures):
        return _round_half_even(num, den)
    return _finish(Fraction(num, den), figures, interval)


def _estimate_exactly(figures: Sequence[CurrentFigure], interval: Interval) -> Number | None:
    bests = sorted(b for b in map(exact_best, figures) if b is not None)
    if not bests:
        return None
    half = len(bests) // 2
    mid = bests[half] if len(bests) % 2 else _mean(bests[half - 1], bests[half])
    low, high = interval.low, interval.high
    if low is not None and mid < low:
        mid = low if type(low) is int else Fraction(low)
    elif high is not None and mid > high:
        mid = high if type(high) is int else Fraction(high)
    return _finish(mid, figures, interval)


def _finish(mid: Exact, figures: Sequence[CurrentFigure], interval: Interval) -> Number:
    """The clamped median as the estimate: rounded to an int, or the nearest float inside."""
    if counted_whole(figures):
        return mid if type(mid) is int else round(mid)
    found = float(mid)
    # A large int end may have no float: step to the nearest float still inside.
    low, high = interval.low, interval.high
    while high is not None and found > high:
        found = math.nextafter(found, -math.inf)
    while low is not None and found < low:
        found = math.nextafter(found, math.inf)
    if high is not None and low is not None and found > high:
        # No float lies between two int ends beyond 2**53: the float nearest
        # the interval (the one above on a tie); the one below is under low.
        below = math.nextafter(found, -math.inf)
        if Fraction(low) - Fraction(below) < Fraction(found) - Fraction(high):
            return below
    return found


class _Set:
    """One maximal agreeing set: its members (indexes), voices and common intersection."""

    __slots__ = ("end", "members", "start", "voices")

    def __init__(self, members: frozenset[int], voices: int, start: int, end: int) -> None:
        self.members = members
        self.voices = voices
        self.start = start
        self.end = end


def _tied_sets(
    figures: Sequence[CurrentFigure], ends: _Ends, keys: Sequence[tuple[int, int]]
) -> tuple[int, list[_Set]]:
    """The largest voice count and the distinct sets attaining the maximum (voices, figures).

    Narrowest intersection first, then lowest low, then lowest high.
    """
    voices = [f.voice for f in figures]
    points = ends.points(keys, [f.figure for f in figures])
    if len(keys) <= _SMALL:
        # A few figures: count each point's cover directly, no sort of marks.
        found = []
        for point in points:
            covering = [voices[i] for i, (s, e) in enumerate(keys) if s <= point <= e]
            found.append((len(set(covering)), len(covering), point))
    elif len(set(voices)) == len(voices):
        found = _counted(keys, points)
    else:
        found = _sweep(keys, voices, points)
    top = max((g, size) for g, size, _ in found)
    sets: dict[frozenset[int], _Set] = {}
    for g, size, point in found:
        if (g, size) != top:
            continue
        members = frozenset([i for i, (s, e) in enumerate(keys) if s <= point <= e])
        if members not in sets:
            start = max([keys[i][0] for i in members])
            end = min([keys[i][1] for i in members])
            sets[members] = _Set(members, g, start, end)
    tied = list(sets.values())
    if len(tied) > 1:
        tied.sort(key=lambda t: (ends.width(t.start, t.end), t.start, t.end))
    return top[0], tied


def _level(voices: int, top: int, tied: int, size: int, total: int) -> ConsensusLevel:
    if voices == 1:
        return "single"
    if top == 1:
        return "none"
    if tied > 1:
        return "split"
    if size == total:
        return "unanimous"
    return "majority" if 2 * top > voices else "plurality"


def find_consensus(figures: Sequence[CurrentFigure]) -> Consensus | None:
    """The consensus of a topic's fresh current figures as DESIGN.md §4 defines it."""
    if not figures:
        return None
    if len(figures) == 1:
        # One figure agrees with itself, where it stands: the level is single.
        only = figures[0]
        interval = only.figure.interval
        return Consensus(interval, (only.source,), (), estimate(figures, interval), "single")
    said = [f.figure for f in figures]
    ends = _Ends(said)
    keys = ends.keys(said)
    voices = len({f.voice for f in figures})
    top, tied = _tied_sets(figures, ends, keys)
    best = tied[0]
    level = _level(voices, top, len(tied), len(best.members), len(figures))
    everyone = tuple(sorted(f.source for f in figures))
    if level in ("none", "split"):
        camps: tuple[Camp, ...] = ()
        if level == "split":
            camps = tuple(_camp(figures, ends.interval(s.start, s.end), s) for s in tied)
        return Consensus(None, (), everyone, None, level, camps)
    interval = ends.interval(best.start, best.end)
    members = [figures[i] for i in sorted(best.members)]
    supporters = tuple(sorted(f.source for f in members))
    dissenters = tuple(sorted({f.source for f in figures} - set(supporters)))
    return Consensus(interval, supporters, dissenters, estimate(members, interval), level)


def _camp(figures: Sequence[CurrentFigure], interval: Interval, found: _Set) -> Camp:
    members = [figures[i] for i in sorted(found.members)]
    supporters = tuple(sorted(f.source for f in members))
    return Camp(interval, supporters, estimate(members, interval))
