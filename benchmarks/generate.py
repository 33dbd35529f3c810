"""A seeded generator of realistic, valid ledgers for the benchmarks.

The same seed and shape always give the same events, event_ids included, so
every run measures the same log. The log opens with a prelude (every source
described, every composite topic defined after its parts), then a body in
the issue's mix: 75% FigureReported, 15% ClaimMade, 7% ClaimDisputed, 3%
ClaimRetracted. Every event passes the ledger's validation: sources dispute
only other sources' claims, only the claim's source retracts it, nothing is
retracted twice, and nothing retracted is disputed.

The shape comes from a profile (``PROFILES``). The default profile spreads
the log over 10,000 topics and 500 sources: topics are chosen with a
Zipf-like skew (a few hot topics, a long tail), each with its own pool of 3
to 30 sources, so sources revise their figures and most topics hold several
current figures. The revision-heavy profile has 1,000 topics, all 50 sources
report on every topic, topics are equally popular, and figures rise over
time like running tolls: at a million events each source has revised its
figure on each topic about 15 times. Figures scatter around a per-topic
true value and come in the shapes reporting uses: exact counts, "about N",
"between A and B", and open or unbounded ones ("more than N", "at least N",
"fewer than N", "no more than N"). Timestamps are whole seconds, a few
minutes apart on average (a million events span about ten years), and 5% of
statements are reported late, so log order and stated order differ.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ledger import Figure
from ledger.events import (
    SOURCE_KINDS,
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
)

__all__ = ["MIX", "PROFILES", "LedgerGenerator", "Shape", "continuation", "generate"]

#: The body's event mix, from the issue.
MIX = (
    ("FigureReported", 0.75),
    ("ClaimMade", 0.15),
    ("ClaimDisputed", 0.07),
    ("ClaimRetracted", 0.03),
)
_CUMULATIVE = tuple(itertools.accumulate(share for _, share in MIX))

# unit -> (measure slug, whether figures are floats, log10 range of true values)
_UNITS = (
    ("people", "killed", False, (1.0, 4.5)),
    ("people", "injured", False, (1.0, 5.0)),
    ("people", "displaced", False, (2.0, 6.0)),
    ("households", "damaged-homes", False, (1.0, 5.0)),
    ("usd", "aid", False, (5.0, 9.0)),
    ("km2", "burned-area", True, (-0.3, 3.7)),
    ("tonnes", "aid-delivered", True, (0.0, 5.0)),
)
_COMPOSITE_PARTS = ("killed", "injured", "missing")
_START = int(datetime(2015, 1, 1, tzinfo=UTC).timestamp())
_DAY = 86_400


@dataclass(frozen=True)
class Shape:
    """A profile of the generated log: its topics and sources, and how figures spread over them."""

    topics: int
    sources: int
    #: The fewest and most sources in a topic's pool (capped by the number of sources).
    pool: tuple[int, int]
    #: The exponent of the topics' Zipf-like popularity (0: every topic alike).
    skew: float
    #: Whether a topic's true value rises with every figure reported on it (a running toll).
    rising: bool


#: The generator's profiles. "default" is the shape of every earlier round,
#: byte for byte; "revision-heavy" makes every source revise its figures.
PROFILES = {
    "default": Shape(topics=10_000, sources=500, pool=(3, 30), skew=0.7, rising=False),
    "revision-heavy": Shape(topics=1_000, sources=50, pool=(50, 50), skew=0.0, rising=True),
}
#: A running toll rises from its first value to three times it, most of the way
#: within the first few hundred figures reported on the topic.
_RISE, _RISE_OVER = 2.0, 150.0


class LedgerGenerator:
    """A deterministic stream of valid events: prelude first, then the mixed body."""

    def __init__(
        self,
        *,
        seed: int = 8,
        profile: str = "default",
        topics: int | None = None,
        sources: int | None = None,
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}: one of {', '.join(PROFILES)}")
        self.profile = profile
        shape = PROFILES[profile]
        topics = shape.topics if topics is None else topics
        sources = shape.sources if sources is None else sources
        if topics < 10 or sources < 4:
            raise ValueError("need at least 10 topics and 4 sources")
        self.shape = shape
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self._clock = _START
        self._claims: list[tuple[int, int]] = []  # claim index -> (topic index, source index)
        self._retracted: set[int] = set()
        self._reported: list[int] = []  # topic index -> figures reported on it so far
        self._sources = [self._source_slug(i) for i in range(sources)]
        self._make_topics(topics)

    # -- shape --------------------------------------------------------------

    def _source_slug(self, i: int) -> str:
        kind = SOURCE_KINDS[i % len(SOURCE_KINDS)]
        return f"{kind}/src-{i:04d}"

    def _make_topics(self, count: int) -> None:
        rng = self.rng
        self.topics: list[str] = []
        self.units: list[str] = []
        self._floats: list[bool] = []
        self._truth: list[float] = []
        self._pools: list[tuple[int, ...]] = []
        self.composites: dict[str, tuple[str, ...]] = {}
        # Prolific sources (wires, ministries) sit in more pools than the rest.
        source_weights = list(
            itertools.accumulate(1 / (i + 1) ** 0.5 for i in range(len(self._sources)))
        )

        fewest, most = self.shape.pool

        def pool() -> tuple[int, ...]:
            if fewest >= len(self._sources):
                return tuple(range(len(self._sources)))  # every source reports on every topic
            size = rng.randint(fewest, min(most, len(self._sources)))
            chosen: set[int] = set()
            while len(chosen) < size:
                chosen.add(bisect.bisect(source_weights, rng.random() * source_weights[-1]))
            return tuple(sorted(chosen))

        def add(
            slug: str, unit: str, floats: bool, span: tuple[float, float], sources: tuple[int, ...]
        ) -> None:
            self.topics.append(slug)
            self.units.append(unit)
            self._floats.append(floats)
            self._truth.append(10 ** rng.uniform(*span))
            self._pools.append(sources)

        # One composite per hundred topics: casualties = killed + injured (+ missing).
        n_composites = max(1, count // 100)
        for g in range(n_composites):
            parts = _COMPOSITE_PARTS[: rng.choice((2, 3))]
            if len(self.topics) + len(parts) + 1 > count:
                break
            shared = pool()
            base = f"region-{g % 40:02d}/incident-{g:05d}"
            for part in parts:
                add(f"{base}/{part}", "people", False, (1.0, 4.0), shared)
            add(f"{base}/casualties", "people", False, (1.5, 4.5), shared)
            self.composites[f"{base}/casualties"] = tuple(f"{base}/{p}" for p in parts)
        i = len(self.topics)
        while len(self.topics) < count:
            unit, measure, floats, span = rng.choice(_UNITS)
            add(f"region-{i % 40:02d}/incident-{i:05d}/{measure}", unit, floats, span, pool())
            i += 1
        # Zipf-like popularity over a shuffled order, so hot topics are of every kind.
        order = list(range(count))
        rng.shuffle(order)
        weight = [0.0] * count
        for rank, t in enumerate(order):
            weight[t] = 1 / (rank + 1) ** self.shape.skew
        self._topic_weights = list(itertools.accumulate(weight))
        self._reported = [0] * count
        self.hottest_topic = self.topics[order[0]]

    # -- the stream -----------------------------------------------------------

    def prelude(self) -> list[Event]:
        """Every source described, then every composite defined after its parts."""
        rng = self.rng
        events: list[Event] = []
        for slug in self._sources:
            events.append(
                SourceDescribed(
                    source=slug,
                    name=slug.split("/")[-1].replace("-", " ").title(),
                    kind=slug.split("/")[0],
                    affiliation=None,
                    reliability=rng.choice("ABCDEF"),
                    event_id=self._event_id(),
                )
            )
        for composite, parts in self.composites.items():
            for part in parts:
                events.append(self._definition(part, ()))
            events.append(self._definition(composite, parts))
        return events

    def _definition(self, topic: str, parts: tuple[str, ...]) -> TopicDefined:
        title = topic.split("/")[-1].replace("-", " ")
        return TopicDefined(
            topic=topic,
            title=title.capitalize(),
            unit=self.units[self.topics.index(topic)],
            parts=parts,
            description=f"{title} in {topic.split('/')[1]}" if parts else None,
            event_id=self._event_id(),
        )

    def body(self) -> Iterator[Event]:
        """The endless mixed stream that follows the prelude."""
        rng = self.rng
        while True:
            self._clock += rng.randrange(600)
            roll = rng.random()
            event: Event | None = None
            if roll >= _CUMULATIVE[1]:
                event = self._dispute() if roll < _CUMULATIVE[2] else self._retraction()
            elif roll >= _CUMULATIVE[0]:
                event = self._claim()
            if event is None:
                event = self._figure()
            self.counts[type(event).__name__] += 1
            yield event

    def take(self, size: int) -> Iterator[Event]:
        """The first size events of the log: the prelude (cut short if need be), then the body."""
        prelude = self.prelude()
        for event in prelude[:size]:
            self.counts[type(event).__name__] += 1
            yield event
        yield from itertools.islice(self.body(), max(0, size - len(prelude)))

    def topic_of(self, event: Event) -> str | None:
        """The topic an event bears on; for disputes and retractions, the target's."""
        topic = getattr(event, "topic", None)
        if topic is not None:
            return str(topic)
        target = getattr(event, "target", None)
        if target is None:
            return None
        return self.topics[self._claims[int(target[1:])][0]]

    # -- events -------------------------------------------------------------

    def _event_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def _stated_at(self) -> datetime:
        when = self._clock
        if self.rng.random() < 0.05:
            when -= self.rng.randrange(1, 30 * _DAY)  # reported late
        return datetime.fromtimestamp(when, UTC)

    def _pick_topic(self) -> int:
        weights = self._topic_weights
        return bisect.bisect(weights, self.rng.random() * weights[-1])

    def _new_claim(self, topic: int, source: int) -> str:
        self._claims.append((topic, source))
        return f"c{len(self._claims) - 1}"

    def _url(self, source: int) -> str | None:
        if self.rng.random() < 0.5:
            return None
        return f"https://news.example/{self._sources[source]}/{self.rng.randrange(10**6)}"

    def _via(self, pool: tuple[int, ...], source: int) -> tuple[str, ...]:
        if self.rng.random() >= 0.1 or len(pool) < 2:
            return ()
        other = self.rng.choice(pool)
        return () if other == source else (self._sources[other],)

    def _figure(self) -> FigureReported:
        rng = self.rng
        t = self._pick_topic()
        pool = self._pools[t]
        source = rng.choice(pool)
        figure = self._make_figure(t)
        stated = self._stated_at()
        as_of = stated - timedelta(days=rng.randrange(1, 14)) if rng.random() < 0.2 else stated
        quote = figure.phrase if rng.random() < 0.2 else None
        return FigureReported(
            claim_id=self._new_claim(t, source),
            topic=self.topics[t],
            source=self._sources[source],
            figure=figure,
            stated_at=stated,
            as_of=as_of,
            via=self._via(pool, source),
            quote=quote,
            url=self._url(source),
            event_id=self._event_id(),
        )

    def _make_figure(self, t: int) -> Figure:
        rng = self.rng
        unit = self.units[t]
        value = self._truth[t] * rng.lognormvariate(0, 0.25)
        if self.shape.rising:
            reported = self._reported[t]
            self._reported[t] = reported + 1
            value *= 1 + _RISE * (1 - math.exp(-reported / _RISE_OVER))
        if self._floats[t]:
            x = max(0.5, round(value, 1))
            roll = rng.random()
            if roll < 0.5:
                return Figure(x, x, unit=unit, phrase=f"{x:,} {unit}")
            if roll < 0.9:
                low, high = round(x * 0.9, 1), round(x * 1.1, 1)
                best = min(max(x, low), high)
                return Figure(low, high, best=best, unit=unit, phrase=f"about {x:,} {unit}")
            return Figure(x, None, low_open=True, unit=unit, phrase=f"more than {x:,} {unit}")
        n = _two_digits(value)
        scale = _scale(n)
        roll = rng.random()
        if roll < 0.35:
            return Figure(n, n, unit=unit, phrase=f"{n:,}", rule="wikimpacts-2024:plain")
        if roll < 0.60:
            return Figure(
                max(1, n - scale),
                n + scale,
                best=n,
                unit=unit,
                phrase=f"about {n:,}",
                rule="wikimpacts-2024:about",
            )
        if roll < 0.70:
            high = _two_digits(n * rng.uniform(1.1, 1.8))
            high = max(high, n)
            return Figure(
                n,
                high,
                unit=unit,
                phrase=f"between {n:,} and {high:,}",
                rule="wikimpacts-2024:between",
            )
        if roll < 0.78:
            return Figure(n, None, unit=unit, phrase=f"at least {n:,}", rule="strict:at-least")
        if roll < 0.85:
            return Figure(
                n,
                None,
                low_open=True,
                unit=unit,
                phrase=f"more than {n:,}",
                rule="strict:more-than",
            )
        if roll < 0.90:
            return Figure(
                0, n, high_open=True, unit=unit, phrase=f"fewer than {n:,}", rule="strict:under"
            )
        if roll < 0.93:
            return Figure(None, n, unit=unit, phrase=f"no more than {n:,}")
        return Figure(
            n + 1, n + 1 + scale, unit=unit, phrase=f"over {n:,}", rule="wikimpacts-2024:over"
        )

    def _claim(self) -> ClaimMade:
        rng = self.rng
        t = self._pick_topic()
        pool = self._pools[t]
        source = rng.choice(pool)
        proposition = f"p{rng.randrange(4)}"
        stance = "affirms" if rng.random() < 0.7 else "denies"
        topic = self.topics[t]
        return ClaimMade(
            claim_id=self._new_claim(t, source),
            topic=topic,
            source=self._sources[source],
            statement=f"{self._sources[source]} {stance} {proposition} of {topic}",
            proposition=proposition,
            stance=stance,
            stated_at=self._stated_at(),
            via=self._via(pool, source),
            quote=None,
            url=self._url(source),
            event_id=self._event_id(),
        )

    def _live_claim(self) -> int | None:
        # Disputes and retractions mostly follow recent claims, sometimes old ones.
        rng = self.rng
        n = len(self._claims)
        if n == 0:
            return None
        for _ in range(20):
            if rng.random() < 0.8:
                index = max(0, n - 1 - int(rng.expovariate(1 / 3000)))
            else:
                index = rng.randrange(n)
            if index not in self._retracted:
                return index
        return None

    def _dispute(self) -> ClaimDisputed | None:
        rng = self.rng
        index = self._live_claim()
        if index is None:
            return None
        topic, owner = self._claims[index]
        pool = self._pools[topic]
        disputer = rng.choice(pool)
        while disputer == owner:
            disputer = rng.randrange(len(self._sources))
        return ClaimDisputed(
            target=f"c{index}",
            source=self._sources[disputer],
            reason="contradicts our own count" if rng.random() < 0.5 else None,
            stated_at=self._stated_at(),
            via=(),
            quote=None,
            url=self._url(disputer),
            event_id=self._event_id(),
        )

    def _retraction(self) -> ClaimRetracted | None:
        index = self._live_claim()
        if index is None:
            return None
        self._retracted.add(index)
        return ClaimRetracted(
            target=f"c{index}",
            source=self._sources[self._claims[index][1]],
            reason="corrected figure to follow" if self.rng.random() < 0.5 else None,
            stated_at=self._stated_at(),
            event_id=self._event_id(),
        )


def _two_digits(value: float) -> int:
    """A count rounded to two significant digits, as reporting rounds them, at least 1."""
    if value < 1:
        return 1
    digits = math.floor(math.log10(value))
    step = 10 ** max(0, digits - 1)
    return max(1, round(value / step) * step)


def _scale(n: int) -> int:
    """The power of ten of n's last non-zero digit (500 -> 100, 560 -> 10)."""
    scale = 1
    while n % (scale * 10) == 0 and n:
        scale *= 10
    return scale


def generate(
    size: int,
    *,
    seed: int = 8,
    profile: str = "default",
    topics: int | None = None,
    sources: int | None = None,
) -> Iterator[Event]:
    """The first size events of the seeded ledger of that profile and shape."""
    return LedgerGenerator(seed=seed, profile=profile, topics=topics, sources=sources).take(size)


def continuation(
    head: int, *, profile: str = "default", seed: int = 8
) -> tuple[LedgerGenerator, Iterator[Event]]:
    """The generator past a file's head, so that what follows is valid.

    Exact for files the harness built before its single appends (its data
    files hold the build plus the appends, which continue the same stream).
    """
    gen = LedgerGenerator(seed=seed, profile=profile)
    for _ in gen.take(head):
        pass
    return gen, gen.body()
