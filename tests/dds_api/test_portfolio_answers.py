"""The portfolio answers (get_all_campaigns_report, optimize_all_campaigns), whose rows the
database shapes, equal the per-campaign answers field for field: the same keys in the same
order, the same values and the same types (a float is not an int, 0.0 is not None)."""

from __future__ import annotations

from typing import Any

import pytest

from dds_api.facade import DDSIntegration
from dds_api.samples.synthetic import generate, plant_variants

# the time of the answer differs between two calls by design
MOMENTS = ("analysis_date",)


def assert_same(actual: Any, expected: Any, where: str = "answer") -> None:
    """Equal and of the same type at every level, dict keys in the same order."""
    assert type(actual) is type(expected), f"{where}: {actual!r} vs {expected!r}"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), f"{where}: keys {list(actual)} vs {list(expected)}"
        for key, value in expected.items():
            if key not in MOMENTS:
                assert_same(actual[key], value, f"{where}[{key!r}]")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{where}: {actual!r} vs {expected!r}"
        for index, (got, wanted) in enumerate(zip(actual, expected, strict=True)):
            assert_same(got, wanted, f"{where}[{index}]")
    else:
        assert actual == expected, f"{where}: {actual!r} vs {expected!r}"


@pytest.fixture
def synthetic(dds: DDSIntegration) -> DDSIntegration:
    """A synthetic portfolio, one of its campaigns with an A/B test."""
    generate(dds, campaigns=40, seed=26)
    with dds.read() as conn:
        [(with_test,)] = conn.execute(
            "select campaign_id from marts.campaigns where status = 'active' "
            "order by campaign_id limit 1"
        ).fetchall()
    plant_variants(
        dds, with_test, {"control": 0.05, "short_subject": 0.15, "long_subject": 0.01},
        emails_per_variant=600, seed=7,
    )  # fmt: skip
    return dds


@pytest.fixture
def portfolio(synthetic: DDSIntegration) -> DDSIntegration:
    """The synthetic portfolio with every kind of flag row: rate rules (a sample and its
    interval) and others, variants, auto-paused campaigns, and one resumed after its pause
    (its rule in cooldown)."""
    paused = synthetic.optimize_all_campaigns()["campaigns_paused"]
    assert paused, "the synthetic portfolio has campaigns a rule pauses"
    assert synthetic.start_campaign(paused[0])["status"] == "started"
    return synthetic


def test_each_report_row_is_the_campaigns_own_figures(portfolio: DDSIntegration) -> None:
    report = portfolio.get_all_campaigns_report()
    assert report["summary"]["total_campaigns"] == len(report["campaigns"]) == 40
    with portfolio.read() as conn:
        places = {
            cid: (vertical, location)
            for cid, vertical, location in conn.execute(
                "select campaign_id, vertical, location from marts.campaign_metrics"
            ).fetchall()
        }
    for row in report["campaigns"]:
        cid = row["campaign_id"]
        metrics = portfolio.calculate_lead_metrics(cid)
        status = portfolio.get_campaign_status(cid)
        figures = {key: metrics[key] for key in status["metrics"] if key in metrics}
        budget = {key: metrics[key] for key in ("budget", "budget_used", "budget_remaining")}
        expected = {
            "campaign_id": cid,
            "campaign_name": metrics["campaign_name"],
            "status": metrics["status"],
            "vertical": places[cid][0],
            "location": places[cid][1],
            **{key: figures[key] for key in list(figures)[3:]},  # after id, name, status
            "qualified_leads": metrics["leads_qualified"],
            "cost": metrics["total_cost"],
            "revenue": metrics["revenue_generated"],
            **budget,
            "deployed_at": status["deployed_at"],
            "last_active": status["last_active"],
        }
        assert_same(row, expected, f"campaign {cid}")
    # right after a point read, on the same connection, the same answer
    assert_same(portfolio.get_all_campaigns_report()["campaigns"], report["campaigns"])


def test_each_optimization_is_the_campaigns_own(portfolio: DDSIntegration) -> None:
    everything = portfolio.optimize_all_campaigns(dry_run=True)
    results = everything["all_results"]
    assert everything["total_campaigns_analyzed"] == len(results) > 0
    recommendations = [r for result in results for r in result["recommendations"]]
    # every optional part of a recommendation is exercised
    assert any("sample" in r for r in recommendations)
    assert any("sample" not in r for r in recommendations)
    assert any("cooldown_until" in r for r in recommendations)
    rules = {r["rule"] for r in recommendations}
    assert rules & {"shift_traffic_to_winner", "stop_losing_variant"}, rules
    for result in results:
        own = portfolio.optimize_campaign(result["campaign_id"], dry_run=True)
        assert_same(result, own, f"campaign {result['campaign_id']}")
    # right after a point read, on the same connection, the same answer
    assert_same(portfolio.optimize_all_campaigns(dry_run=True)["all_results"], results)
    assert everything["campaigns_to_pause"] == sorted(
        r["campaign_id"] for r in results if r["pause_due"]
    )
    assert everything["campaigns_needing_attention"] == [
        {
            key: result[key]
            for key in ("campaign_id", "campaign_name", "priority", "recommendations")
        }
        for result in results
        if result["priority"] != "LOW"
    ]
    assert everything["critical_issues"] == sum(r["priority"] == "CRITICAL" for r in results)


def test_a_pause_is_reported_as_the_campaigns_own(synthetic: DDSIntegration) -> None:
    due = synthetic.optimize_all_campaigns(dry_run=True)["campaigns_to_pause"]
    assert due
    everything = synthetic.optimize_all_campaigns()
    assert everything["campaigns_paused"] == due
    for result in everything["all_results"]:
        if result["campaign_id"] in due:
            [taken] = result["actions_taken"]
            assert taken["action"] == "PAUSE_CAMPAIGN" and taken["reason"].startswith("auto: ")
            assert result["campaign_status"] == "paused"
            assert result["auto_action_taken"] == (
                f"Campaign automatically paused ({taken['reason']})"
            )
        else:
            assert result["actions_taken"] == [] and "auto_action_taken" not in result
    # the pauses are recorded: the next analysis finds the campaigns paused, nothing due
    again = synthetic.optimize_all_campaigns(dry_run=True)
    assert again["campaigns_to_pause"] == []
    statuses = {r["campaign_id"]: r["campaign_status"] for r in again["all_results"]}
    assert all(statuses[cid] == "paused" for cid in due)
