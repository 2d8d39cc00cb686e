"""Result snapshots: cumulative totals for a campaign so far. The latest one wins; never summed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import duckdb

from ingest.campaigns import require_campaign
from ingest.loads import new_load_id
from ingest.validation import (
    check_keys,
    normalize_name,
    parse_count,
    parse_money,
    parse_timestamp,
    require_mapping,
    utc_now,
)
from ingest.warehouse.dialect import DUCKDB, POSTGRES, dialect_of
from ingest.warehouse.errors import ValidationError
from ingest.warehouse.schema import SNAPSHOT_FIGURE_COLUMNS
from ingest.warehouse.tables import PARTS_OF, RESULT_SNAPSHOTS

# raw.result_snapshots' column for each figure; the counts are named as their columns
FIGURE_COLUMN_NAMES = SNAPSHOT_FIGURE_COLUMNS
COUNT_FIELDS = tuple(column for column in FIGURE_COLUMN_NAMES if column != "revenue_usd")
FIGURE_FIELDS = (*COUNT_FIELDS, "revenue")
RESULT_FIELDS = RESULT_SNAPSHOTS.call_keys()  # declared in ingest/warehouse/tables.py
_FIGURE_COLUMNS = ", ".join(FIGURE_COLUMN_NAMES)
_INSERT_SNAPSHOT = RESULT_SNAPSHOTS.insert_into(
    "snapshot_id", "campaign_id", "stage", *FIGURE_COLUMN_NAMES, "source", "occurred_at",
    "ingested_at", "batch_id",
)  # fmt: skip
# Each figure as of a snapshot, the previous reports carried forward over the SQL window
# `ordered` (a campaign's snapshots by occurred_at, then seq; 0 before the first report).
# dbt's int_result_snapshots_carried_forward applies the same rule for the marts.
# PostgreSQL has no IGNORE NULLS: the window's non-null values as an array, indexed by how
# many there are (dbt's dds_last_value_ignore_nulls macro spells it the same way).
_LAST_NON_NULL = {
    DUCKDB: "last_value({column} ignore nulls) over ordered",
    POSTGRES: "(array_agg({column}) filter (where {column} is not null) over ordered)"
    "[count({column}) over ordered]",
}
CARRIED_FIGURES_SQL = {
    dialect: ",\n".join(
        f"coalesce({last.format(column=column)}, 0) as {column}" for column in FIGURE_COLUMN_NAMES
    )
    for dialect, last in _LAST_NON_NULL.items()
}
#: raw.result_snapshots.source of snapshots reported through log_dds_results
API_SOURCE = "api"


@dataclass(frozen=True)
class ResultInput:
    stage: str
    figures: dict[str, int | Decimal]  # only the figures the caller gave
    occurred_at: datetime


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    stage: str
    figures: dict[str, int | Decimal]  # all of them, after carrying omitted ones forward
    occurred_at: datetime


def parse_results(results: object) -> ResultInput:
    results = require_mapping(
        results, "results", "{'stage': 'outreach', 'leads_found': 50, 'emails_sent': 60}"
    )
    check_keys(results, RESULT_FIELDS, "result")
    if "stage" not in results:
        raise ValidationError(
            "The results are missing 'stage' (e.g. 'prospecting', 'scoring', 'outreach', 'closed')."
        )
    figures: dict[str, int | Decimal] = {
        name: parse_count(results[name], name, RESULT_SNAPSHOTS.maximum(name))
        for name in COUNT_FIELDS
        if name in results
    }
    if "revenue" in results:
        figures["revenue"] = parse_money(
            results["revenue"], "revenue", RESULT_SNAPSHOTS.maximum("revenue")
        )
    if not figures:
        raise ValidationError(
            f"The results carry no figures. Give at least one of: {', '.join(FIGURE_FIELDS)} "
            "(cumulative totals for the campaign so far)."
        )
    occurred_at = results.get("occurred_at")
    return ResultInput(
        stage=normalize_name(results["stage"], "stage"),
        figures=figures,
        occurred_at=utc_now()
        if occurred_at is None
        else parse_timestamp(occurred_at, "occurred_at"),
    )


def record_results(
    conn: duckdb.DuckDBPyConnection,
    campaign_id: str,
    result: ResultInput,
    *,
    source: str = API_SOURCE,
    load_id: str | None = None,
) -> Snapshot:
    """Append a cumulative snapshot holding only the figures given (the rest NULL).

    Omitted figures carry forward from the snapshots before it in ``occurred_at`` order, so
    a late snapshot slots into its place. Before writing, the campaign's merged snapshots
    from this one on, with this one slotted in, are checked: an inconsistency (e.g. more
    qualified than found) raises and nothing is written.
    """
    require_campaign(conn, campaign_id)
    snapshot_id = uuid.uuid4().hex
    given = [result.figures.get(name) for name in FIGURE_FIELDS]
    merged = merged_snapshots(
        conn, campaign_id, since=result.occurred_at, candidate=(snapshot_id, given)
    )
    for row_id, figures in merged.items():
        _check_consistent(figures, late=row_id != snapshot_id)
    conn.execute(
        f"""
        {_INSERT_SNAPSHOT}
        values (?, ?, ?, {", ".join("?" for _ in FIGURE_FIELDS)}, ?, ?, ?, ?)
        """,
        [
            snapshot_id,
            campaign_id,
            result.stage,
            *given,
            source,
            result.occurred_at,
            utc_now(),
            load_id or new_load_id(),
        ],
    )
    return Snapshot(snapshot_id, result.stage, merged[snapshot_id], result.occurred_at)


def merged_snapshots(
    conn: duckdb.DuckDBPyConnection,
    campaign_id: str,
    *,
    since: datetime,
    candidate: tuple[str, list[int | Decimal | None]],
) -> dict[str, dict[str, int | Decimal]]:
    """snapshot_id -> figures with omitted ones carried forward (0 before the first report)
    for the campaign's snapshots at or after ``since``, with ``candidate`` (an id and its
    figures, in FIGURE_FIELDS order, at ``since``) slotted in as if written now. dbt's
    int_result_snapshots_carried_forward applies the same rule for the marts."""
    candidate_id, candidate_figures = candidate
    rows = conn.execute(
        f"""
        with snapshots as (
            select snapshot_id, seq, occurred_at, {_FIGURE_COLUMNS}
            from raw.result_snapshots
            where campaign_id = ?
            union all
            -- written now, so its seq will be the highest
            select ?, 9223372036854775807, ?, {", ".join("?" for _ in FIGURE_FIELDS)}
        )
        select snapshot_id, occurred_at, {CARRIED_FIGURES_SQL[dialect_of(conn)]}
        from snapshots
        window ordered as (
            order by occurred_at, seq rows between unbounded preceding and current row
        )
        """,
        [campaign_id, candidate_id, since, *candidate_figures],
    ).fetchall()
    return {
        row[0]: dict(zip(FIGURE_FIELDS, row[2:], strict=True)) for row in rows if row[1] >= since
    }


def record_results_if_changed(
    conn: duckdb.DuckDBPyConnection,
    campaign_id: str,
    result: ResultInput,
    *,
    source: str,
    load_id: str | None = None,
) -> Snapshot | None:
    """For a source that re-reports the same totals (a periodic import): append a snapshot
    only when a figure it gives differs from that source's latest snapshot, so that
    importing again writes nothing. Returns None when nothing changed."""
    if not reports_change(conn, campaign_id, result, source=source):
        return None
    return record_results(conn, campaign_id, result, source=source, load_id=load_id)


def reports_change(
    conn: duckdb.DuckDBPyConnection, campaign_id: str, result: ResultInput, *, source: str
) -> bool:
    """True when a figure of ``result`` differs from ``source``'s latest snapshot (or it has
    none): what record_results_if_changed would write. Reads only."""
    previous = latest_figures(conn, campaign_id, source=source)
    return previous is None or any(
        previous[name] != value for name, value in result.figures.items()
    )


def latest_figures(
    conn: duckdb.DuckDBPyConnection, campaign_id: str, *, source: str
) -> dict[str, int | Decimal | None] | None:
    """The latest value of each figure that ``source`` reported for the campaign (None for a
    figure it never reported); None if it has no snapshot."""
    # the reported values in order, the last of them (one spelling for both engines)
    latest = ", ".join(
        f"(array_agg({column} order by occurred_at, seq) filter (where {column} is not null))"
        f"[count({column})]"
        for column in FIGURE_COLUMN_NAMES
    )
    row = conn.execute(
        f"""
        select count(*), {latest}
        from raw.result_snapshots
        where campaign_id = ? and source = ?
        """,
        [campaign_id, source],
    ).fetchone()
    if not row or row[0] == 0:
        return None
    return dict(zip(FIGURE_FIELDS, row[1:], strict=True))


def _check_consistent(figures: dict[str, int | Decimal], *, late: bool) -> None:
    for part, whole in PARTS_OF:
        if figures[part] > figures[whole]:
            where = (
                " in a later snapshot once this one is slotted in by its occurred_at"
                if late
                else ""
            )
            raise ValidationError(
                f"{part} ({figures[part]}) cannot exceed {whole} ({figures[whole]}){where}. "
                "Results are cumulative totals for the campaign so far; send all figures "
                "as of the snapshot's time."
            )
