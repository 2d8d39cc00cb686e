"""Cost events: one row per DDS API call (or batch of calls), money as DECIMAL.

A cost gives its amount in dollars, or the usage to price it (tokens with a model, or units
such as searches or emails): then the price list in force at ``occurred_at`` prices it when
it is written (``ingest/pricing.py``) and the row keeps the price version it used.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from ingest import pricing
from ingest.campaigns import require_campaign
from ingest.known import Known
from ingest.loads import new_load_id
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
from ingest.warehouse.dialect import DUCKDB, POSTGRES, dialect_of
from ingest.warehouse.errors import ValidationError
from ingest.warehouse.tables import COST_EVENTS

TOKEN_FIELDS = tuple(pricing.TOKEN_UNITS.values())
# the keys a call may give, and those it must (declared in ingest/warehouse/tables.py)
COST_FIELDS = COST_EVENTS.call_keys()
REQUIRED_FIELDS = COST_EVENTS.required_call_keys()
_COST_COLUMNS = (
    "cost_id", "campaign_id", "operation", "provider", "cost_usd", "model", "input_tokens",
    "output_tokens", "units", "details", "idempotency_key", "occurred_at", "ingested_at",
    "item", "cache_creation_input_tokens", "cache_read_input_tokens", "price_effective_from",
    "batch_id", "variant",
)  # fmt: skip
INSERT_COST = COST_EVENTS.insert_into(*_COST_COLUMNS)
# One statement per single cost, per engine: the insert itself checks that the campaign
# exists ($2 is the campaign id).
_RECORD_COST = {
    dialect: f"""
        {INSERT_COST}
        select {COST_EVENTS.select_parameters(*_COST_COLUMNS, dialect=dialect)}
        where exists (
            select 1 from raw.campaign_events
            where campaign_id = $2 and event_type = 'deployed'
        )
        """
    for dialect in (DUCKDB, POSTGRES)
}
# For a campaign a statement has already seen deployed (ingest/known.py): the insert alone,
# about a third of a millisecond less to plan (bench/README.md, "#26, single writes").
_RECORD_KNOWN_COST = {
    dialect: f"""
        {INSERT_COST}
        select {COST_EVENTS.select_parameters(*_COST_COLUMNS, dialect=dialect)}
        """
    for dialect in (DUCKDB, POSTGRES)
}
# Usage fields that the spec's example passes inside 'details'; we lift them into columns.
_DETAIL_USAGE_FIELDS = ("model", "input_tokens", "output_tokens")
# The keys of an Anthropic Messages API response's `usage` object. Only the token counts are
# priced; `cache_creation` (the 5-minute/1-hour split), `server_tool_use` and `service_tier`
# are kept in details.
ANTHROPIC_USAGE_FIELDS = (*TOKEN_FIELDS, "cache_creation", "server_tool_use", "service_tier")
EXAMPLE = repr(dict(COST_EVENTS.example))


@dataclass(frozen=True)
class CostEvent:
    operation: str
    provider: str
    amount: Decimal | None  # None: to be priced from the price list when written
    model: str | None
    item: str | None
    tokens: dict[str, int | None]  # TOKEN_FIELDS -> count
    units: Decimal | None
    details_json: str | None
    idempotency_key: str | None
    occurred_at: datetime
    price_effective_from: date | None = None  # set once priced
    variant: str | None = None  # the A/B test variant the money was spent on

    @property
    def input_tokens(self) -> int | None:
        return self.tokens["input_tokens"]

    @property
    def output_tokens(self) -> int | None:
        return self.tokens["output_tokens"]

    @property
    def has_usage(self) -> bool:
        return self.units is not None or any(v is not None for v in self.tokens.values())


@dataclass(frozen=True)
class LoggedCost:
    cost_id: str
    event: CostEvent  # as written: priced if it was given as usage
    duplicate: bool  # True when the idempotency key was seen before: nothing was written


def parse_cost(costs: object) -> CostEvent:
    costs = require_mapping(costs, "costs", EXAMPLE)
    check_keys(costs, COST_FIELDS, "cost")
    for required in REQUIRED_FIELDS:
        if required not in costs:
            raise ValidationError(
                f"The cost is missing '{required}'. A cost needs operation, provider and "
                f"cost (or usage to price it), e.g. {EXAMPLE}."
            )
    details = costs.get("details")
    usage = _usage_object(costs.get("usage"))
    details_json = parse_details(_with_usage_extras(details, usage))
    model = _one_value(costs, "model", details=details, usage=usage)
    tokens = {
        name: None
        if (value := _one_value(costs, name, details=details, usage=usage)) is None
        else parse_count(value, name, COST_EVENTS.maximum(name))
        for name in TOKEN_FIELDS
    }
    units = costs.get("units")
    key = costs.get("idempotency_key")
    occurred_at = costs.get("occurred_at")
    event = CostEvent(
        operation=normalize_name(costs["operation"], "operation"),
        provider=normalize_name(costs["provider"], "provider"),
        amount=None
        if costs.get("cost") is None
        else parse_money(costs["cost"], "cost", COST_EVENTS.maximum("cost")),
        model=parse_text(model, "model", required=False),
        item=parse_text(costs.get("item"), "item", required=False),
        tokens=tokens,
        units=None if units is None else parse_count_of_units(units),
        details_json=details_json,
        idempotency_key=parse_text(key, "idempotency_key", required=False),
        occurred_at=utc_now()
        if occurred_at is None
        else parse_timestamp(occurred_at, "occurred_at"),
        variant=parse_text(costs.get("variant"), "variant", required=False),
    )
    if event.amount is None and not event.has_usage:
        raise ValidationError(
            "The cost gives neither 'cost' (dollars) nor usage to price it. Give 'cost', or "
            "'units' (e.g. searches, emails), or a model with token counts or an Anthropic "
            f"'usage' object, e.g. {EXAMPLE}."
        )
    return event


def parse_count_of_units(value: object) -> Decimal:
    """Units priced per unit (searches, emails): a whole, non-negative number."""
    return Decimal(parse_count(value, "units", COST_EVENTS.maximum("units")))


def _usage_object(usage: object) -> Mapping[str, Any] | None:
    if usage is None:
        return None
    usage = require_mapping(
        usage, "usage", "{'input_tokens': 1200, 'output_tokens': 80} (a Messages API usage)"
    )
    check_keys(usage, ANTHROPIC_USAGE_FIELDS, "usage")
    return usage


def _with_usage_extras(details: object, usage: Mapping[str, Any] | None) -> object:
    """Keep the usage object's unpriced parts (e.g. the cache split) in details."""
    extras = {k: v for k, v in (usage or {}).items() if k not in TOKEN_FIELDS and v is not None}
    if not extras:
        return details
    if details is not None and not isinstance(details, Mapping):
        return details  # parse_details refuses it with its own message
    return {**(details or {}), "usage": extras}


def _one_value(
    costs: Mapping[str, Any],
    name: str,
    *,
    details: object,
    usage: Mapping[str, Any] | None,
) -> object:
    """A usage value given at the top level, in details (the spec's example) or in usage;
    giving it in several places is fine only if they agree."""
    places = {
        "the cost": costs.get(name),
        "details": details.get(name)
        if isinstance(details, Mapping) and name in _DETAIL_USAGE_FIELDS
        else None,
        "usage": (usage or {}).get(name),
    }
    given = {place: value for place, value in places.items() if value is not None}
    if len({repr(v) for v in given.values()}) > 1:
        shown = ", ".join(f"{place}: {value!r}" for place, value in given.items())
        raise ValidationError(f"'{name}' is given with different values ({shown}); give it once.")
    return next(iter(given.values()), None)


def priced(conn: duckdb.DuckDBPyConnection, event: CostEvent) -> CostEvent:
    """The event with its amount: as given, or priced from the list in force at its time."""
    if event.amount is not None:
        return event
    price = pricing.price_one(
        conn,
        provider=event.provider,
        item=event.item or event.model,
        occurred_at=event.occurred_at,
        units=event.units,
        tokens=event.tokens,
    )
    return replace(
        event, item=price.item, amount=price.amount, price_effective_from=price.effective_from
    )


def record_cost(
    conn: duckdb.DuckDBPyConnection,
    campaign_id: str,
    event: CostEvent,
    *,
    load_id: str | None = None,
    known: Known | None = None,
) -> LoggedCost:
    """Append a cost event; a repeated idempotency key is a no-op returning the first id.

    Each DuckDB statement costs about a millisecond here, so the common path (no key) is one
    statement: the insert itself checks that the campaign exists, unless ``known`` (what
    this process's writes learned, ingest/known.py) has seen it deployed. The UNIQUE
    constraint on the key backs up the look-up.
    """
    if event.idempotency_key is not None:
        row = conn.execute(
            "select cost_id, cost_usd, price_effective_from from raw.cost_events "
            "where idempotency_key = ?",
            [event.idempotency_key],
        ).fetchone()
        if row:
            first = replace(event, amount=row[1], price_effective_from=row[2])
            return LoggedCost(row[0], first, duplicate=True)
    event = priced(conn, event)
    cost_id = uuid.uuid4().hex
    checked = known is None or not known.is_deployed(campaign_id)
    statement = _RECORD_COST if checked else _RECORD_KNOWN_COST
    # the insert's result is its row count, not RETURNING (bench/README.md, "Measured
    # history")
    [(inserted,)] = conn.execute(
        statement[dialect_of(conn)],
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
            event.item,
            event.tokens["cache_creation_input_tokens"],
            event.tokens["cache_read_input_tokens"],
            event.price_effective_from,
            load_id or new_load_id(),
            event.variant,
        ],
    ).fetchall()
    if not inserted:
        require_campaign(conn, campaign_id)  # raises the not-found error
    if known is not None and checked:
        known.deployed(campaign_id)
    return LoggedCost(cost_id, event, duplicate=False)
