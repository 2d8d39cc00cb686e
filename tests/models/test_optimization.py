"""DESIGN.md's optimization rules at and around each threshold, and the auto-pause."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from dds_api.facade import DDSIntegration
from tests.conftest import SPEC_CONFIG, log_costs, log_snapshot


def _rules(dds: DDSIntegration, campaign_id: str) -> dict[str, dict[str, Any]]:
    result = dds.optimize_campaign(campaign_id)
    return {rec["rule"]: rec for rec in result["recommendations"]}


@pytest.mark.parametrize(
    ("cost", "fires"),
    [("1000.00", False), ("1000.01", True), ("999.99", False)],
)
def test_cost_per_lead_threshold_is_exact(
    dds: DDSIntegration, campaign_id: str, cost: str, fires: bool
) -> None:
    # 1000.00 over 50 leads is exactly $20.00 per lead: not above the threshold
    dds.log_dds_costs(campaign_id, {"operation": "a", "provider": "b", "cost": Decimal(cost)})
    log_snapshot(dds, campaign_id, leads_found=50, leads_qualified=25, revenue=100000)
    rules = _rules(dds, campaign_id)
    assert ("high_cost_per_lead" in rules) is fires
    if fires:
        assert rules["high_cost_per_lead"]["severity"] == "high"
        assert rules["high_cost_per_lead"]["action"] == "REDUCE_COSTS"
        assert rules["high_cost_per_lead"]["threshold"] == 20.0
        assert rules["high_cost_per_lead"]["current_value"] == pytest.approx(20.0002)


def test_cost_per_lead_exactness_with_inexact_binary_fractions(
    dds: DDSIntegration, campaign_id: str
) -> None:
    """0.1 x 3 is not 0.3 in floating point; in DECIMAL it is, so $0.10/lead is not > $0.10."""
    log_costs(dds, campaign_id, 0.1, 0.1, 0.1)
    log_snapshot(dds, campaign_id, leads_found=3, leads_qualified=3)
    dds_result = dds.calculate_lead_metrics(campaign_id)
    assert dds_result["total_cost"] == 0.3
    assert dds_result["cost_per_lead"] == 0.1


@pytest.mark.parametrize(("qualified", "fires"), [(30, False), (29, True), (31, False)])
def test_qualification_threshold(
    dds: DDSIntegration, campaign_id: str, qualified: int, fires: bool
) -> None:
    log_costs(dds, campaign_id, 1)
    log_snapshot(dds, campaign_id, leads_found=100, leads_qualified=qualified)
    rules = _rules(dds, campaign_id)
    assert ("low_qualification_rate" in rules) is fires
    if fires:
        assert rules["low_qualification_rate"]["current_value"] == 29.0
        assert rules["low_qualification_rate"]["severity"] == "medium"


@pytest.mark.parametrize(("replied", "fires"), [(3, False), (2, True), (4, False)])
def test_reply_rate_threshold(
    dds: DDSIntegration, campaign_id: str, replied: int, fires: bool
) -> None:
    log_snapshot(dds, campaign_id, emails_sent=60, emails_opened=20, emails_replied=replied)
    rules = _rules(dds, campaign_id)
    assert ("low_outreach_success" in rules) is fires  # 3/60 is exactly 5.0%


def test_no_outreach_rule_before_any_email(dds: DDSIntegration, campaign_id: str) -> None:
    log_snapshot(dds, campaign_id, leads_found=50, leads_qualified=20)
    assert "low_outreach_success" not in _rules(dds, campaign_id)


def test_no_rules_at_all_for_a_fresh_campaign(dds: DDSIntegration, campaign_id: str) -> None:
    result = dds.optimize_campaign(campaign_id)
    assert result["recommendations"] == []
    assert result["priority"] == "LOW"
    assert result["current_performance"]["cost_per_lead"] == 0.0  # undefined shows as 0.0


def test_negative_roi_waits_for_outreach(dds: DDSIntegration, campaign_id: str) -> None:
    log_costs(dds, campaign_id, 10)
    log_snapshot(dds, campaign_id, leads_found=50, leads_qualified=20)
    result = dds.optimize_campaign(campaign_id)
    assert "negative_roi" not in {r["rule"] for r in result["recommendations"]}
    assert result["actions_taken"] == []
    assert dds.get_campaign_status(campaign_id)["status"] == "active"


def test_negative_roi_pauses_and_records_the_reason(dds: DDSIntegration, campaign_id: str) -> None:
    log_costs(dds, campaign_id, 10)
    log_snapshot(dds, campaign_id, leads_found=50, leads_qualified=20, emails_sent=60,
                 emails_opened=18, emails_replied=3, revenue=9.99)  # fmt: skip
    result = dds.optimize_campaign(campaign_id)
    assert result["priority"] == "CRITICAL"
    assert "PAUSE_CAMPAIGN" in result["suggested_actions"]
    assert result["actions_taken"] == [{"action": "PAUSE_CAMPAIGN", "reason": "auto: negative ROI"}]
    assert result["campaign_status"] == "paused"
    assert dds.get_campaign_status(campaign_id)["status"] == "paused"
    with dds.warehouse.connect() as conn:
        event = conn.execute(
            "select event_type, reason from raw.campaign_events where campaign_id = ? "
            "order by seq desc limit 1",
            [campaign_id],
        ).fetchone()
    assert event == ("paused", "auto: negative ROI")
    # already paused: analysed again, not paused twice
    again = dds.optimize_campaign(campaign_id)
    assert again["actions_taken"] == [] and again["priority"] == "CRITICAL"


@pytest.mark.parametrize(
    ("revenue", "rule"),
    [(10, "low_roi"), (19.99, "low_roi"), (20, None), (9.99, "negative_roi")],
)
def test_low_roi_band(
    dds: DDSIntegration, campaign_id: str, revenue: float, rule: str | None
) -> None:
    log_costs(dds, campaign_id, 10)
    log_snapshot(dds, campaign_id, leads_found=50, leads_qualified=20, emails_sent=60,
                 emails_opened=18, emails_replied=3, revenue=revenue)  # fmt: skip
    fired = set(_rules(dds, campaign_id)) & {"low_roi", "negative_roi"}
    assert fired == ({rule} if rule else set())


@pytest.mark.parametrize(("cost", "fires"), [(150, False), (150.01, True)])
def test_budget_exceeded(dds: DDSIntegration, campaign_id: str, cost: float, fires: bool) -> None:
    log_costs(dds, campaign_id, cost)
    rules = _rules(dds, campaign_id)
    assert ("budget_exceeded" in rules) is fires
    if fires:
        assert rules["budget_exceeded"]["threshold"] == 150.0
        assert rules["budget_exceeded"]["action"] == "REVIEW_BUDGET"


@pytest.mark.parametrize(
    ("qualified", "revenue", "fires"),
    [(41, 40.01, True), (40, 40.01, False), (41, 40.00, False)],
)
def test_scale_up(
    dds: DDSIntegration, campaign_id: str, qualified: int, revenue: float, fires: bool
) -> None:
    # cost 10 over 100 leads: CPL 0.10 < 15; revenue 40.00 is ROI exactly 300 (not above)
    log_costs(dds, campaign_id, 10)
    log_snapshot(dds, campaign_id, leads_found=100, leads_qualified=qualified, emails_sent=100,
                 emails_opened=50, emails_replied=10, revenue=revenue)  # fmt: skip
    result = dds.optimize_campaign(campaign_id)
    assert ("SCALE_UP" in result["suggested_actions"]) is fires
    if fires:
        assert result["priority"] == "LOW"  # an opportunity, not an issue


def test_priority_is_highest_severity(dds: DDSIntegration, campaign_id: str) -> None:
    log_costs(dds, campaign_id, 2500)  # over the 150 budget and $25 per lead: high, high
    log_snapshot(dds, campaign_id, leads_found=100, leads_qualified=10)  # 10%: medium
    result = dds.optimize_campaign(campaign_id)
    assert result["priority"] == "HIGH"
    assert [r["severity"] for r in result["recommendations"]] == ["high", "high", "medium"]
    assert result["suggested_actions"] == ["REVIEW_BUDGET", "REDUCE_COSTS", "REFINE_SCORING"]


def test_optimize_all_covers_active_and_paused_only(dds: DDSIntegration) -> None:
    def deploy(name: str) -> str:
        return dds.deploy_campaign({**SPEC_CONFIG, "campaign_name": name})["campaign_id"]

    losing, paused, stopped, waiting = (deploy(n) for n in ("losing", "paused", "stopped", "new"))
    for cid in (losing, paused, stopped):
        dds.start_campaign(cid)
        log_costs(dds, cid, 10)
        log_snapshot(dds, cid, leads_found=50, leads_qualified=20, emails_sent=60,
                     emails_opened=18, emails_replied=3)  # fmt: skip
    dds.pause_campaign(paused)
    dds.stop_campaign(stopped)

    results = dds.optimize_all_campaigns()
    assert results["total_campaigns_analyzed"] == 2
    assert {r["campaign_id"] for r in results["all_results"]} == {losing, paused}
    assert results["critical_issues"] == 2
    assert results["high_priority_issues"] == 0
    assert results["campaigns_paused"] == [losing]
    assert [c["campaign_name"] for c in results["campaigns_needing_attention"]] == [
        "losing",
        "paused",
    ]
    assert dds.get_campaign_status(losing)["status"] == "paused"
    assert dds.get_campaign_status(stopped)["status"] == "stopped"
    assert dds.get_campaign_status(waiting)["status"] == "deployed"


def test_a_fired_flag_never_shows_its_threshold(dds: DDSIntegration, campaign_id: str) -> None:
    dds.log_dds_costs(
        campaign_id, {"operation": "a", "provider": "b", "cost": Decimal("60.000001")}
    )
    log_snapshot(dds, campaign_id, leads_found=3, leads_qualified=3, revenue=100000)
    flag = _rules(dds, campaign_id)["high_cost_per_lead"]
    assert flag["current_value"] == 20.000000333333
    assert dds.calculate_lead_metrics(campaign_id)["cost_per_lead"] == 20.0  # metrics: 6 places
