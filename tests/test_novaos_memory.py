"""NovaOS memory: the spec's snippet against dds_api.memory, and export into a real novaos.db."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from dds_api.cli import main
from dds_api.demo import load_sample
from dds_api.facade import DDSIntegration
from dds_api.memory import DDSMemory, get_memory
from dds_api.novaos_export import NOVAOS_DDL, export_to_novaos

from .conftest import log_snapshot


@pytest.fixture
def sample(dds: DDSIntegration) -> DDSIntegration:
    load_sample(dds)
    dds.optimize_all_campaigns()  # pauses one campaign: a lifecycle event after the costs
    return dds


def test_spec_snippet_runs_unchanged(
    sample: DDSIntegration, warehouse_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDS_WAREHOUSE", str(warehouse_path))
    # --- the spec's "Query DDS data via NovaOS memory", with the import path changed
    memory = get_memory()

    # Get all DDS campaigns
    campaigns = memory.get_all_agents(department="sales")
    dds_campaigns = [c for c in campaigns if c["type"] == "dds_campaign"]

    # Get total DDS costs
    total_cost = memory.get_total_costs(department="sales")

    # Get DDS revenue
    total_revenue = memory.get_total_revenue(department="sales")

    # Get ROI by department
    roi = memory.get_roi_by_department()["sales"]
    # ---
    summary = sample.get_all_campaigns_report()["summary"]
    assert len(dds_campaigns) == summary["total_campaigns"] == 8
    assert total_cost == summary["total_cost"] == 118.662
    assert total_revenue == summary["total_revenue"] == 18500.0
    assert roi == {
        "cost": 118.662,
        "revenue": 18500.0,
        "profit": summary["profit"],
        "roi": summary["total_roi"],
    }


def test_agents_have_novaos_keys(sample: DDSIntegration) -> None:
    memory = DDSMemory(sample)
    agents = memory.get_all_agents()
    assert set(agents[0]) == {
        "id", "name", "type", "department", "status", "deployed_at", "token_budget",
        "tokens_used", "total_cost", "revenue_generated", "roi", "config", "last_active",
    }  # fmt: skip
    dentists = next(a for a in agents if a["name"] == "Dentists Austin Q1")
    assert dentists["tokens_used"] == 30000  # 25,000 in + 5,000 out, from the spec's cost
    assert dentists["total_cost"] == 2.65 and dentists["revenue_generated"] == 5000.0
    assert [a["name"] for a in memory.get_all_agents(status="paused")] == ["Plumbers Denver"]
    assert memory.get_all_agents(department="marketing") == []
    with pytest.raises(ValueError, match="status must be one of"):
        memory.get_all_agents(status="running")


def test_date_filters(dds: DDSIntegration, campaign_id: str) -> None:
    memory = DDSMemory(dds)
    now = datetime.now(timezone.utc)
    for days_ago, cost in ((10, 1.0), (3, 2.0), (0, 4.0)):
        dds.log_dds_costs(campaign_id, {"operation": "x", "provider": "y", "cost": cost,
                                        "occurred_at": now - timedelta(days=days_ago)})  # fmt: skip
    log_snapshot(dds, campaign_id, revenue=100, occurred_at=now - timedelta(days=5))
    log_snapshot(dds, campaign_id, revenue=250, occurred_at=now - timedelta(days=1))
    today = now.date()
    assert memory.get_total_costs() == 7.0
    assert memory.get_total_costs(start_date=today - timedelta(days=3)) == 6.0
    assert memory.get_total_costs(end_date=today - timedelta(days=3)) == 3.0  # whole day
    assert memory.get_total_costs(start_date=today, end_date=today) == 4.0
    assert memory.get_total_costs(start_date=(today + timedelta(days=1)).isoformat()) == 0.0
    assert memory.get_total_revenue() == 250.0
    assert memory.get_total_revenue(start_date=today - timedelta(days=2)) == 150.0
    assert memory.get_total_revenue(end_date=date(2030, 1, 1)) == 250.0
    with pytest.raises(ValueError, match="start_date"):
        memory.get_total_costs(start_date="last week")


def _novaos_with_other_rows(path: Path) -> None:
    """A NovaOS memory that already holds agents, costs and revenue of its own."""
    conn = sqlite3.connect(path)
    for statement in NOVAOS_DDL:
        conn.execute(statement)
    conn.execute(
        "insert into agents (id, name, type, department, status, total_cost) "
        "values ('ceo', 'CEO agent', 'executive', 'executive', 'active', 12.5)"
    )
    conn.executemany(
        "insert into costs (timestamp, agent_id, department, model, operation, cost, "
        "request_data) values (?, 'ceo', 'executive', 'claude-sonnet', 'plan', ?, ?)",
        [("2026-01-01", 10.0, '{"prompt": "x"}'), ("2026-01-02", 2.5, None)],
    )
    conn.execute(
        "insert into revenue (timestamp, source, agent_id, department, amount) "
        "values ('2026-01-03', 'stripe', 'ceo', 'executive', 99.0)"
    )
    conn.execute(
        "insert into system_metrics (timestamp, metric_name, metric_value, metadata) "
        "values ('2026-01-03', 'cpu', 0.5, 'not json')"
    )
    conn.commit()
    conn.close()


def _table_rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    rows = {
        table: conn.execute(f"select * from {table} order by 1").fetchall()
        for table in ("agents", "costs", "revenue", "system_metrics")
    }
    conn.close()
    return rows


def test_export_round_trips_and_leaves_other_rows(sample: DDSIntegration, tmp_path: Path) -> None:
    novaos = tmp_path / "novaos.db"
    _novaos_with_other_rows(novaos)
    written = export_to_novaos(sample, novaos)
    assert written == {"agents": 8, "costs": 21, "revenue": 3, "system_metrics": 77}

    conn = sqlite3.connect(novaos)
    dds_cost, dds_revenue = conn.execute(
        "select (select round(sum(cost), 6) from costs where agent_id in "
        "        (select id from agents where type = 'dds_campaign')),"
        "       (select round(sum(amount), 6) from revenue where source = 'dds')"
    ).fetchone()
    other = conn.execute(
        "select (select sum(cost) from costs where agent_id = 'ceo'),"
        "       (select count(*) from agents where type <> 'dds_campaign'),"
        "       (select amount from revenue where source = 'stripe'),"
        "       (select count(*) from system_metrics where metric_name = 'cpu')"
    ).fetchone()
    agent = conn.execute(
        "select type, department, status, total_cost from agents where name = 'Plumbers Denver'"
    ).fetchone()
    conn.close()
    summary = sample.get_all_campaigns_report()["summary"]
    assert (dds_cost, dds_revenue) == (summary["total_cost"], summary["total_revenue"])
    assert other == (12.5, 1, 99.0, 1)
    assert agent == ("dds_campaign", "sales", "paused", 10.832)

    before = _table_rows(novaos)
    export_to_novaos(sample, novaos)
    after = _table_rows(novaos)
    assert {t: len(r) for t, r in after.items()} == {t: len(r) for t, r in before.items()}
    assert after["agents"] == before["agents"]
    # NovaOS numbers its own rows: compare everything but the id
    assert [r[1:] for r in after["costs"]] == [r[1:] for r in before["costs"]]


def test_export_picks_up_new_events(dds: DDSIntegration, campaign_id: str, tmp_path: Path) -> None:
    novaos = tmp_path / "fresh" / "novaos.db"  # no file yet: tables are created
    dds.log_dds_costs(campaign_id, {"operation": "x", "provider": "y", "cost": 1.5})
    assert export_to_novaos(dds, novaos)["costs"] == 1
    dds.log_dds_costs(campaign_id, {"operation": "x", "provider": "y", "cost": 2.25})
    log_snapshot(dds, campaign_id, revenue=10)
    export_to_novaos(dds, novaos)
    conn = sqlite3.connect(novaos)
    totals = conn.execute("select (select sum(cost) from costs), (select sum(amount) from revenue)")
    assert totals.fetchone() == (3.75, 10.0)
    conn.close()


def test_export_cli(sample: DDSIntegration, warehouse_path: Path, tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("DDS_WAREHOUSE", str(warehouse_path))
    result = CliRunner().invoke(main, ["export-novaos", str(tmp_path / "novaos.db")])
    assert result.exit_code == 0, result.output
    assert "8 agents, 21 costs, 3 revenue, 77 system_metrics" in result.output
    bad = CliRunner().invoke(main, ["export-novaos", str(tmp_path)])  # a directory
    assert bad.exit_code != 0
