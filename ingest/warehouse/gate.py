"""Turn-taking at the warehouse file, shared by every process of ours and by dbt.

DuckDB lets one process at a time hold the file, and a process that fails to get it fails
at once. So our processes take turns through advisory locks beside the warehouse:

- ``<warehouse>.lock``: held (``flock``) by whoever holds the file now; it also says who
  that is (``holder()``), for the busy message.
- ``<warehouse>.waiting``: a shared lock held by every caller waiting for a turn; the
  holder lets go at the end of its current call when someone waits.

The facade (``ingest/warehouse/connection.py``) and dbt (``ingest/warehouse/dbt_plugin.py``,
loaded by ``profiles.yml`` whatever starts dbt) use the same ``Gate``. A process outside it (an
analyst's own DuckDB session) is met by DuckDB's lock only: ``busy_message`` names it from
DuckDB's error. Dependency-free (the standard library), so dbt can load it from a venv
without the package's other requirements (MetricFlow's).
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: DuckDB's own lock and retries are all there is
    fcntl = None  # type: ignore[assignment]

# How often a caller polls the gate while waiting: short, so that a waiter takes its turn
# soon after the holder lets go.
POLL_SECONDS = 0.005


class WarehouseBusyError(RuntimeError):
    """Another process held the warehouse file for longer than the lock timeout."""


def is_lock_conflict(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def this_process() -> str:
    """How this process is named to others waiting for the warehouse: `dbt build (pid 42)`."""
    command = Path(sys.argv[0]).name if sys.argv and sys.argv[0] not in ("", "-c") else "python"
    if command in ("dbt", "mf", "dds") and len(sys.argv) > 1:
        command = f"{command} {sys.argv[1]}"
    return f"{command} (pid {os.getpid()})"


def _process_named_by_duckdb(error: BaseException) -> str | None:
    """DuckDB's lock error names the holder's executable and pid; add its command line."""
    match = re.search(r"held in (.+?) \(PID (\d+)\)", str(error))
    if not match:
        return None
    executable, pid = match.groups()
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        command = " ".join(" ".join(part.decode(errors="replace").split()) for part in argv)
        command = command.strip()
    except OSError:
        command = executable
    if len(command) > 100:
        command = command[:97] + "..."
    return f"{command} (pid {pid})"


def busy_message(
    warehouse: str | os.PathLike[str],
    timeout_seconds: float,
    *,
    holder: str | None = None,
    error: BaseException | None = None,
) -> str:
    """What a caller is told when the warehouse stayed busy: who holds it, and what to do."""
    who = holder or (error and _process_named_by_duckdb(error))
    held_by = (
        f"is held by {who}"
        if who
        else "is held by another process (dbt, an analyst's session or a NovaOS process)"
    )
    return (
        f"The warehouse {warehouse} {held_by} and was not released within "
        f"{timeout_seconds:.1f} s. Nothing was written. Retry when that process has "
        "finished; if it is an analyst's session, close it and read the snapshot "
        f"{snapshot_path(warehouse)} instead (it never blocks NovaOS), or raise "
        "DDS_LOCK_TIMEOUT_SECONDS above the longest dbt run."
    )


def snapshot_path(warehouse: str | os.PathLike[str]) -> Path:
    """The analysts' read-only copy of the warehouse (see ``Warehouse.refresh_snapshot``)."""
    path = Path(warehouse)
    return path.with_name(f"{path.stem}.snapshot{path.suffix or '.duckdb'}")


class Gate:
    """Advisory locks beside the warehouse, shared by our processes (see the module doc)."""

    def __init__(self, warehouse_path: Path, *, description: str | None = None) -> None:
        self._lock_path = warehouse_path.with_name(warehouse_path.name + ".lock")
        self._waiting_path = warehouse_path.with_name(warehouse_path.name + ".waiting")
        self._description = description
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
        # say who we are, for the message of whoever waits in vain
        os.ftruncate(fd, 0)
        os.pwrite(fd, (self._description or this_process()).encode(), 0)
        return True

    def acquire(self, timeout_seconds: float, *, pause_first: bool = False) -> bool:
        """Wait for our turn, registered as waiting so the holder lets go after its call."""
        if self.held:
            return True
        deadline = time.monotonic() + timeout_seconds
        self.start_waiting()
        if pause_first:
            # we let go for a waiter a moment ago; without this pause our next call would
            # usually win the race again (waiters poll every POLL_SECONDS)
            time.sleep(2 * POLL_SECONDS)
        try:
            while not self.try_acquire(polite=False):
                if time.monotonic() >= deadline:
                    return False
                time.sleep(POLL_SECONDS)
            return True
        finally:
            self.stop_waiting()

    def holder(self) -> str | None:
        """Who holds the gate now (as it wrote itself down), or None when nobody does."""
        if fcntl is None or self._held is not None:
            return None
        try:
            fd = os.open(self._lock_path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return os.pread(fd, 300, 0).decode(errors="replace").strip() or None
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

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
