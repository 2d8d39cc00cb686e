"""The warehouse: the DuckDB file's connection and gate, raw schema and migrations, settings
and backup, and the dbt runs (plugin, build, refresh) that keep its marts built and current.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.warehouse.connection import Warehouse
    from ingest.warehouse.postgres import PostgresWarehouse
    from ingest.warehouse.settings import Settings


def open_warehouse(
    settings: Settings, before_snapshot: Callable[[Any], None] | None = None
) -> Warehouse | PostgresWarehouse:
    """The warehouse the settings name: the DuckDB file, or a PostgreSQL server by URL."""
    if settings.is_postgres:
        from ingest.warehouse.postgres import PostgresWarehouse

        return PostgresWarehouse(settings, before_snapshot)
    from ingest.warehouse.connection import Warehouse

    return Warehouse(settings, before_snapshot)
