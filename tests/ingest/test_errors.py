"""Every bad input gets {'status': 'error', 'message': ...}, and nothing stored changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from dds_api.facade import DDSIntegration
from tests.conftest import SPEC_CONFIG, log_snapshot, raw_state

GOOD_COST = {"operation": "scoring", "provider": "anthropic", "cost": 0.15}

BAD_COSTS: list[tuple[Any, str]] = [
    (None, "must be a dict"),
    ({"provider": "anthropic", "cost": 1}, "missing 'operation'"),
    ({"operation": "scoring", "cost": 1}, "missing 'provider'"),
    ({"operation": "scoring", "provider": "anthropic"}, "neither 'cost' (dollars) nor usage"),
    ({**GOOD_COST, "cost": -1}, "must not be negative"),
    ({**GOOD_COST, "cost": float("nan")}, "finite"),
    ({**GOOD_COST, "cost": float("inf")}, "finite"),
    ({**GOOD_COST, "cost": Decimal("NaN")}, "finite"),
    ({**GOOD_COST, "cost": "2.50"}, "must be a number"),
    ({**GOOD_COST, "cost": True}, "must be a number"),
    ({**GOOD_COST, "cost": 1e15}, "above the largest accepted"),
    ({**GOOD_COST, "provider": ""}, "non-empty string"),
    ({**GOOD_COST, "provider": "!!!"}, "letters or digits"),
    ({**GOOD_COST, "details": "not a dict"}, "must be a dict"),
    ({**GOOD_COST, "details": {"x": float("nan")}}, "JSON values"),
    ({**GOOD_COST, "details": {"input_tokens": -5}}, "must not be negative"),
    ({**GOOD_COST, "input_tokens": 1.5}, "whole number"),
    ({**GOOD_COST, "occurred_at": "yesterday"}, "ISO-8601"),
    ({**GOOD_COST, "occurred_at": "2999-01-01T00:00:00Z"}, "in the future"),
    ({**GOOD_COST, "colour": "red"}, "Unknown cost field(s): colour"),
    ({**GOOD_COST, "model": "a", "details": {"model": "b"}}, "given with different values"),
]

BAD_RESULTS: list[tuple[Any, str]] = [
    ([], "must be a dict"),
    ({"leads_found": 5}, "missing 'stage'"),
    ({"stage": "outreach"}, "carry no figures"),
    ({"stage": "x", "leads_found": -1}, "must not be negative"),
    ({"stage": "x", "leads_found": "50"}, "whole number"),
    ({"stage": "x", "leads_found": 2.5}, "whole number"),
    ({"stage": "x", "emails_sent": True}, "whole number"),
    ({"stage": "x", "revenue": float("inf")}, "finite"),
    ({"stage": "x", "revenue": -10}, "must not be negative"),
    ({"stage": "x", "leads_found": 10, "leads_qualified": 11}, "cannot exceed leads_found"),
    ({"stage": "x", "emails_sent": 10, "emails_opened": 11}, "cannot exceed emails_sent"),
    ({"stage": "x", "emails_sent": 10, "emails_replied": 11}, "cannot exceed emails_sent"),
    ({"stage": "x", "clicks": 3}, "Unknown result field(s): clicks"),
]

BAD_CONFIGS: list[tuple[Any, str]] = [
    ("dentists", "must be a dict"),
    ({"location": "Austin, TX"}, "'vertical' must be a non-empty string"),
    ({"vertical": "dentists"}, "'location' must be a non-empty string"),
    ({"vertical": "  ", "location": "Austin"}, "'vertical' must be a non-empty string"),
    ({"vertical": 7, "location": "Austin"}, "'vertical' must be a non-empty string"),
    ({**SPEC_CONFIG, "prospect_count": 0}, "between 1 and"),
    ({**SPEC_CONFIG, "prospect_count": "50"}, "whole number"),
    ({**SPEC_CONFIG, "budget": -5}, "must not be negative"),
    ({**SPEC_CONFIG, "budget": float("nan")}, "finite"),
    ({**SPEC_CONFIG, "budget_usd": 5}, "Unknown campaign config field(s): budget_usd"),
]


@pytest.mark.parametrize(("costs", "expected"), BAD_COSTS)
def test_bad_costs(dds: DDSIntegration, campaign_id: str, costs: Any, expected: str) -> None:
    before = raw_state(dds)
    result = dds.log_dds_costs(campaign_id, costs)
    assert result["status"] == "error"
    assert expected in result["message"]
    assert raw_state(dds) == before


@pytest.mark.parametrize(("results", "expected"), BAD_RESULTS)
def test_bad_results(dds: DDSIntegration, campaign_id: str, results: Any, expected: str) -> None:
    before = raw_state(dds)
    result = dds.log_dds_results(campaign_id, results)
    assert result["status"] == "error"
    assert expected in result["message"]
    assert raw_state(dds) == before


def test_contradiction_with_carried_forward_figures(dds: DDSIntegration, campaign_id: str) -> None:
    """Omitted figures come from the previous snapshot, and the merged snapshot is checked."""
    log_snapshot(dds, campaign_id, leads_found=50, leads_qualified=20)
    before = raw_state(dds)
    result = dds.log_dds_results(campaign_id, {"stage": "scoring", "leads_found": 10})
    assert result["status"] == "error"
    assert "leads_qualified (20) cannot exceed leads_found (10)" in result["message"]
    assert raw_state(dds) == before


@pytest.mark.parametrize(("config", "expected"), BAD_CONFIGS)
def test_bad_deploy_config(dds: DDSIntegration, config: Any, expected: str) -> None:
    before = raw_state(dds)
    result = dds.deploy_campaign(config)
    assert result["status"] == "error"
    assert expected in result["message"]
    assert raw_state(dds) == before


def test_budget_below_estimate(dds: DDSIntegration) -> None:
    before = raw_state(dds)
    result = dds.deploy_campaign({**SPEC_CONFIG, "budget": 5})
    assert result["status"] == "error"
    assert "budget" in result["message"]  # the spec's troubleshooting test
    assert result["budget"] == 5.0
    assert result["estimated_costs"]["total"] == 5.416
    assert f"${result['estimated_costs']['total']:.2f}" == "$5.42"
    assert raw_state(dds) == before


@pytest.mark.parametrize(
    "bad_id", ["nope", "", None, 42, "x" * 500, "'; drop table raw.cost_events; --"]
)
def test_unknown_campaign_everywhere(dds: DDSIntegration, campaign_id: str, bad_id: Any) -> None:
    before = raw_state(dds)
    calls = [
        lambda: dds.start_campaign(bad_id),
        lambda: dds.pause_campaign(bad_id),
        lambda: dds.stop_campaign(bad_id),
        lambda: dds.log_dds_costs(bad_id, GOOD_COST),
        lambda: dds.log_dds_results(bad_id, {"stage": "x", "leads_found": 1}),
        lambda: dds.calculate_lead_metrics(bad_id),
        lambda: dds.get_campaign_status(bad_id),
        lambda: dds.optimize_campaign(bad_id),
        lambda: dds.generate_campaign_report(bad_id, "full"),
    ]
    for call in calls:
        result = call()
        assert result["status"] == "error", result
        assert "campaign" in result["message"].lower()
        assert "error" in result.get("status", "")  # the spec's own check
    assert raw_state(dds) == before


@pytest.mark.parametrize("report_type", ["summary", "", None, "FULL"])
def test_unknown_report_type(dds: DDSIntegration, campaign_id: str, report_type: Any) -> None:
    result = dds.generate_campaign_report(campaign_id, report_type)
    assert result["status"] == "error"
    assert "full, costs, leads, outreach" in result["message"]


@pytest.mark.parametrize("count", [0, -1, "50", 1.5, None, 2**53, 10**30])
def test_bad_estimate_input(dds: DDSIntegration, count: Any) -> None:
    result = dds.estimate_campaign_costs(count)
    assert result["status"] == "error"
    assert "prospect_count" in result["message"]
