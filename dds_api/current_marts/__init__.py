"""The marts kept current: the one component the facade reads through.

``CurrentMarts.read(needs)`` yields the warehouse connection on which the campaign-grain
tables hold every write acknowledged before the call (by this process, another, or the
spool). Behind that one call, and nowhere else:

- **built**: the warehouse is built once per project version (``dbt_build.ensure_built``),
  which also stores the plan: the SQL dbt compiled for each kept-current model;
- **policy**: when to look again. The warehouse's ``generation`` moves whenever it may have
  changed under this process (an open, a spool drain, a write); with it unchanged, a refresh
  is skipped for ``RECHECK_SECONDS`` (time alone moves figures: a new day, an ended cooldown);
- **replay**: ``refresh.refresh`` runs the plan for the campaigns written since, in one
  transaction, keeping each model's output to the scope and leaving out (and recording) a
  campaign whose rows fail;
- **failing**: which campaigns those are, for the answers to name.

The warehouse takes ``bring_current`` at construction, so that the analysts' snapshot it
copies has current marts too. Its bookkeeping is the schema ``refresh`` (README, "How fresh
the marts are").
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from types import MappingProxyType

import duckdb

from dds_api.current_marts import refresh
from dds_api.current_marts.background import BackgroundRefresh
from dds_api.current_marts.build import built_at, ensure_built
from ingest.warehouse import open_warehouse
from ingest.warehouse.connection import WarehouseBusyError
from ingest.warehouse.dialect import forget_columns
from ingest.warehouse.errors import ValidationError
from ingest.warehouse.settings import Settings

# With nothing written, time alone can move figures (a new day, a cooldown that ends): a
# process that holds the warehouse and writes nothing still looks again this often.
RECHECK_SECONDS = 60.0


class CurrentMarts:
    """One per warehouse file and process; owns the process's ``Warehouse``."""

    def __init__(self, settings: Settings) -> None:
        self.warehouse = open_warehouse(settings, before_snapshot=self.bring_current)
        self._built = False
        self._plan: list[refresh.Step] | None = None
        self._plan_built_at: datetime | None = None
        # (warehouse generation, time) of the last refresh, complete (None) or of some models
        self._current: dict[tuple[str, ...] | None, tuple[int, float]] = {}
        # campaigns whose rows made their last refresh fail (id -> the database's reason)
        self._failing: dict[str, str] = {}
        # one refresh at a time: a read's, or the one after a write (background.py), which
        # a read waits for rather than running its own beside it
        self._refreshing = threading.Lock()
        self._background = BackgroundRefresh(self.warehouse.side_connection, self._refresh_to)
        self.warehouse.after_write = self._background.written
        # Held past the lock timeout (an analyst's session, a long dbt run): starting must not
        # raise; the first read builds, or answers with the busy error.
        with contextlib.suppress(WarehouseBusyError):
            self.ensure_built()

    def ensure_built(self) -> None:
        if not self._built:
            ensure_built(self.warehouse)
            self._built = True

    @contextmanager
    def read(self, needs: tuple[str, ...] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """The connection, with the marts current. ``needs``: only these models (and what
        they read) need to be current, e.g. ("campaign_metrics",)."""
        self.ensure_built()
        try:
            with self.warehouse.connect(reading=True) as conn:
                self.bring_current(conn, needs)
                yield conn
        finally:
            # reads after writes in a tight loop: the refresh after the writes waits for a
            # pause, so that the next read does not wait for it (background.py)
            self._background.postpone()

    @property
    def failing(self) -> Mapping[str, str]:
        """Campaigns whose figures the last refresh could not bring up to date (id -> the
        reason); every other campaign is current. A read-only view: every read asks, so no
        copy (a refresh replaces the dict rather than changing it)."""
        return MappingProxyType(self._failing)

    def bring_current(
        self, conn: duckdb.DuckDBPyConnection, needs: tuple[str, ...] | None = None
    ) -> None:
        self._refresh_to(conn, self.warehouse.generation, needs)

    def _refresh_to(
        self,
        conn: duckdb.DuckDBPyConnection,
        generation: int,
        needs: tuple[str, ...] | None = None,
    ) -> None:
        """Refresh unless a refresh since ``generation`` (every write up to it committed
        before it began) has left the marts current: on the process's connection before a
        read, or on a side connection after a write (background.py)."""
        with self._refreshing:
            self._refresh_unless_current(conn, generation, needs)

    def _refresh_unless_current(
        self,
        conn: duckdb.DuckDBPyConnection,
        generation: int,
        needs: tuple[str, ...] | None,
    ) -> None:
        now = time.monotonic()
        for key in (None, needs):
            refreshed_at, checked_at = self._current.get(key, (-1, 0.0))
            if refreshed_at >= generation and now - checked_at < RECHECK_SECONDS:
                return  # held the file throughout and wrote nothing since that refresh
        stamp = built_at(conn)
        if self._plan is None or self._plan_built_at != stamp:
            # this or another process (on a server, another host) rebuilt the warehouse since
            # the plan was read: its tables and compiled SQL may have changed
            forget_columns(conn)
            self._plan = refresh.load_plan(conn)
            self._plan_built_at = stamp
            if self._plan is None:
                raise ValidationError(
                    "The warehouse has no refresh plan (it was built by an older version or "
                    "by dbt alone); run `dds build`."
                )
        complete = refresh.refresh(conn, self._plan, needs)
        self._failing = refresh.failing_campaigns(conn)
        mark = (generation, now)
        if complete:
            self._current = {None: mark}
        else:
            self._current[needs] = mark
