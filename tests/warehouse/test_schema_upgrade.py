"""A warehouse made by the previous version (tests/fixtures, commit 97f5add) upgrades in
place when the current code opens it, and its marts give the same numbers as before."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

from ingest.warehouse.schema import SCHEMA_VERSION, schema_version
from tests.conftest import make_dds

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
