"""Wrong types at the public API end in a LedgerError naming the field, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

import ledger
from ledger import merkle

H = b"\x11" * 32


def fresh(**options: Any) -> ledger.Ledger:
    return ledger.Ledger.open("memory://", **options)


def topic() -> ledger.TopicDefined:
    return ledger.TopicDefined(topic="t/a", title="A", unit="people")


CASES: dict[str, tuple[Callable[[], object], type[ledger.LedgerError], str]] = {
    "topic of a list": (lambda: fresh().topic([]), ledger.UnknownTopic, "[]"),  # type: ignore[arg-type]
    "propositions of a list": (
        lambda: fresh().propositions([]),  # type: ignore[arg-type]
        ledger.UnknownTopic,
        "[]",
    ),
    "disputes of an unknown topic": (lambda: fresh().disputes("t/x"), ledger.UnknownTopic, "t/x"),
    "records after text": (lambda: list(fresh().records("x")), ledger.InvalidEvent, "after"),  # type: ignore[arg-type]
    "rows after a negative": (lambda: list(fresh().rows(-1)), ledger.InvalidEvent, "after"),
    "extend of None": (lambda: fresh().extend(None), ledger.InvalidEvent, "events"),  # type: ignore[arg-type]
    "expected_position as text": (
        lambda: fresh().append(topic(), expected_position="0"),  # type: ignore[arg-type]
        ledger.InvalidEvent,
        "expected_position",
    ),
    "a negative expected_position": (
        lambda: fresh().append(topic(), expected_position=-1),
        ledger.InvalidEvent,
        "expected_position",
    ),
    "expected_position as a bool": (
        lambda: fresh().append(topic(), expected_position=True),
        ledger.InvalidEvent,
        "expected_position",
    ),
    "a clock that returns text": (
        lambda: fresh(clock=lambda: "now").append(topic()),
        ledger.InvalidEvent,
        "clock",
    ),
    "a clock without a timezone": (
        lambda: fresh(clock=lambda: datetime(2025, 1, 1)).append(topic()),
        ledger.InvalidEvent,
        "clock",
    ),
    # The opt-in to a process-wide side effect is a bool, never any truthy value.
    "tune_gc as text": (lambda: fresh(tune_gc="no"), ledger.InvalidEvent, "tune_gc"),
    "tune_gc as a number": (
        lambda: ledger.Ledger(ledger.stores.open_store("memory://"), tune_gc=1),  # type: ignore[arg-type]
        ledger.InvalidEvent,
        "tune_gc",
    ),
    # A truthy "no" is not read as read-only, nor a number as a clock.
    "read_only as text": (lambda: fresh(read_only="no"), ledger.StoreUnavailable, "read_only"),
    "a clock that is a number": (lambda: fresh(clock=5), ledger.StoreUnavailable, "clock"),
    "verify's read_model as text": (
        lambda: fresh().verify(read_model="no"),  # type: ignore[arg-type]
        ledger.InvalidEvent,
        "read_model",
    ),
    "a projection of text": (
        lambda: fresh().project("x"),  # type: ignore[arg-type]
        ledger.InvalidEvent,
        "projection",
    ),
    "tracking None": (lambda: fresh().track(None), ledger.InvalidEvent, "projection"),  # type: ignore[arg-type]
    "leaf data as text": (lambda: merkle.leaf_hash("x"), ledger.InvalidProof, "bytes"),  # type: ignore[arg-type]
    "root of None": (lambda: merkle.root(None), ledger.InvalidProof, "sequence"),  # type: ignore[arg-type]
    "an index as text": (
        lambda: merkle.inclusion_proof("0", [H]),  # type: ignore[arg-type]
        ledger.InvalidProof,
        "index",
    ),
    "a proof of None": (
        lambda: merkle.verify_inclusion(H, 0, 1, None, H),  # type: ignore[arg-type]
        ledger.InvalidProof,
        "proof",
    ),
    "a size as text": (
        lambda: merkle.verify_consistency(1, "2", H, H, []),  # type: ignore[arg-type]
        ledger.InvalidProof,
        "new size",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_raises_a_ledger_error_naming_what_is_wrong(case: str) -> None:
    call, error, words = CASES[case]
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        call()


#: An integer too long for Python to print (past 4,300 digits, str() raises ValueError).
HUGE = 10**5000


def _one_record() -> ledger.Ledger:
    lg = fresh()
    lg.append(topic())
    return lg


HUGE_CASES: dict[str, tuple[Callable[[], object], type[ledger.LedgerError], str]] = {
    "an interval's high": (lambda: ledger.Interval(0, HUGE), ledger.InvalidFigure, "high"),
    "an interval's low": (lambda: ledger.Interval(-HUGE, 0), ledger.InvalidFigure, "low"),
    "a figure's high": (
        lambda: ledger.Figure(0, HUGE, unit="people"),
        ledger.InvalidFigure,
        "high",
    ),
    "records after": (
        lambda: list(_one_record().records(after=HUGE)),
        ledger.InvalidEvent,
        "after",
    ),
    "rows after": (lambda: list(_one_record().rows(HUGE)), ledger.InvalidEvent, "after"),
    "a receipt's position": (lambda: _one_record().prove(HUGE), ledger.InvalidEvent, "position"),
    "a consistency proof's old size": (
        lambda: _one_record().prove_consistency(HUGE),
        ledger.InvalidEvent,
        "old_size",
    ),
    "expected_position": (
        lambda: _one_record().append(topic(), expected_position=HUGE),
        ledger.InvalidEvent,
        "expected_position",
    ),
    "follow after": (
        lambda: next(iter(_one_record().follow(after=HUGE))),
        ledger.ValidationError,
        "after",
    ),
    "as_of a negative position": (
        lambda: _one_record().as_of(position=-HUGE),
        ledger.InvalidEvent,
        "position",
    ),
    "an inclusion proof's index": (
        lambda: merkle.inclusion_proof(HUGE, [H]),
        ledger.InvalidProof,
        "index",
    ),
    "a consistency proof's old size, in merkle": (
        lambda: merkle.consistency_proof(HUGE, [H]),
        ledger.InvalidProof,
        "old size",
    ),
}


@pytest.mark.parametrize("case", sorted(HUGE_CASES))
def test_an_integer_too_long_to_print_is_named_by_its_size(case: str) -> None:
    call, error, field = HUGE_CASES[case]
    with pytest.raises(error, match=field) as caught:
        call()
    assert "integer of about 5,001 digits" in str(caught.value)


def test_a_checkpoint_beyond_any_log_fails_verify_without_printing_its_size() -> None:
    checkpoint = ledger.Checkpoint(size=HUGE, root=H, origin="o")
    report = _one_record().verify(checkpoint)
    assert not report.ok
    assert report.first_bad_position == 2
    assert "an integer of about 5,001 digits" in report.reason


def test_a_refused_clock_writes_nothing() -> None:
    lg = fresh(clock=lambda: "now")
    with pytest.raises(ledger.InvalidEvent):
        lg.append(topic())
    assert lg.head == 0
    assert lg.topics() == []
