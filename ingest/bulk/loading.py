"""Loading a bulk input: one transaction from the staged rows to the raw table.

``load`` stages the input (``reading``), recognises an input loaded whole before by its
fingerprint, validates each chunk (``checks``), sets the refused rows aside
(``quarantine``), keeps the first row of each key not stored yet, appends those in input
order, writes the quarantine and records the load in ``raw.ingest_batches``. It lands
whole or not at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import duckdb

from ingest import costs, results
from ingest.bulk import checks, on_postgres, quarantine
from ingest.bulk.reading import STAGED, Source, check_columns, chunks, label, stage
from ingest.loads import new_load_id, record_load
from ingest.validation import utc_now
from ingest.warehouse.errors import ValidationError
from ingest.warehouse.staging import duckdb_side
from ingest.warehouse.tables import COST_EVENTS, RESULT_SNAPSHOTS, SENDGRID_EVENTS, RawTable

KINDS = ("costs", "results", "sendgrid_events")

# the single call's insert: a bulk row stores the same columns
_INSERT_COSTS = costs.INSERT_COST
_INSERT_SNAPSHOTS = RESULT_SNAPSHOTS.insert_into(
    "snapshot_id", "campaign_id", "stage", *results.FIGURE_COLUMN_NAMES, "source",
    "idempotency_key", "batch_id", "occurred_at", "ingested_at", "variant",
)  # fmt: skip
_INSERT_SENDGRID_EVENTS = SENDGRID_EVENTS.insert_into(
    "sg_event_id", "campaign_id", "sg_message_id", "event", "email", "machine_open",
    "bounce_type", "url", "payload", "batch_id", "occurred_at", "ingested_at", "variant",
)  # fmt: skip

# what a validated cost row stores ($1 ingested_at, $2 batch_id)
_COST_COLUMNS = """
    replace(cast(gen_random_uuid() as varchar), '-', ''), campaign_id, operation, provider,
    cost_usd, model, input_tokens, output_tokens, units, details, key, occurred_at, ?, item,
    cache_creation_input_tokens, cache_read_input_tokens, price_effective_from, ?, variant"""

Progress = Callable[[int, int], None]  # (rows done, rows in all)


@dataclass(frozen=True)
class LoadSummary:
    batch_id: str
    kind: str
    source: str
    rows_read: int
    loaded: int
    quarantined: int
    duplicates: int
    seconds: float
    # reason -> rows quarantined for it
    reasons: dict[str, int] = field(default_factory=dict)
    # of the rows quarantined, those an earlier load of the same input quarantined already
    # (counted, not written again)
    previously_quarantined: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "loaded",
            "batch_id": self.batch_id,
            "kind": self.kind,
            "source": self.source,
            "rows_read": self.rows_read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "quarantine_reasons": self.reasons,
            "previously_quarantined": self.previously_quarantined,
            "seconds": round(self.seconds, 3),
        }


def load(
    conn: Any,
    kind: str,
    source: Source,
    *,
    file_format: str | None = None,
    campaign_arg: str = "campaign_id",
    progress: Progress | None = None,
) -> LoadSummary:
    """Load ``source`` as ``kind`` in one transaction and return what happened to each row.

    Raises ValidationError (nothing written) when the input as a whole is unusable: an
    unknown kind or format, a missing file, or columns that are missing or unknown.

    The load is DuckDB SQL; on a PostgreSQL warehouse it runs on a DuckDB side holding the
    stored rows it reads (``ingest/bulk/on_postgres.py``), in the caller's transaction.
    """
    if kind not in KINDS:
        raise ValidationError(f"Unknown kind {kind!r}; choose one of: {', '.join(KINDS)}.")
    with duckdb_side(conn) as side:
        mirror = None if side is conn else partial(on_postgres.mirror_stored_rows, conn)
        return _load(side, kind, source, file_format, campaign_arg, progress, mirror)


def _load(
    conn: duckdb.DuckDBPyConnection,
    kind: str,
    source: Source,
    file_format: str | None,
    campaign_arg: str,
    progress: Progress | None,
    mirror: Callable[[duckdb.DuckDBPyConnection, str, str], None] | None,
) -> LoadSummary:
    started = time.perf_counter()
    started_at = utc_now()
    batch_id = new_load_id()
    source_label = label(source)
    # Staged outside the transaction: committed rows of a temporary table number 0..n-1 in
    # input order (rowid), which names each row in the quarantine; inside a transaction
    # rowids are provisional.
    stage(conn, kind, source, file_format)
    if mirror is not None:
        mirror(conn, kind, campaign_arg)
    conn.begin()
    try:
        quarantine.create_refused(conn)
        if kind != "sendgrid_events":
            check_columns(conn, kind)
        fingerprint = _fingerprint(conn, kind, campaign_arg)
        if _loaded_whole_before(conn, fingerprint):
            total = fingerprint.split("|")[2]
            counts = {"rows_read": int(total), "loaded": 0, "duplicates": int(total)}
            if progress is not None:
                progress(int(total), int(total))
        elif kind == "sendgrid_events":
            counts = _load_sendgrid(conn, batch_id, campaign_arg, progress)
        else:
            loader = _load_costs if kind == "costs" else _load_results
            counts = loader(conn, batch_id, progress)
        reasons, previously = quarantine.write(conn, batch_id, kind)
        summary = LoadSummary(
            batch_id=batch_id,
            kind=kind,
            source=source_label,
            rows_read=counts["rows_read"],
            loaded=counts["loaded"],
            quarantined=sum(reasons.values()),
            duplicates=counts["duplicates"],
            seconds=time.perf_counter() - started,
            reasons=reasons,
            previously_quarantined=previously,
        )
        record_load(
            conn,
            batch_id,
            kind=kind,
            source=source_label,
            rows_read=summary.rows_read,
            loaded=summary.loaded,
            quarantined=summary.quarantined,
            duplicates=summary.duplicates,
            started_at=started_at,
            fingerprint=fingerprint,
        )
    except BaseException:
        conn.rollback()
        raise
    finally:
        _drop_temporary_tables(conn)
    conn.commit()
    return summary


def _fingerprint(conn: duckdb.DuckDBPyConnection, kind: str, campaign_arg: str) -> str:
    """The staged rows as a set: kind, row count and two order-free aggregates of each
    row's hash."""
    [(count, xor, total)] = conn.execute(
        f"select count(*), bit_xor(hash({STAGED})), sum(hash({STAGED}) % 1000003) from {STAGED}"
    ).fetchall()
    scope = campaign_arg if kind == "sendgrid_events" else ""
    return f"{kind}|{scope}|{count}|{xor}|{total}"


def _loaded_whole_before(conn: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    """Whether an earlier load of exactly these rows stored or deduplicated every one of
    them (quarantined none). Raw tables only grow, so each of its rows is stored and is a
    duplicate now: there is nothing to check again. An input whose earlier load quarantined
    rows is checked whole (its campaign may be deployed by now, its price listed)."""
    row = conn.execute(
        "select 1 from raw.ingest_batches where fingerprint = ? and quarantined = 0 limit 1",
        [fingerprint],
    ).fetchone()
    return row is not None


def _drop_temporary_tables(conn: duckdb.DuckDBPyConnection) -> None:
    for table in (
        STAGED,
        quarantine.REFUSED,
        "bulk_costs",
        "bulk_results",
        "bulk_sendgrid",
    ):
        conn.execute(f"drop table if exists {table}")


def _insert_new(
    conn: duckdb.DuckDBPyConnection,
    validated: str,
    key: str,
    table: RawTable,
    insert: str,
    columns: str,
    parameters: list[Any],
) -> tuple[int, int]:
    """Append the valid rows of ``validated`` that are new (the first row of each key, in
    input order, whose ``key`` is not stored yet) to ``table`` with ``insert`` (its columns
    from ``columns``, over the validated row); return (new, duplicates).

    One statement: a hash aggregate finds each key's first row, joined back on the row
    number alone, and one anti-join with the stored keys; no sort but the insert's, no
    intermediate table (bench/README.md, "#26, bulk first load")."""
    [(new,)] = conn.execute(
        f"""
        {insert}
        select {columns}
        from {validated} as candidates
        semi join (
            select min(row_number) as row_number
            from {validated}
            where reason is null
            group by {key}
        ) as firsts on candidates.row_number = firsts.row_number
        where not exists (
            select 1 from raw.{table.name} as stored where stored.{table.key} = candidates.{key}
        )
        -- input order: seq breaks ties between events with the same occurred_at
        order by candidates.row_number
        """,
        parameters,
    ).fetchall()
    [(valid,)] = conn.execute(f"select count(*) from {validated} where reason is null").fetchall()
    return new, valid - new


# ------------------------------------------------------------------------------- costs


def _load_costs(
    conn: duckdb.DuckDBPyConnection, batch_id: str, progress: Progress | None
) -> dict[str, int]:
    total, ranges = chunks(conn)
    validate = checks.costs_validated_sql(checks.typed_columns(conn, COST_EVENTS))
    loaded = duplicates = 0
    for lo, hi in ranges:
        conn.execute("drop table if exists bulk_costs")
        conn.execute(validate, [checks.future_limit(), lo, hi])
        quarantine.set_aside_refused_rows(conn, "costs", "bulk_costs")
        chunk_loaded, chunk_duplicates = _insert_new(
            conn, "bulk_costs", "key", COST_EVENTS, _INSERT_COSTS, _COST_COLUMNS,
            [utc_now(), batch_id],
        )  # fmt: skip
        loaded += chunk_loaded
        duplicates += chunk_duplicates
        if progress is not None:
            progress(hi, total)
    conn.execute("drop table if exists bulk_costs")
    return {"rows_read": total, "loaded": loaded, "duplicates": duplicates}


# ----------------------------------------------------------------------------- results


def _load_results(
    conn: duckdb.DuckDBPyConnection, batch_id: str, progress: Progress | None
) -> dict[str, int]:
    """Snapshots in one step: whether a snapshot is consistent depends on the campaign's
    other snapshots (omitted figures carry forward), so they are checked together."""
    [(total,)] = conn.execute(f"select count(*) from {STAGED}").fetchall()
    conn.execute("drop table if exists bulk_results")
    validate = checks.results_validated_sql(checks.typed_columns(conn, RESULT_SNAPSHOTS))
    conn.execute(validate, [checks.future_limit(), 0, total])
    checks.refuse_inconsistent_snapshots(conn)
    quarantine.set_aside_refused_rows(conn, "results", "bulk_results")
    figures = ", ".join(results.FIGURE_COLUMN_NAMES)
    loaded, duplicates = _insert_new(
        conn, "bulk_results", "key", RESULT_SNAPSHOTS, _INSERT_SNAPSHOTS,
        f"""replace(cast(gen_random_uuid() as varchar), '-', ''), campaign_id, stage,
            {figures}, 'bulk', key, ?, occurred_at, ?, variant""",
        [batch_id, utc_now()],
    )  # fmt: skip
    conn.execute("drop table if exists bulk_results")
    if progress is not None:
        progress(total, total)
    return {"rows_read": total, "loaded": loaded, "duplicates": duplicates}


# ---------------------------------------------------------------------------- SendGrid


def _load_sendgrid(
    conn: duckdb.DuckDBPyConnection,
    batch_id: str,
    campaign_arg: str,
    progress: Progress | None,
) -> dict[str, int]:
    """SendGrid Event Webhook events, deduplicated by sg_event_id, attributed to a campaign
    by the custom arg ``campaign_arg``; each kept with its payload as sent."""
    if not campaign_arg or not campaign_arg.replace("_", "").isalnum():
        raise ValidationError(
            f"campaign_arg must be the name of a custom arg (letters, digits, _), got "
            f"{campaign_arg!r}."
        )
    campaign_path = f'$."{campaign_arg}"'
    total, ranges = chunks(conn)
    loaded = duplicates = 0
    for lo, hi in ranges:
        conn.execute("drop table if exists bulk_sendgrid")
        conn.execute(
            checks.SENDGRID_VALIDATED_SQL,
            [lo, hi, campaign_path, checks.future_limit(), campaign_arg],
        )
        quarantine.set_aside(
            conn,
            "sendgrid_events",
            "select row_number, reason, payload from bulk_sendgrid where reason is not null",
        )
        chunk_loaded, chunk_duplicates = _insert_new(
            conn, "bulk_sendgrid", "sg_event_id", SENDGRID_EVENTS, _INSERT_SENDGRID_EVENTS,
            """sg_event_id, campaign_id, sg_message_id, event, email, machine_open,
            bounce_type, url, payload, ?, occurred_at, ?, variant""",
            [batch_id, utc_now()],
        )  # fmt: skip
        loaded += chunk_loaded
        duplicates += chunk_duplicates
        if progress is not None:
            progress(hi, total)
    conn.execute("drop table if exists bulk_sendgrid")
    return {"rows_read": total, "loaded": loaded, "duplicates": duplicates}
