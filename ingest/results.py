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

COUNT_FIELDS = ("leads_found", "leads_qualified", "emails_sent", "emails_opened", "emails_replied")
FIGURE_FIELDS = (*COUNT_FIELDS, "revenue")
RESULT_FIELDS = ("stage", *FIGURE_FIELDS, "occurred_at")


@dataclass(frozen=True)
class ResultInput:
    stage: str
    figures: dict[str, int | Decimal]  # only the figures the caller gave
    occurred_at: datetime


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    stage: str
    figures: dict[str, int | Decimal]  # all six, after carrying omitted ones forward
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
    conn: duckdb.DuckDBPyConnection, campaign_id: str, result: ResultInput
) -> Snapshot:
    """Append a cumulative snapshot. Omitted figures carry forward from the snapshot before it."""
    require_campaign(conn, campaign_id)
    previous = conn.execute(
        """
        select leads_found, leads_qualified, emails_sent, emails_opened, emails_replied,
               revenue_usd
        from raw.result_snapshots
        where campaign_id = ? and occurred_at <= ?
        order by occurred_at desc, seq desc
        limit 1
        """,
        [campaign_id, result.occurred_at],
    ).fetchone()
    base = (
        dict(zip(FIGURE_FIELDS, previous, strict=True))
        if previous
        else dict.fromkeys(FIGURE_FIELDS, 0)
    )
    figures = {**base, **result.figures}
    figures["revenue"] = Decimal(figures["revenue"])
    _check_consistent(figures)
    snapshot_id = uuid.uuid4().hex
    conn.execute(
        """
        insert into raw.result_snapshots (
            snapshot_id, campaign_id, stage, leads_found, leads_qualified, emails_sent,
            emails_opened, emails_replied, revenue_usd, occurred_at, ingested_at
        ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            snapshot_id,
            campaign_id,
            result.stage,
            *(figures[name] for name in FIGURE_FIELDS),
            result.occurred_at,
            utc_now(),
        ],
    )
    return Snapshot(snapshot_id, result.stage, figures, result.occurred_at)


def _check_consistent(figures: dict[str, int | Decimal]) -> None:
    pairs = (
        ("leads_qualified", "leads_found"),
        ("emails_opened", "emails_sent"),
        ("emails_replied", "emails_sent"),
    )
    for part, whole in pairs:
        if figures[part] > figures[whole]:
            raise ValidationError(
                f"{part} ({figures[part]}) cannot exceed {whole} ({figures[whole]}). "
                "Results are cumulative totals for the campaign so far; send all figures "
                "as of now."
            )
