"""Result snapshots: cumulative totals for a campaign so far. The latest one wins; never summed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import duckdb

from ingest.campaigns import require_campaign
from ingest.errors import ValidationError
from ingest.validation import (
    check_keys,
    normalize_name,
    parse_count,
    parse_money,
    parse_timestamp,
    require_mapping,
    utc_now,
)

COUNT_FIELDS = (
    "leads_found",
    "leads_qualified",
    "emails_sent",
    "emails_opened",
    "emails_clicked",
    "emails_replied",
)
FIGURE_FIELDS = (*COUNT_FIELDS, "revenue")
RESULT_FIELDS = ("stage", *FIGURE_FIELDS, "occurred_at")
# raw.result_snapshots' column for each figure, in FIGURE_FIELDS' order
_FIGURE_COLUMNS = ", ".join("revenue_usd" if name == "revenue" else name for name in FIGURE_FIELDS)
#: raw.result_snapshots.source of snapshots reported through log_dds_results
API_SOURCE = "api"
# each part may not exceed its whole
_PARTS_OF = (
    ("leads_qualified", "leads_found"),
    ("emails_opened", "emails_sent"),
    ("emails_clicked", "emails_sent"),
    ("emails_replied", "emails_sent"),
)


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
        name: parse_count(results[name], name) for name in COUNT_FIELDS if name in results
    }
    if "revenue" in results:
        figures["revenue"] = parse_money(results["revenue"], "revenue")
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
) -> Snapshot:
    """Append a cumulative snapshot. Omitted figures carry forward from the snapshot before it."""
    require_campaign(conn, campaign_id)
    previous = latest_figures(conn, campaign_id, as_of=result.occurred_at)
    figures = {**(previous or dict.fromkeys(FIGURE_FIELDS, 0)), **result.figures}
    figures["revenue"] = Decimal(figures["revenue"])
    _check_consistent(figures)
    snapshot_id = uuid.uuid4().hex
    conn.execute(
        f"""
        insert into raw.result_snapshots (
            snapshot_id, campaign_id, stage, {_FIGURE_COLUMNS}, source, occurred_at,
            ingested_at
        ) values (?, ?, ?, {", ".join("?" for _ in FIGURE_FIELDS)}, ?, ?, ?)
        """,
        [
            snapshot_id,
            campaign_id,
            result.stage,
            *(figures[name] for name in FIGURE_FIELDS),
            source,
            result.occurred_at,
            utc_now(),
        ],
    )
    return Snapshot(snapshot_id, result.stage, figures, result.occurred_at)


def record_results_if_changed(
    conn: duckdb.DuckDBPyConnection, campaign_id: str, result: ResultInput, *, source: str
) -> Snapshot | None:
    """For a source that re-reports the same totals (a periodic import): append a snapshot
    only when a figure it gives differs from that source's latest snapshot, so that
    importing again writes nothing. Returns None when nothing changed."""
    previous = latest_figures(conn, campaign_id, source=source)
    if previous is not None and all(
        previous[name] == value for name, value in result.figures.items()
    ):
        return None
    return record_results(conn, campaign_id, result, source=source)


def latest_figures(
    conn: duckdb.DuckDBPyConnection,
    campaign_id: str,
    *,
    as_of: datetime | None = None,
    source: str | None = None,
) -> dict[str, int | Decimal] | None:
    """The figures of the campaign's latest snapshot (optionally as of a time, or from one
    source); None if it has none."""
    conditions: list[str] = ["campaign_id = ?"]
    params: list[object] = [campaign_id]
    if as_of is not None:
        conditions.append("occurred_at <= ?")
        params.append(as_of)
    if source is not None:
        conditions.append("source = ?")
        params.append(source)
    row = conn.execute(
        f"""
        select {_FIGURE_COLUMNS}
        from raw.result_snapshots
        where {" and ".join(conditions)}
        order by occurred_at desc, seq desc
        limit 1
        """,
        params,
    ).fetchone()
    return dict(zip(FIGURE_FIELDS, row, strict=True)) if row else None


def _check_consistent(figures: dict[str, int | Decimal]) -> None:
    for part, whole in _PARTS_OF:
        if figures[part] > figures[whole]:
            raise ValidationError(
                f"{part} ({figures[part]}) cannot exceed {whole} ({figures[whole]}). "
                "Results are cumulative totals for the campaign so far; send all figures "
                "as of now."
            )
