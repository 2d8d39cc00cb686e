"""The DDS integration NovaOS imports: ``from dds_api import get_dds`` (the facade), its
answers' shapes, NovaOS memory and export, the DDS system; ``apps/``, ``samples/`` use it.
"""

from __future__ import annotations

import atexit
import os
import threading

from dds_api.facade import DDSIntegration
from ingest.warehouse.settings import Settings

__all__ = ["DDSIntegration", "get_dds"]

_instances: dict[str, DDSIntegration] = {}
_instances_lock = threading.Lock()


def get_dds(warehouse_path: str | os.PathLike[str] | None = None) -> DDSIntegration:
    """The process's facade for a warehouse (DDS_WAREHOUSE, default ./dds.duckdb), and
    the DDS system at DDS_HOME if set (read each time the DDS system is used, so it may be
    set or changed while the process runs).

    One per warehouse (file or PostgreSQL URL) and process, because opening DuckDB costs
    more than most calls (bench/README.md, "Measured history"); the first call builds the
    marts if this warehouse does not have them yet.
    """
    settings = Settings.from_env(warehouse_path)
    key = settings.postgres_url or str(settings.warehouse_path)
    with _instances_lock:
        if key not in _instances:
            _instances[key] = DDSIntegration(settings)
            # close (and checkpoint) the file when the process ends, leaving no WAL behind
            atexit.register(_instances[key].close)
        return _instances[key]
