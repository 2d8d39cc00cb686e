"""The refresh after a write, in the background: the next read finds the marts current.

A write ends by calling ``written(generation)`` (the warehouse's ``after_write`` hook, under
its lock: it only records the generation and wakes the worker). One worker thread per
process waits until the process's calls have paused for ``QUIET_SECONDS`` (a burst of
writes, or of writes and reads, is refreshed once, after it, rather than competing with it
for the cores; a read made meanwhile would wait for a complete refresh instead of running
its own narrower one), then runs ``refresh(conn, generation)`` on the warehouse's side
connection, which does not hold the lock the process's calls take: a writer's next call
does not wait for it.

Read-your-writes does not rest on it: a read still refreshes whatever the worker has not
(CurrentMarts.bring_current), waiting for a refresh under way rather than running a second
one beside it. The generation handed over is one every write up to it had committed at, so
a refresh that starts after it sees them all.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

# How long writes must have paused before the worker refreshes. A read sooner than this
# after a write refreshes itself (as it would without the worker).
QUIET_SECONDS = 0.05


class BackgroundRefresh:
    def __init__(
        self,
        side_connection: Callable[[], contextlib.AbstractContextManager[Any | None]],
        refresh: Callable[[Any, int], None],
    ) -> None:
        self._side_connection = side_connection
        self._refresh = refresh
        self._wake = threading.Condition()
        self._pending: int | None = None  # the newest generation written, not yet refreshed
        self._last_call_at = 0.0
        self._thread: threading.Thread | None = None

    def written(self, generation: int) -> None:
        """A write committed at ``generation``; returns at once (the writer waits for it)."""
        with self._wake:
            self._pending = generation
            self._last_call_at = time.monotonic()
            if self._thread is None:
                # one thread for the process's life: starting one per write costs more than
                # the write (bench/README.md, "Measured history")
                self._thread = threading.Thread(
                    target=self._run, name="dds-refresh-after-write", daemon=True
                )
                self._thread.start()
            else:
                self._wake.notify()

    def postpone(self) -> None:
        """A read of the process's own just ended: calls have not paused yet."""
        with self._wake:
            if self._pending is not None:
                self._last_call_at = time.monotonic()

    def _run(self) -> None:
        while True:
            generation = self._next()
            # a failure here is the next read's to meet and report, in its own refresh
            with contextlib.suppress(Exception), self._side_connection() as conn:
                if conn is not None:
                    self._refresh(conn, generation)

    def _next(self) -> int:
        """Wait for a write, then for writes to pause; the generation to refresh to."""
        with self._wake:
            while True:
                if self._pending is None:
                    self._wake.wait()
                    continue
                quiet_for = time.monotonic() - self._last_call_at
                if quiet_for < QUIET_SECONDS:
                    self._wake.wait(QUIET_SECONDS - quiet_for)
                    continue
                generation, self._pending = self._pending, None
                return generation
