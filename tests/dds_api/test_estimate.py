"""The cost estimate: the spec's units, priced from the price-list seed."""

from __future__ import annotations

import pytest

from dds_api.facade import DDSIntegration


def test_spec_example_for_50_prospects(dds: DDSIntegration) -> None:
    estimate = dds.estimate_campaign_costs(50)
    assert {k: estimate[k] for k in (
        "scraping", "website_analysis", "lead_scoring", "email_finding", "outreach", "total",
        "cost_per_prospect",
    )} == {
        "scraping": 0.25,
        "website_analysis": 0.01,
        "lead_scoring": 0.006,
        "email_finding": 5.0,
        "outreach": 0.15,
        "total": 5.416,
        "cost_per_prospect": 0.10832,
    }  # fmt: skip
    assert f"${estimate['total']:.2f}" == "$5.42"


@pytest.mark.parametrize(("prospects", "total"), [(1, 0.10832), (100, 10.832), (1000, 108.32)])
def test_estimate_scales_with_prospects(dds: DDSIntegration, prospects: int, total: float) -> None:
    assert dds.estimate_campaign_costs(prospects)["total"] == total


def test_unknown_vertical_uses_the_defaults(dds: DDSIntegration) -> None:
    assert dds.estimate_campaign_costs(50, vertical="Dentists")["total"] == 5.416


def test_deploy_stores_the_estimate(dds: DDSIntegration) -> None:
    deployed = dds.deploy_campaign({"vertical": "v", "location": "l", "prospect_count": 200})
    assert deployed["estimated_costs"]["total"] == 21.664
    status = dds.get_campaign_status(deployed["campaign_id"])
    assert status["estimated_costs"]["total"] == 21.664
    assert status["config"]["budget"] == 100.0  # the spec's default budget
