"""The step that writes what a source read and matched: ``ingest/sources/`` only read.

An import from the DDS system's campaigns.db is one load (one load id on every snapshot it
writes, described in raw.ingest_batches, as a bulk load is), written through the same
validation and writer as log_dds_results. Run it inside a transaction: a warehouse error
then leaves nothing half-imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import duckdb

from ingest import results
from ingest.loads import new_load_id, record_load
from ingest.sources import dds_sqlite
from ingest.validation import utc_now
from ingest.warehouse.errors import ValidationError


def import_campaign_rows(
    conn: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]
) -> list[dds_sqlite.RowImport]:
    """Record each campaigns.db row as a snapshot of our campaign with exactly its name,
    unless its figures are unchanged; say what became of every row."""
    started_at = utc_now()
    load_id = new_load_id()
    outcomes = []
    for outcome in dds_sqlite.match_campaign_rows(conn, rows):
        if outcome.status != "matched":
            outcomes.append(outcome)
            continue
        assert outcome.campaign_id is not None and outcome.result is not None
        try:
            snapshot = results.record_results_if_changed(
                conn, outcome.campaign_id, outcome.result, source=dds_sqlite.SOURCE, load_id=load_id
            )
        except ValidationError as exc:
            message = f"{dds_sqlite.CAMPAIGNS_DB} row {outcome.campaign_name!r}: {exc.message}"
            outcomes.append(replace(outcome, status="invalid", message=message, result=None))
            continue
        if snapshot is None:
            outcomes.append(replace(outcome, status="unchanged", result=None))
        else:
            outcomes.append(
                replace(outcome, status="imported", snapshot_id=snapshot.snapshot_id, result=None)
            )
    imported = sum(outcome.status == "imported" for outcome in outcomes)
    unchanged = sum(outcome.status == "unchanged" for outcome in outcomes)
    if imported:
        # the rows matched to a campaign; unmatched, ambiguous and invalid ones are reported
        # to the caller (the DDS system owns them), not quarantined
        record_load(
            conn,
            load_id,
            kind="results",
            source=dds_sqlite.SOURCE,
            rows_read=imported + unchanged,
            loaded=imported,
            quarantined=0,
            duplicates=unchanged,
            started_at=started_at,
        )
    return outcomes


def preview_campaign_rows(
    conn: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]
) -> list[dds_sqlite.RowImport]:
    """What import_campaign_rows would do with each row, writing nothing: a matched row is
    ``pending`` when its figures differ from the last import, else ``unchanged`` (its
    consistency with the campaign's other snapshots is checked when it is imported)."""
    outcomes = []
    for outcome in dds_sqlite.match_campaign_rows(conn, rows):
        if outcome.status != "matched":
            outcomes.append(outcome)
            continue
        assert outcome.campaign_id is not None and outcome.result is not None
        if results.reports_change(
            conn, outcome.campaign_id, outcome.result, source=dds_sqlite.SOURCE
        ):
            message = (
                f"{dds_sqlite.CAMPAIGNS_DB}'s figures differ from the last import; "
                "sync_dds_databases() (`dds sync-dds`) imports them."
            )
            outcomes.append(replace(outcome, status="pending", message=message, result=None))
        else:
            outcomes.append(replace(outcome, status="unchanged", result=None))
    return outcomes
