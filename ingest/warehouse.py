"""One DuckDB connection per process, held while busy and released when idle.

Opening DuckDB costs ~20 ms, so we keep the connection between calls; but one process at a
time may hold the file, so after ``idle_release_seconds`` without use we close it and let
dbt, an analyst or another NovaOS process in. Opening retries with backoff while another
process holds the lock.

Our own processes also take turns through a gate (``flock`` on ``<warehouse>.lock``): a
caller that cannot spool (a read, a deploy, dbt through ``exclusive()``) registers as
waiting on ``<warehouse>.waiting``, the holder releases the file at the end of its current
call when someone waits, and writers that could spool give waiters the first turn. Without
it, a process writing in a loop would keep the file forever and starve readers and dbt.
DuckDB's own lock still guards against processes that do not use the gate (an analyst).

Every use of the connection first applies what the spool holds (``ingest/spool.py``), so a
direct write never overtakes an earlier spooled one, and reads see spooled writes.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ingest import spool as spool_module
from ingest.schema import ensure_raw_schema
from ingest.settings import Settings

try:
    import fcntl
except ImportError:  # not POSIX: DuckDB's own lock and retries are all there is
    fcntl = None  # type: ignore[assignment]

# How often a caller polls the gate while waiting: short, so that a waiter takes its turn
# soon after the holder lets go.
_POLL_SECONDS = 0.005
# An idle holder looks this often for a waiter, rather than keeping it out for the whole
# idle_release_seconds.
_WAITER_CHECK_SECONDS = 0.1


class WarehouseBusyError(RuntimeError):
    """Another process held the warehouse file for longer than the lock timeout."""


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


class _Gate:
    """Advisory locks beside the warehouse, shared by our processes (see the module doc)."""

    def __init__(self, warehouse_path: Path) -> None:
        self._lock_path = warehouse_path.with_name(warehouse_path.name + ".lock")
        self._waiting_path = warehouse_path.with_name(warehouse_path.name + ".waiting")
        self._held: int | None = None
        self._waiting: int | None = None
        self._probe: int | None = None

    @property
    def held(self) -> bool:
        return self._held is not None or fcntl is None

    def try_acquire(self, *, polite: bool) -> bool:
        if fcntl is None or self._held is not None:
            return True
        if polite and self.others_waiting():
            return False
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._held = fd
        return True

    def release(self) -> None:
        if self._held is not None:
            os.close(self._held)  # closing the descriptor drops its flock
            self._held = None

    def start_waiting(self) -> None:
        if fcntl is None or self._waiting is not None:
            return
        fd = os.open(self._waiting_path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_SH)  # shared: any number of waiters at once
        self._waiting = fd

    def stop_waiting(self) -> None:
        if self._waiting is not None:
            os.close(self._waiting)
            self._waiting = None

    def others_waiting(self) -> bool:
        """True when another caller registered as waiting (never true of our own wait)."""
        if fcntl is None or self._waiting is not None:
            return False
        if self._probe is None:
            self._probe = os.open(self._waiting_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._probe, fcntl.LOCK_UN)
        return False


class Warehouse:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.RLock()
        self._depth = 0
        self._timer: threading.Timer | None = None
        self._last_used = 0.0
        self._schema_ready = False
        self._yielded = False  # released the file because another caller was waiting
        self._gate = _Gate(settings.warehouse_path)
        self.spool = spool_module.Spool(spool_module.spool_path(settings.warehouse_path))
        # Moves whenever the warehouse may have changed under this process: a (re)open
        # (others may have written while we did not hold the file), a spool drain, or any use
        # not declared a read. The facade refreshes the marts when it moved (dds_api/refresh.py).
        self.generation = 0
        self.opened = 0

    @property
    def path(self) -> str:
        return str(self.settings.warehouse_path)

    @contextmanager
    def connect(
        self, *, spoolable: bool = False, reading: bool = False
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield the process's connection, opening it if needed; schedule release when done.

        ``reading``: the caller only reads, so ``generation`` does not move for it.

        ``spoolable``: the caller spools its write when the warehouse is busy, so it does
        not queue as a waiter (readers and dbt go first). It gets WarehouseBusyError at once
        when another process of ours holds the file (that one applies the spool before it
        lets go), and after the lock timeout when a process outside the gate holds it.
        """
        with self._lock:
            if self._conn is None:
                self._conn = self._open(spoolable=spoolable)
                self.opened += 1
                self.generation += 1
            if self._depth == 0 and self.spool.has_pending():
                spool_module.drain(self._conn, self.spool)
                self.generation += 1
            if not reading:
                self.generation += 1
            self._depth += 1
            try:
                yield self._conn
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._schedule_release()

    @contextmanager
    def transaction(self, *, spoolable: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside BEGIN ... COMMIT; any exception rolls everything back."""
        with self.connect(spoolable=spoolable) as conn:
            conn.begin()
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the warehouse for another process of ours (dbt in a subprocess): the file is
        closed here, and our other processes wait (or spool) until the block ends."""
        with self._lock:
            if self._conn is not None and self.spool.has_pending():
                spool_module.drain(self._conn, self.spool)
            self._cancel_release()
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if not self._gate.held:
                self._wait_for_gate(spoolable=False)
            try:
                yield
            finally:
                self._gate.release()

    def close(self) -> None:
        """Release the file now (e.g. before running dbt in a subprocess)."""
        with self._lock:
            self._cancel_release()
            if self._conn is not None and self._depth == 0:
                try:
                    # what others spooled while we held the file: apply it before letting go
                    if self.spool.has_pending():
                        spool_module.drain(self._conn, self.spool)
                finally:
                    self._conn.close()
                self._conn = None
                self._gate.release()

    def _wait_for_gate(self, *, spoolable: bool) -> None:
        if spoolable:
            # Another process of ours holds the warehouse and applies the spool before it
            # lets go, so waiting would only slow the caller down: spool at once.
            if not self._gate.try_acquire(polite=True):
                raise self._busy()
            return
        deadline = time.monotonic() + self.settings.lock_timeout_seconds
        self._gate.start_waiting()
        if self._yielded:
            # we let go for a waiter a moment ago; without this pause our next call would
            # usually win the race again (waiters poll every _POLL_SECONDS)
            self._yielded = False
            time.sleep(2 * _POLL_SECONDS)
        try:
            while not self._gate.try_acquire(polite=False):
                if time.monotonic() >= deadline:
                    raise self._busy()
                time.sleep(_POLL_SECONDS)
        finally:
            self._gate.stop_waiting()

    def _busy(self) -> WarehouseBusyError:
        return WarehouseBusyError(
            f"The warehouse {self.path} is held by another process "
            f"(dbt, an analyst's session or another NovaOS process) and was "
            f"not released within {self.settings.lock_timeout_seconds:.1f} s. "
            "Nothing was written; retry when that process has finished."
        )

    def _open(self, *, spoolable: bool = False) -> duckdb.DuckDBPyConnection:
        self.settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.settings.lock_timeout_seconds
        self._wait_for_gate(spoolable=spoolable)
        delay = 0.02
        try:
            while True:
                try:
                    conn = duckdb.connect(self.path)
                    break
                except duckdb.IOException as exc:
                    # held by a process outside the gate (an analyst, dbt run by hand)
                    if not _is_lock_conflict(exc):
                        raise
                    if time.monotonic() >= deadline:
                        raise self._busy() from exc
                    time.sleep(delay)
                    delay = min(delay * 2, 0.5)
            conn.execute("set TimeZone = 'UTC'")
            if not self._schema_ready:
                ensure_raw_schema(conn)
                self._schema_ready = True
        except BaseException:
            self._gate.release()
            raise
        return conn

    def _schedule_release(self) -> None:
        """Note the use; keep one timer pending (starting a thread per call costs ~0.7 ms)."""
        idle = self.settings.idle_release_seconds
        if idle <= 0 or self._gate.others_waiting():
            self._yielded = idle > 0
            self.close()  # a reader or dbt waits for its turn
            return
        self._last_used = time.monotonic()
        if self._timer is None:
            self._start_timer(min(idle, _WAITER_CHECK_SECONDS))

    def _start_timer(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._release_if_idle)
        self._timer.daemon = True
        self._timer.start()

    def _release_if_idle(self) -> None:
        with self._lock:
            self._timer = None
            if self._depth > 0 or self._conn is None:
                return  # in use: the use schedules the next check when it ends
            remaining = self._last_used + self.settings.idle_release_seconds - time.monotonic()
            if remaining > 0 and not self._gate.others_waiting():
                self._start_timer(min(remaining, _WAITER_CHECK_SECONDS))
            else:
                self.close()

    def _cancel_release(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
