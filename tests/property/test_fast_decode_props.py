"""The fast encoding and decoding paths agree with the cattrs converter, record for record.

The converter is the definition of decoding; the fast paths of the codec's
registry (generated from each event type's attrs fields and their rules by
``ledger.codec.fast``) may only return the very event the converter would
build, or step aside (None). Every registered event type is covered.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.codec import make_codec
from ledger.codec.fast import ENCODE_OPTIONS, decoder, encoder
from ledger.domain.events import EVENT_TYPES, TopicDefined
from ledger.domain.figures import Rule
from ledger.errors import InvalidEvent
from ledger.testing.strategies import EVENT_STRATEGIES, slugs, topics_defined

CODEC = make_codec()
CONVERTER = CODEC.converter
TYPES = {kind.tag: kind for kind in CODEC.types}

windows = st.none() | st.timedeltas(min_value=timedelta(0))
#: Every event type, TopicDefined with and without a window.
ANY_EVENT: dict[str, st.SearchStrategy[Any]] = {
    **EVENT_STRATEGIES,
    "TopicDefined": st.builds(
        lambda topic, window: attrs.evolve(topic, window=window), topics_defined(), windows
    ),
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["P3D", "PT0S", "-P1D", "P1Y", "2024-01-01T00:00:00Z", "a/b", "F"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


def test_every_event_type_is_registered_with_fast_paths_at_its_current_schema() -> None:
    assert sorted(TYPES) == sorted(cls.__name__ for cls in EVENT_TYPES)
    for kind in CODEC.types:
        assert CODEC.fast_decoder(kind.tag, kind.schema) is kind.fast_decode
        # Older schemas go through their upcasters on the checked path.
        assert CODEC.fast_decoder(kind.tag, kind.schema - 1) is None
    assert TYPES["TopicDefined"].schema == 2
    assert TYPES["SourceDescribed"].schema == 2


@pytest.mark.parametrize("tag", sorted(ANY_EVENT))
@given(data=st.data())
def test_the_fast_path_decodes_every_valid_event_as_the_converter_does(
    tag: str, data: st.DataObject
) -> None:
    event = data.draw(ANY_EVENT[tag])
    row = CODEC.encode(1, event, datetime(2025, 1, 13, tzinfo=UTC))
    fast = TYPES[tag].fast_decode(orjson.loads(row.data), row.event_id)
    assert fast is not None
    assert fast == event
    assert (
        CONVERTER.structure({**orjson.loads(row.data), "event_id": row.event_id}, type(event))
        == fast
    )
    assert CODEC.decode(row).event == event


@pytest.mark.parametrize("tag", sorted(ANY_EVENT))
@given(data=st.data())
def test_a_damaged_field_is_never_accepted_by_the_fast_path_alone(
    tag: str, data: st.DataObject
) -> None:
    event = data.draw(ANY_EVENT[tag])
    row = CODEC.encode(1, event, datetime(2025, 1, 13, tzinfo=UTC))
    fields = orjson.loads(row.data)
    name = data.draw(st.sampled_from([*sorted(fields), "extra"]))
    if data.draw(st.booleans()) and name in fields:
        del fields[name]
    else:
        fields[name] = data.draw(json_values)
    figure = fields.get("figure")
    if isinstance(figure, dict) and figure and data.draw(st.booleans()):
        figure[data.draw(st.sampled_from(sorted(figure)))] = data.draw(json_values)
    event_id = data.draw(st.just(row.event_id) | st.text(max_size=4) | st.none())
    fast = TYPES[tag].fast_decode(fields, event_id)
    try:
        expected: object = CONVERTER.structure({**fields, "event_id": event_id}, type(event))
    except Exception:
        expected = None
    if fast is not None:
        assert fast == expected


@pytest.mark.parametrize("tag", sorted(ANY_EVENT))
@given(data=st.data())
def test_the_fast_encoder_writes_what_the_converter_writes(tag: str, data: st.DataObject) -> None:
    event = data.draw(ANY_EVENT[tag])
    expected = CONVERTER.unstructure(event)
    del expected["event_id"]
    fast = TYPES[tag].fast_encode(event)
    assert orjson.dumps(fast, option=ENCODE_OPTIONS) == orjson.dumps(
        expected, option=orjson.OPT_SORT_KEYS
    )
    assert CODEC.event_data(event) == orjson.dumps(fast, option=ENCODE_OPTIONS).decode()


# -- the fast paths come from the rules, not from a table of their own ---------------

_EVEN = Rule(int, lambda v: f"{v!r} is not an even int", lambda v: v % 2 == 0, exact=True)
_SHOUT = Rule(str, lambda v: f"{v!r} is not in capitals", str.isupper)


@attrs.frozen(kw_only=True)
class Sample:
    """A class the codec has never seen: its fast path can only come from its rules."""

    count: int = attrs.field(validator=_EVEN)
    word: str | None = attrs.field(default=None, validator=attrs.evolve(_SHOUT, optional=True))
    tags: tuple[str, ...] = attrs.field(default=(), validator=Rule(tuple, repr, item=_SHOUT))
    event_id: str = attrs.field(default="x", validator=Rule(str, repr, str.isalnum))

    def __attrs_post_init__(self) -> None:
        if self.word is not None and len(self.word) > self.count:
            raise InvalidEvent("longer than count", field="word")


@given(
    count=st.integers() | st.booleans() | st.floats() | st.text(max_size=3),
    word=st.none() | st.text(alphabet="aAB ", max_size=4) | st.integers(),
    tags=st.lists(st.text(alphabet="aB", max_size=2), max_size=3) | st.text(max_size=2),
    event_id=st.text(alphabet="a1-", max_size=3),
)
def test_a_fast_decoder_refuses_exactly_what_the_rules_refuse(
    count: object, word: object, tags: object, event_id: str
) -> None:
    fields = {"count": count, "word": word, "tags": tags}
    fast = decoder(Sample)(fields, event_id)
    try:
        expected: Sample | None = Sample(
            count=count,  # type: ignore[arg-type]
            word=word,  # type: ignore[arg-type]
            tags=tuple(tags) if isinstance(tags, list) else tags,  # type: ignore[arg-type]
            event_id=event_id,
        )
    except InvalidEvent:
        expected = None
    if type(count) is not int or not isinstance(tags, list):
        expected = None  # the wire gives exactly these types
    assert fast == expected
    if expected is not None:
        assert encoder(Sample)(expected) == {**fields, "tags": list(expected.tags)}


def test_a_field_whose_validator_is_not_a_rule_has_no_fast_path() -> None:
    @attrs.frozen
    class Loose:
        name: str = attrs.field(validator=attrs.validators.instance_of(str))
        event_id: str = "x"

    with pytest.raises(TypeError, match=re.escape("Loose.name: a fast path needs a Rule")):
        decoder(Loose)


@given(topic=topics_defined(), parts=st.lists(slugs, min_size=1, max_size=3))
def test_the_fast_path_runs_the_checks_across_fields(topic: TopicDefined, parts: list[str]) -> None:
    fields = orjson.loads(CODEC.event_data(topic))
    fields["parts"] = [*parts, parts[0]]  # a part listed twice
    assert TYPES["TopicDefined"].fast_decode(fields, topic.event_id) is None
    fields["parts"] = [topic.topic]  # a topic as its own part
    assert TYPES["TopicDefined"].fast_decode(fields, topic.event_id) is None
