"""The refresh after a write, in the background (dds_api/current_marts/background.py): once
writes pause, the marts hold them before any read asks; a read at any moment after a write,
before, during or after that refresh, still answers with it."""

from __future__ import annotations

import time
from decimal import Decimal

from dds_api.current_marts import background
from dds_api.facade import DDSIntegration
from tests.conftest import log_costs


def _stored_cost(dds: DDSIntegration, campaign_id: str) -> Decimal:
    """The campaign's cost as the mart holds it, read without refreshing anything."""
    with dds.warehouse.connect(reading=True) as conn:
        row = conn.execute(
            "select cost_usd from marts.campaign_metrics where campaign_id = ?", [campaign_id]
        ).fetchone()
    assert row is not None
    return Decimal(row[0])


def test_the_marts_hold_a_write_before_any_read(dds: DDSIntegration, campaign_id: str) -> None:
    assert dds.calculate_lead_metrics(campaign_id)["total_cost"] == 0
    log_costs(dds, campaign_id, 1.25, 0.50)
    deadline = time.monotonic() + 60  # a shared machine: generous, it is not a timing test
    while _stored_cost(dds, campaign_id) != Decimal("1.75"):
        assert time.monotonic() < deadline, "no refresh after the write"
        time.sleep(0.05)
    assert dds.calculate_lead_metrics(campaign_id)["total_cost"] == 1.75


def test_a_read_at_any_moment_after_a_write_sees_it(dds: DDSIntegration, campaign_id: str) -> None:
    # reads right after the write (a refresh of their own), as the background refresh
    # starts (waiting for it), and after it (nothing left to refresh)
    pauses = [0.0, background.QUIET_SECONDS * 0.8, background.QUIET_SECONDS * 1.2, 0.3]
    total = Decimal(0)
    for round_ in range(3):
        for pause in pauses:
            log_costs(dds, campaign_id, 0.10)
            total += Decimal("0.10")
            time.sleep(pause)
            metrics = dds.calculate_lead_metrics(campaign_id)
            status = dds.get_campaign_status(campaign_id)
            assert Decimal(str(metrics["total_cost"])) == total, (round_, pause)
            assert Decimal(str(status["metrics"]["total_cost"])) == total, (round_, pause)
