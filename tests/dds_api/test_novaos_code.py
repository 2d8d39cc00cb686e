"""NovaOS code written for the original integration (integrations/dds.py of NovaOS V2) runs
unchanged on ours: its example workflow and its `dds deploy|status|report` commands, reading
every key the original returned the way that code reads them (numbers through `:.2f` and
`:.1f`, lists iterated, ratings printed), on a campaign with data and on one without.
"""

from __future__ import annotations

from typing import Any

import pytest

from dds_api.facade import DDSIntegration
from tests.conftest import SPEC_CONFIG, log_snapshot

RATING_WORDS = {"Good", "Poor", "Not rated yet"}
NOT_RATED = "Not rated yet"

# The example workflow's writes (dds_example_usage.py, examples 3 and 6).
WORKFLOW_COSTS = [
    {"operation": "prospecting", "provider": "outscraper", "cost": 2.50,
     "details": {"prospects_scraped": 50, "api_calls": 5}},
    {"operation": "scoring", "provider": "anthropic", "cost": 0.15,
     "details": {"model": "claude-3-5-haiku-20241022", "input_tokens": 25000,
                 "output_tokens": 5000, "prospects_scored": 50}},
    {"operation": "email_finding", "provider": "hunter_io", "cost": 5.00,
     "details": {"emails_found": 45, "credits_used": 50}},
]  # fmt: skip
OUTREACH_COST = {"operation": "outreach", "provider": "sendgrid", "cost": 0.06,
                 "details": {"emails_sent": 60, "cost_per_email": 0.001}}  # fmt: skip
PROSPECTING = {"stage": "prospecting", "leads_found": 50, "leads_qualified": 20,
               "emails_sent": 0, "emails_opened": 0, "emails_replied": 0, "revenue": 0}  # fmt: skip
OUTREACH = {**PROSPECTING, "stage": "outreach", "emails_sent": 60, "emails_opened": 18,
            "emails_replied": 3}  # fmt: skip
CLOSED = {**OUTREACH, "stage": "closed", "revenue": 5000.00}


# ----------------------------------------------- NovaOS' code, as it reads our answers


def read_deploy(result: dict[str, Any]) -> list[str]:
    lines = [
        f"Status: {result['status']}",
        f"Campaign ID: {result['campaign_id']}",
        f"Estimated Costs: ${result['estimated_costs']['total']:.2f}",
        f"Claude tokens: {result['estimated_costs']['anthropic_tokens']:,}",
    ]
    lines += [f"  {step}" for step in result["next_steps"]]
    lines += [f"  {agent}: {state}" for agent, state in result["dds_integration"].items()]
    return lines


def read_status(status: dict[str, Any]) -> list[str]:
    metrics, performance = status["metrics"], status["performance"]
    return [
        f"Campaign: {status['campaign_name']} ({status['status']})",
        f"Config: {status['config']}",
        f"Metrics of {metrics['campaign_name']} ({metrics['campaign_id']}, {metrics['status']}): "
        f"{metrics['qualification_rate']:.1f}% qualified, ${metrics['cost_per_lead']:.2f}/lead, "
        f"ROI {metrics['roi']:.1f}%",
        f"Cost efficiency: {performance['cost_efficiency']}",
        f"Qualification quality: {performance['qualification_quality']}",
        f"Outreach effectiveness: {performance['outreach_effectiveness']}",
        f"DDS details available: {status['dds_details']['available']}",
    ]


def read_optimization(optimization: dict[str, Any]) -> list[str]:
    lines = [f"Priority: {optimization['priority']}"]
    lines += [f"  {key}: {value}" for key, value in optimization["current_performance"].items()]
    for i, rec in enumerate(optimization["recommendations"], 1):
        lines += [
            f"  {i}. {rec['issue']} (Severity: {rec['severity']})",
            f"     Current: {rec['current_value']} | Threshold: {rec['threshold']}",
            f"     Action: {rec['recommendation']} / {rec['expected_impact']}",
        ]
    lines.append(f"Suggested Actions: {', '.join(optimization['suggested_actions'])}")
    if "auto_action_taken" in optimization:
        lines.append(f"AUTO ACTION: {optimization['auto_action_taken']}")
    return lines


def read_reports(dds: DDSIntegration, campaign_id: str) -> dict[str, dict[str, Any]]:
    """Example 7, plus the cost breakdown by stage and the full report's performance."""
    reports = {kind: dds.generate_campaign_report(campaign_id, kind) for kind in
               ("costs", "leads", "outreach", "full")}  # fmt: skip
    costs, leads, outreach, full = reports.values()
    breakdown = costs["cost_breakdown"]
    performance = full["performance"]
    lines = [
        f"Total Cost: {costs['total_cost']} / per lead {costs['cost_per_lead']}",
        f"Cost Efficiency: {costs['cost_efficiency']}",
        *(
            f"  {stage}: ${breakdown[stage]:.2f}"
            for stage in ("prospecting", "scoring", "outreach")
        ),
        f"Leads: {leads['leads_generated']} at {leads['qualification_rate']:.1f}%",
        f"Quality Assessment: {leads['quality_assessment']}",
        f"Emails: {outreach['emails_sent']}, open {outreach['open_rate']:.1f}%, "
        f"reply {outreach['reply_rate']:.1f}%",
        f"Effectiveness: {outreach['effectiveness']}",
        f"Status: {full['status']}, deployed {full['deployed_at']}, config {full['config']}",
        f"Leads {performance['leads']['generated']} / {performance['leads']['qualified']} "
        f"({performance['leads']['qualification_rate']:.1f}%)",
        f"Outreach {performance['outreach']['emails_sent']} sent, "
        f"{performance['outreach']['open_rate']:.1f}% open, "
        f"{performance['outreach']['reply_rate']:.1f}% reply",
        f"Financial ${performance['financial']['total_cost']:.2f} cost, "
        f"${performance['financial']['revenue']:.2f} revenue, "
        f"{performance['financial']['roi']:.1f}% ROI, "
        f"${performance['financial']['cost_per_lead']:.2f}/lead",
        *(f"    {key}: {value}" for key, value in full["performance_ratings"].items()),
    ]
    assert all(line for line in lines)
    return reports


def read_all_campaigns(report: dict[str, Any]) -> list[str]:
    summary = report["summary"]
    lines = [
        f"Total Campaigns: {summary['total_campaigns']} ({summary['active_campaigns']} active)",
        f"Total Cost: ${summary['total_cost']:.2f} Revenue: ${summary['total_revenue']:.2f}",
        f"Total ROI: {summary['total_roi']:.1f}% Profit: ${summary['profit']:.2f}",
    ]
    for campaign in report["campaigns"]:
        lines += [
            f"  - {campaign['campaign_name']} ({campaign['status']})",
            f"    Leads: {campaign['leads_generated']} ({campaign['qualified_leads']} qualified)",
            f"    Cost: ${campaign['cost']:.2f} | Revenue: ${campaign['revenue']:.2f}",
            f"    ROI: {campaign['roi']:.1f}%",
        ]
    return lines


def cli_status(status: dict[str, Any]) -> list[str]:
    """NovaOS' `dds status` (cmd_dds_status)."""
    lines = [
        f"Total Campaigns: {status['total_campaigns']}",
        f"Active: {status['active_campaigns']}",
        f"Total Cost: ${status['total_cost']:.2f}",
        f"Total Revenue: ${status['total_revenue']:.2f}",
        f"ROI: {status['roi']:.1f}%",
    ]
    for campaign in status["campaigns"]:
        lines += [
            f"  • {campaign['name']}",
            f"    Status: {campaign['status']}",
            f"    Cost: ${campaign['cost']:.2f} | Revenue: ${campaign['revenue']:.2f} | "
            f"ROI: {campaign['roi']:.1f}%",
        ]
    return lines


def cli_report(report: dict[str, Any]) -> list[str]:
    """NovaOS' `dds report` (cmd_dds_report)."""
    lines = [
        f"Leads Generated: {report['leads_generated']}",
        f"Qualified Leads: {report['qualified_leads']}",
        f"Qualification Rate: {report['qualification_rate']:.1f}%",
        f"Outreach Success Rate: {report['outreach_success_rate']:.1f}%",
        f"Cost per Lead: ${report['cost_per_lead']:.2f}",
        f"Cost per Qualified Lead: ${report['cost_per_qualified_lead']:.2f}",
        f"Revenue Generated: ${report['revenue_generated']:.2f}",
        f"ROI: {report['roi']:.1f}%",
    ]
    if report.get("recommendations"):
        lines += [f"  • {rec}" for rec in report["recommendations"]]
    return lines


def ratings_everywhere(dds: DDSIntegration, campaign_id: str) -> set[tuple[str, str]]:
    """(rating, word) from every answer that carries one: they must all agree."""
    status = dds.get_campaign_status(campaign_id)["performance"]
    costs = dds.generate_campaign_report(campaign_id, "costs")
    leads = dds.generate_campaign_report(campaign_id, "leads")
    outreach = dds.generate_campaign_report(campaign_id, "outreach")
    full = dds.generate_campaign_report(campaign_id, "full")["performance_ratings"]
    return {
        ("cost_efficiency", status["cost_efficiency"]),
        ("cost_efficiency", costs["cost_efficiency"]),
        ("cost_efficiency", full["cost_efficiency"]),
        ("qualification_quality", status["qualification_quality"]),
        ("qualification_quality", leads["quality_assessment"]),
        ("qualification_quality", full["qualification_quality"]),
        ("outreach_effectiveness", status["outreach_effectiveness"]),
        ("outreach_effectiveness", outreach["effectiveness"]),
        ("outreach_effectiveness", full["outreach_effectiveness"]),
    }


def fired_rules(dds: DDSIntegration, campaign_id: str) -> set[str]:
    optimization = dds.optimize_campaign(campaign_id, dry_run=True)
    return {rec["rule"] for rec in optimization["recommendations"]}


# --------------------------------------------------------------------------------- tests


def test_the_example_workflow_reads_every_key_of_the_original(dds: DDSIntegration) -> None:
    deployed = dds.deploy_campaign(SPEC_CONFIG)
    read_deploy(deployed)
    # 50 prospects x (500 + 300) Claude tokens, from the estimate assumptions
    assert deployed["estimated_costs"]["anthropic_tokens"] == 40_000
    # DDS_HOME unset: the agents are not connected, and the deploy says so
    assert deployed["dds_integration"] == dict.fromkeys(
        ("prospecting_agent", "scoring_agent", "research_agent", "outreach_agent"),
        "Not connected",
    )
    campaign_id = deployed["campaign_id"]
    assert dds.start_campaign(campaign_id)["status"] == "started"
    read_status(dds.get_campaign_status(campaign_id))

    for cost in WORKFLOW_COSTS:
        assert dds.log_dds_costs(campaign_id, cost)["status"] == "logged"
    logged = dds.log_dds_results(campaign_id, PROSPECTING)
    # the figures as logged, with their stage (and ours: emails_clicked)
    assert logged["results"].items() >= PROSPECTING.items()
    assert dds.log_dds_costs(campaign_id, OUTREACH_COST)["status"] == "logged"
    assert dds.log_dds_results(campaign_id, OUTREACH)["results"].items() >= OUTREACH.items()

    status = dds.get_campaign_status(campaign_id)
    read_status(status)
    assert status["metrics"]["campaign_id"] == campaign_id
    assert status["metrics"]["campaign_name"] == "Dentists Austin Q1"
    assert status["metrics"]["status"] == "active"
    assert status["dds_details"]["available"] is False  # no DDS databases to read
    # $7.71 / 50 leads, 40 % qualified, 5.0 % replies: each exactly within its threshold
    ratings = ("cost_efficiency", "qualification_quality", "outreach_effectiveness")
    assert {key: status["performance"][key] for key in ratings} == dict.fromkeys(ratings, "Good")

    # Example 5: revenue has not come yet and emails went out: negative ROI pauses
    optimization = dds.optimize_campaign(campaign_id)
    lines = read_optimization(optimization)
    assert optimization["auto_action_taken"] == (
        "Campaign automatically paused (auto: negative ROI)"
    )
    assert lines[-1] == f"AUTO ACTION: {optimization['auto_action_taken']}"
    assert dds.get_campaign_status(campaign_id)["status"] == "paused"
    # analysed again, nothing more to do: the key is absent, as the original's was
    assert "auto_action_taken" not in dds.optimize_campaign(campaign_id)

    # Example 6: a partial snapshot; `results` is the cumulative snapshot as stored
    closed = dds.log_dds_results(campaign_id, {"stage": "closed", "revenue": 5000.00})
    assert closed["results"].items() >= CLOSED.items()

    reports = read_reports(dds, campaign_id)
    breakdown = reports["costs"]["cost_breakdown"]
    assert breakdown["prospecting"] == 7.50  # scraping and finding emails: the prospecting agent
    assert breakdown["scoring"] == 0.15
    assert breakdown["outreach"] == 0.06
    assert breakdown["other"] == 0.0
    assert sum(breakdown[s] for s in ("prospecting", "scoring", "outreach", "other")) == (
        pytest.approx(reports["costs"]["total_cost"])
    )
    assert set(breakdown) >= {"by_provider", "by_operation", "detail"}  # ours, kept
    full = reports["full"]
    assert full["status"] == full["campaign_status"] == "paused"
    assert full["config"]["budget"] == 150.0
    assert full["performance"]["financial"]["revenue"] == 5000.0
    assert full["performance"]["leads"] == {"generated": 50, "qualified": 20,
                                            "qualification_rate": 40.0}  # fmt: skip
    assert full["performance_ratings"] == {
        "cost_efficiency": "Good", "qualification_quality": "Good",
        "outreach_effectiveness": "Good",
    }  # fmt: skip

    report = dds.get_all_campaigns_report()
    read_all_campaigns(report)
    (row,) = report["campaigns"]
    assert (row["qualified_leads"], row["cost"], row["revenue"]) == (20, 7.71, 5000.0)

    # Example 9, 10, then a stop: its final report is the status as of the stop
    results = dds.optimize_all_campaigns()
    for campaign in results["campaigns_needing_attention"]:
        assert all(rec["recommendation"] for rec in campaign["recommendations"])
    assert dds.pause_campaign(campaign_id)["status"] == "paused"
    assert dds.start_campaign(campaign_id)["status"] == "started"
    stopped = dds.stop_campaign(campaign_id)
    assert stopped["status"] == "stopped"
    final = stopped["final_report"]
    read_status(final)
    assert final["status"] == "stopped"
    assert final["metrics"]["revenue_generated"] == 5000.0
    assert final == dds.get_campaign_status(campaign_id)


def test_a_campaign_without_data_reads_the_same_keys_and_is_not_rated_yet(
    dds: DDSIntegration, campaign_id: str
) -> None:
    status = dds.get_campaign_status(campaign_id)
    read_status(status)
    read_optimization(dds.optimize_campaign(campaign_id))
    reports = read_reports(dds, campaign_id)
    read_all_campaigns(dds.get_all_campaigns_report())
    # no leads and no email yet: nothing to judge, and every answer says so in one word
    assert ratings_everywhere(dds, campaign_id) == {
        (rating, NOT_RATED)
        for rating in ("cost_efficiency", "qualification_quality", "outreach_effectiveness")
    }
    assert reports["costs"]["cost_breakdown"]["prospecting"] == 0.0
    assert reports["full"]["performance"]["financial"]["roi"] == 0.0
    stopped = dds.stop_campaign(campaign_id)
    assert stopped["final_report"]["performance"]["cost_efficiency"] == NOT_RATED


def test_ratings_flip_exactly_where_the_flag_rules_flip(
    dds: DDSIntegration, campaign_id: str
) -> None:
    # leads but no email sent: outreach cannot be judged yet, the rest can
    dds.log_dds_costs(campaign_id, {"operation": "scraping", "provider": "outscraper",
                                    "cost": 200})  # fmt: skip
    log_snapshot(dds, campaign_id, leads_found=10, leads_qualified=3)
    # $20.00 per lead and exactly 30 %: at the thresholds, no rule fires
    assert ratings_everywhere(dds, campaign_id) == {
        ("cost_efficiency", "Good"), ("qualification_quality", "Good"),
        ("outreach_effectiveness", NOT_RATED),
    }  # fmt: skip
    assert fired_rules(dds, campaign_id) & {"high_cost_per_lead", "low_qualification_rate"} == set()

    # one cent per lead above, one qualified lead fewer, and exactly 5 % replies
    dds.log_dds_costs(campaign_id, {"operation": "scraping", "provider": "outscraper",
                                    "cost": 0.10})  # fmt: skip
    log_snapshot(dds, campaign_id, leads_qualified=2, emails_sent=20, emails_replied=1)
    assert ratings_everywhere(dds, campaign_id) == {
        ("cost_efficiency", "Poor"), ("qualification_quality", "Poor"),
        ("outreach_effectiveness", "Good"),
    }  # fmt: skip
    fired = fired_rules(dds, campaign_id)
    assert {"high_cost_per_lead", "low_qualification_rate"} <= fired
    assert "low_outreach_success" not in fired

    # one more email without a reply: 1 of 21 is below 5 %
    log_snapshot(dds, campaign_id, emails_sent=21)
    assert ("outreach_effectiveness", "Poor") in ratings_everywhere(dds, campaign_id)
    assert "low_outreach_success" in fired_rules(dds, campaign_id)


def test_novaos_cli_commands(dds: DDSIntegration) -> None:
    # cmd_dds_deploy's config
    config = {"vertical": "dentists", "location": "Austin, TX", "prospect_count": 50,
              "budget": 50}  # fmt: skip
    deployed = dds.deploy_prospecting_campaign(config)
    assert deployed["status"] == "deployed" and deployed["campaign_id"]
    refused = dds.deploy_prospecting_campaign({**config, "budget": 1})
    assert refused["status"] == "error" and "budget" in refused["message"]
    assert dds.deploy_prospecting_campaign("dentists")["status"] == "error"

    # the portfolio before any figure: every number formats, no recommendation
    assert cli_report(dds.generate_report())[0] == "Leads Generated: 0"
    assert cli_status(dds.get_dds_status())[:2] == ["Total Campaigns: 1", "Active: 0"]

    campaign_id = deployed["campaign_id"]
    dds.start_campaign(campaign_id)
    dds.log_dds_costs(campaign_id, {"operation": "scraping", "provider": "outscraper",
                                    "cost": 30})  # fmt: skip
    log_snapshot(dds, campaign_id, leads_found=1, leads_qualified=1, emails_sent=10,
                 emails_opened=5, emails_replied=2, revenue=100)  # fmt: skip

    status = dds.get_dds_status()
    lines = cli_status(status)
    assert lines[2:5] == ["Total Cost: $30.00", "Total Revenue: $100.00", "ROI: 233.3%"]
    assert lines[5] == f"  • {deployed['campaign_name']}"
    assert status["campaigns"][0]["name"] == status["campaigns"][0]["campaign_name"]

    one = dds.generate_report(campaign_id)
    portfolio = dds.generate_report()
    for report in (one, portfolio):
        lines = cli_report(report)
        assert lines[:8] == [
            "Leads Generated: 1",
            "Qualified Leads: 1",
            "Qualification Rate: 100.0%",
            "Outreach Success Rate: 20.0%",
            "Cost per Lead: $30.00",
            "Cost per Qualified Lead: $30.00",
            "Revenue Generated: $100.00",
            "ROI: 233.3%",
        ]
        # $30 per lead fires high_cost_per_lead: its recommendation is a sentence
        assert any("Reduce cost per lead" in rec for rec in report["recommendations"])
        assert all(isinstance(rec, str) for rec in report["recommendations"])
    assert portfolio["recommendations"][0].startswith(f"{one['campaign_name']}: ")
    assert dds.get_campaign_status(campaign_id)["status"] == "active"  # a report never pauses

    for bad in ("no-such-campaign", 42, ""):
        answer = dds.generate_report(bad)
        assert answer["status"] == "error" and answer["message"], bad
