"""The DDS integration facade: the spec's methods, each a thin step from a dict to a mart.

Writes go through ingest/ (validated once, appended as events); reads select from the marts,
tables that a read first brings up to date for the campaigns written since the last refresh
(dds_api/current_marts/), so every call sees every event written before it.
No method raises on bad input: it returns {'status': 'error', 'message': ...}.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal, localcontext
from itertools import compress
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from dds_api import dds_system, shapes
from dds_api.current_marts import CurrentMarts, reads
from dds_api.current_marts.build import DbtError
from dds_api.formatting import count, fetch_dict, fetch_dicts, money, ratio, utc_iso
from ingest import bulk, campaigns, costs, results, spool
from ingest.known import Known
from ingest.sources import dds_home
from ingest.validation import (
    MONEY_PLACES,
    parse_campaign_id,
    parse_text,
    require_mapping,
    utc_now,
)
from ingest.warehouse.connection import WarehouseBusyError
from ingest.warehouse.dialect import dialect_of, fetch_columns
from ingest.warehouse.errors import DATABASE_ERRORS, ValidationError
from ingest.warehouse.settings import Settings

REPORT_TYPES = ("full", "costs", "leads", "outreach")
AUTO_PAUSE_ACTION = "PAUSE_CAMPAIGN"

F = TypeVar("F", bound=Callable[..., dict[str, Any]])


def _error(message: str, **context: Any) -> dict[str, Any]:
    return {"status": "error", "message": message, **context}


def _figures(figures: dict[str, Any]) -> dict[str, Any]:
    """A snapshot's figures as numbers: revenue in dollars, the rest counts."""
    return {
        name: (money(value) if name == "revenue" else int(value)) for name, value in figures.items()
    }


# Methods that spool their write when the warehouse is busy: they need no marts, so they
# do not wait for a build that the constructor could not do (a busy warehouse).
_SPOOLING_METHODS = frozenset(
    (
        "start_campaign",
        "pause_campaign",
        "stop_campaign",
        "log_dds_costs",
        "log_dds_results",
        "log_anthropic_usage",
    )
)


def _verdict(variant: dict[str, Any]) -> str | None:
    return None if variant["comparison"] is None else variant["comparison"]["verdict"]


def _portfolio_recommendations(
    flags: dict[str, list[Any]],
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, Any]]]:
    """The recommendations of each campaign (reads.portfolio_recommendations_sql's
    columns), most severe first, and each campaign's most severe flag that acts by itself,
    as _auto_pause records it. Loops over the columns with C iterators (compress, zip):
    this runs for every flag of the portfolio."""
    shaped = shapes.records(flags, shapes.RECOMMENDATION)
    samples = zip(shaped, *(flags[key] for key, _, _ in shapes.SAMPLE), strict=True)
    for shape, size, confidence, lower, upper, significant in compress(
        samples, flags["has_sample"]
    ):
        shapes.add_sample(shape, size, confidence, lower, upper, significant)
    cooldowns = zip(shaped, *(flags[key] for key, _, _ in shapes.COOLDOWN), strict=True)
    for shape, until, paused_value in compress(cooldowns, flags["in_cooldown"]):
        shapes.add_cooldown(shape, until, paused_value)
    by_campaign: dict[str, list[dict[str, Any]]] = {}
    for campaign_id, shape in zip(flags["campaign_id"], shaped, strict=True):
        group = by_campaign.get(campaign_id)
        if group is None:
            by_campaign[campaign_id] = [shape]
        else:
            group.append(shape)
    pausing: dict[str, dict[str, Any]] = {}
    acting = zip(flags["campaign_id"], shaped, flags["rule_value"], strict=True)
    for campaign_id, shape, rule_value in compress(acting, flags["acts_automatically"]):
        if campaign_id not in pausing:
            pausing[campaign_id] = {
                "rule_id": shape["rule"],
                "issue": shape["issue"],
                "current_value": rule_value,
            }
    return by_campaign, pausing


def returns_error_dict(method: F) -> F:
    """Bad input, an unknown campaign or a busy warehouse become an error dict, never raise."""

    @functools.wraps(method)
    def wrapper(self: DDSIntegration, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            if method.__name__ not in _SPOOLING_METHODS:
                self._ensure_built()
            return method(self, *args, **kwargs)
        except ValidationError as exc:
            return _error(exc.message, **exc.context)
        except WarehouseBusyError as exc:
            return _error(str(exc))
        except DbtError as exc:
            return _error(f"The marts could not be built; nothing was changed. {exc}")
        except DATABASE_ERRORS as exc:
            return _error(
                f"The warehouse could not complete {method.__name__}: {exc}. Nothing was "
                "changed. If the marts are missing, run `dds build`."
            )

    return wrapper  # type: ignore[return-value]


class DDSIntegration:
    """What `get_dds()` returns. One per warehouse file and process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # every read goes through the marts kept current (dds_api/current_marts/)
        self.marts = CurrentMarts(settings)
        self.warehouse = self.marts.warehouse
        # what the single writes learned of the warehouse (campaigns seen deployed, their
        # snapshots), so that a write is one statement (ingest/known.py)
        self._known = Known()
        self._vertical_keys: dict[str | None, str] = {}

    def _ensure_built(self) -> None:
        self.marts.ensure_built()

    def read(
        self, needs: tuple[str, ...] | None = None
    ) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The connection, with the marts current (CurrentMarts.read)."""
        return self.marts.read(needs)

    @property
    def failing_campaigns(self) -> Mapping[str, str]:
        """Campaigns whose figures the last refresh could not bring up to date (id -> the
        reason); every other campaign is answered as usual."""
        return self.marts.failing

    # ------------------------------------------------------------------------- DDS system

    @property
    def dds_path(self) -> Path | None:
        """The DDS system's folder ($DDS_HOME, read now), or None when it is not configured."""
        return self.settings.dds_home_now()

    @property
    def dds_available(self) -> bool:
        """True when DDS_HOME holds the four agents' entry points (checked on every access:
        the DDS system can be installed while we run)."""
        return dds_home.available(self.dds_path)

    # ----------------------------------------------------------------- deployment & lifecycle

    @returns_error_dict
    def estimate_campaign_costs(
        self, prospect_count: int = campaigns.DEFAULT_PROSPECT_COUNT, vertical: str | None = None
    ) -> dict[str, Any]:
        """Expected cost per step (scraping, ..., outreach), total and cost_per_prospect."""
        prospects = campaigns.parse_prospect_count(prospect_count)
        vertical = parse_text(vertical, "vertical", required=False)
        with self.warehouse.connect(reading=True) as conn:
            estimate, tokens = self._estimate(conn, prospects, vertical)
        return {
            **{step: money(cost) for step, cost in estimate.items()},
            "cost_per_prospect": money(estimate["total"] / prospects),
            "anthropic_tokens": tokens,
            "prospect_count": prospects,
            "vertical": vertical,
        }

    def _estimate(
        self, conn: duckdb.DuckDBPyConnection, prospects: int, vertical: str | None
    ) -> tuple[dict[str, Decimal], int]:
        """Cost per step and total, and the Claude tokens the campaign is expected to use
        (kept apart: the costs are money, stored on the deployed event)."""
        key = self._vertical_key(conn, vertical)
        rates = conn.execute(reads.ESTIMATE_SQL).fetchall()
        # the vertical's own rows, or the default ones if it has none
        rows = [row for row in rates if row[0] == key] or [row for row in rates if row[0] == "*"]
        unpriced = [step for _, step, _, missing, _ in rows if missing]
        if not rows or unpriced:
            raise ValidationError(
                "The price list has no price in force for estimate step(s) "
                f"{', '.join(unpriced) or '(none defined)'}. Add the row to "
                "seeds/provider_prices.csv and run `dds build`."
            )
        with localcontext(prec=80):  # exact products, then rounded as the database rounds
            estimate = {
                step: (rate * prospects).quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)
                for _, step, rate, _, _ in rows
            }
            tokens = sum((row[4] for row in rows), Decimal(0)) * prospects
        estimate["total"] = sum(estimate.values(), Decimal(0))
        # casting to an integer, the database rounds half away from zero
        return estimate, int(tokens.to_integral_value(rounding=ROUND_HALF_UP))

    def _vertical_key(self, conn: duckdb.DuckDBPyConnection, vertical: str | None) -> str:
        """The vertical as the estimate mart keys it, asked of the database once per text
        (the rule is the macro's, in SQL; the answer depends on the text alone)."""
        key = self._vertical_keys.get(vertical)
        if key is None:
            [(key,)] = conn.execute(reads.VERTICAL_KEY_SQL, [vertical]).fetchall()
            if len(self._vertical_keys) >= 1_000:
                self._vertical_keys.clear()
            self._vertical_keys[vertical] = key
        return key

    @returns_error_dict
    def deploy_campaign(self, config: dict[str, Any]) -> dict[str, Any]:
        # Unset, DDS is not connected and we deploy for tracking; set but wrong is a
        # misconfiguration to fix before campaigns are deployed against it.
        problem = self.dds_path and dds_home.problem(self.dds_path)
        if problem:
            return _error(
                f"DDS system not found: {problem} Nothing was deployed.",
                setup_instructions=dds_home.SETUP_INSTRUCTIONS,
                dds_home=str(self.dds_path),
            )
        deployment = campaigns.parse_deployment(config)
        # one use of the warehouse, in which no other writer writes (DuckDB's one writer,
        # PostgreSQL's append lock); the insert is its one write, so it needs no BEGIN
        with self._known.write(), self.warehouse.connect() as conn:
            estimate, tokens = self._estimate(conn, deployment.prospect_count, deployment.vertical)
            campaign_id = campaigns.record_deployment(conn, deployment, estimate)
            self._known.on(conn).deployed(campaign_id)
        estimated_costs = {step: money(cost) for step, cost in estimate.items()}
        estimated_costs["cost_per_prospect"] = money(estimate["total"] / deployment.prospect_count)
        estimated_costs["anthropic_tokens"] = tokens
        return {
            "status": "deployed",
            "campaign_id": campaign_id,
            "campaign_name": deployment.campaign_name,
            "config": campaigns.deployment_as_config(deployment),
            "estimated_costs": estimated_costs,
            "next_steps": [
                f"Start the campaign: dds.start_campaign('{campaign_id}')",
                "Log each DDS API cost as it is incurred: dds.log_dds_costs(campaign_id, {...})",
                "Log cumulative results after each stage: dds.log_dds_results(campaign_id, {...})",
                "Review performance daily: dds.optimize_campaign(campaign_id)",
            ],
            # the four DDS agents as DDS_HOME holds them now (Not connected when unset)
            "dds_integration": dds_home.agents_readiness(self.dds_path),
        }

    @returns_error_dict
    def deploy_prospecting_campaign(self, config: dict[str, Any]) -> dict[str, Any]:
        """NovaOS' `dds deploy` command calls this name: the same deployment."""
        return self.deploy_campaign(config)

    @returns_error_dict
    def start_campaign(self, campaign_id: str) -> dict[str, Any]:
        return self._transition(campaign_id, "started", "user")

    @returns_error_dict
    def pause_campaign(self, campaign_id: str) -> dict[str, Any]:
        return self._transition(campaign_id, "paused", "user")

    @returns_error_dict
    def stop_campaign(self, campaign_id: str) -> dict[str, Any]:
        stopped = self._transition(campaign_id, "stopped", "user")
        if stopped.get("spooled"):
            # the stop waits in the spool: there is no status as of it to read yet
            stopped["final_report"] = _error(
                "The stop is spooled (the warehouse was busy); read the final figures with "
                f"get_campaign_status({stopped['campaign_id']!r}) once it is applied."
            )
        else:
            # the original's final report: the campaign's status as of the stop
            stopped["final_report"] = self.get_campaign_status(stopped["campaign_id"])
        return stopped

    def _transition(self, campaign_id: str, event_type: str, reason: str) -> dict[str, Any]:
        campaign_id = parse_campaign_id(campaign_id)
        try:
            with self.warehouse.transaction(spoolable=True) as conn:
                change = campaigns.record_transition(conn, campaign_id, event_type, reason)
        except WarehouseBusyError:
            return self._spool(
                spool.transition_write(campaign_id, event_type, reason),
                status=event_type,
                previous_status=None,
                changed=None,
            )
        verb = {"started": "started", "paused": "paused", "stopped": "stopped permanently"}
        message = (
            f"Campaign {campaign_id} {verb[event_type]}."
            if change.changed
            else f"Campaign {campaign_id} was already {change.state}; nothing changed."
        )
        return {
            "status": event_type,
            "campaign_id": campaign_id,
            "message": message,
            "previous_status": change.previous_state,
            "changed": change.changed,
        }

    # ---------------------------------------------------------------------------- events

    @returns_error_dict
    def log_dds_costs(self, campaign_id: str, costs_: dict[str, Any]) -> dict[str, Any]:
        campaign_id = parse_campaign_id(campaign_id)
        event = costs.parse_cost(costs_)
        try:
            # atomic without BEGIN
            with self._known.write(), self.warehouse.connect(spoolable=True) as conn:
                logged = costs.record_cost(conn, campaign_id, event, known=self._known.on(conn))
        except WarehouseBusyError:
            return self._spool(
                spool.cost_write(campaign_id, event),
                status="logged",
                cost_id=None,  # assigned when applied
                cost=None if event.amount is None else money(event.amount),
                operation=event.operation,
                provider=event.provider,
                duplicate=None,
                occurred_at=utc_iso(event.occurred_at),
            )
        return shapes.logged_cost(campaign_id, logged)

    @returns_error_dict
    def log_dds_results(self, campaign_id: str, results_: dict[str, Any]) -> dict[str, Any]:
        campaign_id = parse_campaign_id(campaign_id)
        result = results.parse_results(results_)
        try:
            # reads, then one insert, in a use of the warehouse no other writer shares
            with self._known.write(), self.warehouse.connect(spoolable=True) as conn:
                snapshot = results.record_results(
                    conn, campaign_id, result, known=self._known.on(conn)
                )
        except WarehouseBusyError:
            return self._spool(
                spool.results_write(campaign_id, result),
                status="logged",
                stage=result.stage,
                snapshot_id=None,  # assigned when applied
                # as given: carried-forward figures are merged in when the write is applied
                results={"stage": result.stage, **_figures(result.figures)},
                occurred_at=utc_iso(result.occurred_at),
            )
        figures = _figures(snapshot.figures)
        return {
            "status": "logged",
            "campaign_id": campaign_id,
            "stage": snapshot.stage,
            "snapshot_id": snapshot.snapshot_id,
            **figures,
            # the original's key: the figures as logged (the stored cumulative snapshot)
            "results": {"stage": snapshot.stage, **figures},
            "occurred_at": utc_iso(snapshot.occurred_at),
        }

    def _spool(self, write: spool.Write, **answer: Any) -> dict[str, Any]:
        """Keep a validated write that could not reach the warehouse in time; the next
        holder of the warehouse applies it (see ingest/spool.py)."""
        spool_id = self.warehouse.spool.append(write)
        return {
            **answer,
            "campaign_id": write.campaign_id,
            "spooled": True,
            "spool_id": spool_id,
            "message": (
                "The warehouse was busy, so this write is spooled durably and will be applied "
                "in order by the next call that opens the warehouse. Checks that need the "
                "warehouse (the campaign exists, the transition is allowed) happen then; a "
                "write refused at that point is listed by `dds spool`."
            ),
        }

    # ------------------------------------------------------- provider payloads and bulk

    @returns_error_dict
    def log_anthropic_usage(
        self,
        campaign_id: str,
        response: dict[str, Any],
        operation: str = "lead_scoring",
        occurred_at: Any = None,
    ) -> dict[str, Any]:
        """Log a Claude call from its Messages API response (or a dict with ``model`` and
        ``usage``): priced from the price list, cache tokens included. The response's
        ``id`` becomes the idempotency key, so logging the same response twice counts once.
        """
        response = require_mapping(
            response, "response", "{'id': 'msg_...', 'model': 'claude-...', 'usage': {...}}"
        )
        if "usage" not in response or "model" not in response:
            raise ValidationError(
                "The response needs 'model' and 'usage' (as the Messages API returns them), "
                "e.g. {'model': 'claude-3-5-haiku-20241022', 'usage': {'input_tokens': 1200, "
                "'output_tokens': 80}}."
            )
        message_id = response.get("id")
        cost: dict[str, Any] = {
            "operation": operation,
            "provider": "anthropic",
            "model": response["model"],
            "usage": response["usage"],
            "occurred_at": occurred_at,
        }
        if message_id is not None:
            cost["idempotency_key"] = f"anthropic:{parse_text(message_id, 'id', required=True)}"
        return self.log_dds_costs(campaign_id, cost)

    @returns_error_dict
    def log_sendgrid_events(self, events: Any, campaign_arg: str = "campaign_id") -> dict[str, Any]:
        """Take a SendGrid Event Webhook batch (the JSON array as text/bytes, or parsed):
        every event stored once (by sg_event_id) with its payload, attributed to a campaign
        by the custom arg ``campaign_arg``; bad events quarantined with the reason."""
        if isinstance(events, str | bytes):
            try:
                events = json.loads(events)
            except ValueError as exc:
                raise ValidationError(
                    f"The webhook body is not JSON ({exc}); SendGrid posts a JSON array."
                ) from exc
        if not isinstance(events, list):
            raise ValidationError(
                f"A SendGrid webhook batch is a JSON array of events, got {type(events).__name__}."
            )
        return self.ingest("sendgrid_events", events, campaign_arg=campaign_arg)

    @returns_error_dict
    def ingest(
        self,
        kind: str,
        source: Any,
        file_format: str | None = None,
        campaign_arg: str = "campaign_id",
        progress: bulk.Progress | None = None,
    ) -> dict[str, Any]:
        """Bulk-load ``kind`` (costs, results or sendgrid_events) from a file path
        (Parquet, CSV, JSON Lines, JSON array), a polars DataFrame or an Arrow table, in one
        transaction: the summary says how many rows loaded, were quarantined (with the
        reasons; rows in raw.quarantine) and were duplicates of stored rows."""
        with self.warehouse.connect() as conn:
            summary = bulk.load(
                conn,
                kind,
                source,
                file_format=file_format,
                campaign_arg=campaign_arg,
                progress=progress,
            )
        return summary.as_dict()

    # ----------------------------------------------------------------------------- reads

    def _metrics_row(self, conn: duckdb.DuckDBPyConnection, campaign_id: str) -> dict[str, Any]:
        campaign_id = parse_campaign_id(campaign_id)
        reason = self.marts.failing.get(campaign_id)
        if reason is not None:
            raise ValidationError(
                f"Campaign {campaign_id}'s figures could not be brought up to date: "
                f"{reason}. Its newest events are stored but not yet in its "
                "figures; every other campaign is current and answered. Run `dds build` after "
                "the cause is fixed (a model or var change), or report this message.",
                campaign_id=campaign_id,
                failing_reason=reason,
            )
        row = fetch_dict(conn, reads.METRICS_SQL, [campaign_id])
        if row is None:
            campaigns.require_campaign(conn, campaign_id)  # raises the not-found error
            raise ValidationError(
                f"Campaign {campaign_id} has events but no marts row; run `dds build`."
            )
        return row

    @returns_error_dict
    def calculate_lead_metrics(self, campaign_id: str) -> dict[str, Any]:
        with self.read(needs=("campaign_metrics",)) as conn:
            row = self._metrics_row(conn, campaign_id)
        return {
            "status": row["status"],
            "campaign_id": row["campaign_id"],
            "campaign_name": row["campaign_name"],
            **shapes.lead_metrics(row),
            **shapes.budget_figures(row),
            "latest_stage": row["latest_stage"],
            "calculated_at": utc_iso(utc_now()),
        }

    @returns_error_dict
    def get_campaign_status(self, campaign_id: str) -> dict[str, Any]:
        campaign_id = parse_campaign_id(campaign_id)
        # the DDS databases and the campaign's campaigns.db row, read only: a status read
        # writes nothing (sync_dds_databases imports the row)
        dds_details = dds_system.campaign_details(self.warehouse, self.settings, campaign_id)
        with self.read() as conn:
            row = self._metrics_row(conn, campaign_id)
            state = fetch_dict(conn, reads.CAMPAIGN_STATE_SQL, [row["campaign_id"]])
            fired_rules = [
                rule
                for (rule,) in conn.execute(reads.FIRED_RULES_SQL, [row["campaign_id"]]).fetchall()
            ]
        assert state is not None  # both marts have a row for every campaign with metrics
        config, estimate = shapes.campaign_config(state["config"])
        metrics = shapes.lead_metrics(row)
        return {
            "status": row["status"],
            "campaign_id": row["campaign_id"],
            "campaign_name": row["campaign_name"],
            "deployed_at": utc_iso(row["deployed_at"]),
            "last_active": utc_iso(row["last_active_at"]),
            "config": config,
            "estimated_costs": estimate,
            # the original's metrics were calculate_lead_metrics' answer, which names the campaign
            "metrics": {
                "campaign_id": row["campaign_id"],
                "campaign_name": row["campaign_name"],
                "status": row["status"],
                **metrics,
            },
            "performance": {
                **shapes.ratings(state),
                "roi": metrics["roi"],
                "profit": metrics["profit"],
                "total_cost": metrics["total_cost"],
                "revenue_generated": metrics["revenue_generated"],
                "cost_per_lead": metrics["cost_per_lead"],
                **shapes.budget_figures(row),
                "priority": state["priority"],
                "flags": fired_rules,
            },
            "dds_details": {
                "latest_stage": row["latest_stage"],
                "result_snapshots": count(row["snapshot_count"]),
                "cost_events": count(row["cost_event_count"]),
                "last_result_at": utc_iso(row["last_result_at"]),
                **dds_details,
            },
        }

    @returns_error_dict
    def sync_dds_databases(self) -> dict[str, Any]:
        """Import every campaigns.db row into the campaign of ours with exactly its name.

        Idempotent: a row whose figures equal that campaign's latest imported snapshot
        writes nothing. Returns what was imported, unchanged, unmatched, ambiguous or
        invalid, and the state of both DDS databases.
        """
        return dds_system.sync(self.warehouse, self.settings)

    @returns_error_dict
    def generate_campaign_report(
        self, campaign_id: str, report_type: str = "full"
    ) -> dict[str, Any]:
        if report_type not in REPORT_TYPES:
            raise ValidationError(
                f"Unknown report_type {report_type!r}. Use one of: {', '.join(REPORT_TYPES)}."
            )
        needs = ("campaign_metrics", "campaign_cost_breakdown", "campaign_optimization")
        with self.read(needs=needs) as conn:
            row = self._metrics_row(conn, campaign_id)
            breakdown = fetch_dicts(conn, reads.COST_BREAKDOWN_SQL, [row["campaign_id"]])
            state = fetch_dict(conn, reads.CAMPAIGN_STATE_SQL, [row["campaign_id"]])
        assert state is not None  # both marts have a row for every campaign with metrics
        metrics = shapes.lead_metrics(row)
        ratings = shapes.ratings(state)
        sections = {
            "costs": {
                "total_cost": metrics["total_cost"],
                "cost_per_lead": metrics["cost_per_lead"],
                "cost_per_qualified_lead": metrics["cost_per_qualified_lead"],
                **shapes.budget_figures(row),
                "cost_breakdown": shapes.cost_breakdown(breakdown),
                "cost_efficiency": ratings["cost_efficiency"],
            },
            "leads": {
                key: metrics[key]
                for key in (
                    "leads_generated",
                    "leads_qualified",
                    "qualification_rate",
                    "cost_per_lead",
                    "cost_per_qualified_lead",
                )
            }
            | {"quality_assessment": ratings["qualification_quality"]},
            "outreach": {
                key: metrics[key]
                for key in (
                    "emails_sent",
                    "emails_opened",
                    "emails_clicked",
                    "emails_replied",
                    "open_rate",
                    "click_rate",
                    "reply_rate",
                    "outreach_success_rate",
                )
            }
            | shapes.sendgrid_outreach(row)
            | {"effectiveness": ratings["outreach_effectiveness"]},
        }
        report: dict[str, Any] = {
            "report_type": report_type,
            "campaign_id": row["campaign_id"],
            "campaign_name": row["campaign_name"],
            "campaign_status": row["status"],
        }
        if report_type == "full":
            for section in sections.values():
                report.update(section)
            report.update(
                {
                    "revenue_generated": metrics["revenue_generated"],
                    "profit": metrics["profit"],
                    "roi": metrics["roi"],
                    # the original's full report: the campaign, then its figures by area
                    "status": row["status"],
                    "deployed_at": utc_iso(row["deployed_at"]),
                    "config": shapes.campaign_config(state["config"])[0],
                    "performance": shapes.report_performance(metrics),
                    "performance_ratings": ratings,
                }
            )
        else:
            report.update(sections[report_type])
        report["generated_at"] = utc_iso(utc_now())
        return report

    def _not_current(self, conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        """The campaigns whose refresh failed: id, name and the reason. Named from their
        deployed event: their marts rows may predate even that."""
        failing = self.marts.failing
        if not failing:
            return []
        names = dict(
            conn.execute(
                "select campaign_id, campaign_name from raw.campaign_events "
                "where event_type = 'deployed' and campaign_id = any(?::varchar[])",
                [list(failing)],
            ).fetchall()
        )
        return [
            {"campaign_id": cid, "campaign_name": names.get(cid), "reason": reason}
            for cid, reason in sorted(failing.items())
        ]

    @returns_error_dict
    def get_all_campaigns_report(self) -> dict[str, Any]:
        with shapes.collector_paused():  # thousands of dicts, no cycles
            return self._all_campaigns_report()

    def _all_campaigns_report(self) -> dict[str, Any]:
        with self.read(needs=("campaign_metrics",)) as conn:
            summary = fetch_dict(conn, "select * from marts.portfolio_summary")
            # each row is its campaign's answer, shaped by the database (reads.py)
            campaigns = shapes.records(
                fetch_columns(conn, reads.portfolio_campaigns_sql(dialect_of(conn))),
                shapes.CAMPAIGN_ROW,
            )
            not_current = self._not_current(conn)
        assert summary is not None  # an aggregate without group by always returns a row
        return {
            "summary": {
                "total_campaigns": count(summary["total_campaigns"]),
                "active_campaigns": count(summary["active_campaigns"]),
                "paused_campaigns": count(summary["paused_campaigns"]),
                "stopped_campaigns": count(summary["stopped_campaigns"]),
                "deployed_campaigns": count(summary["deployed_campaigns"]),
                "total_cost": money(summary["cost_usd"]),
                "total_revenue": money(summary["revenue_usd"]),
                "total_roi": ratio(summary["roi"]),
                "profit": money(summary["profit_usd"]),
                "total_leads": count(summary["leads_found"]),
                "total_qualified_leads": count(summary["leads_qualified"]),
                "cost_per_lead": money(summary["cost_per_lead"]),
            },
            "campaigns": campaigns,
            # their rows above are as of before the write that failed to refresh
            "campaigns_not_current": not_current,
            "generated_at": utc_iso(utc_now()),
        }

    @returns_error_dict
    def get_dds_status(self) -> dict[str, Any]:
        """NovaOS' `dds status` command: the all-campaigns report's totals at top level, and
        each campaign with its `name`."""
        report = self.get_all_campaigns_report()
        if report.get("status") == "error":
            return report
        summary = report["summary"]
        return {
            **summary,
            "roi": summary["total_roi"],
            "campaigns": [{"name": row["campaign_name"], **row} for row in report["campaigns"]],
            "generated_at": report["generated_at"],
        }

    @returns_error_dict
    def generate_report(self, campaign_id: str | None = None) -> dict[str, Any]:
        """NovaOS' `dds report` command: one campaign's headline figures, or the portfolio's
        when campaign_id is None, with the flags' recommendations as sentences. Reads only:
        nothing is paused here (optimize_campaign acts)."""
        needs = ("campaign_metrics", "campaign_optimization_flags")
        if campaign_id is None:
            with self.read(needs=needs) as conn:
                summary = fetch_dict(conn, "select * from marts.portfolio_summary")
                flags = fetch_dicts(conn, reads.PORTFOLIO_FLAGS_SQL)
            assert summary is not None  # an aggregate without group by always returns a row
            return {
                "report_scope": "portfolio",
                "total_campaigns": count(summary["total_campaigns"]),
                "active_campaigns": count(summary["active_campaigns"]),
                **shapes.headline(shapes.portfolio_metrics(summary)),
                "recommendations": [
                    f"{flag['campaign_name']}: {shapes.recommendation(flag)['recommendation']}"
                    for flag in flags
                ],
                "generated_at": utc_iso(utc_now()),
            }
        with self.read(needs=needs) as conn:
            row = self._metrics_row(conn, campaign_id)
            flags = fetch_dicts(conn, reads.FLAGS_SQL, [row["campaign_id"]])
        return {
            "report_scope": "campaign",
            "campaign_id": row["campaign_id"],
            "campaign_name": row["campaign_name"],
            "campaign_status": row["status"],
            **shapes.headline(shapes.lead_metrics(row)),
            "recommendations": [shapes.recommendation(flag)["recommendation"] for flag in flags],
            "generated_at": utc_iso(utc_now()),
        }

    @returns_error_dict
    def get_variant_report(self, campaign_id: str) -> dict[str, Any]:
        """A campaign's A/B test: each variant's counts, cost and rates with their
        intervals, and its comparison with the control (an always-valid test, so the
        verdict may be read as often as wanted). A campaign without variants has none."""
        needs = ("campaign_metrics", "campaign_variant_comparisons")
        with self.read(needs=needs) as conn:
            row = self._metrics_row(conn, campaign_id)
            variants = [
                shapes.variant(variant)
                for variant in fetch_dicts(conn, reads.VARIANTS_SQL, [row["campaign_id"]])
            ]
        compared = [v["comparison"] for v in variants if v["comparison"] is not None]
        return {
            "status": "success",
            "campaign_id": row["campaign_id"],
            "campaign_name": row["campaign_name"],
            # the compared metric, once there is something to compare
            "metric": compared[0]["metric"] if compared else None,
            "control": next((v["variant"] for v in variants if v["is_control"]), None),
            "variants": variants,
            "winners": [v["variant"] for v in variants if _verdict(v) == "winner"],
            "losers": [v["variant"] for v in variants if _verdict(v) == "loser"],
            "generated_at": utc_iso(utc_now()),
        }

    # ------------------------------------------------------------------------ optimization

    @returns_error_dict
    def optimize_campaign(self, campaign_id: str, dry_run: bool = False) -> dict[str, Any]:
        """Analyse one campaign; pause it if a rule says so (unless dry_run)."""
        with self.read() as conn:
            row = self._metrics_row(conn, campaign_id)
            flags = fetch_dicts(conn, reads.FLAGS_SQL, [row["campaign_id"]])
            priority = conn.execute(reads.PRIORITY_SQL, [row["campaign_id"]]).fetchone()[0]
        pausing = self._pausing_flag(row, flags)
        due = {row["campaign_id"]: pausing} if pausing else {}
        paused = {} if dry_run else self._auto_pause(due)
        return self._optimization(
            row["campaign_id"],
            row["campaign_name"],
            row["status"],
            priority,
            shapes.shaped(shapes.PERFORMANCE, row),
            [shapes.recommendation(flag) for flag in flags],
            paused,
            pausing is not None,
            utc_iso(utc_now()),
        )

    @returns_error_dict
    def optimize_all_campaigns(self, dry_run: bool = False) -> dict[str, Any]:
        """Analyse every active and paused campaign (stopped ones are history) in one pass;
        with dry_run, report what would be paused without pausing it."""
        with shapes.collector_paused():  # tens of thousands of dicts and lists, no cycles
            return self._optimize_all_campaigns(dry_run)

    def _optimize_all_campaigns(self, dry_run: bool) -> dict[str, Any]:
        """The database shapes the figures and recommendations (reads.py); Python nests them
        into the answer."""
        with self.read() as conn:
            dialect = dialect_of(conn)
            rows = fetch_columns(conn, reads.portfolio_optimization_sql(dialect))
            flags = fetch_columns(conn, reads.portfolio_recommendations_sql(dialect))
            not_analyzed = self._not_current(conn)
        recommendations, pausing = _portfolio_recommendations(flags)
        # a campaign whose refresh failed is not analysed (nor paused) on stale figures
        failing = self.marts.failing
        analysed = [
            (campaign_id, name, status, priority, performance)
            for campaign_id, name, status, priority, performance in zip(
                rows["campaign_id"],
                rows["campaign_name"],
                rows["status"],
                rows["priority"],
                shapes.records(rows, shapes.PERFORMANCE),
                strict=True,
            )
            if campaign_id not in failing
        ]
        # an active campaign with a rule that acts by itself (the most severe such rule)
        due = {
            campaign_id: pausing[campaign_id]
            for campaign_id, _, status, _, _ in analysed
            if status == "active" and campaign_id in pausing
        }
        paused = {} if dry_run else self._auto_pause(due)
        analysis_date = utc_iso(utc_now())
        all_results = [
            self._optimization(
                campaign_id,
                name,
                status,
                priority,
                performance,
                recommendations.get(campaign_id) or [],  # a list of its own
                paused,
                campaign_id in due,
                analysis_date,
            )
            for campaign_id, name, status, priority, performance in analysed
        ]
        needing_attention = [
            {
                "campaign_id": result["campaign_id"],
                "campaign_name": result["campaign_name"],
                "priority": result["priority"],
                "recommendations": result["recommendations"],
            }
            for result in all_results
            if result["priority"] != "LOW"
        ]
        return {
            "total_campaigns_analyzed": len(all_results),
            "critical_issues": sum(r["priority"] == "CRITICAL" for r in all_results),
            "high_priority_issues": sum(r["priority"] == "HIGH" for r in all_results),
            "campaigns_needing_attention": needing_attention,
            "campaigns_paused": sorted(paused),
            "campaigns_to_pause": sorted(due),
            "dry_run": dry_run,
            "all_results": all_results,
            "campaigns_not_analyzed": not_analyzed,
            "generated_at": utc_iso(utc_now()),
        }

    @staticmethod
    def _pausing_flag(row: dict[str, Any], flags: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The flag that pauses this campaign now, if any: an active campaign and a rule the
        flags mart says acts by itself (mode, significance, cooldown are decided there).
        Flags come most severe first, so the most severe such rule is the one recorded."""
        if row["status"] != "active":
            return None
        return next((flag for flag in flags if flag["acts_automatically"]), None)

    def _auto_pause(self, due: dict[str, dict[str, Any]]) -> dict[str, str]:
        """Pause each campaign (id -> the flag pausing it), recording the rule and its
        metric's value on the lifecycle event, so a later resume starts the rule's
        cooldown. Returns id -> reason."""
        paused: dict[str, str] = {}
        if not due:
            return paused
        with self.warehouse.transaction() as conn:
            for campaign_id, flag in due.items():
                reason = shapes.auto_pause_reason(flag)
                change = campaigns.record_transition(
                    conn,
                    campaign_id,
                    "paused",
                    reason,
                    rule_id=flag["rule_id"],
                    rule_value=flag["current_value"],
                )
                if change.changed:
                    paused[campaign_id] = reason
        return paused

    @staticmethod
    def _optimization(
        campaign_id: str,
        campaign_name: str,
        status: str,
        priority: str,
        performance: dict[str, Any],
        recommendations: list[dict[str, Any]],
        paused: dict[str, str],
        pause_due: bool,
        analysis_date: str | None,
    ) -> dict[str, Any]:
        """One campaign's analysis, from its shaped figures (shapes.PERFORMANCE) and
        recommendations, most severe first."""
        actions_taken = (
            [{"action": AUTO_PAUSE_ACTION, "reason": paused[campaign_id]}]
            if campaign_id in paused
            else []
        )
        optimization = {
            "campaign_id": campaign_id,
            "campaign_name": campaign_name,
            "campaign_status": "paused" if campaign_id in paused else status,
            "analysis_date": analysis_date,
            "current_performance": performance,
            "recommendations": recommendations,
            "suggested_actions": shapes.suggested_actions(recommendations),
            "priority": priority,
            "actions_taken": actions_taken,
            # an auto-pause rule applies to this active campaign (taken unless a dry run)
            "pause_due": pause_due,
        }
        if campaign_id in paused:
            # the original's key, present only when an action was taken: NovaOS code asks
            # `'auto_action_taken' in optimization`
            optimization["auto_action_taken"] = (
                f"Campaign automatically paused ({paused[campaign_id]})"
            )
        return optimization

    def close(self) -> None:
        self.warehouse.close()
