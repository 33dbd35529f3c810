"""Following a log: every stored row after a position, then each new one as it lands.

Stores that can wait for news (PostgreSQL's LISTEN/NOTIFY) provide their own
``follow``; for the others, this module polls ``read``. Either way each row
is yielded exactly once, in position order, without gaps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

from ledger.codec import StoredRow
from ledger.errors import CorruptLog, StoreUnavailable, ValidationError, brief
from ledger.stores.base import LAST_POSITION, Store

__all__ = ["Follows", "check_follow_args", "follow"]


@runtime_checkable
class Follows(Protocol):
    """A store with its own way of waiting for new rows."""

    def follow(
        self,
        after: int = 0,
        poll_interval: float = 1.0,
        stop: Callable[[], bool] | None = None,
    ) -> Iterator[StoredRow]:
        """The rows after a position, then each new one, exactly once, in order."""
        ...


def follow(
    store: Store,
    after: int = 0,
    poll_interval: float = 1.0,
    stop: Callable[[], bool] | None = None,
) -> Iterator[StoredRow]:
    """The rows after a position, then each new row as it is stored, exactly once, in order.

    stop is asked before each catch-up; once it returns True, the rows stored
    before that are still yielded and the iterator ends. Without stop it
    follows until the caller stops iterating.
    """
    check_follow_args(after, poll_interval, stop)
    if isinstance(store, Follows):
        yield from store.follow(after, poll_interval=poll_interval, stop=stop)
        return
    last = after
    # The hash of the row at last, once read: every later look checks it is still there.
    seen: str | None = None
    if 0 < after <= store.head():
        start = next(iter(store.read_positions([after])), None)
        seen = None if start is None else start.hash
    while True:
        # Asked before the read, so that whatever was stored before stop()
        # turned True is read before the iterator ends.
        stopping = stop is not None and stop()
        _still_the_same(store, last, seen)
        for row in store.read(last):
            if row.position != last + 1:
                raise CorruptLog(f"expected position {last + 1} next", position=row.position)
            last, seen = row.position, row.hash
            yield row
        if stopping:
            return
        time.sleep(poll_interval)


def _still_the_same(store: Store, last: int, seen: str | None) -> None:
    """Refuse to go on over a log that is no longer the one followed.

    A file removed or renamed over would never show another record; one
    copied over in place would go on with another log's records as if they
    came next. The row followed last must still be there, with its hash.
    """
    if store.replaced():
        raise StoreUnavailable(
            f"{store.url} was removed or replaced while it was followed; follow it again"
        )
    if seen is None:
        return
    found = next(iter(store.read_positions([last])), None)
    if found is None or found.hash != seen:
        raise CorruptLog(
            f"{store.url} no longer holds the record at position {last} that was followed: "
            "the log was replaced or rewritten",
            position=last,
        )


def check_follow_args(
    after: int, poll_interval: float, stop: Callable[[], bool] | None = None
) -> None:
    """Refuse a bad position, a poll interval that is not positive and a stop not callable."""
    if stop is not None and not callable(stop):
        raise ValidationError(
            f"stop: must be a function of no arguments returning True or False, not {stop!r}"
        )
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= LAST_POSITION:
        raise ValidationError(
            f"after: must be a position (an integer from 0 to 2**63 - 1), not {brief(after)}"
        )
    number = isinstance(poll_interval, int | float) and not isinstance(poll_interval, bool)
    if not number or not (poll_interval > 0 and math.isfinite(poll_interval)):
        raise ValidationError(f"poll_interval: must be a positive number, not {poll_interval!r}")
