"""Cost events: one row per DDS API call (or batch of calls), money as DECIMAL."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from ingest.campaigns import require_campaign
from ingest.errors import ValidationError
from ingest.validation import (
    check_keys,
    normalize_name,
    parse_count,
    parse_details,
    parse_money,
    parse_text,
    parse_timestamp,
    require_mapping,
    utc_now,
)

COST_FIELDS = (
    "operation",
    "provider",
    "cost",
    "details",
    "model",
    "input_tokens",
    "output_tokens",
    "units",
    "occurred_at",
    "idempotency_key",
)
# Usage fields that the spec's example passes inside 'details'; we lift them into columns.
_USAGE_FIELDS = ("model", "input_tokens", "output_tokens")


@dataclass(frozen=True)
class CostEvent:
    operation: str
    provider: str
    amount: Decimal
    model: str | None
    input_tokens: int | None
    output_tokens: int | None
    units: Decimal | None
    details_json: str | None
    idempotency_key: str | None
    occurred_at: datetime


@dataclass(frozen=True)
class LoggedCost:
    cost_id: str
    event: CostEvent
    duplicate: bool  # True when the idempotency key was seen before: nothing was written


def parse_cost(costs: object) -> CostEvent:
    costs = require_mapping(
        costs, "costs", "{'operation': 'scoring', 'provider': 'anthropic', 'cost': 0.15}"
    )
    check_keys(costs, COST_FIELDS, "cost")
    for required in ("operation", "provider", "cost"):
        if required not in costs:
            raise ValidationError(
                f"The cost is missing '{required}'. A cost needs operation, provider and "
                "cost, e.g. {'operation': 'scoring', 'provider': 'anthropic', 'cost': 0.15}."
            )
    details = costs.get("details")
    details_json = parse_details(details)
    usage = {name: _usage_value(costs, details, name) for name in _USAGE_FIELDS}
    units = costs.get("units")
    key = costs.get("idempotency_key")
    occurred_at = costs.get("occurred_at")
    return CostEvent(
        operation=normalize_name(costs["operation"], "operation"),
        provider=normalize_name(costs["provider"], "provider"),
        amount=parse_money(costs["cost"], "cost"),
        model=parse_text(usage["model"], "model", required=False),
        input_tokens=None
        if usage["input_tokens"] is None
        else parse_count(usage["input_tokens"], "input_tokens"),
        output_tokens=None
        if usage["output_tokens"] is None
        else parse_count(usage["output_tokens"], "output_tokens"),
        units=None if units is None else parse_money(units, "units"),
        details_json=details_json,
        idempotency_key=parse_text(key, "idempotency_key", required=False),
        occurred_at=utc_now()
        if occurred_at is None
        else parse_timestamp(occurred_at, "occurred_at"),
    )


def _usage_value(costs: Mapping[str, Any], details: object, name: str) -> object:
    top = costs.get(name)
    nested = details.get(name) if isinstance(details, Mapping) else None
    if top is not None and nested is not None and top != nested:
        raise ValidationError(
            f"'{name}' is given twice with different values ({top!r} and details: "
            f"{nested!r}); give it once."
        )
    return top if top is not None else nested


def record_cost(conn: duckdb.DuckDBPyConnection, campaign_id: str, event: CostEvent) -> LoggedCost:
    """Append a cost event; a repeated idempotency key is a no-op returning the first id.

    Each DuckDB statement costs about a millisecond here, so the common path (no key) is one
    statement: the insert itself checks that the campaign exists. The UNIQUE constraint on
    the key backs up the look-up.
    """
    if event.idempotency_key is not None:
        row = conn.execute(
            "select cost_id from raw.cost_events where idempotency_key = ?",
            [event.idempotency_key],
        ).fetchone()
        if row:
            return LoggedCost(row[0], event, duplicate=True)
    cost_id = uuid.uuid4().hex
    inserted = conn.execute(
        """
        insert into raw.cost_events (
            cost_id, campaign_id, operation, provider, amount_usd, model, input_tokens,
            output_tokens, units, details, idempotency_key, occurred_at, ingested_at
        )
        select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
        where exists (
            select 1 from raw.campaign_events
            where campaign_id = $2 and event_type = 'deployed'
        )
        returning cost_id
        """,
        [
            cost_id,
            campaign_id,
            event.operation,
            event.provider,
            event.amount,
            event.model,
            event.input_tokens,
            event.output_tokens,
            event.units,
            event.details_json,
            event.idempotency_key,
            event.occurred_at,
            utc_now(),
        ],
    ).fetchone()
    if not inserted:
        require_campaign(conn, campaign_id)  # raises the not-found error
    return LoggedCost(cost_id, event, duplicate=False)
