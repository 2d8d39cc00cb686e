"""A warehouse made by the previous version (tests/fixtures, commit 97f5add) upgrades in
place when the current code opens it, and its marts give the same numbers as before."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

from ingest.warehouse.schema import SCHEMA_VERSION, schema_version
from tests.conftest import SPEC_CONFIG, make_dds

FIXTURES = Path(__file__).parents[1] / "fixtures"
# v1_marts.json keeps the names v1 gave its columns; these were renamed since (#17.6)
RENAMED_SINCE_V1 = {"total_cost_usd": "cost_usd"}


def test_a_v1_warehouse_upgrades_in_place_with_the_same_figures(tmp_path: Path) -> None:
    path = tmp_path / "v1.duckdb"
    shutil.copy(FIXTURES / "v1_warehouse.duckdb", path)
    expected = json.loads((FIXTURES / "v1_marts.json").read_text())
    columns = [RENAMED_SINCE_V1.get(column, column) for column in expected[0]]

    dds = make_dds(path)  # migrates the raw schema, then builds the views
    with dds.read() as conn:
        version = schema_version(conn)
        rows = conn.execute(
            f"select {', '.join(columns)} from marts.campaign_metrics order by campaign_id"
        ).fetchall()
        events = conn.execute("select count(*) from raw.cost_events").fetchall()[0][0]
    # and it takes new events as any warehouse does
    cid = expected[0]["campaign_id"]
    logged = dds.log_dds_costs(cid, {"operation": "scoring", "provider": "anthropic", "cost": 1})
    total = dds.calculate_lead_metrics(cid)["total_cost"]
    dds.close()

    assert version == SCHEMA_VERSION
    assert events == 6
    got = [{k: str(v) for k, v in zip(expected[0], row, strict=True)} for row in rows]
    for before, after in zip(expected, got, strict=True):
        roi_before, roi_after = Decimal(before.pop("roi")), Decimal(after.pop("roi"))
        assert after == before
        # the marts now round ROI to 6 places (macro dds_roi); v1 kept the double
        assert abs(roi_after - roi_before) <= Decimal("5e-7")
    assert logged["status"] == "logged"
    assert total == float(Decimal(expected[0]["total_cost_usd"]) + 1)


def test_opening_an_upgraded_warehouse_again_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "v1.duckdb"
    shutil.copy(FIXTURES / "v1_warehouse.duckdb", path)
    dds = make_dds(path)
    dds.close()
    dds = make_dds(path)
    with dds.warehouse.connect() as conn:
        applied = conn.execute("select version from raw.schema_version order by 1").fetchall()
    dds.close()
    assert [v for (v,) in applied] == list(range(1, SCHEMA_VERSION + 1))


def test_a_warehouse_built_by_0_4_is_rebuilt_from_raw(warehouse_path: Path) -> None:
    """A warehouse whose refresh bookkeeping is in `main` (0.4.0 and older) and whose marts
    hold money in DECIMAL(18, 6) is rebuilt from raw when opened: an incremental build would
    keep the old tables, and their narrow types."""
    dds = make_dds(warehouse_path)
    cid = dds.deploy_campaign({**SPEC_CONFIG, "budget": 30000})["campaign_id"]
    dds.start_campaign(cid)
    dds.log_dds_costs(cid, {"operation": "scraping", "provider": "outscraper", "cost": 20000})
    dds.calculate_lead_metrics(cid)
    with dds.warehouse.connect() as conn:  # as 0.4.0 left it
        conn.execute("create table main.dds_build_info as select * from refresh.build_info")
        conn.execute("drop table refresh.build_info")
        conn.execute(
            "create or replace table marts.campaign_metrics as select * replace "
            "(cast(cost_usd as decimal(18, 6)) as cost_usd) from marts.campaign_metrics"
        )
    dds.close()
    dds = make_dds(warehouse_path)
    try:
        with dds.warehouse.connect() as conn:
            cost_type = conn.execute(
                "select data_type from information_schema.columns where table_schema = 'marts' "
                "and table_name = 'campaign_metrics' and column_name = 'cost_usd'"
            ).fetchone()[0]
            legacy = conn.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'main' and table_name = 'dds_build_info'"
            ).fetchone()[0]
        assert (cost_type, legacy) == ("DECIMAL(38,6)", 0)
        dds.log_dds_results(cid, {"stage": "closed", "leads_found": 500, "emails_sent": 600,
                                  "revenue": 25000})  # fmt: skip
        assert dds.optimize_campaign(cid, dry_run=True)["current_performance"]["roi"] == 25.0
    finally:
        dds.close()
