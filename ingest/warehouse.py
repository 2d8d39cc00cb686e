"""One DuckDB connection per process, held while busy and released when idle.

Opening DuckDB costs ~20 ms, so we keep the connection between calls; but one process at a
time may hold the file, so after ``idle_release_seconds`` without use we close it and let
dbt, an analyst or another NovaOS process in. Opening retries with backoff while another
process holds the lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from ingest.schema import ensure_raw_schema
from ingest.settings import Settings


class WarehouseBusyError(RuntimeError):
    """Another process held the warehouse file for longer than the lock timeout."""


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


class Warehouse:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.RLock()
        self._depth = 0
        self._timer: threading.Timer | None = None
        self._last_used = 0.0
        self._schema_ready = False

    @property
    def path(self) -> str:
        return str(self.settings.warehouse_path)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield the process's connection, opening it if needed; schedule release when done."""
        with self._lock:
            if self._conn is None:
                self._conn = self._open()
            self._depth += 1
            try:
                yield self._conn
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._schedule_release()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside BEGIN ... COMMIT; any exception rolls everything back."""
        with self.connect() as conn:
            conn.begin()
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def close(self) -> None:
        """Release the file now (e.g. before running dbt in a subprocess)."""
        with self._lock:
            self._cancel_release()
            if self._conn is not None and self._depth == 0:
                self._conn.close()
                self._conn = None

    def _open(self) -> duckdb.DuckDBPyConnection:
        self.settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.settings.lock_timeout_seconds
        delay = 0.02
        while True:
            try:
                conn = duckdb.connect(self.path)
                break
            except duckdb.IOException as exc:
                if not _is_lock_conflict(exc) or time.monotonic() >= deadline:
                    if _is_lock_conflict(exc):
                        raise WarehouseBusyError(
                            f"The warehouse {self.path} is held by another process "
                            f"(dbt, an analyst's session or another NovaOS process) and was "
                            f"not released within {self.settings.lock_timeout_seconds:.0f} s. "
                            "Nothing was written; retry when that process has finished."
                        ) from exc
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        conn.execute("set TimeZone = 'UTC'")
        if not self._schema_ready:
            ensure_raw_schema(conn)
            self._schema_ready = True
        return conn

    def _schedule_release(self) -> None:
        """Note the use; keep one timer pending (starting a thread per call costs ~0.7 ms)."""
        idle = self.settings.idle_release_seconds
        if idle <= 0:
            self.close()
            return
        self._last_used = time.monotonic()
        if self._timer is None:
            self._start_timer(idle)

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
            if remaining > 0:
                self._start_timer(remaining)
            else:
                self.close()

    def _cancel_release(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
