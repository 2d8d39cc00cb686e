"""Loads: every raw row names the write that brought it (its load id, column ``batch_id``).

A bulk load, a spool drain and an import from a DDS database are each one load, written in
one transaction and described by one row of ``raw.ingest_batches``; a single facade call is
a load of its own, not recorded there (one more statement would double its latency).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import duckdb

from ingest.validation import utc_now
from ingest.warehouse.tables import INGEST_BATCHES

_INSERT_LOAD = INGEST_BATCHES.insert_into(
    "batch_id", "kind", "source", "rows_read", "loaded", "quarantined", "duplicates",
    "started_at", "finished_at", "fingerprint",
)  # fmt: skip


def new_load_id() -> str:
    return uuid.uuid4().hex


def record_load(
    conn: duckdb.DuckDBPyConnection,
    load_id: str,
    *,
    kind: str,
    source: str,
    rows_read: int,
    loaded: int,
    quarantined: int,
    duplicates: int,
    started_at: datetime,
    fingerprint: str | None = None,
) -> None:
    """Describe a load in raw.ingest_batches, inside the load's own transaction."""
    if rows_read != loaded + quarantined + duplicates:
        raise RuntimeError(
            f"load {load_id} lost track of rows: read {rows_read}, loaded {loaded}, "
            f"quarantined {quarantined}, duplicates {duplicates}"
        )
    conn.execute(
        f"{_INSERT_LOAD} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            kind,
            source,
            rows_read,
            loaded,
            quarantined,
            duplicates,
            started_at,
            utc_now(),
            fingerprint,
        ],
    )
