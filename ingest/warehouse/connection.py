"""One DuckDB connection per process, held while busy and released when idle.

Opening DuckDB is slow next to a query (bench/README.md), so we keep the connection between
calls; but one process at a time may hold the file, so after ``idle_release_seconds``
without use we close it and let dbt, an analyst or another NovaOS process in. Opening
retries with backoff while another process holds the lock.

Our own processes, and dbt however it is started, take turns through a gate
(``ingest/warehouse/gate.py``): a caller that cannot spool (a read, a deploy, dbt) waits its turn,
the holder releases the file at the end of its current call when someone waits, and
writers that could spool give waiters the first turn. Without it, a process writing in a
loop would keep the file forever and starve readers and dbt. DuckDB's own lock still guards
against processes that do not use the gate (an analyst's session).

The file is attached under the fixed catalog name ``dds`` (``CATALOG``), as dbt's profile
attaches it, so no name anywhere depends on what the file is called.

Every use of the connection first applies what the spool holds (``ingest/spool.py``), so a
direct write never overtakes an earlier spooled one, and reads see spooled writes. When the
process lets go of the file after idling, it refreshes the analysts' snapshot if due
(``refresh_snapshot``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

# The one import from the warehouse up into ingest: every use of the connection first applies
# the spool, whose rows are ingest's validated writes (DECISIONS.md, "Python packages by role").
from ingest import spool as spool_module
from ingest.warehouse.dialect import DUCKDB
from ingest.warehouse.gate import (
    Gate,
    WarehouseBusyError,
    busy_message,
    is_lock_conflict,
    snapshot_path,
)
from ingest.warehouse.schema import ensure_raw_schema
from ingest.warehouse.settings import CATALOG, Settings

__all__ = ["CATALOG", "Warehouse", "WarehouseBusyError", "attach"]

# Run on each connection of ours as it opens: a statement past 2 s (a bulk load, a refresh)
# would otherwise draw DuckDB's progress bar on the process's stdout, into whatever reads it
# (a CLI's JSON answer, a parent's pipe). A session setting (DuckDB refuses it at connect).
QUIET = "set enable_progress_bar = false"


def _session_settings(conn: duckdb.DuckDBPyConnection) -> None:
    """What each connection (or cursor: a connection of its own) to the file runs first."""
    conn.execute(QUIET)
    conn.execute("set TimeZone = 'UTC'")


# An idle holder looks this often for a waiter, rather than keeping it out for the whole
# idle_release_seconds.
_WAITER_CHECK_SECONDS = 0.1


def attach(conn: duckdb.DuckDBPyConnection, path: str | os.PathLike[str], deadline: float) -> None:
    """Attach the warehouse file as ``dds`` and make it the default catalog, retrying with
    backoff until ``deadline`` while a process outside the gate holds the file."""
    delay = 0.02
    while True:
        try:
            conn.execute(f"attach if not exists ? as {CATALOG}", [str(path)])
            break
        except duckdb.IOException as exc:
            if not is_lock_conflict(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
            delay = min(delay * 2, 0.5)
    conn.execute(f"use {CATALOG}")


class Warehouse:
    dialect = DUCKDB

    def __init__(
        self,
        settings: Settings,
        before_snapshot: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    ) -> None:
        self.settings = settings
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.RLock()
        self._depth = 0
        self._timer: threading.Timer | None = None
        self._last_used = 0.0
        self._schema_ready = False
        self._yielded = False  # released the file because another caller was waiting
        self._gate = Gate(settings.warehouse_path)
        self.spool = spool_module.Spool(spool_module.spool_path(settings.warehouse_path))
        # Moves whenever the warehouse may have changed under this process: a (re)open
        # (others may have written while we did not hold the file), a spool drain, or any use
        # not declared a read. The facade refreshes the marts when it moved
        # (dds_api/current_marts/refresh.py).
        self.generation = 0
        # Run on the connection before the analysts' snapshot is copied (given by
        # dds_api/current_marts/, which brings the marts up to date there, so the copy's
        # marts agree with its raw events).
        self.before_snapshot = before_snapshot
        # Called under the lock when a use that wrote ends (not declared reading, none open
        # around it, no exception: its writes are committed), with the generation they
        # reached; the facade refreshes the marts from it in the background
        # (dds_api/current_marts/). It must return at once: the writer waits for it.
        self.after_write: Callable[[int], None] | None = None
        # uses of side_connection() under way: the file is not closed under them
        self._side_uses = 0
        self._side_done = threading.Condition(self._lock)

    @property
    def path(self) -> str:
        return str(self.settings.warehouse_path)

    @property
    def address(self) -> str:
        """What dbt is pointed at (DDS_WAREHOUSE): the file."""
        return self.path

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
                self.generation += 1
            if self._depth == 0 and self.spool.has_pending():
                spool_module.drain(self._conn, self.spool)
                self.generation += 1
            if not reading:
                self.generation += 1
            self._depth += 1
            wrote = False
            try:
                yield self._conn
                wrote = not reading and self._depth == 1
            finally:
                self._depth -= 1
                if self._depth == 0:
                    if wrote and self.after_write is not None:
                        self.after_write(self.generation)
                    self._schedule_release()

    @contextmanager
    def side_connection(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A second connection to the open file (a cursor of the process's connection), for
        another thread to use without holding the lock the process's calls take: DuckDB
        runs its transactions side by side. None when the file is not open (it is not opened
        for this: the process may have let go of it for another). The file stays open until
        the use ends."""
        with self._lock:
            if self._conn is None:
                cursor = None
            else:
                cursor = self._conn.cursor()
                self._side_uses += 1
                # a cursor is a connection of its own: the catalog and settings are per
                # connection (as _open sets them)
                cursor.execute(f"use {CATALOG}")
                _session_settings(cursor)
        if cursor is None:
            yield None
            return
        try:
            yield cursor
        finally:
            cursor.close()
            with self._lock:
                self._side_uses -= 1
                self._side_done.notify_all()
                if self._depth == 0 and self._conn is not None:
                    self._schedule_release()

    def _wait_for_side_uses(self) -> None:
        """Under the lock: closing the file would end a side use's work half-way."""
        while self._side_uses:
            self._side_done.wait()

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
        """Hold the warehouse with the file closed (a backup's copy, a test's stand-in for
        another holder): our other processes wait (or spool) until the block ends. dbt
        does not need it: it takes its own turn (``ingest/warehouse/dbt_plugin.py``)."""
        with self._lock:
            self._wait_for_side_uses()
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

    def close(self, *, refresh_snapshot: bool = True) -> None:
        """Release the file now (e.g. before running dbt in a subprocess), refreshing the
        analysts' snapshot first if it is due."""
        self._close(refresh_snapshot=refresh_snapshot)

    def _close(self, *, refresh_snapshot: bool) -> None:
        with self._lock:
            self._wait_for_side_uses()  # the lock is free meanwhile: checked again below
            self._cancel_release()
            if self._conn is not None and self._depth == 0:
                try:
                    # what others spooled while we held the file: apply it before letting go
                    if self.spool.has_pending():
                        spool_module.drain(self._conn, self.spool)
                    if refresh_snapshot and self._snapshot_due():
                        # a convenience for analysts: a full disk must not fail NovaOS's
                        # call (the copy's age shows it was not refreshed)
                        with contextlib.suppress(OSError):
                            self._copy_to_snapshot(self._conn)
                finally:
                    self._conn.close()
                self._conn = None
                self._gate.release()

    # ------------------------------------------------------------------ analysts' snapshot

    @property
    def snapshot_path(self) -> Path:
        return snapshot_path(self.settings.warehouse_path)

    def refresh_snapshot(self) -> Path:
        """Copy the warehouse as it is now to the analysts' snapshot and return its path.

        Analysts read the copy (read-only), so they never hold the warehouse and we never
        wait for them. The copy is written beside it and renamed over the old one, so a
        session that has the old one open keeps reading it undisturbed.
        """
        with self.connect() as conn:
            self._copy_to_snapshot(conn)
        return self.snapshot_path

    def _snapshot_due(self) -> bool:
        """The warehouse changed since the last copy, and that copy is old enough."""
        try:
            copied = self.snapshot_path.stat().st_mtime
        except FileNotFoundError:
            return True
        wal = Path(self.path + ".wal")
        changed = max(
            self.settings.warehouse_path.stat().st_mtime,
            wal.stat().st_mtime if wal.exists() else 0.0,
        )
        return changed > copied and time.time() - copied >= self.settings.snapshot_interval_seconds

    def _copy_to_snapshot(self, conn: duckdb.DuckDBPyConnection) -> None:
        # After a checkpoint the file holds every committed change, and nothing writes to it
        # while we hold the connection (and self._lock), so a byte copy is consistent.
        if self.before_snapshot is not None:
            self.before_snapshot(conn)
        conn.execute("checkpoint")
        target = self.snapshot_path
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            shutil.copyfile(self.path, partial)
            os.chmod(partial, 0o444)  # a read-only copy: nothing written there is kept
        except OSError:
            partial.unlink(missing_ok=True)
            raise
        # a WAL left by a session that opened the old copy read-write would be replayed
        # into the new one
        Path(f"{target}.wal").unlink(missing_ok=True)
        os.replace(partial, target)

    # --------------------------------------------------------------------------- opening

    def _wait_for_gate(self, *, spoolable: bool) -> None:
        if spoolable:
            # Another process of ours holds the warehouse and applies the spool before it
            # lets go, so waiting would only slow the caller down: spool at once.
            if not self._gate.try_acquire(polite=True):
                raise WarehouseBusyError(self._busy_message())
            return
        pause_first, self._yielded = self._yielded, False
        if not self._gate.acquire(self.settings.lock_timeout_seconds, pause_first=pause_first):
            raise WarehouseBusyError(self._busy_message(holder=self._gate.holder()))

    def _busy_message(
        self, *, holder: str | None = None, error: BaseException | None = None
    ) -> str:
        timeout = self.settings.lock_timeout_seconds
        return busy_message(self.path, timeout, holder=holder, error=error)

    def _open(self, *, spoolable: bool = False) -> duckdb.DuckDBPyConnection:
        self.settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.settings.lock_timeout_seconds
        self._wait_for_gate(spoolable=spoolable)
        conn = duckdb.connect(":memory:")
        try:
            _session_settings(conn)
            try:
                # retried while a process outside the gate holds the file (an analyst's
                # session, or dbt from a profile without our plugin)
                attach(conn, self.path, deadline)
            except duckdb.IOException as exc:
                if not is_lock_conflict(exc):
                    raise
                raise WarehouseBusyError(self._busy_message(error=exc)) from exc
            if not self._schema_ready:
                ensure_raw_schema(conn)
                self._schema_ready = True
        except BaseException:
            conn.close()
            self._gate.release()
            raise
        return conn

    def _schedule_release(self) -> None:
        """Note the use; keep one timer pending (a thread per call costs more than a call)."""
        idle = self.settings.idle_release_seconds
        waiting = self._gate.others_waiting()
        if idle <= 0 or waiting:
            self._yielded = waiting
            # a reader or dbt waits for its turn: no copy now
            self._close(refresh_snapshot=not waiting)
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
            elif remaining > 0:
                self._close(refresh_snapshot=False)  # someone waits: no copy now
            else:
                self.close()  # idle: a good moment to refresh the snapshot

    def _cancel_release(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
