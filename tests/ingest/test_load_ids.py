"""Every raw row names the load that wrote it (single calls, bulk loads, spool drains), and
loading the same input again does not quarantine its bad rows a second time."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl

from dds_api.facade import DDSIntegration
from ingest import imports, spool
from ingest.costs import parse_cost
from ingest.results import parse_results
from ingest.sources import dds_sqlite
from tests.conftest import SPEC_CONFIG, make_dds, raw_state

RAW_EVENT_TABLES = ("campaign_events", "cost_events", "result_snapshots", "sendgrid_events")


def load_ids(dds: DDSIntegration) -> dict[str, list[str | None]]:
    with dds.warehouse.connect() as conn:
        return {
            table: [
                row[0]
                for row in conn.execute(f"select batch_id from raw.{table} order by seq").fetchall()
            ]
            for table in RAW_EVENT_TABLES
        }


def test_single_calls_bulk_loads_and_spool_drains_each_stamp_their_rows(
    warehouse_address: str, tmp_path: Path
) -> None:
    dds = make_dds(warehouse_address)
    cid = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    dds.start_campaign(cid)
    dds.log_dds_costs(cid, {"operation": "scoring", "provider": "anthropic", "cost": 0.15})
    dds.log_dds_results(cid, {"stage": "outreach", "leads_found": 5})
    path = tmp_path / "costs.csv"
    path.write_text(
        "campaign_id,operation,provider,cost,occurred_at\n"
        f"{cid},scraping,outscraper,2.50,2025-01-01T09:00:00Z\n"
        f"{cid},scraping,outscraper,1.00,2025-01-01T10:00:00Z\n"
    )
    bulk = dds.ingest("costs", str(path))
    # two writes that found the warehouse busy wait in the spool; the next open applies them
    for i in range(2):
        cost = parse_cost({"operation": "outreach", "provider": "sendgrid", "cost": i + 1})
        dds.warehouse.spool.append(spool.cost_write(cid, cost))
    snapshot = parse_results({"stage": "outreach", "leads_found": 9})
    dds.warehouse.spool.append(spool.results_write(cid, snapshot))
    dds.close()
    dds = make_dds(warehouse_address)
    ids = load_ids(dds)
    with dds.warehouse.connect() as conn:
        batches = dict(conn.execute("select batch_id, kind from raw.ingest_batches").fetchall())
    dds.close()

    assert all(ids[table] for table in ("campaign_events", "cost_events", "result_snapshots"))
    assert all(load_id is not None for column in ids.values() for load_id in column)
    # each single call is its own load
    deploy, start = ids["campaign_events"]
    single_cost, bulk_1, bulk_2, spooled_1, spooled_2 = ids["cost_events"]
    single_results, spooled_results = ids["result_snapshots"]
    assert len({deploy, start, single_cost, single_results, bulk_1, spooled_1}) == 6
    # a bulk load is one load, recorded with its kind
    assert bulk_1 == bulk_2 == bulk["batch_id"] and batches[bulk_1] == "costs"
    # a drain applies the spooled rows in one transaction: one load, recorded as 'spool'
    assert spooled_1 == spooled_2 == spooled_results and batches[spooled_1] == "spool"


def test_loading_a_file_again_does_not_quarantine_its_bad_rows_twice(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "costs.csv"
    path.write_text(
        "campaign_id,operation,provider,cost,occurred_at\n"
        f"{campaign_id},scraping,outscraper,2.50,2025-01-01T09:00:00Z\n"
        f"{campaign_id},scraping,outscraper,-1,2025-01-01T10:00:00Z\n"
        f"{campaign_id},scraping,outscraper,1.00,yesterday\n"
    )
    first = dds.ingest("costs", str(path))
    again = dds.ingest("costs", str(path))
    with dds.warehouse.connect() as conn:
        quarantined = conn.execute(
            "select batch_id, row_number from raw.quarantine order by row_number"
        ).fetchall()
    assert (first["quarantined"], first["previously_quarantined"]) == (2, 0)
    # the re-run still refuses (and reports) both rows, but writes them nowhere again
    assert (again["quarantined"], again["previously_quarantined"]) == (2, 2)
    assert again["quarantine_reasons"] == first["quarantine_reasons"]
    assert quarantined == [(first["batch_id"], 2), (first["batch_id"], 3)]


def campaigns_db_row(name: str, **figures: int) -> dict[str, object]:
    """A row of the DDS system's campaigns.db as dds_sqlite.read_campaigns gives it."""
    row: dict[str, object] = dict.fromkeys(dds_sqlite.CAMPAIGN_COLUMNS)
    return {**row, "campaign_name": name, "status": "active", **figures}


def test_a_source_only_reads_and_the_import_step_writes_one_load(
    dds: DDSIntegration, campaign_id: str
) -> None:
    name = SPEC_CONFIG["campaign_name"]
    rows = [
        campaigns_db_row(name, total_prospects=50, emails_sent=60, emails_opened=18),
        campaigns_db_row("Not ours", total_prospects=5),
    ]
    before = raw_state(dds)
    with dds.warehouse.transaction() as conn:
        matched = dds_sqlite.match_campaign_rows(conn, rows)
    assert raw_state(dds) == before  # matching wrote nothing
    assert [(m.status, m.campaign_id) for m in matched] == [
        ("matched", campaign_id),
        ("unmatched", None),
    ]

    with dds.warehouse.transaction() as conn:
        outcomes = imports.import_campaign_rows(conn, rows)
        again = imports.import_campaign_rows(conn, rows)
        stored = conn.execute(
            "select snapshot_id, batch_id from raw.result_snapshots where source = ?",
            [dds_sqlite.SOURCE],
        ).fetchall()
        loads = conn.execute(
            "select batch_id, kind, source, rows_read, loaded, duplicates from raw.ingest_batches"
        ).fetchall()
    assert [o.status for o in outcomes] == ["imported", "unmatched"]
    assert [o.status for o in again] == ["unchanged", "unmatched"]  # nothing new: no load
    [(snapshot_id, load_id)] = stored
    assert snapshot_id == outcomes[0].snapshot_id
    assert loads == [(load_id, "results", dds_sqlite.SOURCE, 1, 1, 0)]


def test_the_same_rows_again_are_known_duplicates_and_a_changed_file_is_checked_whole(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path
) -> None:
    rows = [
        {"campaign_id": campaign_id, "operation": "scraping", "provider": "outscraper",
         "cost": f"{i}.25", "occurred_at": f"2025-01-0{i}T09:00:00Z"}
        for i in range(1, 6)
    ]  # fmt: skip
    first = dds.ingest("costs", pl.DataFrame(rows))
    # the same rows in another order: every one is stored, nothing to check again
    again = dds.ingest("costs", pl.DataFrame(rows[::-1]))
    # one row changed: the whole input is checked, and only that row loads
    changed = dds.ingest("costs", pl.DataFrame([*rows[:4], {**rows[4], "cost": "9.50"}]))
    with dds.warehouse.connect() as conn:
        [(stored, total)] = conn.execute(
            "select count(*), sum(cost_usd) from raw.cost_events"
        ).fetchall()
        fingerprints = [
            row[0]
            for row in conn.execute(
                "select fingerprint from raw.ingest_batches order by seq"
            ).fetchall()
        ]
    assert (first["loaded"], first["duplicates"]) == (5, 0)
    assert (again["loaded"], again["duplicates"], again["quarantined"]) == (0, 5, 0)
    assert (changed["loaded"], changed["duplicates"]) == (1, 4)
    assert (stored, total) == (6, sum(Decimal(f"{i}.25") for i in range(1, 6)) + Decimal("9.50"))
    # the rows as a set: the reordered input is recognised, the changed one is not
    assert fingerprints[0] == fingerprints[1] != fingerprints[2]
