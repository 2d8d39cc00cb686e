"""Ingest: owns the raw schema and every write to it.

Everything that reaches ``raw.*`` comes through here, is validated once, and is appended;
no event is ever updated or deleted.
"""

from ingest.errors import ValidationError
from ingest.settings import Settings
from ingest.warehouse import Warehouse, WarehouseBusyError

__all__ = ["Settings", "ValidationError", "Warehouse", "WarehouseBusyError"]
