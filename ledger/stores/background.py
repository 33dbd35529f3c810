"""Store work that runs in a thread of its own while the caller goes on.

A SQLite writer's COMMIT (``sqlfiles.Committing``) and PostgreSQL's read-model
rows written behind an append (``pgmodel.Behind``) each run one piece of
work beside the caller. ``Background`` is the rule both follow: start it in
a thread, or in the caller's thread when no thread can be had; keep what it
raised for the caller, who asks with ``wait()``. It imports nothing of the
ledger.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["Background"]


class Background:
    """One piece of work in a thread of its own; its error kept for the caller."""

    def __init__(self, work: Callable[[], None], name: str) -> None:
        self._work = work
        #: What the work raised, once it is done; None if it succeeded (or runs yet).
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the work (in the caller's thread if no thread can be started)."""
        try:
            self._thread.start()
        except RuntimeError:  # no thread to be had: work here
            self._run()

    def _run(self) -> None:
        try:
            self._work()
        except BaseException as exc:  # kept for the caller's thread
            self.error = exc

    @property
    def done(self) -> bool:
        """Whether the work has ended (or was never started in a thread)."""
        return not self._thread.is_alive()

    def wait(self) -> BaseException | None:
        """Return once the work is done: None, or what it raised."""
        if self._thread.ident is not None:
            self._thread.join()
        return self.error
