"""Reports: each type's sections, the cost breakdown, the portfolio summary."""

from __future__ import annotations

import pytest

from dds_api.facade import DDSIntegration
from tests.conftest import SPEC_CONFIG, log_snapshot


def _spend(dds: DDSIntegration, campaign_id: str) -> None:
    for provider, operation, cost in [
        ("outscraper", "prospecting", 2.50),
        ("Anthropic", "Website Analysis", 0.02),
        ("anthropic", "scoring", 0.15),
        ("anthropic", "scoring", 0.15),
        ("Hunter.io", "email finding", 5.00),
        ("sendgrid", "outreach", 0.15),
    ]:
        result = dds.log_dds_costs(
            campaign_id, {"provider": provider, "operation": operation, "cost": cost}
        )
        assert result["status"] == "logged"


def test_costs_report_breaks_down_by_provider_and_operation(
    dds: DDSIntegration, campaign_id: str
) -> None:
    _spend(dds, campaign_id)
    log_snapshot(dds, campaign_id, leads_found=50, leads_qualified=20)
    report = dds.generate_campaign_report(campaign_id, "costs")
    assert report["report_type"] == "costs"
    assert report["campaign_name"] == "Dentists Austin Q1"
    assert report["total_cost"] == 7.97
    assert report["cost_per_lead"] == 0.1594
    assert report["cost_per_qualified_lead"] == 0.3985
    assert report["budget"] == 150.0
    assert report["budget_remaining"] == 142.03
    assert round(report["budget_used"], 10) == round(7.97 / 150 * 100, 10)
    breakdown = report["cost_breakdown"]
    assert breakdown["by_provider"] == {
        "hunter_io": 5.0,
        "outscraper": 2.5,
        "anthropic": 0.32,
        "sendgrid": 0.15,
    }
    assert breakdown["by_operation"] == {
        "email_finding": 5.0,
        "prospecting": 2.5,
        "scoring": 0.3,
        "outreach": 0.15,
        "website_analysis": 0.02,
    }
    scoring = [d for d in breakdown["detail"] if d["operation"] == "scoring"]
    assert scoring == [{"provider": "anthropic", "operation": "scoring", "cost": 0.3, "events": 2}]
    assert "leads_generated" not in report and "emails_sent" not in report


def test_leads_and_outreach_reports(dds: DDSIntegration, campaign_id: str) -> None:
    _spend(dds, campaign_id)
    log_snapshot(dds, campaign_id, leads_found=50, leads_qualified=20, emails_sent=60,
                 emails_opened=18, emails_replied=3)  # fmt: skip
    leads = dds.generate_campaign_report(campaign_id, "leads")
    assert {k: leads[k] for k in ("leads_generated", "leads_qualified", "qualification_rate")} == {
        "leads_generated": 50,
        "leads_qualified": 20,
        "qualification_rate": 40.0,
    }
    assert "total_cost" not in leads and "emails_sent" not in leads
    outreach = dds.generate_campaign_report(campaign_id, "outreach")
    assert (outreach["emails_sent"], outreach["emails_opened"], outreach["emails_replied"]) == (
        60,
        18,
        3,
    )
    assert (outreach["open_rate"], outreach["reply_rate"]) == (30.0, 5.0)
    assert "leads_generated" not in outreach


def test_full_report_has_every_section(dds: DDSIntegration, campaign_id: str) -> None:
    _spend(dds, campaign_id)
    log_snapshot(dds, campaign_id, leads_found=50, leads_qualified=20, emails_sent=60,
                 emails_opened=18, emails_replied=3, revenue=1000)  # fmt: skip
    full = dds.generate_campaign_report(campaign_id)
    for section in ("costs", "leads", "outreach"):
        part = dds.generate_campaign_report(campaign_id, section)
        for key, value in part.items():
            if key not in ("report_type", "generated_at"):
                assert full[key] == value, key
    assert full["report_type"] == "full"
    assert full["revenue_generated"] == 1000.0
    assert full["profit"] == 992.03


def test_all_campaigns_report(dds: DDSIntegration) -> None:
    a = dds.deploy_campaign({**SPEC_CONFIG, "campaign_name": "A"})["campaign_id"]
    b = dds.deploy_campaign({**SPEC_CONFIG, "campaign_name": "B"})["campaign_id"]
    c = dds.deploy_campaign({**SPEC_CONFIG, "campaign_name": "C"})["campaign_id"]
    dds.start_campaign(a)
    dds.start_campaign(b)
    dds.stop_campaign(c)
    dds.log_dds_costs(a, {"operation": "x", "provider": "y", "cost": 10})
    dds.log_dds_costs(c, {"operation": "x", "provider": "y", "cost": 30})
    log_snapshot(dds, a, revenue=100)
    log_snapshot(dds, c, revenue=20)

    report = dds.get_all_campaigns_report()
    summary = report["summary"]
    assert summary["total_campaigns"] == 3  # every campaign ever deployed
    assert summary["active_campaigns"] == 2
    assert summary["stopped_campaigns"] == 1
    assert summary["total_cost"] == 40.0
    assert summary["total_revenue"] == 120.0
    assert summary["profit"] == 80.0
    assert summary["total_roi"] == 200.0
    assert [row["campaign_name"] for row in report["campaigns"]] == ["A", "B", "C"]
    assert [row["roi"] for row in report["campaigns"]] == pytest.approx([900.0, 0.0, -100 / 3])


def test_empty_portfolio(dds: DDSIntegration) -> None:
    report = dds.get_all_campaigns_report()
    assert report["summary"]["total_campaigns"] == 0
    assert report["summary"]["total_roi"] == 0.0
    assert report["campaigns"] == []
    assert dds.optimize_all_campaigns()["total_campaigns_analyzed"] == 0
