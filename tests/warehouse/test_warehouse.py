"""One connection per process, released when idle; waits for, and reports, other holders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from dds_api.apps.cli import main as cli_main
from dds_api.current_marts.build import build, project_digest, project_dir, run_dbt, target_dir
from dds_api.facade import DDSIntegration
from ingest.warehouse.connection import Warehouse
from ingest.warehouse.gate import snapshot_path
from ingest.warehouse.settings import Settings
from tests.conftest import SPEC_CONFIG, make_dds


def _other_process_can_open(path: Path) -> bool:
    code = f"import duckdb; duckdb.connect({str(path)!r}).close()"
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def _hold_in_other_process(
    path: Path, seconds: float, *, read_only: bool = False
) -> subprocess.Popen[bytes]:
    """Another process with the file open (read-only: the README's notebook connection)."""
    code = textwrap.dedent(f"""
        import duckdb, sys, time
        conn = duckdb.connect({str(path)!r}, read_only={read_only})
        print("locked", flush=True)
        time.sleep({seconds})
        conn.close()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"locked"
    return proc


def _eventually(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Wait for what the facade does once idle (a timer: late on a loaded machine)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds} s"
        time.sleep(0.1)


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
    _eventually(lambda: _other_process_can_open(warehouse_path), "the idle facade let go")
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
    # it names the holder (DuckDB's lock says which process) and what to do
    assert f"(pid {holder.pid})" in read["message"]
    assert "snapshot" in read["message"]
    assert written["status"] == "logged" and written["spooled"] is True, written
    # the next call applies the spooled write before it reads
    assert dds.calculate_lead_metrics(cid)["total_cost"] == 1.0


def test_a_renamed_copy_works_for_the_facade_and_dbt(warehouse_path: Path, tmp_path: Path) -> None:
    """Every connection attaches the file as `dds`, so no name depends on the file's (#17.3)."""
    dds = make_dds(warehouse_path)
    cid = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    dds.log_dds_costs(cid, {"operation": "x", "provider": "y", "cost": 4.2})
    dds.close()
    copy = tmp_path / "backup_copy.duckdb"  # another name: another DuckDB catalog name
    copy.write_bytes(warehouse_path.read_bytes())

    dds = make_dds(copy)
    assert dds.calculate_lead_metrics(cid)["total_cost"] == 4.2
    assert dds.log_dds_costs(cid, {"operation": "x", "provider": "y", "cost": 1})["status"] == (
        "logged"
    )
    dds.close()
    run_dbt(["run", "--select", "stg_dds__cost_events", "portfolio_summary"], str(copy))
    manifest = (target_dir() / "manifest.json").read_text()
    models = [n for n in json.loads(manifest)["nodes"].values() if n["resource_type"] == "model"]
    assert {node["database"] for node in models} == {"dds"}
    assert "backup_copy" not in manifest

    # and opened directly, as an analyst would: the views carry no catalog name
    conn = duckdb.connect(str(copy), read_only=True)
    total = conn.execute("select cost_usd from marts.portfolio_summary").fetchone()[0]
    conn.close()
    assert total == Decimal("5.2")


def test_an_analysts_session_makes_nothing_raise(warehouse_path: Path) -> None:
    """With a notebook's read-only connection open, the facade answers error dicts (its
    constructor too), writes spool, and the CLI says who holds the file and what to do
    (#17.4)."""
    dds = make_dds(warehouse_path)
    cid = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    dds.close()
    holder = _hold_in_other_process(warehouse_path, 60, read_only=True)
    try:
        dds = make_dds(warehouse_path, lock_timeout_seconds=0.3)  # get_dds() in a new process
        read = dds.calculate_lead_metrics(cid)
        written = dds.log_dds_costs(cid, {"operation": "x", "provider": "y", "cost": 1})
        cli = subprocess.run(
            [str(Path(sys.executable).with_name("dds")), "report"],
            env={
                **os.environ,
                "DDS_WAREHOUSE": str(warehouse_path),
                "DDS_LOCK_TIMEOUT_SECONDS": "0.3",
            },
            capture_output=True,
            text=True,
        )
    finally:
        holder.kill()
        holder.wait()
    assert read["status"] == "error" and f"(pid {holder.pid})" in read["message"], read
    assert written["status"] == "logged" and written["spooled"] is True, written
    assert cli.returncode == 1
    assert f"(pid {holder.pid})" in cli.stderr and "snapshot" in cli.stderr, cli.stderr
    assert "Traceback" not in cli.stderr
    # the analyst is gone: the spooled cost is applied and read
    assert dds.calculate_lead_metrics(cid)["total_cost"] == 1.0
    dds.close()


def test_analysts_read_a_snapshot_that_never_blocks_novaos(warehouse_path: Path) -> None:
    dds = make_dds(
        warehouse_path,
        idle_release_seconds=0.2,
        lock_timeout_seconds=0.5,
        snapshot_interval_seconds=0,
    )
    cid = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    dds.log_dds_costs(cid, {"operation": "x", "provider": "y", "cost": 2.5})
    snapshot = dds.warehouse.snapshot_path
    assert snapshot.name == "dds.snapshot.duckdb"
    # idle: the facade lets go of the file and refreshes the snapshot
    _eventually(snapshot.is_file, "the idle facade wrote the analysts' snapshot")

    # an analyst keeps the snapshot open; NovaOS writes, reads and refreshes undisturbed
    analyst = _hold_in_other_process(snapshot, 60, read_only=True)
    try:
        written = dds.log_dds_costs(cid, {"operation": "x", "provider": "y", "cost": 1})
        assert written["cost_id"] is not None and "spooled" not in written  # written directly
        assert dds.calculate_lead_metrics(cid)["total_cost"] == 3.5
        # idle again: a new snapshot replaces the one the analyst has open
        taken = snapshot.stat().st_mtime_ns
        _eventually(
            lambda: snapshot.is_file() and snapshot.stat().st_mtime_ns != taken, "a new snapshot"
        )
        # and the analyst can open the snapshot while NovaOS holds the warehouse
        with dds.warehouse.connect():
            code = (
                f"import duckdb; c = duckdb.connect({str(snapshot)!r}, read_only=True); "
                "print(c.execute('select cost_usd from marts.portfolio_summary')"
                ".fetchone()[0])"
            )
            fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    finally:
        analyst.kill()
        analyst.wait()
    dds.close()
    assert fresh.returncode == 0, fresh.stderr
    assert Decimal(fresh.stdout.strip()) == Decimal("3.5")


def test_the_snapshot_follows_builds_and_dds_snapshot(
    template_warehouse: Path, warehouse_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the session's template was built by the facade: its snapshot was taken after the
    # build finished (it records which project the build made)
    conn = duckdb.connect(str(snapshot_path(template_warehouse)), read_only=True)
    built = conn.execute("select project_digest from refresh.build_info").fetchone()[0]
    conn.close()
    assert built == project_digest()

    dds = make_dds(warehouse_path, idle_release_seconds=60)  # never idle during the test
    dds.deploy_campaign(SPEC_CONFIG)
    dds.warehouse.close(refresh_snapshot=False)
    monkeypatch.setenv("DDS_WAREHOUSE", str(warehouse_path))
    result = CliRunner().invoke(cli_main, ["snapshot"])
    assert result.exit_code == 0, result.output
    conn = duckdb.connect(str(snapshot_path(warehouse_path)), read_only=True)
    campaigns = conn.execute("select count(*) from marts.campaigns").fetchone()[0]
    conn.close()
    assert campaigns == 1


def test_dbt_by_hand_waits_for_an_analysts_session(warehouse_path: Path) -> None:
    """dbt, started plainly, retries while a session outside our processes holds the file,
    and when it gives up it says who holds it."""
    dbt = [str(Path(sys.executable).with_name("dbt")), "run", "--select", "stg_dds__cost_events"]
    dbt += ["--project-dir", ".", "--profiles-dir", "."]
    env = {**os.environ, "DDS_WAREHOUSE": str(warehouse_path), "DO_NOT_TRACK": "1"}
    holder = _hold_in_other_process(warehouse_path, 4, read_only=True)
    waited = subprocess.run(
        dbt,
        cwd=project_dir(),
        env={**env, "DDS_LOCK_TIMEOUT_SECONDS": "120"},
        capture_output=True,
        text=True,
    )
    holder.wait()
    assert waited.returncode == 0, waited.stdout[-2000:]

    holder = _hold_in_other_process(warehouse_path, 60, read_only=True)
    try:
        gave_up = subprocess.run(
            dbt,
            cwd=project_dir(),
            env={**env, "DDS_LOCK_TIMEOUT_SECONDS": "0.5"},
            capture_output=True,
            text=True,
        )
    finally:
        holder.kill()
        holder.wait()
    assert gave_up.returncode != 0
    assert f"(pid {holder.pid})" in gave_up.stdout and "snapshot" in gave_up.stdout


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
    from dds_api.current_marts.build import run_dbt

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
            "'campaign_optimization_flags', 'campaign_optimization', 'campaigns') "
            "order by 1"
        ).fetchall()
    dds.close()
    assert {kind for _, kind in kinds} == {"BASE TABLE"} and len(kinds) == 4


def test_a_build_drops_what_the_project_no_longer_owns(
    dds: DDSIntegration, campaign_id: str
) -> None:
    """A model renamed or removed leaves no relation under its old name for analysts to read
    (dbt never drops what it stopped owning); raw and what the project owns stay."""
    with dds.warehouse.transaction() as conn:
        conn.execute("create table marts.dim_campaigns as select * from marts.campaigns")
        conn.execute("create view intermediate.int_old_roll_up as select 1 as one")
        before = conn.execute("select count(*) from raw.campaign_events").fetchone()[0]

    build(dds.warehouse, ("build", "--select", "price_list_versions"))

    with dds.warehouse.connect() as conn:
        names = {
            f"{schema}.{name}"
            for schema, name in conn.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = current_database()"
            ).fetchall()
        }
        assert conn.execute("select count(*) from raw.campaign_events").fetchone()[0] == before
    assert "marts.dim_campaigns" not in names
    assert "intermediate.int_old_roll_up" not in names
    assert {"marts.campaigns", "marts.campaign_metrics", "reference.provider_prices"} <= names
    assert {"raw.campaign_events", "refresh.plan"} <= names
    assert dds.calculate_lead_metrics(campaign_id)["campaign_id"] == campaign_id
