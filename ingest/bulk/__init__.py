"""Bulk ingest: costs, result snapshots and SendGrid events from files, frames or webhooks.

A load reads its input into a temporary table (Parquet, CSV, JSON Lines, a JSON array, a
polars DataFrame, an Arrow table, or a list of dicts for a webhook body), then validates,
prices, deduplicates and appends it in SQL, so a million rows take seconds, not minutes.
Every row ends up in exactly one place:

- **loaded** into its raw table;
- **quarantined** in ``raw.quarantine`` with the reason and the row as received;
- a **duplicate** of a row already stored (or earlier in the same input), not written again.

``raw.ingest_batches`` records the summary. A load is one transaction: it lands whole or
not at all. Re-running the same input loads nothing twice: rows are keyed by their
idempotency key, or (without one) by a hash of their validated content; SendGrid events by
``sg_event_id``.

One module per job:

- ``reading``: the input into the staged table, its columns held to the declaration;
- ``checks``: the SQL validation, built from ``ingest/warehouse/tables.py``'s rules;
- ``quarantine``: refused rows set aside and written to ``raw.quarantine`` once;
- ``loading``: ``load``, the one transaction (deduplication, insert, load record).
"""

from ingest.bulk.loading import KINDS, LoadSummary, Progress, load
from ingest.bulk.reading import CHUNK_ROWS, FILE_FORMATS, Source

__all__ = ["CHUNK_ROWS", "FILE_FORMATS", "KINDS", "LoadSummary", "Progress", "Source", "load"]
