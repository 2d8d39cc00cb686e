"""What ingest stores: normalised names, exact DECIMAL money, idempotency, cumulative snapshots."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from dds_api.facade import DDSIntegration
from tests.conftest import log_snapshot, raw_state


def _cost_rows(dds: DDSIntegration) -> list[tuple]:
    with dds.warehouse.connect() as conn:
        return conn.execute(
            "select provider, operation, cost_usd, model, input_tokens, output_tokens, details "
            "from raw.cost_events order by seq"
        ).fetchall()


def test_names_are_normalised_and_unknown_providers_kept(
    dds: DDSIntegration, campaign_id: str
) -> None:
    result = dds.log_dds_costs(
        campaign_id, {"operation": "Lead Scoring", "provider": "Hunter.io", "cost": 1}
    )
    assert (result["provider"], result["operation"]) == ("hunter_io", "lead_scoring")
    other = dds.log_dds_costs(campaign_id, {"operation": "x", "provider": "Apollo.io", "cost": 2})
    assert other["status"] == "logged" and other["provider"] == "apollo_io"
    assert dds.calculate_lead_metrics(campaign_id)["total_cost"] == 3.0


def test_money_is_stored_as_exact_decimal(dds: DDSIntegration, campaign_id: str) -> None:
    for _ in range(10):
        dds.log_dds_costs(campaign_id, {"operation": "x", "provider": "y", "cost": 0.1})
    dds.log_dds_costs(
        campaign_id, {"operation": "x", "provider": "y", "cost": Decimal("0.0000004")}
    )
    dds.log_dds_costs(
        campaign_id, {"operation": "x", "provider": "y", "cost": Decimal("0.0000005")}
    )
    amounts = [row[2] for row in _cost_rows(dds)]
    assert amounts[0] == Decimal("0.100000")
    # half up to 6 places, as DuckDB casts text to DECIMAL (so bulk loads agree)
    assert amounts[-2:] == [Decimal("0.000000"), Decimal("0.000001")]
    with dds.read() as conn:
        total = conn.execute(
            "select cost_usd from marts.campaign_metrics where campaign_id = ?",
            [campaign_id],
        ).fetchone()[0]
    assert total == Decimal("1.000001")  # not 1.0000009999999999


def test_usage_in_details_is_lifted_into_columns(dds: DDSIntegration, campaign_id: str) -> None:
    dds.log_dds_costs(campaign_id, {
        "operation": "scoring", "provider": "anthropic", "cost": 0.15,
        "details": {"model": "claude-3-5-haiku-20241022", "input_tokens": 25000,
                    "output_tokens": 5000},
    })  # fmt: skip
    *_, model, input_tokens, output_tokens, details = _cost_rows(dds)[0]
    assert (model, input_tokens, output_tokens) == ("claude-3-5-haiku-20241022", 25000, 5000)
    assert '"input_tokens": 25000' in details


def test_idempotency_key_makes_a_retry_a_no_op(dds: DDSIntegration, campaign_id: str) -> None:
    cost = {"operation": "x", "provider": "sendgrid", "cost": 0.15, "idempotency_key": "batch-7"}
    first = dds.log_dds_costs(campaign_id, cost)
    before = raw_state(dds)
    retry = dds.log_dds_costs(campaign_id, cost)
    assert retry["status"] == "logged"
    assert retry["duplicate"] is True and first["duplicate"] is False
    assert retry["cost_id"] == first["cost_id"]
    assert raw_state(dds) == before
    assert dds.calculate_lead_metrics(campaign_id)["total_cost"] == 0.15


def test_omitted_figures_carry_forward(dds: DDSIntegration, campaign_id: str) -> None:
    log_snapshot(dds, campaign_id, leads_found=50, leads_qualified=20)
    logged = log_snapshot(dds, campaign_id, emails_sent=60, emails_opened=18, emails_replied=3)
    assert (logged["leads_found"], logged["leads_qualified"], logged["revenue"]) == (50, 20, 0.0)
    closed = dds.log_dds_results(campaign_id, {"stage": "closed", "revenue": 5000})
    assert (closed["leads_found"], closed["emails_sent"], closed["revenue"]) == (50, 60, 5000.0)
    metrics = dds.calculate_lead_metrics(campaign_id)
    assert (metrics["leads_generated"], metrics["emails_replied"]) == (50, 3)
    assert metrics["revenue_generated"] == 5000.0


def test_late_snapshot_keeps_its_time_and_does_not_win(
    dds: DDSIntegration, campaign_id: str
) -> None:
    now = datetime.now(timezone.utc)
    log_snapshot(dds, campaign_id, leads_found=80, leads_qualified=30, occurred_at=now)
    late = log_snapshot(
        dds, campaign_id, leads_found=40, leads_qualified=10,
        occurred_at=(now - timedelta(hours=2)).isoformat(),
    )  # fmt: skip
    assert (
        late["occurred_at"]
        == (now - timedelta(hours=2)).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    )
    metrics = dds.calculate_lead_metrics(campaign_id)
    assert (metrics["leads_generated"], metrics["leads_qualified"]) == (80, 30)


def test_times_are_stored_in_utc(dds: DDSIntegration, campaign_id: str) -> None:
    local = datetime(2026, 1, 15, 9, 30, tzinfo=timezone(timedelta(hours=-6)))  # Austin, CST
    logged = dds.log_dds_costs(
        campaign_id, {"operation": "x", "provider": "y", "cost": 1, "occurred_at": local}
    )
    assert logged["occurred_at"] == "2026-01-15T15:30:00.000000Z"


def test_hostile_strings_are_stored_verbatim(dds: DDSIntegration, campaign_id: str) -> None:
    name = "Robert'); drop table raw.cost_events; -- 🦷 Zahnärzte"
    deployed = dds.deploy_campaign({"vertical": name, "location": "Köln", "campaign_name": name})
    assert deployed["status"] == "deployed"
    status = dds.get_campaign_status(deployed["campaign_id"])
    assert status["campaign_name"] == name and status["config"]["location"] == "Köln"
    assert dds.calculate_lead_metrics(campaign_id)["status"] == "active"
