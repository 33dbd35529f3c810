"""Hypothesis strategies for figures, every event type and whole valid event sequences.

The project's own property tests draw from here, and so can yours: to
property-test a projection of your own, draw ``event_sequences()`` (valid
logs: every sequence appends to a fresh ledger without a validation error)
and compare what your projection folds with what you expect (docs/testing.md).

Two families of numbers: ``numbers`` spans what the codec must carry (64-bit
ints, any finite float), ``small_numbers`` keeps figures on a coarse grid so
that generated figures often touch, share endpoints and nest, which is where
range and consensus go wrong.

Needs the ``testing`` extra (hypothesis).
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
from hypothesis import strategies as st

from ledger.domain.events import (
    SOURCE_KINDS,
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
)
from ledger.domain.figures import Figure, Interval, Number
from ledger.domain.views import CurrentFigure

__all__ = [
    "AFFILIATIONS",
    "BASE_TIME",
    "BOUND_RULES",
    "COMPOSITE",
    "ESTIMATE_RULES",
    "EVENT_STRATEGIES",
    "MORE_SOURCES",
    "NESTED",
    "NUMERIC_TOPICS",
    "PARTS",
    "PROPOSITIONS",
    "QUALITATIVE",
    "SOURCES",
    "UNIT",
    "bounds",
    "claims_disputed",
    "claims_made",
    "claims_retracted",
    "current_figures",
    "definitions",
    "event_ids",
    "event_sequences",
    "events",
    "figures",
    "figures_reported",
    "floats",
    "interleavings",
    "intervals",
    "ints",
    "non_empty_texts",
    "numbers",
    "optional_texts",
    "rules",
    "slugs",
    "small_numbers",
    "source_figures",
    "source_of",
    "sources_described",
    "spread_figures",
    "stamps",
    "stated_of",
    "states_a_limit",
    "texts",
    "timestamps",
    "topics_defined",
    "vias",
    "windows",
]

# -- slugs and text -------------------------------------------------------

_SEGMENT = st.text(alphabet=string.ascii_lowercase + string.digits + "._-", min_size=1, max_size=8)

slugs = st.lists(_SEGMENT, min_size=1, max_size=3).map("/".join)
event_ids = st.text(alphabet="0123456789abcdef", min_size=1, max_size=32)
# Any unicode the JSON codec must carry, surrogates excepted (they are not text).
texts = st.text(max_size=40)
non_empty_texts = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")
optional_texts = st.none() | texts

# -- numbers --------------------------------------------------------------

ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
floats = st.floats(allow_nan=False, allow_infinity=False)
numbers: st.SearchStrategy[Number] = ints | floats
# Quarters are exact in binary, so sums and midpoints on this grid never round.
small_numbers: st.SearchStrategy[Number] = st.integers(0, 12) | st.integers(0, 48).map(
    lambda q: q / 4
)

# -- timestamps -----------------------------------------------------------

_offsets = st.sampled_from([0, 1, -1, 330, 345, -210, 840, -720, 59]).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
# A day short of each end of the calendar, so that no offset moves the
# instant out of range in UTC (that is an InvalidEvent, tested on its own).
timestamps = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_offsets
)
stamps: st.SearchStrategy[datetime | date] = timestamps | st.dates()


# -- intervals and figures ------------------------------------------------


@st.composite
def bounds(
    draw: st.DrawFn, values: st.SearchStrategy[Number] = numbers
) -> tuple[Number | None, Number | None, bool, bool]:
    """(low, high, low_open, high_open) that satisfy every Interval invariant."""
    low = draw(st.none() | values)
    high = draw(st.none() | values)
    if low is not None and high is not None and low > high:
        low, high = high, low
    low_open = low is not None and draw(st.booleans())
    high_open = high is not None and draw(st.booleans())
    if low is not None and low == high:
        low_open = high_open = False
    return low, high, low_open, high_open


def intervals(values: st.SearchStrategy[Number] = numbers) -> st.SearchStrategy[Interval]:
    """Valid Intervals, unbounded and open ends included."""
    return bounds(values).map(lambda b: Interval(*b))


def _fits(x: Number) -> bool:
    return math.isfinite(x) if isinstance(x, float) else -(2**63) <= x < 2**63


def _candidate_bests(low: Number | None, high: Number | None) -> list[Number]:
    found: list[Number] = []
    if low is not None:
        found.append(low)
    if high is not None:
        found.append(high)
    if low is not None and high is not None:
        found.append(low / 2 + high / 2)
    elif low is not None:
        found.append(low + 1)
    elif high is not None:
        found.append(high - 1)
    else:
        found.append(0)
    return found


@st.composite
def figures(
    draw: st.DrawFn,
    values: st.SearchStrategy[Number] = numbers,
    units: st.SearchStrategy[str] = non_empty_texts,
    rules: st.SearchStrategy[str | None] | None = None,
) -> Figure:
    """Valid Figures: any bounds, a best inside them or None, the words optional."""
    low, high, low_open, high_open = draw(bounds(values))
    interval = Interval(low, high, low_open, high_open)
    inside = [b for b in _candidate_bests(low, high) if _fits(b) and b in interval]
    best = draw(st.none() | st.sampled_from(inside)) if inside else None
    return Figure(
        low,
        high,
        low_open,
        high_open,
        best=best,
        unit=draw(units),
        phrase=draw(st.none() | texts),
        rule=draw(st.none() | texts if rules is None else rules),
    )


# -- rules, voices and windows (DESIGN §4: bounds, Voices, Freshness) -------

#: Rules of the vocabulary's bound rows: a figure with one of them states a limit.
BOUND_RULES = (
    "wikimpacts-2024:over",
    "wikimpacts-2024:at-least",
    "strict:under",
    "strict:at-most",
)
#: Rules of rows that give an estimate.
ESTIMATE_RULES = ("wikimpacts-2024:plain", "wikimpacts-2024:about", "strict:range")
rules: st.SearchStrategy[str | None] = st.none() | st.sampled_from(BOUND_RULES + ESTIMATE_RULES)


def states_a_limit(figure: Figure) -> bool:
    """DESIGN §4's *bound*, read from its words: an unbounded end, or a rule of a bound row."""
    if figure.low is None or figure.high is None:
        return True
    return figure.rule is not None and figure.rule.endswith(
        (":over", ":at-least", ":under", ":at-most")
    )


AFFILIATIONS = ("aff/gov", "aff/rebels")
#: Windows in whole hours, zero, and the one that sets a topic's own window aside.
windows: st.SearchStrategy[timedelta | None] = (
    st.none()
    | st.just(timedelta.max)
    | st.integers(0, 72).map(lambda h: timedelta(hours=h))
    | st.integers(0, 3 * 86_400).map(lambda s: timedelta(seconds=s))
)


_WIDTHS: tuple[Number, ...] = (0, 0, 0.25, 0.5, 1, 1, 2, 3, 4, 6)


@st.composite
def spread_figures(
    draw: st.DrawFn,
    values: st.SearchStrategy[Number] = small_numbers,
    rules: st.SearchStrategy[str | None] = rules,
) -> Figure:
    """Figures of every shape consensus meets: points, narrow and wide, few unbounded ends.

    ``figures`` leaves an end unbounded half the time, so that most sets of
    its figures agree; here one end in ten is, and widths are drawn on their
    own, so that figures nest, touch, overlap and miss one another in every
    proportion, and every level of the table comes up.
    """
    low: Number | None = draw(values)
    assert low is not None
    top: Number = low + draw(st.sampled_from(_WIDTHS))
    if top < low or not _fits(top):
        # An int past 2**53 plus a float width can round below itself; an int
        # near 2**63 plus a width can leave the 64 bits a figure's number holds.
        top = low
    high: Number | None = top
    if draw(st.integers(0, 9)) == 0:
        low = None
    if draw(st.integers(0, 9)) == 0:
        high = None
    low_open = low is not None and low != high and draw(st.booleans())
    high_open = high is not None and low != high and draw(st.booleans())
    interval = Interval(low, high, low_open, high_open)
    inside = [b for b in _candidate_bests(low, high) if _fits(b) and b in interval]
    best = draw(st.none() | st.sampled_from(inside)) if inside else None
    return Figure(low, high, low_open, high_open, best=best, unit=UNIT, rule=draw(rules))


@st.composite
def current_figures(
    draw: st.DrawFn,
    max_size: int = 8,
    values: st.SearchStrategy[Number] = small_numbers,
    *,
    voices: bool = True,
    min_size: int = 1,
    spread: bool = True,
) -> list[CurrentFigure]:
    """A topic's current figures, sources s0, s1, …: voices shared or not, reference times.

    Figures are ``spread_figures`` (or any ``figures`` when not ``spread``);
    each is a bound exactly when DESIGN §4 says so (``states_a_limit``);
    reference times fall within three days of one another, at whole hours or
    anywhere between.
    """
    shape = spread_figures(values) if spread else figures(values, st.just(UNIT), rules)
    found = draw(st.lists(shape, min_size=min_size, max_size=max_size))
    # Sources on their own or sharing an affiliation; now and then all of one or two voices.
    pools = [st.sampled_from(AFFILIATIONS), st.just(AFFILIATIONS[0])]
    shared = draw(st.sampled_from(pools)) if voices else st.nothing()
    alone = voices and draw(st.integers(0, 3)) > 0
    hours = st.integers(0, 72).map(lambda h: timedelta(hours=h))
    out = []
    for i, figure in enumerate(found):
        source = f"s{i}"
        choices = (st.just(source) | shared) if alone else shared
        voice = draw(choices) if voices else source
        offset = draw(hours | st.timedeltas(timedelta(0), timedelta(days=3)))
        out.append(
            CurrentFigure(
                source,
                figure,
                f"c/{source}",
                voice=voice,
                reference_time=BASE_TIME + offset,
                bound=states_a_limit(figure),
            )
        )
    return out


# -- one strategy per event type ------------------------------------------

vias = st.lists(slugs, max_size=3).map(tuple)


def claims_made() -> st.SearchStrategy[ClaimMade]:
    """Any valid ClaimMade."""
    return st.builds(
        ClaimMade,
        claim_id=slugs,
        topic=slugs,
        source=slugs,
        statement=non_empty_texts,
        proposition=slugs,
        stance=st.sampled_from(["affirms", "denies"]),
        stated_at=stamps,
        via=vias,
        quote=optional_texts,
        url=optional_texts,
        event_id=event_ids,
    )


@st.composite
def figures_reported(draw: st.DrawFn) -> FigureReported:
    """Any valid FigureReported, with as_of sometimes left to default."""
    fields: dict[str, Any] = {
        "claim_id": draw(slugs),
        "topic": draw(slugs),
        "source": draw(slugs),
        "figure": draw(figures()),
        "stated_at": draw(stamps),
        "via": draw(vias),
        "quote": draw(optional_texts),
        "url": draw(optional_texts),
        "event_id": draw(event_ids),
    }
    if draw(st.booleans()):
        fields["as_of"] = draw(stamps)
    return FigureReported(**fields)


def claims_disputed() -> st.SearchStrategy[ClaimDisputed]:
    """Any valid ClaimDisputed."""
    return st.builds(
        ClaimDisputed,
        target=slugs,
        source=slugs,
        reason=optional_texts,
        stated_at=stamps,
        via=vias,
        quote=optional_texts,
        url=optional_texts,
        event_id=event_ids,
    )


def claims_retracted() -> st.SearchStrategy[ClaimRetracted]:
    """Any valid ClaimRetracted."""
    return st.builds(
        ClaimRetracted,
        target=slugs,
        source=slugs,
        reason=optional_texts,
        stated_at=stamps,
        event_id=event_ids,
    )


@st.composite
def topics_defined(draw: st.DrawFn) -> TopicDefined:
    """Any valid TopicDefined, composite or not, with or without a unit."""
    topic = draw(slugs)
    parts = draw(st.lists(slugs.filter(lambda s: s != topic), unique=True, max_size=3))
    return TopicDefined(
        topic=topic,
        title=draw(non_empty_texts),
        unit=draw(st.none() | non_empty_texts),
        parts=tuple(parts),
        description=draw(optional_texts),
        event_id=draw(event_ids),
    )


def sources_described() -> st.SearchStrategy[SourceDescribed]:
    """Any valid SourceDescribed."""
    return st.builds(
        SourceDescribed,
        source=slugs,
        name=non_empty_texts,
        kind=st.sampled_from(SOURCE_KINDS),
        affiliation=st.none() | slugs,
        reliability=st.sampled_from("ABCDEF"),
        event_id=event_ids,
    )


EVENT_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "ClaimMade": claims_made(),
    "FigureReported": figures_reported(),
    "ClaimDisputed": claims_disputed(),
    "ClaimRetracted": claims_retracted(),
    "TopicDefined": topics_defined(),
    "SourceDescribed": sources_described(),
}
events: st.SearchStrategy[Event] = st.one_of(*EVENT_STRATEGIES.values())


# -- valid event sequences ------------------------------------------------

UNIT = "people"
BASE_TIME = datetime(2024, 3, 1, tzinfo=UTC)
SOURCES = ("src/a", "src/b", "src/c", "src/d")
#: More sources, for laws that need several voices on one topic.
MORE_SOURCES = (*SOURCES, "src/e", "src/f", "src/g")
PARTS = ("war/a", "war/b")
COMPOSITE = "war/total"  # war/a + war/b
NESTED = "war/all"  # war/total + war/c
NUMERIC_TOPICS = ("war/a", "war/b", "war/c", COMPOSITE, NESTED)
QUALITATIVE = "war/q"
# Parts weigh most, so that sources often have a figure on every part.
_FIGURE_TOPICS = (*PARTS, *PARTS, *PARTS, "war/c", "war/c", COMPOSITE, NESTED)
PROPOSITIONS = ("p/one", "p/two")


def definitions() -> list[TopicDefined]:
    """The topic definitions every generated sequence starts with."""
    return [
        TopicDefined(topic=COMPOSITE, title="Total", parts=PARTS, event_id="def-total"),
        TopicDefined(
            topic=NESTED, title="All", unit=UNIT, parts=(COMPOSITE, "war/c"), event_id="def-all"
        ),
        TopicDefined(topic=QUALITATIVE, title="Words", event_id="def-q"),
    ]


@st.composite
def event_sequences(
    draw: st.DrawFn,
    *,
    min_size: int = 0,
    max_size: int = 16,
    distinct_stated: bool = False,
    values: st.SearchStrategy[Number] = small_numbers,
    affiliations: bool = False,
    as_of: bool = False,
    bounds: bool = False,
    topic_windows: bool = False,
    spread: bool = False,
    sources: Sequence[str] = SOURCES,
) -> list[Event]:
    """Valid logs over a few topics and sources: figures, claims, disputes, retractions.

    Every sequence passes validation in order. With ``distinct_stated`` every
    stated event carries its own stated_at; otherwise stated_at values collide
    often, so that ties fall to the position. The options add what the
    freshness and voice rules need: ``affiliations`` (sources described with
    a shared affiliation, another source's slug, or none), ``as_of`` (figures
    describing a time up to two days before or six hours after they were
    stated), ``bounds`` (rules of the vocabulary, bound rows among them) and
    ``topic_windows`` (definitions with windows, and redefinitions mid-log);
    ``spread`` draws figures from
    ``spread_figures``, where every consensus level comes up.
    """
    out: list[Event] = list(definitions())
    if topic_windows:
        out = [attrs.evolve(d, window=draw(windows)) for d in definitions()]
    count = draw(st.integers(min_size, max_size))
    if distinct_stated:
        hours = draw(st.lists(st.integers(0, 500), min_size=count, max_size=count, unique=True))
    else:
        hours = draw(st.lists(st.integers(0, 4), min_size=count, max_size=count))
    owners: dict[str, str] = {}  # live claim_id -> source
    for i, hour in enumerate(hours):
        when = BASE_TIME + timedelta(hours=hour)
        source = draw(st.sampled_from(sources))
        kinds = ["figure"] * 6 + ["claim", "claim", "describe"]
        if any(owner != source for owner in owners.values()):
            kinds += ["dispute", "dispute"]
        if source in owners.values():
            kinds += ["retract"]
        if topic_windows:
            kinds += ["define"]
        if affiliations:
            kinds += ["describe", "describe"]
        kind = draw(st.sampled_from(kinds))
        event_id = f"e{i}"
        claim_id = f"c{i}"
        event: Event
        if kind == "figure":
            rule = rules if bounds else st.none()
            if spread:
                figure = draw(spread_figures(values, rule))
            else:
                figure = draw(figures(values, st.just(UNIT), rule))
            fields: dict[str, Any] = {}
            if as_of and draw(st.booleans()):
                fields["as_of"] = when + timedelta(minutes=draw(st.integers(-48 * 60, 6 * 60)))
            event = FigureReported(
                claim_id=claim_id,
                topic=draw(st.sampled_from(_FIGURE_TOPICS)),
                source=source,
                figure=figure,
                stated_at=when,
                event_id=event_id,
                **fields,
            )
            owners[claim_id] = source
        elif kind == "claim":
            event = ClaimMade(
                claim_id=claim_id,
                topic=draw(st.sampled_from((QUALITATIVE, *PARTS))),
                source=source,
                statement="said so",
                proposition=draw(st.sampled_from(PROPOSITIONS)),
                stance=draw(st.sampled_from(["affirms", "denies"])),
                stated_at=when,
                event_id=event_id,
            )
            owners[claim_id] = source
        elif kind == "describe":
            affiliation = None
            if affiliations:
                affiliation = draw(st.none() | st.sampled_from((*AFFILIATIONS, *sources)))
            event = SourceDescribed(
                source=source,
                name=source.upper(),
                kind=draw(st.sampled_from(SOURCE_KINDS)),
                affiliation=affiliation,
                reliability=draw(st.sampled_from("ABCDEF")),
                event_id=event_id,
            )
        elif kind == "dispute":
            target = draw(st.sampled_from(sorted(c for c, o in owners.items() if o != source)))
            event = ClaimDisputed(
                target=target, source=source, reason="wrong", stated_at=when, event_id=event_id
            )
        elif kind == "define":
            event = draw(_redefinitions(event_id))
        else:
            target = draw(st.sampled_from(sorted(c for c, o in owners.items() if o == source)))
            event = ClaimRetracted(target=target, source=source, stated_at=when, event_id=event_id)
            del owners[target]
        out.append(event)
    return out


@st.composite
def _redefinitions(draw: st.DrawFn, event_id: str) -> TopicDefined:
    """A definition of one of the figure topics, as valid as the first ones, with a window."""
    window = draw(windows)
    first = {d.topic: d for d in definitions()}
    topic = draw(st.sampled_from(NUMERIC_TOPICS))
    if topic in first:
        return attrs.evolve(first[topic], window=window, event_id=event_id)
    return TopicDefined(
        topic=topic, title=topic.upper(), unit=UNIT, window=window, event_id=event_id
    )


def source_figures(
    max_size: int = 8, values: st.SearchStrategy[Number] = small_numbers
) -> st.SearchStrategy[list[tuple[str, Figure]]]:
    """Between 1 and max_size (source, figure) pairs with distinct sources."""
    return st.lists(figures(values, st.just(UNIT)), min_size=1, max_size=max_size).map(
        lambda fs: [(f"s{i}", f) for i, f in enumerate(fs)]
    )


def stated_of(event: Event) -> datetime | None:
    """The stated_at of an event, None for the two events that have none."""
    return getattr(event, "stated_at", None)


def source_of(event: Event) -> str | None:
    """The source of an event, None for TopicDefined."""
    return getattr(event, "source", None)


@st.composite
def interleavings(draw: st.DrawFn, stated: Sequence[Event]) -> list[Event]:
    """The events in another order that keeps each source's own events in order."""
    queues: dict[str | None, list[Event]] = {}
    for event in stated:
        queues.setdefault(source_of(event), []).append(event)
    out: list[Event] = []
    while queues:
        key = draw(st.sampled_from(sorted(queues, key=str)))
        out.append(queues[key].pop(0))
        if not queues[key]:
            del queues[key]
    return out
