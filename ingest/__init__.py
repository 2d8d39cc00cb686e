"""Ingest: every write to the raw tables, validated once at the boundary and appended (never
updated or deleted): single calls, bulk files, imports, the spool; the tables: ``warehouse/``.
"""

from ingest.warehouse.connection import Warehouse, WarehouseBusyError
from ingest.warehouse.errors import ValidationError
from ingest.warehouse.settings import Settings

__all__ = ["Settings", "ValidationError", "Warehouse", "WarehouseBusyError"]
