"""One connection per process, released when idle; waits for, and reports, other holders."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import duckdb

from ingest.settings import Settings
from ingest.warehouse import Warehouse

from .conftest import SPEC_CONFIG, make_dds


def _other_process_can_open(path: Path) -> bool:
    code = f"import duckdb; duckdb.connect({str(path)!r}).close()"
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def _hold_in_other_process(path: Path, seconds: float) -> subprocess.Popen[bytes]:
    code = textwrap.dedent(f"""
        import duckdb, sys, time
        conn = duckdb.connect({str(path)!r})
        print("locked", flush=True)
        time.sleep({seconds})
        conn.close()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"locked"
    return proc


def test_reads_see_writes_with_no_dbt_run(warehouse_path: Path) -> None:
    dds = make_dds(warehouse_path)
    cid = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    for expected in (1.0, 2.0, 3.0):
        dds.log_dds_costs(cid, {"operation": "x", "provider": "y", "cost": 1})
        assert dds.calculate_lead_metrics(cid)["total_cost"] == expected
    dds.close()


def test_file_is_released_when_idle(warehouse_path: Path) -> None:
    dds = make_dds(warehouse_path, idle_release_seconds=0.2)
    dds.deploy_campaign(SPEC_CONFIG)
    time.sleep(0.6)
    assert _other_process_can_open(warehouse_path)
    # and the facade opens it again on the next call
    assert dds.get_all_campaigns_report()["summary"]["total_campaigns"] == 1
    dds.close()


def test_held_file_is_not_released_while_busy(warehouse_path: Path) -> None:
    dds = make_dds(warehouse_path, idle_release_seconds=60)
    dds.deploy_campaign(SPEC_CONFIG)
    assert not _other_process_can_open(warehouse_path)
    dds.close()
    assert _other_process_can_open(warehouse_path)


def test_waits_for_another_process_then_writes(warehouse_path: Path) -> None:
    dds = make_dds(warehouse_path, idle_release_seconds=0, lock_timeout_seconds=20)
    holder = _hold_in_other_process(warehouse_path, 1.0)
    deployed = dds.deploy_campaign(SPEC_CONFIG)  # retries with backoff until the holder exits
    holder.wait()
    assert deployed["status"] == "deployed"
    assert dds.get_all_campaigns_report()["summary"]["total_campaigns"] == 1


def test_busy_warehouse_is_an_error_dict_for_a_read_and_spools_a_write(
    warehouse_path: Path,
) -> None:
    dds = make_dds(warehouse_path, idle_release_seconds=0, lock_timeout_seconds=0.3)
    cid = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    holder = _hold_in_other_process(warehouse_path, 3.0)
    read = dds.calculate_lead_metrics(cid)
    written = dds.log_dds_costs(cid, {"operation": "x", "provider": "y", "cost": 1})
    holder.kill()
    holder.wait()
    assert read["status"] == "error"
    assert "held by another process" in read["message"]
    assert written["status"] == "logged" and written["spooled"] is True, written
    # the next call applies the spooled write before it reads
    assert dds.calculate_lead_metrics(cid)["total_cost"] == 1.0


def test_a_copied_warehouse_keeps_working(warehouse_path: Path, tmp_path: Path) -> None:
    dds = make_dds(warehouse_path)
    cid = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    dds.log_dds_costs(cid, {"operation": "x", "provider": "y", "cost": 4.2})
    dds.close()
    copy = tmp_path / "backup_copy.duckdb"  # another name: another DuckDB catalog name
    copy.write_bytes(warehouse_path.read_bytes())
    conn = duckdb.connect(str(copy), read_only=True)
    total = conn.execute("select total_cost_usd from marts.portfolio_summary").fetchone()[0]
    conn.close()
    assert total == Decimal("4.2")


def test_a_warehouse_from_before_clicks_gains_the_column(tmp_path: Path) -> None:
    """Snapshots written before emails_clicked existed keep their figures and read as 0."""
    path = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("create schema raw; create sequence raw.event_seq")
    conn.execute(
        "create table raw.result_snapshots (snapshot_id varchar primary key, "
        "seq bigint not null default nextval('raw.event_seq'), campaign_id varchar not null, "
        "stage varchar not null, leads_found bigint not null, leads_qualified bigint not null, "
        "emails_sent bigint not null, emails_opened bigint not null, "
        "emails_replied bigint not null, revenue_usd decimal(18, 6) not null, "
        "source varchar not null default 'api', occurred_at timestamp not null, "
        "ingested_at timestamp not null)"
    )
    conn.execute(
        "insert into raw.result_snapshots (snapshot_id, campaign_id, stage, leads_found, "
        "leads_qualified, emails_sent, emails_opened, emails_replied, revenue_usd, "
        "occurred_at, ingested_at) values ('s1', 'c1', 'outreach', 50, 20, 60, 18, 3, 0, "
        "now()::timestamp, now()::timestamp)"
    )
    conn.close()
    warehouse = Warehouse(Settings(warehouse_path=path))
    with warehouse.connect() as upgraded:
        row = upgraded.execute(
            "select leads_found, emails_sent, emails_clicked from raw.result_snapshots"
        ).fetchone()
    warehouse.close()
    assert row == (50, 60, 0)


def test_dbt_run_by_hand_and_the_facade_keep_the_same_tables_current(
    warehouse_path: Path,
) -> None:
    """dbt's own incremental run and the facade's refresh take turns on the same tables: a
    cost folded in by `dbt run` is not added again by the facade, and the reverse."""
    from dds_api.project import run_dbt

    dds = make_dds(warehouse_path)
    cid = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    dds.log_dds_costs(cid, {"operation": "x", "provider": "y", "cost": 3})
    assert dds.calculate_lead_metrics(cid)["total_cost"] == 3.0  # the facade refreshed
    dds.log_dds_costs(cid, {"operation": "x", "provider": "y", "cost": 4})
    dds.close()
    run_dbt(["run"], str(warehouse_path))  # dbt's incremental run folds in the 4
    dds = make_dds(warehouse_path)
    assert dds.calculate_lead_metrics(cid)["total_cost"] == 7.0
    dds.log_dds_costs(cid, {"operation": "x", "provider": "y", "cost": 5})
    assert dds.calculate_lead_metrics(cid)["total_cost"] == 12.0
    dds.close()
    run_dbt(["run", "--full-refresh"], str(warehouse_path))
    dds = make_dds(warehouse_path)
    assert dds.calculate_lead_metrics(cid)["total_cost"] == 12.0
    with dds.read() as conn:
        kinds = conn.execute(
            "select table_name, table_type from information_schema.tables "
            "where table_schema = 'marts' and table_name in ('campaign_metrics', "
            "'campaign_optimization_flags', 'campaign_optimization', 'dim_campaigns') "
            "order by 1"
        ).fetchall()
    dds.close()
    assert {kind for _, kind in kinds} == {"BASE TABLE"} and len(kinds) == 4
