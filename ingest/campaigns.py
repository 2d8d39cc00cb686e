"""Campaign lifecycle events: deployed (with the full config), started, paused, stopped.

Status is never stored; it is derived from the latest event. Which event leads from which
status to which is the dbt seed ``campaign_lifecycle`` (table ``reference.campaign_lifecycle``):
deployed -> active (started) <-> paused; any non-stopped state -> stopped; stopped is final.
A write checks a transition against that table, and dbt derives status from the same rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from ingest.loads import new_load_id
from ingest.validation import (
    check_keys,
    parse_count,
    parse_money,
    parse_text,
    require_mapping,
    utc_now,
)
from ingest.warehouse.errors import MISSING_TABLE_ERRORS, ValidationError
from ingest.warehouse.tables import CAMPAIGN_EVENTS

DEPLOY_FIELDS = CAMPAIGN_EVENTS.call_keys()  # declared in ingest/warehouse/tables.py
DEFAULT_PROSPECT_COUNT = 50
DEFAULT_BUDGET = Decimal(100)

LIFECYCLE_TABLE = "reference.campaign_lifecycle"
_INSERT_DEPLOYED = CAMPAIGN_EVENTS.insert_into(
    "event_id", "campaign_id", "event_type", "reason", "campaign_name", "vertical", "location",
    "prospect_count", "budget_usd", "sender_name", "sender_company", "estimated_cost_usd",
    "config", "occurred_at", "ingested_at", "batch_id",
)  # fmt: skip
_INSERT_TRANSITION = CAMPAIGN_EVENTS.insert_into(
    "event_id", "campaign_id", "event_type", "reason", "rule_id", "rule_value", "occurred_at",
    "ingested_at", "batch_id",
)  # fmt: skip


@dataclass(frozen=True)
class Deployment:
    vertical: str
    location: str
    prospect_count: int
    budget: Decimal
    campaign_name: str
    sender_name: str | None
    sender_company: str | None


@dataclass(frozen=True)
class Transition:
    campaign_id: str
    previous_state: str
    state: str
    changed: bool  # False when the campaign was already in the requested state


def parse_deployment(config: object) -> Deployment:
    config = require_mapping(
        config, "The campaign config", "{'vertical': 'dentists', 'location': 'Austin, TX'}"
    )
    check_keys(config, DEPLOY_FIELDS, "campaign config")
    vertical = parse_text(config.get("vertical"), "vertical", required=True)
    location = parse_text(config.get("location"), "location", required=True)
    assert vertical is not None and location is not None
    prospect_count = parse_prospect_count(config.get("prospect_count", DEFAULT_PROSPECT_COUNT))
    budget = parse_money(
        config.get("budget", DEFAULT_BUDGET), "budget", CAMPAIGN_EVENTS.maximum("budget")
    )
    name = parse_text(config.get("campaign_name"), "campaign_name", required=False)
    return Deployment(
        vertical=vertical,
        location=location,
        prospect_count=prospect_count,
        budget=budget,
        campaign_name=name or f"{vertical.title()} {location}",
        sender_name=parse_text(config.get("sender_name"), "sender_name", required=False),
        sender_company=parse_text(config.get("sender_company"), "sender_company", required=False),
    )


def parse_prospect_count(value: object) -> int:
    maximum = CAMPAIGN_EVENTS.maximum("prospect_count")
    count = parse_count(value, "prospect_count", maximum)
    if count < 1:
        raise ValidationError(f"'prospect_count' must be between 1 and {maximum:,}, got {count}.")
    return count


def new_campaign_id(now: datetime) -> str:
    """Sortable, unique even within one second, and safe in SQL text and file names."""
    return f"dds_{now:%Y%m%d_%H%M%S}_{uuid.uuid4().hex[:12]}"


def record_deployment(
    conn: duckdb.DuckDBPyConnection,
    deployment: Deployment,
    estimated_costs: Mapping[str, Decimal],
    *,
    load_id: str | None = None,
) -> str:
    """Append the 'deployed' event; refuse a budget below the estimate. Returns the id."""
    total = estimated_costs["total"]
    if deployment.budget < total:
        raise ValidationError(
            f"The budget (${deployment.budget:.2f}) is below the estimated cost "
            f"(${total:.2f}) for {deployment.prospect_count} prospects. Increase the "
            "budget or reduce prospect_count.",
            budget=float(deployment.budget),
            estimated_costs={
                **{k: float(v) for k, v in estimated_costs.items()},
                "cost_per_prospect": round(float(total / deployment.prospect_count), 6),
            },
        )
    now = utc_now()
    campaign_id = new_campaign_id(now)
    config = {k: v for k, v in asdict(deployment).items()}
    config["budget"] = str(deployment.budget)
    config["estimated_costs"] = {k: str(v) for k, v in estimated_costs.items()}
    conn.execute(
        f"""
        {_INSERT_DEPLOYED}
        values (?, ?, 'deployed', 'user', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            uuid.uuid4().hex,
            campaign_id,
            deployment.campaign_name,
            deployment.vertical,
            deployment.location,
            deployment.prospect_count,
            deployment.budget,
            deployment.sender_name,
            deployment.sender_company,
            total,
            json.dumps(config, sort_keys=True),
            now,
            now,
            load_id or new_load_id(),
        ],
    )
    return campaign_id


def current_state(conn: duckdb.DuckDBPyConnection, campaign_id: str) -> str | None:
    """The campaign's state from its latest lifecycle event, or None if never deployed."""
    try:
        row = conn.execute(
            f"""
            select lifecycle.to_status
            from (
                select event_type from raw.campaign_events
                where campaign_id = ?
                order by occurred_at desc, seq desc
                limit 1
            ) as latest
            inner join (select distinct event_type, to_status from {LIFECYCLE_TABLE}) as lifecycle
                on latest.event_type = lifecycle.event_type
            """,
            [campaign_id],
        ).fetchone()
    except MISSING_TABLE_ERRORS as missing:
        raise ValidationError(
            f"The warehouse has no lifecycle table ({LIFECYCLE_TABLE}): run `dds build` to "
            "load the seeds."
        ) from missing
    return row[0] if row else None


def _transition_rule(conn: duckdb.DuckDBPyConnection, event_type: str) -> tuple[set[str], str]:
    """The states ``event_type`` may follow and the state it leads to (the lifecycle seed)."""
    row = conn.execute(
        f"""
        select array_agg(from_status), min(to_status)
        from {LIFECYCLE_TABLE}
        where event_type = ? and from_status is not null
        """,
        [event_type],
    ).fetchone()
    if row is None or row[1] is None:
        raise ValidationError(
            f"The lifecycle ({LIFECYCLE_TABLE}) has no transition for {event_type!r}: run "
            "`dds build` to load the seeds."
        )
    return set(row[0]), row[1]


def require_campaign(conn: duckdb.DuckDBPyConnection, campaign_id: str) -> str:
    """The campaign's state; a ValidationError if no such campaign was deployed."""
    state = current_state(conn, campaign_id)
    if state is None:
        raise _not_found(campaign_id)
    return state


def campaign_name(conn: duckdb.DuckDBPyConnection, campaign_id: str) -> str:
    """The name the campaign was deployed with; a ValidationError if no such campaign."""
    row = conn.execute(
        """
        select campaign_name from raw.campaign_events
        where campaign_id = ? and event_type = 'deployed'
        """,
        [campaign_id],
    ).fetchone()
    if row is None:
        raise _not_found(campaign_id)
    return row[0]


def _not_found(campaign_id: str) -> ValidationError:
    return ValidationError(
        f"Campaign not found: {campaign_id!r}. Check campaign_id (deploy_campaign "
        "returns it; get_all_campaigns_report lists every campaign)."
    )


def record_transition(
    conn: duckdb.DuckDBPyConnection,
    campaign_id: str,
    event_type: str,
    reason: str = "user",
    *,
    rule_id: str | None = None,
    rule_value: float | None = None,
    load_id: str | None = None,
) -> Transition:
    """Append a lifecycle event if the transition is allowed; a repeat is a no-op.

    An automatic pause names the rule that fired and its metric's value (``rule_id``,
    ``rule_value``): the rule's cooldown after a resume is judged against that value."""
    state = require_campaign(conn, campaign_id)
    allowed_from, target = _transition_rule(conn, event_type)
    if state == target:
        return Transition(campaign_id, state, state, changed=False)
    if state not in allowed_from:
        raise ValidationError(_refusal(campaign_id, state, event_type))
    now = utc_now()
    conn.execute(
        f"{_INSERT_TRANSITION} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            uuid.uuid4().hex,
            campaign_id,
            event_type,
            reason,
            rule_id,
            rule_value,
            now,
            now,
            load_id or new_load_id(),
        ],
    )
    return Transition(campaign_id, state, target, changed=True)


def _refusal(campaign_id: str, state: str, event_type: str) -> str:
    if state == "stopped":
        return (
            f"Campaign {campaign_id} is stopped, and stopping is permanent. Deploy a new "
            "campaign to run it again."
        )
    if event_type == "paused" and state == "deployed":
        return (
            f"Campaign {campaign_id} has not been started, so it cannot be paused. "
            "Start it with start_campaign, or stop it with stop_campaign."
        )
    return f"Campaign {campaign_id} is {state}; it cannot be {event_type}."


def deployment_as_config(deployment: Deployment) -> dict[str, Any]:
    """The config as the facade returns it (numbers as numbers)."""
    config = asdict(deployment)
    config["budget"] = float(deployment.budget)
    return config
