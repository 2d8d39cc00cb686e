"""What a bulk load reads from a PostgreSQL warehouse before it runs on its DuckDB side
(``ingest/warehouse/staging.py``).

The load's SQL reads stored rows in a few places: the deployed campaigns, the price list,
the keys already stored (its duplicates), a campaign's stored snapshots (carried-forward
figures), the quarantine's keys and earlier loads' fingerprints. Each is mirrored onto the
side, narrowed to the input's campaigns and keys where the table can be large. It runs in
the writing transaction under the append lock, so nothing the mirror missed can be
committed by another host before the load's rows are.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ingest.bulk.reading import STAGED, _staged_columns
from ingest.pricing import VERSIONS_TABLE
from ingest.warehouse.staging import mirror


def mirror_stored_rows(
    conn: Any, side: duckdb.DuckDBPyConnection, kind: str, campaign_arg: str
) -> None:
    """Mirror onto ``side`` every stored row the load of the staged input can read."""
    campaigns, keys = _staged_campaigns_and_keys(side, kind, campaign_arg)
    mirror(side, conn, "raw.campaign_events", "event_type = 'deployed'")
    mirror(side, conn, "raw.ingest_batches", "kind = %s and fingerprint is not null", [kind])
    mirror(side, conn, "raw.quarantine", "kind = %s", [kind])
    if kind == "costs":
        [(listed,)] = conn.execute("select to_regclass(?) is not null", [VERSIONS_TABLE]).fetchall()
        if listed:
            mirror(side, conn, VERSIONS_TABLE)
        mirror(
            side, conn, "raw.cost_events",
            "campaign_id = any(%s) or idempotency_key = any(%s)", [campaigns, keys],
        )  # fmt: skip
    elif kind == "results":
        mirror(
            side, conn, "raw.result_snapshots",
            "campaign_id = any(%s) or idempotency_key = any(%s)", [campaigns, keys],
        )  # fmt: skip
    else:
        mirror(side, conn, "raw.sendgrid_events", "sg_event_id = any(%s)", [keys])


def _staged_campaigns_and_keys(
    side: duckdb.DuckDBPyConnection, kind: str, campaign_arg: str
) -> tuple[list[str], list[str]]:
    """The campaign ids and keys the staged rows give, as given and trimmed (the checks
    trim text), so that every stored row they can match is mirrored."""
    if kind == "sendgrid_events":
        campaign = "json_extract_string(payload, ?)"
        key = "json_extract_string(payload, '$.sg_event_id')"
        parameters: list[Any] = [f'$."{campaign_arg}"']
    else:
        present = _staged_columns(side)
        campaign = "cast(campaign_id as varchar)" if "campaign_id" in present else "null"
        key = "cast(idempotency_key as varchar)" if "idempotency_key" in present else "null"
        parameters = []
    [(campaigns, keys)] = side.execute(
        f"""
        select
            list(distinct value) filter (where value is not null and kind = 'campaign'),
            list(distinct value) filter (where value is not null and kind = 'key')
        from (
            select 'campaign' as kind, unnest([given, trim(given)]) as value
            from (select {campaign} as given from {STAGED})
            union all
            select 'key', unnest([given, trim(given)])
            from (select {key} as given from {STAGED})
        )
        """,
        parameters,
    ).fetchall()
    return campaigns or [], keys or []
