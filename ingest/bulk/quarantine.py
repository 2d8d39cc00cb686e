"""The rows a bulk load refuses: set aside while the load runs, then written to
``raw.quarantine`` with the reason and the row as received.

A refused row is keyed by its kind and content (``row_key``), so the quarantine is a set of
refused rows, each under the first load that refused it: loading the same input again
reports its bad rows again (``previously_quarantined``) without writing them twice.
"""

from __future__ import annotations

import duckdb

from ingest.bulk.reading import STAGED
from ingest.validation import utc_now
from ingest.warehouse.tables import QUARANTINE

REFUSED = "bulk_refused"  # the rows a load refuses, before they are quarantined
_INSERT_QUARANTINED = QUARANTINE.insert_into(
    "quarantine_id", "batch_id", "kind", "row_number", "reason", "payload", "row_key",
    "quarantined_at",
)  # fmt: skip


def create_refused(conn: duckdb.DuckDBPyConnection) -> None:
    """The temporary table REFUSED, empty, for this load's refused rows."""
    conn.execute(
        f"create temp table {REFUSED} "
        "(row_number bigint, reason varchar, payload json, row_key varchar)"
    )


def set_aside(conn: duckdb.DuckDBPyConnection, kind: str, rows_sql: str) -> None:
    """Set aside the refused rows (columns row_number, reason, payload) of ``rows_sql``,
    keyed by their kind and content; ``write`` writes them."""
    conn.execute(
        f"""
        insert into {REFUSED}
        select row_number, reason, payload, md5(? || '|' || cast(payload as varchar))
        from ({rows_sql})
        """,
        [kind],
    )


def set_aside_refused_rows(conn: duckdb.DuckDBPyConnection, kind: str, validated: str) -> None:
    """Set aside the rows of a validated table (costs, results) that carry a reason, each
    with the row as it was staged."""
    set_aside(
        conn,
        kind,
        f"""
        select {validated}.row_number, {validated}.reason, to_json({STAGED}) as payload
        from {validated}
        inner join {STAGED} on {validated}.row_number = {STAGED}.rowid + 1
        where {validated}.reason is not null
        """,
    )


def write(conn: duckdb.DuckDBPyConnection, batch_id: str, kind: str) -> tuple[dict[str, int], int]:
    """Write the refused rows to raw.quarantine, except those already there (the same
    input loaded again): return (reason -> rows refused for it, rows already there)."""
    conn.execute(
        f"""
        {_INSERT_QUARANTINED}
        select replace(cast(gen_random_uuid() as varchar), '-', ''), ?, ?, row_number,
            reason, payload, row_key, ?
        from {REFUSED} as refused
        where not exists (
            select 1 from raw.quarantine as stored where stored.row_key = refused.row_key
        )
        order by row_number
        """,
        [batch_id, kind, utc_now()],
    )
    reasons = conn.execute(
        f"select reason, count(*) from {REFUSED} group by reason order by count(*) desc, reason"
    ).fetchall()
    [(written,)] = conn.execute(
        "select count(*) from raw.quarantine where batch_id = ?", [batch_id]
    ).fetchall()
    return dict(reasons), sum(count for _, count in reasons) - written
