"""The dicts the facade returns, built from mart rows (names NovaOS code already reads)."""

from __future__ import annotations

import contextlib
import gc
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from dds_api.formatting import count, money, ratio, utc_iso
from ingest.campaigns import DEPLOY_FIELDS
from ingest.costs import LoggedCost
from ingest.sources.dds_sqlite import DatabaseRead, RowImport


def logged_cost(campaign_id: str, logged: LoggedCost) -> dict[str, Any]:
    event = logged.event
    shape = {
        "status": "logged",
        "cost_id": logged.cost_id,
        "campaign_id": campaign_id,
        "cost": money(event.amount),
        "operation": event.operation,
        "provider": event.provider,
        "duplicate": logged.duplicate,
        "occurred_at": utc_iso(event.occurred_at),
    }
    if event.price_effective_from is not None:
        # priced from the price list: which version, so the amount can be traced
        shape["priced_from"] = {
            "item": event.item,
            "effective_from": event.price_effective_from.isoformat(),
        }
    return shape


#: A field of an answer read from one mart column: (the answer's key, how its value is
#: shaped, the column). The kinds are formatting's: money and ratio become floats (0.0 when
#: undefined), count an int (0), time ISO-8601 UTC text, text as stored; flag a bool (False
#: when null), mode a rule's 'auto' or 'notify'. One table serves both
#: shapings: in Python for one campaign's row (``shaped``), in SQL for a portfolio's rows
#: (``reads.shaped_columns``), so the two cannot drift apart.
Field = tuple[str, str, str]

LEAD_METRICS: tuple[Field, ...] = (
    ("leads_generated", "count", "leads_found"),
    ("leads_qualified", "count", "leads_qualified"),
    ("qualification_rate", "ratio", "qualification_rate"),
    ("cost_per_lead", "money", "cost_per_lead"),
    ("cost_per_qualified_lead", "money", "cost_per_qualified_lead"),
    ("emails_sent", "count", "emails_sent"),
    ("emails_opened", "count", "emails_opened"),
    ("emails_clicked", "count", "emails_clicked"),
    ("emails_replied", "count", "emails_replied"),
    ("open_rate", "ratio", "open_rate"),
    ("click_rate", "ratio", "click_rate"),
    ("reply_rate", "ratio", "reply_rate"),
    ("outreach_success_rate", "ratio", "reply_rate"),
    ("total_cost", "money", "cost_usd"),
    ("revenue_generated", "money", "revenue_usd"),
    ("roi", "ratio", "roi"),
    ("profit", "money", "profit_usd"),
)

BUDGET_FIGURES: tuple[Field, ...] = (
    ("budget", "money", "budget_usd"),
    ("budget_used", "ratio", "budget_used_pct"),  # percent of the budget spent
    ("budget_remaining", "money", "budget_remaining_usd"),
)

#: One campaign in get_all_campaigns_report: its lead metrics and budget figures, with the
#: original's names for three of those figures.
CAMPAIGN_ROW: tuple[Field, ...] = (
    ("campaign_id", "text", "campaign_id"),
    ("campaign_name", "text", "campaign_name"),
    ("status", "text", "status"),
    ("vertical", "text", "vertical"),
    ("location", "text", "location"),
    *LEAD_METRICS,
    ("qualified_leads", "count", "leads_qualified"),
    ("cost", "money", "cost_usd"),
    ("revenue", "money", "revenue_usd"),
    *BUDGET_FIGURES,
    ("deployed_at", "time", "deployed_at"),
    ("last_active", "time", "last_active_at"),
)

#: An optimization's current_performance.
PERFORMANCE: tuple[Field, ...] = (*LEAD_METRICS, *BUDGET_FIGURES)

_SHAPERS: dict[str, Callable[[Any], Any]] = {
    "money": money,
    "ratio": ratio,
    "count": count,
    "time": utc_iso,
    "text": lambda value: value,
    "flag": bool,  # null -> False
    "mode": lambda is_auto: "auto" if is_auto else "notify",
}


def shaped(fields: tuple[Field, ...], row: Mapping[str, Any]) -> dict[str, Any]:
    """The fields' answer from one mart row, shaped in Python."""
    return {key: _SHAPERS[kind](row[column]) for key, kind, column in fields}


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Build a portfolio's answer without the cyclic garbage collector running meanwhile.
    Its tens of thousands of fresh dicts and lists hold no cycles, yet each allocation
    counts towards a collection: optimize_all_campaigns at 10,000 campaigns set off about
    130 young and one full collection (the whole heap walked) per call, as much time as
    building the answer (bench/README.md, "#26, portfolio answers"). Re-enabled after, so
    only one young collection visits the new objects. A collector the process turned off
    stays off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def records(columns: Mapping[str, list[Any]], fields: tuple[Field, ...]) -> list[dict[str, Any]]:
    """The fields' answer of each row, from columns the database shaped
    (``reads.shaped_columns``, fetched by ``dialect.fetch_columns``): a dict per row, in the
    fields' order, a value read once under each key that repeats it."""
    first: dict[tuple[str, str], str] = {}
    for key, kind, column in fields:
        first.setdefault((kind, column), key)
    names = [key for key, _, _ in fields]
    rows = zip(*(columns[first[kind, column]] for _, kind, column in fields), strict=True)
    return [dict(zip(names, values, strict=True)) for values in rows]


def lead_metrics(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of calculate_lead_metrics, from a campaign_metrics row."""
    return shaped(LEAD_METRICS, row)


def sendgrid_outreach(row: Mapping[str, Any]) -> dict[str, Any]:
    """Where the outreach figures come from, and what only SendGrid events can tell
    (None for a campaign without them)."""
    counts = ("emails_delivered", "emails_bounced", "emails_human_opened", "spam_reports",
              "unsubscribes")  # fmt: skip
    # over delivered messages (bounce rate: over sent); null without SendGrid events
    rates = ("unique_open_rate", "human_open_rate", "adjusted_open_rate", "delivered_reply_rate",
             "bounce_rate", "spam_rate", "unsubscribe_rate")  # fmt: skip
    return {
        "outreach_source": row["outreach_source"],
        **{key: None if row[key] is None else count(row[key]) for key in counts},
        **{key: None if row[key] is None else ratio(row[key]) for key in rates},
    }


def budget_figures(row: Mapping[str, Any]) -> dict[str, Any]:
    return shaped(BUDGET_FIGURES, row)


def campaign_config(config_json: str) -> tuple[dict[str, Any], dict[str, float]]:
    """The deploy-time config and estimate, as stored on the 'deployed' event."""
    stored = json.loads(config_json)
    config = {key: stored.get(key) for key in DEPLOY_FIELDS}
    config["budget"] = money(config["budget"] and float(config["budget"]))
    estimate = {k: money(float(v)) for k, v in stored.get("estimated_costs", {}).items()}
    return config, estimate


#: A flag's recommendation, before its optional parts (a rate rule's sample, a cooldown).
RECOMMENDATION: tuple[Field, ...] = (
    ("rule", "text", "rule_id"),
    ("issue", "text", "issue"),
    ("metric", "text", "metric"),
    ("current_value", "ratio", "current_value"),
    ("threshold", "ratio", "threshold_value"),
    ("severity", "text", "severity"),
    ("action", "text", "action"),
    ("recommendation", "text", "recommendation"),
    ("expected_impact", "text", "expected_impact"),
    ("mode", "mode", "is_auto_action"),
    ("acts_automatically", "flag", "acts_automatically"),
)

#: A rate rule's sample: how sure we are that the rate is really past its threshold (the
#: answer nests ci_lower and ci_upper as its interval).
SAMPLE: tuple[Field, ...] = (
    ("size", "count", "sample_size"),
    ("confidence", "ratio", "confidence"),
    ("ci_lower", "ratio", "ci_lower"),
    ("ci_upper", "ratio", "ci_upper"),
    ("significant", "flag", "is_significant"),
)

#: A rule in cooldown: until when, and its metric's value when the rule paused the campaign.
COOLDOWN: tuple[Field, ...] = (
    ("cooldown_until", "time", "cooldown_ends_at"),
    ("paused_at_rule_value", "ratio", "paused_at_rule_value"),
)


def recommendation(flag: Mapping[str, Any]) -> dict[str, Any]:
    """A campaign_optimization_flags row as the recommendation in the answers."""
    shape = shaped(RECOMMENDATION, flag)
    if flag["sample_size"] is not None:
        add_sample(shape, *shaped(SAMPLE, flag).values())
    if flag["is_in_cooldown"]:
        add_cooldown(shape, *shaped(COOLDOWN, flag).values())
    return shape


def add_sample(
    shape: dict[str, Any],
    size: int,
    confidence: float,
    ci_lower: float,
    ci_upper: float,
    significant: bool,
) -> None:
    """A rate rule's recommendation: how sure we are that the rate is really past its
    threshold (values shaped as SAMPLE's fields)."""
    shape["sample"] = {
        "size": size,
        "confidence": confidence,
        "interval": [ci_lower, ci_upper],
        "significant": significant,
    }


def add_cooldown(shape: dict[str, Any], cooldown_until: str, paused_at_rule_value: float) -> None:
    """A rule in cooldown: when it ends, and why the campaign is not paused again (values
    shaped as COOLDOWN's fields)."""
    shape["cooldown_until"] = cooldown_until
    shape["recommendation"] += (
        f" (In cooldown until {cooldown_until}: the campaign was "
        "resumed after this rule paused it, so it is not paused again unless "
        f"{shape['metric']} gets worse than {paused_at_rule_value}, its "
        "value at the pause.)"
    )


def auto_pause_reason(flag: Mapping[str, Any]) -> str:
    """The lifecycle event's reason for an automatic pause ('auto: negative ROI')."""
    issue = "negative ROI" if flag["rule_id"] == "negative_roi" else flag["issue"].lower()
    return f"auto: {issue}"


def suggested_actions(flags: Iterable[Mapping[str, Any]]) -> list[str]:
    """Each flag's action once, most severe first (flags or recommendations)."""
    return list(dict.fromkeys(map(_ACTION, flags)))


_ACTION = operator.itemgetter("action")


#: The stages of the original integration's cost breakdown (seed cost_stages maps each
#: operation to one; `other` holds operations it does not list, so the stages add up).
COST_STAGES = ("prospecting", "scoring", "outreach", "other")

#: The original integration's three ratings, as campaign_optimization names them.
RATINGS = ("cost_efficiency", "qualification_quality", "outreach_effectiveness")


def ratings(row: Mapping[str, Any]) -> dict[str, str]:
    """Good / Poor / Not rated yet, as the marts judged them (by the flag rules)."""
    return {rating: row[rating] for rating in RATINGS}


def cost_breakdown(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Spend per stage of the original integration (prospecting, scoring, outreach, other;
    0.0 for a stage without spend), by provider, by operation (the mart's totals on each
    row, largest first) and by both (the rows, in the order given)."""
    rows = list(rows)
    stage_spend = {row["stage"]: row["stage_cost_usd"] for row in rows}

    def totals(key: str) -> dict[str, Any]:
        spend = {row[key]: row[f"{key}_cost_usd"] for row in rows}
        return {
            name: money(cost)
            for name, cost in sorted(spend.items(), key=lambda item: (-item[1], item[0]))
        }

    return {
        **{stage: money(stage_spend.get(stage)) for stage in COST_STAGES},
        "by_provider": totals("provider"),
        "by_operation": totals("operation"),
        "detail": [
            {
                "provider": row["provider"],
                "operation": row["operation"],
                "cost": money(row["cost_usd"]),
                "events": count(row["cost_event_count"]),
            }
            for row in rows
        ],
    }


def report_performance(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The original full report's `performance`: leads, outreach and financial figures
    (numbers, as everywhere in our answers; formatting is the caller's)."""
    return {
        "leads": {
            "generated": metrics["leads_generated"],
            "qualified": metrics["leads_qualified"],
            "qualification_rate": metrics["qualification_rate"],
        },
        "outreach": {
            "emails_sent": metrics["emails_sent"],
            "open_rate": metrics["open_rate"],
            "reply_rate": metrics["reply_rate"],
        },
        "financial": {
            "total_cost": metrics["total_cost"],
            "revenue": metrics["revenue_generated"],
            "roi": metrics["roi"],
            "cost_per_lead": metrics["cost_per_lead"],
        },
    }


def headline(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The figures NovaOS' `dds report` prints (generate_report), from lead_metrics."""
    return {
        "leads_generated": metrics["leads_generated"],
        "qualified_leads": metrics["leads_qualified"],
        "qualification_rate": metrics["qualification_rate"],
        "outreach_success_rate": metrics["outreach_success_rate"],
        "cost_per_lead": metrics["cost_per_lead"],
        "cost_per_qualified_lead": metrics["cost_per_qualified_lead"],
        "total_cost": metrics["total_cost"],
        "revenue_generated": metrics["revenue_generated"],
        "roi": metrics["roi"],
    }


def portfolio_metrics(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A portfolio_summary row in lead_metrics' names (what headline() reads)."""
    return {
        "leads_generated": count(summary["leads_found"]),
        "leads_qualified": count(summary["leads_qualified"]),
        "qualification_rate": ratio(summary["qualification_rate"]),
        "outreach_success_rate": ratio(summary["reply_rate"]),
        "cost_per_lead": money(summary["cost_per_lead"]),
        "cost_per_qualified_lead": money(summary["cost_per_qualified_lead"]),
        "total_cost": money(summary["cost_usd"]),
        "revenue_generated": money(summary["revenue_usd"]),
        "roi": ratio(summary["roi"]),
    }


def dds_database(read: DatabaseRead) -> dict[str, Any]:
    """A DDS database's state: absent, ok, locked, malformed or unreadable, and why."""
    return {"path": str(read.path), "state": read.state, "message": read.message}


def row_import(outcome: RowImport) -> dict[str, Any]:
    """What became of a campaigns.db row: imported, unchanged, unmatched, ambiguous, invalid."""
    shaped: dict[str, Any] = {
        "campaign_name": outcome.campaign_name,
        "status": outcome.status,
        "campaign_id": outcome.campaign_id,
    }
    if outcome.snapshot_id:
        shaped["snapshot_id"] = outcome.snapshot_id
    if outcome.campaign_ids:
        shaped["campaign_ids"] = list(outcome.campaign_ids)
    if outcome.message:
        shaped["message"] = outcome.message
    return shaped


VARIANT_RATES = ("reply_rate", "human_open_rate", "click_rate", "bounce_rate", "unsubscribe_rate")


def variant(row: Mapping[str, Any]) -> dict[str, Any]:
    """A campaign_variant_outcomes row, joined to its comparison with the control: counts,
    cost, each rate with its Wilson interval, and the comparison (None for the control)."""
    return {
        "variant": row["variant"],
        "is_control": bool(row["is_control"]),
        "outreach_source": row["outreach_source"],
        "emails_sent": count(row["emails_sent"]),
        "emails_delivered": count(row["emails_delivered"]),
        "emails_human_opened": count(row["emails_human_opened"]),
        "emails_clicked": count(row["emails_clicked"]),
        "emails_replied": count(row["emails_replied"]),
        "leads_qualified": count(row["leads_qualified"]),
        "unsubscribes": count(row["unsubscribes"]),
        "emails_bounced": count(row["emails_bounced"]),
        "cost": money(row["cost_usd"]),
        "cost_per_reply": money(row["cost_per_reply_usd"]),
        "cost_per_qualified_lead": money(row["cost_per_qualified_lead_usd"]),
        "rates": {
            rate: {
                "value": ratio(row[rate]),
                "ci_lower": ratio(row[f"{rate}_ci_lower"]),
                "ci_upper": ratio(row[f"{rate}_ci_upper"]),
            }
            for rate in VARIANT_RATES
        },
        "confidence": ratio(row["confidence"]),
        "comparison": None
        if row["verdict"] is None
        else {
            "control": row["control_variant"],
            "metric": row["metric"],
            "better_when": row["better_when"],
            "control_rate": ratio(row["control_rate"]),
            "variant_rate": ratio(row["variant_rate"]),
            "difference": ratio(row["difference"]),
            "ci_lower": ratio(row["difference_ci_lower"]),
            "ci_upper": ratio(row["difference_ci_upper"]),
            "p_value": ratio(row["p_value"]),
            "alpha": ratio(row["alpha"]),
            "has_min_sample": bool(row["has_min_sample"]),
            "verdict": row["verdict"],
        },
    }
