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


def test_a_refused_clock_writes_nothing() -> None:
    lg = fresh(clock=lambda: "now")
    with pytest.raises(ledger.InvalidEvent):
        lg.append(topic())
    assert lg.head == 0
    assert lg.topics() == []
