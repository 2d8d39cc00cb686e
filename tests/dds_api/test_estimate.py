"""The cost estimate: the spec's units, priced from the price-list seed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dds_api.current_marts.reads import VERTICAL_KEY_SQL
from dds_api.facade import DDSIntegration
from ingest.warehouse.dialect import insert_by_name

ROOT = Path(__file__).resolve().parents[2]


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


def test_a_vertical_with_rates_of_its_own_uses_them_in_step_order(dds: DDSIntegration) -> None:
    # cost_estimate_rates resolves a vertical's own assumptions (int_estimate_assumptions_
    # resolved); the facade looks the caller's vertical up by the mart's key and lists the
    # steps by step_order (seed estimate_steps), whatever order the rows come in
    with dds.warehouse.transaction() as conn:
        conn.execute(
            insert_by_name(
                conn,
                "marts.cost_estimate_rates",
                "select 'dentists|' || step as estimate_rate_id, 'dentists' as vertical, step, "
                "step_order, provider, 2 * cost_per_prospect_usd as cost_per_prospect_usd, "
                "anthropic_tokens_per_prospect, has_unpriced_item "
                "from marts.cost_estimate_rates where vertical = '*' order by step_order desc",
            )
        )
    estimate = dds.estimate_campaign_costs(50, vertical=" DENTISTS ")
    assert estimate["total"] == 10.832
    assert list(estimate)[:5] == [
        "scraping", "website_analysis", "lead_scoring", "email_finding", "outreach",
    ]  # fmt: skip
    assert dds.estimate_campaign_costs(50, vertical="dentists ltd")["total"] == 5.416


def test_the_facade_keys_a_vertical_by_the_macros_rule() -> None:
    # the one SQL outside dbt that keys a vertical states macros/dds_vertical_key.sql's rule
    macro = (ROOT / "macros" / "dds_vertical_key.sql").read_text()
    [rule] = re.findall(r"^    (coalesce\(.*\))$", macro, re.MULTILINE)
    assert rule.replace("{{ vertical }}", "?") in VERTICAL_KEY_SQL


def test_deploy_stores_the_estimate(dds: DDSIntegration) -> None:
    deployed = dds.deploy_campaign({"vertical": "v", "location": "l", "prospect_count": 200})
    assert deployed["estimated_costs"]["total"] == 21.664
    status = dds.get_campaign_status(deployed["campaign_id"])
    assert status["estimated_costs"]["total"] == 21.664
    assert status["config"]["budget"] == 100.0  # the spec's default budget
