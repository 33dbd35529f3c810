"""The authoring format: words resolved at import, plain dates, all or nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ledger import FigureReported, ImportFailed, Interval, InvalidEvent, Ledger, TopicDefined

GOOD: list[dict[str, Any]] = [
    {"type": "TopicDefined", "topic": "k/casualties", "title": "Casualties", "unit": "soldiers"},
    {
        "type": "FigureReported",
        "claim_id": "ua",
        "topic": "k/casualties",
        "source": "ukraine",
        "figure": {"phrase": "more than 3,000", "unit": "soldiers"},
        "stated_at": "2025-01-13",
    },
    {
        "type": "FigureReported",
        "claim_id": "us",
        "topic": "k/casualties",
        "source": "us-official",
        "figure": {"low": 200, "high": 600, "unit": "soldiers", "phrase": "several hundred"},
        "stated_at": "2025-01-13T09:30:00+01:00",
        "via": ["reporter"],
    },
    {
        "type": "ClaimDisputed",
        "target": "us",
        "source": "ukraine",
        "reason": "too low",
        "stated_at": "2025-01-14",
    },
]


def write(tmp_path: Path, lines: list[Any], name: str = "events.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def lg() -> Ledger:
    return Ledger.open("memory://")


def test_a_phrase_is_resolved_at_import_keeping_numbers_and_words(
    lg: Ledger, tmp_path: Path
) -> None:
    lg.import_events(write(tmp_path, GOOD))
    ua = lg.claim("ua")
    assert isinstance(ua, FigureReported)
    assert ua.figure.interval == Interval(3001, 4001)
    assert ua.figure.phrase == "more than 3,000"
    assert ua.figure.rule == "wikimpacts-2024:over"


def test_plain_dates_mean_midnight_utc_and_offsets_are_normalised(
    lg: Ledger, tmp_path: Path
) -> None:
    lg.import_events(write(tmp_path, GOOD))
    ua, us = lg.claim("ua"), lg.claim("us")
    assert ua is not None
    assert us is not None
    assert ua.stated_at == datetime(2025, 1, 13, tzinfo=UTC)
    assert us.stated_at == datetime(2025, 1, 13, 8, 30, tzinfo=UTC)
    assert us.via == ("reporter",)


def test_a_figure_may_name_its_convention(lg: Ledger, tmp_path: Path) -> None:
    line = dict(
        GOOD[1], figure={"phrase": "more than 3,000", "unit": "soldiers", "convention": "strict"}
    )
    lg.import_events(write(tmp_path, [GOOD[0], line]))
    ua = lg.claim("ua")
    assert isinstance(ua, FigureReported)
    assert ua.figure.interval == Interval(3000, None, low_open=True)


def test_importing_the_same_file_twice_stores_nothing_the_second_time(
    lg: Ledger, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD)
    first = lg.import_events(path)
    again = lg.import_events(path)
    assert lg.head == len(GOOD)
    assert (first.events, first.added) == (len(GOOD), len(GOOD))
    assert (again.events, again.added) == (len(GOOD), 0)


def test_every_bad_line_is_listed_and_nothing_is_appended(lg: Ledger, tmp_path: Path) -> None:
    lines: list[Any] = [
        GOOD[0],
        "{not json",
        {"type": "Rumour", "topic": "k/x"},
        dict(GOOD[1], figure={"phrase": "lots", "unit": "soldiers"}),
        dict(GOOD[2], stated_at="yesterday"),
        {"type": "ClaimDisputed", "target": "nobody", "source": "a", "stated_at": "2025-01-13"},
        dict(GOOD[1], extra="field"),
        GOOD[1],
        dict(GOOD[1], event_id="dup-1", claim_id="ua"),
    ]
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(write(tmp_path, lines))
    numbers = [line for line, _ in caught.value.problems]
    assert numbers == [2, 3, 4, 5, 6, 7, 9]
    reasons = dict(caught.value.problems)
    assert "not JSON" in reasons[2]
    assert "Rumour" in reasons[3]
    assert "lots" in reasons[4]
    assert "stated_at" in reasons[5]
    assert "nobody" in reasons[6]
    assert "extra" in reasons[7]
    assert "ua" in reasons[9]
    assert lg.head == 0
    assert "events.jsonl" in str(caught.value)


def test_at_most_twenty_bad_lines_are_listed_with_the_total(lg: Ledger, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(write(tmp_path, ["[]"] * 25))
    assert len(caught.value.problems) == 20
    assert caught.value.total == 25
    assert "and 5 more" in str(caught.value)
    assert lg.head == 0


def test_a_file_that_cannot_be_read_is_a_plain_error_naming_it(lg: Ledger, tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    with pytest.raises(InvalidEvent) as caught:
        lg.import_events(missing)
    assert not isinstance(caught.value, ImportFailed)
    assert caught.value.field == "path"
    assert str(caught.value) == f"path: cannot read {str(missing)!r}: No such file or directory"


def test_blank_lines_are_skipped_and_line_numbers_stay_true(lg: Ledger, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(write(tmp_path, [GOOD[0], "", "   ", "oops"]))
    assert [line for line, _ in caught.value.problems] == [4]


def test_a_line_conflicting_with_the_ledger_is_refused(lg: Ledger, tmp_path: Path) -> None:
    lg.append(TopicDefined(topic="k/casualties", title="Casualties", unit="people"))
    with pytest.raises(ImportFailed) as caught:
        lg.import_events(write(tmp_path, GOOD[1:2]))
    ((line, reason),) = caught.value.problems
    assert line == 1
    assert "people" in reason
    assert lg.head == 1
