"""dbt takes its turn at the warehouse, however it is started.

``profiles.yml`` loads this dbt-duckdb plugin, so ``dbt build``, ``dbt run``, ``dbt test``,
``dbt docs generate``, ``dbt show`` and MetricFlow's ``mf query`` (all through the same
profile) open the warehouse the way the facade does: they wait their turn at the gate
(``ingest/warehouse/gate.py``; NovaOS processes let go at the end of their current call and spool
their writes meanwhile), then attach the file as ``dds``, retrying while a process outside
the gate (an analyst's session) holds it, up to ``DDS_LOCK_TIMEOUT_SECONDS``. dbt then
holds the file until it exits, as dbt-duckdb keeps its connection open.

dbt-duckdb calls ``configure_connection`` before it runs the profile's own ``attach``
(``ATTACH IF NOT EXISTS``, which then finds the file attached), so the waiting happens here.
"""

from __future__ import annotations

import time
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection, IOException

from ingest.warehouse.connection import attach
from ingest.warehouse.gate import Gate, busy_message, is_lock_conflict
from ingest.warehouse.settings import CATALOG, Settings


class WarehouseBusy(RuntimeError):
    """dbt did not get its turn within DDS_LOCK_TIMEOUT_SECONDS."""


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        # the profile passes DDS_WAREHOUSE's value; the timeout comes from the environment,
        # read as the facade reads it
        self.settings = Settings.from_env(plugin_config["warehouse"])
        # held until the process exits (closing the descriptor then drops the lock)
        self.gate = Gate(self.settings.warehouse_path)

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        timeout = self.settings.lock_timeout_seconds
        deadline = time.monotonic() + timeout
        if not self.gate.acquire(timeout):
            raise WarehouseBusy(
                busy_message(self.settings.warehouse_path, timeout, holder=self.gate.holder())
            )
        try:
            attach(conn, self.settings.warehouse_path, deadline)
        except IOException as exc:
            if not is_lock_conflict(exc):
                raise
            self.gate.release()
            raise WarehouseBusy(
                busy_message(self.settings.warehouse_path, timeout, error=exc)
            ) from exc

    def configure_cursor(self, cursor: DuckDBPyConnection) -> None:
        # every cursor is a connection of its own, whose default catalog is the in-memory one
        cursor.execute(f"use {CATALOG}")
