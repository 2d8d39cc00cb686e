"""deployed -> active (start) <-> paused; stopped is final."""

from __future__ import annotations

import re

from dds_api.facade import DDSIntegration
from tests.conftest import SPEC_CONFIG, raw_state


def _status(dds: DDSIntegration, campaign_id: str) -> str:
    return dds.get_campaign_status(campaign_id)["status"]


def test_deploy_start_pause_resume_stop(dds: DDSIntegration) -> None:
    campaign_id = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    assert _status(dds, campaign_id) == "deployed"

    started = dds.start_campaign(campaign_id)
    assert started == {
        "status": "started",
        "campaign_id": campaign_id,
        "message": f"Campaign {campaign_id} started.",
        "previous_status": "deployed",
        "changed": True,
    }
    assert _status(dds, campaign_id) == "active"

    assert dds.pause_campaign(campaign_id)["status"] == "paused"
    assert _status(dds, campaign_id) == "paused"
    assert dds.start_campaign(campaign_id)["previous_status"] == "paused"
    assert _status(dds, campaign_id) == "active"

    stopped = dds.stop_campaign(campaign_id)
    assert stopped["status"] == "stopped"
    assert _status(dds, campaign_id) == "stopped"


def test_start_after_stop_is_an_error_and_changes_nothing(dds: DDSIntegration) -> None:
    campaign_id = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    dds.start_campaign(campaign_id)
    dds.stop_campaign(campaign_id)
    before = raw_state(dds)
    for action in (dds.start_campaign, dds.pause_campaign):
        result = action(campaign_id)
        assert result["status"] == "error"
        assert "stopped" in result["message"] and "Deploy a new campaign" in result["message"]
    assert raw_state(dds) == before
    assert _status(dds, campaign_id) == "stopped"


def test_pause_before_start_is_an_error(dds: DDSIntegration) -> None:
    campaign_id = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    before = raw_state(dds)
    result = dds.pause_campaign(campaign_id)
    assert result["status"] == "error"
    assert "has not been started" in result["message"]
    assert raw_state(dds) == before


def test_repeating_a_transition_is_a_no_op(dds: DDSIntegration, campaign_id: str) -> None:
    before = raw_state(dds)
    again = dds.start_campaign(campaign_id)
    assert again["status"] == "started" and again["changed"] is False
    assert "already active" in again["message"]
    assert raw_state(dds) == before


def test_deployed_campaign_can_be_stopped_without_starting(dds: DDSIntegration) -> None:
    campaign_id = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    assert dds.stop_campaign(campaign_id)["status"] == "stopped"
    assert _status(dds, campaign_id) == "stopped"


def test_campaign_ids_unique_within_one_second_and_safe(dds: DDSIntegration) -> None:
    ids = [dds.deploy_campaign(SPEC_CONFIG)["campaign_id"] for _ in range(20)]
    assert len(set(ids)) == 20
    assert all(re.fullmatch(r"dds_\d{8}_\d{6}_[0-9a-f]{12}", i) for i in ids)


def test_costs_after_stop_are_still_recorded(dds: DDSIntegration, campaign_id: str) -> None:
    """A late invoice is money spent; stopping a campaign does not refuse it."""
    dds.stop_campaign(campaign_id)
    logged = dds.log_dds_costs(campaign_id, {"operation": "a", "provider": "b", "cost": 1.25})
    assert logged["status"] == "logged"
    assert dds.calculate_lead_metrics(campaign_id)["total_cost"] == 1.25
