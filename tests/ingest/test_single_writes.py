"""Single writes answer from what the process's earlier writes learned (ingest/known.py), and
still see every snapshot another writer stored since: another host's facade, an import or a
spool drain (here: ingest's writer on the facade's connection, which the facade's memory
does not hear of)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dds_api.facade import DDSIntegration
from ingest import results
from ingest.known import Known
from ingest.validation import utc_now
from tests.conftest import SPEC_CONFIG, make_dds


def _ago(minutes: int) -> str:
    return (utc_now() - timedelta(minutes=minutes)).isoformat()


def _store_elsewhere(
    dds: DDSIntegration, campaign_id: str, figures: dict[str, int], minutes_ago: int
) -> None:
    """A snapshot written past the facade's single writes, as an import writes it."""
    result = results.parse_results({"stage": "import", "occurred_at": _ago(minutes_ago), **figures})
    with dds.warehouse.connect() as conn:
        results.record_results(conn, campaign_id, result, source="import")


def test_a_snapshot_carries_what_another_writer_stored_since(
    dds: DDSIntegration, campaign_id: str
) -> None:
    first = {
        "stage": "prospecting",
        "leads_found": 50,
        "leads_qualified": 20,
        "occurred_at": _ago(30),
    }
    assert dds.log_dds_results(campaign_id, first)["status"] == "logged"
    _store_elsewhere(dds, campaign_id, {"leads_found": 100, "leads_qualified": 90}, 1)

    # remembered alone, the campaign found 50: 80 qualified would be refused
    logged = dds.log_dds_results(campaign_id, {"stage": "scoring", "leads_qualified": 80})
    assert logged["status"] == "logged", logged
    assert (logged["leads_found"], logged["leads_qualified"]) == (100, 80)

    # and 70 found is below the 80 qualified now carried: refused, nothing stored
    refused = dds.log_dds_results(campaign_id, {"stage": "scoring", "leads_found": 70})
    assert refused["status"] == "error"
    assert "leads_qualified (80) cannot exceed leads_found (70)" in refused["message"]
    assert dds.calculate_lead_metrics(campaign_id)["leads_generated"] == 100


def test_a_late_snapshot_is_checked_against_later_ones_stored_elsewhere(
    dds: DDSIntegration, campaign_id: str
) -> None:
    first = {"stage": "a", "leads_found": 10, "occurred_at": _ago(20)}
    assert dds.log_dds_results(campaign_id, first)["status"] == "logged"
    _store_elsewhere(dds, campaign_id, {"leads_qualified": 10}, 5)
    # slotted in before the one stored elsewhere, it would leave it 10 qualified of 5 found
    late = {"stage": "b", "leads_found": 5, "occurred_at": _ago(10)}
    refused = dds.log_dds_results(campaign_id, late)
    assert refused["status"] == "error"
    assert "in a later snapshot" in refused["message"]


def test_two_facades_carry_each_others_snapshots(warehouse_address: str, backend: str) -> None:
    # two processes (or hosts) over one warehouse; on the file they take turns holding it
    settings = {"idle_release_seconds": 0} if backend == "duckdb" else {}
    first, second = make_dds(warehouse_address, **settings), make_dds(warehouse_address, **settings)
    try:
        campaign_id = first.deploy_campaign(SPEC_CONFIG)["campaign_id"]
        logged = first.log_dds_results(
            campaign_id, {"stage": "a", "leads_found": 50, "occurred_at": _ago(30)}
        )
        assert logged["status"] == "logged", logged
        later = {"stage": "b", "leads_found": 100, "leads_qualified": 90, "occurred_at": _ago(20)}
        assert second.log_dds_results(campaign_id, later)["status"] == "logged"
        logged = first.log_dds_results(campaign_id, {"stage": "c", "leads_qualified": 80})
        assert (logged["status"], logged.get("leads_found")) == ("logged", 100), logged
        cost = {"operation": "scoring", "provider": "anthropic", "cost": 0.25}
        for dds in (first, second, first):
            assert dds.log_dds_costs(campaign_id, cost)["status"] == "logged"
        assert second.calculate_lead_metrics(campaign_id)["total_cost"] == 0.75
    finally:
        first.close()
        second.close()


def test_what_a_write_learned_is_kept_only_if_it_committed() -> None:
    known = Known().on(conn := object())
    with pytest.raises(RuntimeError), known.write():
        known.deployed("rolled_back")
        raise RuntimeError("the commit failed")
    with known.write():
        known.deployed("committed")
    assert not known.is_deployed("rolled_back")
    assert known.is_deployed("committed")
    # another connection may be another warehouse
    assert known.on(conn) is known and known.is_deployed("committed")
    assert not known.on(object()).is_deployed("committed")
