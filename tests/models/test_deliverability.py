"""Honest flags: human opens, deliverability rules with sample size and confidence,
auto-pause by the rule that fired, and the cooldown after an operator resumes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dds_api.apps.dashboard import write_dashboard
from dds_api.facade import DDSIntegration
from tests.ingest.test_real_inputs import sendgrid_event


def outreach(cid: str, *, messages: int, bounced: int, start: int = 0) -> list[dict[str, Any]]:
    """``messages`` SendGrid messages from number ``start``: the first ``bounced`` bounce;
    of the delivered ones, 10 are opened only by a person (two opens each), 20 only by a
    machine (Apple Mail Privacy Protection), 10 by both, and 4 clicked."""
    events = []
    for n in range(start, start + messages):
        message = f"msg{n}"
        events.append(sendgrid_event(cid, message, "processed", 0))
        if n - start < bounced:
            reason = "550 5.1.1 The email account does not exist"
            events.append(sendgrid_event(cid, message, "bounce", 1, type="bounce", reason=reason))
            continue
        events.append(sendgrid_event(cid, message, "delivered", 1))
        position = n - start - bounced
        if position < 10 or 30 <= position < 40:  # a person opened it, twice
            events.append(sendgrid_event(cid, message, "open", 10, sg_machine_open=False))
            events.append(sendgrid_event(cid, message, "open", 50, sg_machine_open=False))
        if 10 <= position < 40:  # a privacy proxy fetched the images
            events.append(sendgrid_event(cid, message, "open", 2, sg_machine_open=True))
        if position < 4:
            events.append(sendgrid_event(cid, message, "click", 60, url="https://acme.example"))
    return events


def flags_by_rule(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {flag["rule"]: flag for flag in result["recommendations"]}


def test_machine_opens_give_three_open_rates_and_deliverability_flags(
    dds: DDSIntegration, campaign_id: str
) -> None:
    summary = dds.log_sendgrid_events(outreach(campaign_id, messages=100, bounced=6))
    assert summary["quarantined"] == 0 and summary["loaded"] == summary["rows_read"]
    dds.log_dds_results(campaign_id, {"stage": "outreach", "leads_found": 100,
                                      "leads_qualified": 50, "emails_sent": 100,
                                      "emails_replied": 5})  # fmt: skip
    report = dds.generate_campaign_report(campaign_id, "outreach")
    # 94 delivered; 40 opened (30 by a machine, 20 by a person), 20 only by a machine
    keys = ("emails_sent", "emails_delivered", "emails_opened", "emails_human_opened",
            "emails_bounced")  # fmt: skip
    assert [report[key] for key in keys] == [100, 94, 40, 20, 6]
    assert report["unique_open_rate"] == pytest.approx(100 * 40 / 94, rel=1e-12)
    assert report["human_open_rate"] == pytest.approx(100 * 20 / 94, rel=1e-12)
    assert report["adjusted_open_rate"] == pytest.approx(100 * 20 / (94 - 20), rel=1e-12)
    assert report["delivered_reply_rate"] == pytest.approx(100 * 5 / 94, rel=1e-12)
    assert report["bounce_rate"] == 6.0

    result = dds.optimize_campaign(campaign_id, dry_run=True)
    flags = flags_by_rule(result)
    bounce = flags["critical_bounce_rate"]
    assert (bounce["severity"], bounce["action"], bounce["mode"]) == (
        "critical", "PAUSE_CAMPAIGN", "auto",
    )  # fmt: skip
    assert (bounce["current_value"], bounce["threshold"]) == (6.0, 3.0)
    # Wilson interval of 6 in 100 at 90 %: 3.2 % to 11.2 %, so the breach is significant
    assert bounce["sample"] == {"size": 100, "confidence": 90.0,
                                "interval": [3.1341, 11.1841], "significant": True}  # fmt: skip
    assert "high_bounce_rate" not in flags  # critical replaces high
    assert result["pause_due"] is True and result["priority"] == "CRITICAL"


def test_a_critical_bounce_rate_pauses_and_a_resume_gets_its_cooldown(
    dds: DDSIntegration, campaign_id: str
) -> None:
    dds.log_sendgrid_events(outreach(campaign_id, messages=100, bounced=6))
    paused = dds.optimize_campaign(campaign_id)
    assert paused["actions_taken"] == [
        {"action": "PAUSE_CAMPAIGN", "reason": "auto: critical bounce rate"}
    ]
    assert dds.get_campaign_status(campaign_id)["status"] == "paused"
    with dds.warehouse.connect() as conn:
        recorded = conn.execute(
            "select reason, rule_id, rule_value from raw.campaign_events "
            "where event_type = 'paused'"
        ).fetchall()
    assert recorded == [("auto: critical bounce rate", "critical_bounce_rate", 6.0)]

    # the operator fixes the list and resumes: the rule still fires but waits
    assert dds.start_campaign(campaign_id)["status"] == "started"
    cooling = dds.optimize_campaign(campaign_id)
    bounce = flags_by_rule(cooling)["critical_bounce_rate"]
    assert cooling["actions_taken"] == [] and cooling["pause_due"] is False
    assert bounce["acts_automatically"] is False and "cooldown_until" in bounce
    assert "In cooldown until" in bounce["recommendation"]
    assert "unless bounce_rate gets worse than 6.0" in bounce["recommendation"]
    everything = dds.optimize_all_campaigns()
    assert everything["campaigns_paused"] == [] and everything["campaigns_to_pause"] == []

    # a rate no worse than at the pause keeps the cooldown (6 of 100 plus 0 of 50: 4 %)...
    dds.log_sendgrid_events(outreach(campaign_id, messages=50, bounced=0, start=100))
    assert dds.optimize_campaign(campaign_id)["actions_taken"] == []
    # ...a worse one ends it: 6 + 12 bounces of 162 sent is 11.1 %, above 6 %
    dds.log_sendgrid_events(outreach(campaign_id, messages=12, bounced=12, start=150))
    repaused = dds.optimize_campaign(campaign_id)
    assert repaused["actions_taken"] == [
        {"action": "PAUSE_CAMPAIGN", "reason": "auto: critical bounce rate"}
    ]


def test_fewer_than_twenty_sent_is_not_judged(dds: DDSIntegration, campaign_id: str) -> None:
    dds.log_sendgrid_events(outreach(campaign_id, messages=19, bounced=5))
    flags = flags_by_rule(dds.optimize_campaign(campaign_id, dry_run=True))
    assert not any("bounce" in rule for rule in flags)
    dds.log_sendgrid_events(outreach(campaign_id, messages=1, bounced=0, start=19))
    flags = flags_by_rule(dds.optimize_campaign(campaign_id, dry_run=True))
    # 5 of 20 sent: 25 %, but a small sample: the interval is wide and starts at 12 %
    assert flags["critical_bounce_rate"]["sample"]["size"] == 20


def test_the_dashboard_shows_the_flags_with_sample_and_confidence(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path
) -> None:
    dds.log_sendgrid_events(outreach(campaign_id, messages=100, bounced=6))
    page = write_dashboard(dds, tmp_path / "dashboard.html").read_text()
    assert "Critical bounce rate" in page
    assert "n=100 · 90% CI 3.1-11.2% · significant" in page
    assert "pauses automatically" in page
    assert "Human opens" in page
