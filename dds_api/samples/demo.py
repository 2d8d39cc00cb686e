"""A realistic sample: the spec's example workflow plus campaigns across verticals and places.

Each campaign is chosen to show one part of the optimizer: a negative ROI that gets paused,
a high performer to scale, a costly one, weak scoring, weak outreach, an overrun budget,
one not yet started and one stopped.
"""

from __future__ import annotations

from typing import Any

from dds_api.facade import DDSIntegration

# The campaign of the spec's usage example.
SPEC_EXAMPLE_CONFIG: dict[str, Any] = {
    "vertical": "dentists",
    "location": "Austin, TX",
    "prospect_count": 50,
    "budget": 150,
    "campaign_name": "Dentists Austin Q1",
    "sender_name": "John Smith",
    "sender_company": "Marketing Solutions Pro",
}

# (config, lifecycle after deploy, costs, cumulative snapshots)
SAMPLE_CAMPAIGNS: list[dict[str, Any]] = [
    {  # the spec's usage example, end to end
        "config": SPEC_EXAMPLE_CONFIG,
        "lifecycle": ["start"],
        "costs": [
            {
                "operation": "prospecting",
                "provider": "outscraper",
                "cost": 2.50,
                "details": {"prospects_scraped": 50, "api_calls": 5},
            },
            {
                "operation": "scoring",
                "provider": "anthropic",
                "cost": 0.15,
                "details": {
                    "model": "claude-3-5-haiku-20241022",
                    "input_tokens": 25000,
                    "output_tokens": 5000,
                },
            },
        ],
        "results": [
            {
                "stage": "prospecting",
                "leads_found": 50,
                "leads_qualified": 20,
                "emails_sent": 0,
                "emails_opened": 0,
                "emails_replied": 0,
                "revenue": 0,
            },
            {
                "stage": "outreach",
                "leads_found": 50,
                "leads_qualified": 20,
                "emails_sent": 60,
                "emails_opened": 18,
                "emails_replied": 3,
                "revenue": 0,
            },
            {
                "stage": "closed",
                "leads_found": 50,
                "leads_qualified": 20,
                "emails_sent": 60,
                "emails_opened": 18,
                "emails_replied": 3,
                "revenue": 5000.00,
            },
        ],
    },
    {  # outreach done, no revenue yet: negative ROI, auto-paused by the optimizer
        "config": {
            "vertical": "plumbers",
            "location": "Denver, CO",
            "prospect_count": 100,
            "budget": 200,
            "campaign_name": "Plumbers Denver",
        },
        "lifecycle": ["start"],
        "costs": [
            {"operation": "prospecting", "provider": "outscraper", "cost": 0.50},
            {
                "operation": "website_analysis",
                "provider": "anthropic",
                "cost": 0.02,
                "model": "claude-3-haiku-20240307",
                "input_tokens": 42500,
                "output_tokens": 7500,
            },
            {
                "operation": "lead_scoring",
                "provider": "anthropic",
                "cost": 0.012,
                "model": "claude-3-haiku-20240307",
                "input_tokens": 25500,
                "output_tokens": 4500,
            },
            {"operation": "email_finding", "provider": "hunter_io", "cost": 10.00},
            {"operation": "outreach", "provider": "sendgrid", "cost": 0.30},
        ],
        "results": [
            {"stage": "scoring", "leads_found": 100, "leads_qualified": 38},
            {"stage": "outreach", "emails_sent": 300, "emails_opened": 84, "emails_replied": 21},
        ],
    },
    {  # a high performer: scale-up opportunity
        "config": {
            "vertical": "roofers",
            "location": "Phoenix, AZ",
            "prospect_count": 120,
            "budget": 250,
            "campaign_name": "Roofers Phoenix Spring",
        },
        "lifecycle": ["start"],
        "costs": [
            {"operation": "prospecting", "provider": "outscraper", "cost": 0.60},
            {"operation": "scoring", "provider": "anthropic", "cost": 0.04},
            {"operation": "email_finding", "provider": "hunter_io", "cost": 12.00},
            {"operation": "outreach", "provider": "sendgrid", "cost": 0.36},
        ],
        "results": [
            {
                "stage": "outreach",
                "leads_found": 120,
                "leads_qualified": 60,
                "emails_sent": 360,
                "emails_opened": 140,
                "emails_replied": 36,
                "revenue": 0,
            },
            {"stage": "closed", "revenue": 12000.00},
        ],
    },
    {  # expensive leads: few found for the spend
        "config": {
            "vertical": "chiropractors",
            "location": "Miami, FL",
            "prospect_count": 80,
            "budget": 100,
            "campaign_name": "Chiropractors Miami",
        },
        "lifecycle": ["start"],
        "costs": [
            {"operation": "prospecting", "provider": "outscraper", "cost": 4.00},
            {"operation": "email_finding", "provider": "hunter_io", "cost": 48.00},
        ],
        "results": [{"stage": "prospecting", "leads_found": 2, "leads_qualified": 1}],
    },
    {  # weak scoring and weak replies
        "config": {
            "vertical": "law firms",
            "location": "Chicago, IL",
            "prospect_count": 100,
            "budget": 120,
            "campaign_name": "Law Firms Chicago",
        },
        "lifecycle": ["start"],
        "costs": [
            {"operation": "prospecting", "provider": "outscraper", "cost": 0.50},
            {"operation": "scoring", "provider": "anthropic", "cost": 0.03},
            {"operation": "email_finding", "provider": "hunter_io", "cost": 10.00},
            {"operation": "outreach", "provider": "sendgrid", "cost": 0.20},
        ],
        "results": [
            {
                "stage": "outreach",
                "leads_found": 100,
                "leads_qualified": 20,
                "emails_sent": 200,
                "emails_opened": 40,
                "emails_replied": 4,
                "revenue": 1500.00,
            },
        ],
    },
    {  # spent past its budget
        "config": {
            "vertical": "med spas",
            "location": "Los Angeles, CA",
            "prospect_count": 40,
            "budget": 20,
            "campaign_name": "Med Spas LA",
        },
        "lifecycle": ["start"],
        "costs": [
            {"operation": "prospecting", "provider": "outscraper", "cost": 0.20},
            {"operation": "email_finding", "provider": "hunter_io", "cost": 24.00},
        ],
        "results": [{"stage": "scoring", "leads_found": 40, "leads_qualified": 18}],
    },
    {  # deployed, not started yet
        "config": {
            "vertical": "hvac",
            "location": "Seattle, WA",
            "prospect_count": 60,
            "budget": 80,
            "campaign_name": "HVAC Seattle",
        },
        "lifecycle": [],
        "costs": [],
        "results": [],
    },
    {  # run, then stopped: history, not optimized
        "config": {
            "vertical": "real estate agents",
            "location": "Boston, MA",
            "prospect_count": 50,
            "budget": 100,
            "campaign_name": "Realtors Boston",
        },
        "lifecycle": ["start", "stop"],
        "costs": [
            {"operation": "prospecting", "provider": "outscraper", "cost": 0.25},
            {"operation": "email_finding", "provider": "hunter_io", "cost": 5.00},
        ],
        "results": [{"stage": "prospecting", "leads_found": 50, "leads_qualified": 11}],
    },
]


def load_sample(dds: DDSIntegration) -> list[str]:
    """Deploy and play the sample campaigns through the facade; returns their ids."""
    ids = []
    for campaign in SAMPLE_CAMPAIGNS:
        deployed = _ok(dds.deploy_campaign(campaign["config"]))
        campaign_id = deployed["campaign_id"]
        ids.append(campaign_id)
        for action in campaign["lifecycle"]:
            if action == "start":
                _ok(dds.start_campaign(campaign_id))
        for cost in campaign["costs"]:
            _ok(dds.log_dds_costs(campaign_id, cost))
        for result in campaign["results"]:
            _ok(dds.log_dds_results(campaign_id, result))
        if "stop" in campaign["lifecycle"]:
            _ok(dds.stop_campaign(campaign_id))
    return ids


def _ok(result: dict[str, Any]) -> dict[str, Any]:
    if result.get("status") == "error":
        raise RuntimeError(f"sample data was refused: {result['message']}")
    return result
