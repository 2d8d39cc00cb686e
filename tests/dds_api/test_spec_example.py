"""The spec's usage example, end to end, with the numbers DESIGN.md's formulas give."""

from __future__ import annotations

import pytest

from dds_api.facade import DDSIntegration
from tests.conftest import SPEC_CONFIG

SNAPSHOTS = [
    {"stage": "prospecting", "leads_found": 50, "leads_qualified": 20, "emails_sent": 0,
     "emails_opened": 0, "emails_replied": 0, "revenue": 0},
    {"stage": "outreach", "leads_found": 50, "leads_qualified": 20, "emails_sent": 60,
     "emails_opened": 18, "emails_replied": 3, "revenue": 0},
    {"stage": "closed", "leads_found": 50, "leads_qualified": 20, "emails_sent": 60,
     "emails_opened": 18, "emails_replied": 3, "revenue": 5000.00},
]  # fmt: skip


def test_spec_usage_example(dds: DDSIntegration) -> None:
    deployed = dds.deploy_campaign(SPEC_CONFIG)
    assert deployed["status"] == "deployed"
    assert deployed["campaign_name"] == "Dentists Austin Q1"
    assert deployed["estimated_costs"]["total"] == pytest.approx(5.416, abs=1e-9)
    assert f"${deployed['estimated_costs']['total']:.2f}" == "$5.42"
    campaign_id = deployed["campaign_id"]
    assert dds.start_campaign(campaign_id)["status"] == "started"

    prospecting = dds.log_dds_costs(campaign_id, {
        "operation": "prospecting", "provider": "outscraper", "cost": 2.50,
        "details": {"prospects_scraped": 50, "api_calls": 5},
    })  # fmt: skip
    scoring = dds.log_dds_costs(campaign_id, {
        "operation": "scoring", "provider": "anthropic", "cost": 0.15,
        "details": {"model": "claude-3-5-haiku-20241022", "input_tokens": 25000,
                    "output_tokens": 5000},
    })  # fmt: skip
    assert prospecting["status"] == scoring["status"] == "logged"
    assert prospecting["cost_id"] != scoring["cost_id"]
    for snapshot in SNAPSHOTS:
        assert dds.log_dds_results(campaign_id, snapshot)["status"] == "logged"

    metrics = dds.calculate_lead_metrics(campaign_id)
    assert metrics["status"] == "active"
    assert metrics["leads_generated"] == 50  # the latest snapshot, not 3 x 50
    assert metrics["leads_qualified"] == 20
    assert metrics["qualification_rate"] == 40.0
    assert metrics["emails_sent"] == 60
    assert metrics["open_rate"] == 30.0
    assert metrics["reply_rate"] == 5.0
    assert metrics["outreach_success_rate"] == 5.0
    assert metrics["total_cost"] == 2.65
    assert metrics["cost_per_lead"] == 0.053  # 2.65 / 50
    assert metrics["cost_per_qualified_lead"] == 0.1325  # 2.65 / 20
    assert metrics["revenue_generated"] == 5000.0  # counted once
    assert metrics["profit"] == 4997.35
    assert metrics["roi"] == pytest.approx((5000 - 2.65) / 2.65 * 100, rel=1e-12)
    # the spec's own print statements work on the result
    assert f"{metrics['qualification_rate']:.1f}%" == "40.0%"
    assert f"${metrics['cost_per_lead']:.2f}" == "$0.05"
    assert f"{metrics['roi']:.1f}%" == "188579.2%"

    status = dds.get_campaign_status(campaign_id)
    assert status["status"] == "active"
    assert status["metrics"]["leads_generated"] == 50
    assert status["performance"]["roi"] == metrics["roi"]
    assert status["config"]["budget"] == 150.0
    assert status["config"]["sender_company"] == "Marketing Solutions Pro"

    report = dds.get_all_campaigns_report()
    assert report["summary"]["total_campaigns"] == 1
    assert report["summary"]["total_cost"] == 2.65
    assert report["summary"]["total_revenue"] == 5000.0
    assert report["summary"]["total_roi"] == metrics["roi"]


def test_revenue_is_the_latest_snapshot_not_a_sum(dds: DDSIntegration, campaign_id: str) -> None:
    dds.log_dds_costs(campaign_id, {"operation": "x", "provider": "anthropic", "cost": 100})
    for revenue in (1000, 2500, 2500):
        dds.log_dds_results(campaign_id, {"stage": "closed", "revenue": revenue})
    metrics = dds.calculate_lead_metrics(campaign_id)
    assert metrics["revenue_generated"] == 2500.0
    assert metrics["roi"] == 2400.0
    assert dds.get_all_campaigns_report()["summary"]["total_revenue"] == 2500.0
