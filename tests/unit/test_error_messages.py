"""Error messages show long values cut short: the start, the length, never megabytes."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from ledger import CorruptLog, TopicDefined, UnsupportedRecord
from ledger.codec import StoredRow, make_codec
from ledger.errors import brief, clipped


def test_brief_keeps_a_short_value_and_cuts_a_long_one_with_its_length() -> None:
    assert brief("kursk") == "'kursk'"
    assert brief(12) == "12"
    long = "x" * 5_000
    shown = brief(long)
    assert shown.startswith("'xxx")
    assert shown.endswith("' (5,000 characters)")
    assert len(shown) < 120


def test_clipped_cuts_the_values_a_message_echoes_and_keeps_its_ends() -> None:
    value = "y" * 3_000
    message = clipped(f"unit: {value!r} differs from the topic's", [value])
    assert message.startswith("unit: 'yyy")
    assert message.endswith("differs from the topic's")
    assert "(3,000 characters)" in message
    huge = clipped("field: " + "z" * 10_000 + " is wrong")
    assert huge.startswith("field: ")
    assert huge.endswith(" is wrong")
    assert len(huge) < 500


def stored(**changes: object) -> StoredRow:
    """A good record's row, with fields changed as damage would."""
    event = TopicDefined(topic="kursk/casualties", title="Casualties", unit="people")
    row = make_codec().encode(1, event, datetime(2025, 1, 13, tzinfo=UTC))
    return attrs.evolve(row, **changes)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"type": "T" * 3_000_000}, UnsupportedRecord),
        ({"hash": "g" * 100_000}, CorruptLog),
        ({"recorded_at": "x" * 100_000}, CorruptLog),
    ],
)
def test_a_stored_record_s_long_field_is_cut_in_the_error(
    changes: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        make_codec().decode(stored(**changes))
    assert len(str(caught.value)) < 400
    assert "characters)" in str(caught.value)
