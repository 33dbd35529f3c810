"""The fast encoding and decoding paths agree with the cattrs converter, record for record.

The converter is the definition of decoding; ``ledger.codec.fast`` may only
return the very event the converter would build, or step aside (None).
"""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from ledger.codec import make_codec, make_converter
from ledger.codec.fast import ENCODE_OPTIONS, FAST_DECODERS, FAST_ENCODERS
from ledger.domain.events import Event

from .strategies import claims_disputed, claims_made, claims_retracted, figures_reported

CODEC = make_codec()
CONVERTER = make_converter()
fast_events = claims_made() | figures_reported() | claims_disputed() | claims_retracted()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@given(fast_events)
def test_the_fast_path_decodes_every_valid_event_as_the_converter_does(event: Event) -> None:
    row = CODEC.encode(1, event, event.stated_at)
    tag = type(event).__name__
    fast = FAST_DECODERS[(tag, 1)](orjson.loads(row.data), row.event_id)
    assert fast is not None
    assert fast == event
    assert CODEC.decode(row).event == event


@given(fast_events, st.data())
def test_a_damaged_field_is_never_accepted_by_the_fast_path_alone(
    event: Event, data: st.DataObject
) -> None:
    row = CODEC.encode(1, event, event.stated_at)
    tag = type(event).__name__
    fields = orjson.loads(row.data)
    name = data.draw(st.sampled_from(sorted(fields)))
    fields[name] = data.draw(json_values)
    if name == "figure" or (isinstance(fields.get("figure"), dict) and data.draw(st.booleans())):
        figure = fields.get("figure")
        if isinstance(figure, dict) and figure:
            key = data.draw(st.sampled_from(sorted(figure)))
            figure[key] = data.draw(json_values)
    fast = FAST_DECODERS[(tag, 1)](fields, row.event_id)
    try:
        expected: Event | None = CONVERTER.structure(
            {**fields, "event_id": row.event_id}, type(event)
        )
    except Exception:
        expected = None
    if fast is not None:
        assert fast == expected


@given(fast_events)
def test_the_fast_encoder_writes_what_the_converter_writes(event: Event) -> None:
    expected = CONVERTER.unstructure(event)
    del expected["event_id"]
    fast = FAST_ENCODERS[type(event)](event)
    assert orjson.dumps(fast, option=ENCODE_OPTIONS) == orjson.dumps(
        expected, option=orjson.OPT_SORT_KEYS
    )
