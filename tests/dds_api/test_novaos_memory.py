"""NovaOS memory: the spec's snippet against dds_api.memory, and export into a real novaos.db."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from dds_api.apps.cli import main
from dds_api.facade import DDSIntegration
from dds_api.memory import DDSMemory, get_memory
from dds_api.novaos_export import export_to_novaos
from dds_api.samples.demo import load_sample
from tests import novaos_db
from tests.conftest import log_snapshot, make_dds


@pytest.fixture
def sample(dds: DDSIntegration) -> DDSIntegration:
    load_sample(dds)
    dds.optimize_all_campaigns()  # pauses one campaign: a lifecycle event after the costs
    return dds


def test_spec_snippet_runs_unchanged(
    sample: DDSIntegration, warehouse_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDS_WAREHOUSE", warehouse_address)
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


# --------------------------------------------------------------- export into novaos.db

# NovaOS' form of a time: datetime.now().isoformat() with its microseconds
NOVAOS_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")


def _add_novaos_rows(path: Path) -> None:
    """NovaOS' own rows, in departments other than sales, written as NovaOS writes them."""
    conn = novaos_db.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO agents (id, name, type, department, status, deployed_at, total_cost) "
            "VALUES (?, ?, ?, ?, 'active', ?, ?)",
            [
                ("ceo", "CEO agent", "executive", "executive", "2026-01-01T09:00:00.123456", 12.5),
                ("cmo", "CMO agent", "marketing", "marketing", "2026-01-01T09:00:01.000001", 4.0),
            ],
        )
        conn.executemany(
            "INSERT INTO costs (timestamp, agent_id, agent_name, department, model, operation, "
            "cost, request_data) VALUES (?, ?, ?, ?, 'claude-sonnet', 'plan', ?, ?)",
            [
                ("2026-01-01T10:00:00.000001", "ceo", "CEO agent", "executive", 10.0, '{"q": 1}'),
                ("2026-01-02T10:00:00.000001", "ceo", "CEO agent", "executive", 2.5, None),
                ("2026-01-02T11:00:00.000001", "cmo", "CMO agent", "marketing", 4.0, "not json"),
            ],
        )
        conn.execute(
            "INSERT INTO revenue (timestamp, source, amount, agent_id, department) "
            "VALUES ('2026-01-03T12:00:00.500000', 'stripe', 99.0, 'ceo', 'executive')"
        )
        conn.execute(
            "INSERT INTO system_metrics (timestamp, metric_name, metric_value, metadata) "
            "VALUES ('2026-01-03T12:00:00.500000', 'cpu', 0.5, '{\"source\": \"novaos\"}')"
        )
    conn.close()


def _rows_with_ids(rows: dict[str, list[tuple]], ids: dict[str, list[tuple]]) -> dict:
    """The rows of each table whose id (first column) is among ``ids``' rows."""
    return {
        table: [row for row in rows[table] if row[0] in {old[0] for old in ids[table]}]
        for table in rows
    }


# NovaOS' own memory queries, as NovaOS runs them (times compared as text)
def _novaos_total(
    conn: sqlite3.Connection,
    table: str,
    column: str,
    department: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> float:
    sql, params = f"SELECT SUM({column}) FROM {table} WHERE department = ?", [department]
    if start is not None:
        sql, params = sql + " AND timestamp >= ?", [*params, start.isoformat()]
    if end is not None:
        sql, params = sql + " AND timestamp <= ?", [*params, end.isoformat()]
    return round(conn.execute(sql, params).fetchone()[0] or 0.0, 6)


def _novaos_roi_by_department(conn: sqlite3.Connection) -> dict[str, dict[str, float]]:
    costs = dict(conn.execute("SELECT department, SUM(cost) FROM costs GROUP BY department"))
    revenue = dict(conn.execute("SELECT department, SUM(amount) FROM revenue GROUP BY department"))
    return {
        department: {
            "cost": round(cost, 6),
            "revenue": round(revenue.get(department, 0.0), 6),
            "roi": (revenue.get(department, 0.0) - cost) / cost * 100 if cost else 0.0,
        }
        for department, cost in costs.items()
    }


@pytest.fixture
def novaos(tmp_path: Path) -> Path:
    """A NovaOS memory database created by NovaOS, holding NovaOS' own rows."""
    path = novaos_db.create_novaos_db(tmp_path / "novaos.db")
    _add_novaos_rows(path)
    return path


def test_export_creates_novaos_tables_exactly(sample: DDSIntegration, tmp_path: Path) -> None:
    ours = tmp_path / "fresh" / "novaos.db"  # no file yet: the export creates the tables
    export_to_novaos(sample, ours)
    theirs = novaos_db.create_novaos_db(tmp_path / "theirs.db")
    with closing(sqlite3.connect(ours)) as a, closing(sqlite3.connect(theirs)) as b:
        assert novaos_db.schema(a) == novaos_db.schema(b)
        # and the very DDL text NovaOS leaves in sqlite_master
        ddl = "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
        assert a.execute(ddl).fetchall() == b.execute(ddl).fetchall()


def test_export_into_a_novaos_created_database(sample: DDSIntegration, novaos: Path) -> None:
    before = novaos_db.table_rows(novaos)  # NovaOS' own rows only, so far
    written = export_to_novaos(sample, novaos)
    assert {table: summary["rows"] for table, summary in written.items()} == {
        "agents": 8, "costs": 21, "revenue": 3, "system_metrics": 77
    }  # fmt: skip
    assert all(summary["inserted"] == summary["rows"] for summary in written.values())

    with closing(novaos_db.connect(novaos)) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # Outscraper has no model: the provider is recorded as the model (NOT NULL)
        models = dict(
            conn.execute(
                "SELECT json_extract(request_data, '$.provider'), model FROM costs "
                "WHERE agent_id LIKE 'dds_%' GROUP BY 1, 2 HAVING count(*) > 0 ORDER BY 1"
            ).fetchall()
        )
        assert models["outscraper"] == "outscraper"
        assert models["anthropic"].startswith("claude")
        times = [
            value
            for sql in (
                "SELECT deployed_at FROM agents WHERE type = 'dds_campaign'",
                "SELECT last_active FROM agents WHERE type = 'dds_campaign'",
                "SELECT timestamp FROM costs WHERE agent_id LIKE 'dds_%'",
                "SELECT timestamp FROM revenue WHERE source = 'dds'",
                "SELECT timestamp FROM system_metrics WHERE metric_name LIKE 'dds.%'",
            )
            for (value,) in conn.execute(sql)
        ]
        assert len(times) == 8 + 8 + 21 + 3 + 77
        assert all(NOVAOS_TIME.match(value) for value in times), times[:3]
    # NovaOS' rows untouched, ids included
    assert _rows_with_ids(novaos_db.table_rows(novaos), before) == before

    # a second export changes nothing: not a row, not an id, not a created_at
    exported = novaos_db.table_rows(novaos)
    again = export_to_novaos(sample, novaos)
    assert novaos_db.table_rows(novaos) == exported
    assert all(
        (summary["inserted"], summary["updated"], summary["deleted"]) == (0, 0, 0)
        for summary in again.values()
    )


def test_novaos_queries_agree_with_the_facade(
    sample: DDSIntegration, novaos: Path, campaign_id: str
) -> None:
    """NovaOS' own SQL over the exported file gives the facade's figures, date ranges
    included; the other departments' figures are those NovaOS had."""
    dds = sample
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    times = [now - timedelta(days=days, minutes=7) for days in (10, 3, 1)]
    for at, cost in zip(times, (1.25, 2.5, 4.125), strict=True):
        logged = dds.log_dds_costs(
            campaign_id, {"operation": "scraping", "provider": "outscraper", "cost": cost,
                          "occurred_at": at}
        )  # fmt: skip
        assert logged["status"] == "logged"
    log_snapshot(dds, campaign_id, revenue=100, occurred_at=now - timedelta(days=5))
    log_snapshot(dds, campaign_id, revenue=250, occurred_at=now - timedelta(days=2))
    with closing(novaos_db.connect(novaos)) as conn:
        others_before = {
            department: figures
            for department, figures in _novaos_roi_by_department(conn).items()
            if department != "sales"
        }
    export_to_novaos(dds, novaos)
    memory = DDSMemory(dds)

    with closing(novaos_db.connect(novaos)) as conn:
        ranges = [
            (None, None),
            (times[1], None),  # from a cost's own time (inclusive)
            (None, times[1]),  # to it (inclusive)
            (times[0] + timedelta(microseconds=1), times[2]),
            (now - timedelta(days=6), now - timedelta(days=4)),
            (now + timedelta(days=1), None),
        ]
        for start, end in ranges:
            assert _novaos_total(conn, "costs", "cost", "sales", start, end) == (
                memory.get_total_costs(start_date=start, end_date=end, department="sales")
            ), (start, end)
            assert _novaos_total(conn, "revenue", "amount", "sales", start, end) == (
                memory.get_total_revenue(start_date=start, end_date=end, department="sales")
            ), (start, end)
        # the sample's events are from today: these ranges hold only this test's
        window = (times[0] + timedelta(microseconds=1), times[2])
        assert _novaos_total(conn, "costs", "cost", "sales", *window) == 6.625
        window = (now - timedelta(days=6), now - timedelta(days=4))
        assert _novaos_total(conn, "revenue", "amount", "sales", *window) == 100.0

        roi = _novaos_roi_by_department(conn)
        facade = memory.get_roi_by_department()["sales"]
        assert (roi["sales"]["cost"], roi["sales"]["revenue"]) == (
            facade["cost"],
            facade["revenue"],
        )
        assert roi["sales"]["roi"] == pytest.approx(facade["roi"], rel=1e-9)
        summary = dds.get_all_campaigns_report()["summary"]
        assert facade["cost"] == summary["total_cost"]
        assert {d: f for d, f in roi.items() if d != "sales"} == others_before

        conn.row_factory = sqlite3.Row
        agents = [dict(row) for row in conn.execute(
            "SELECT * FROM agents WHERE department = ? ORDER BY id", ["sales"]
        )]  # fmt: skip
    expected = sorted(memory.get_all_agents(department="sales"), key=lambda a: a["id"])
    keys = ("id", "name", "type", "status", "tokens_used", "total_cost", "revenue_generated")
    assert [{k: a[k] for k in keys} for a in agents] == [{k: a[k] for k in keys} for a in expected]
    assert [a["roi"] for a in agents] == pytest.approx([a["roi"] for a in expected], rel=1e-9)
    assert len(agents) == 9  # the sample's eight and this test's campaign


def test_export_follows_changes_and_touches_only_what_changed(
    dds: DDSIntegration, campaign_id: str, novaos: Path
) -> None:
    dds.log_dds_costs(campaign_id, {"operation": "x", "provider": "hunter", "cost": 1.5})
    log_snapshot(dds, campaign_id, revenue=10)
    first = export_to_novaos(dds, novaos)
    assert (first["costs"]["rows"], first["revenue"]["rows"]) == (1, 1)
    with closing(novaos_db.connect(novaos)) as conn:
        (first_cost,) = conn.execute("SELECT * FROM costs WHERE agent_id = ?", [campaign_id])
        # a late snapshot slots in before the first: the first revenue row's amount changes
    log_snapshot(dds, campaign_id, revenue=4, occurred_at=datetime.now(timezone.utc)
                 - timedelta(hours=1))  # fmt: skip
    dds.log_dds_costs(campaign_id, {"operation": "x", "provider": "hunter", "cost": 2.25})
    dds.stop_campaign(campaign_id)
    second = export_to_novaos(dds, novaos)
    assert second["costs"] == {"rows": 2, "inserted": 1, "updated": 0, "deleted": 0}
    assert second["revenue"] == {"rows": 2, "inserted": 2, "updated": 0, "deleted": 1}
    assert second["agents"] == {"rows": 1, "inserted": 0, "updated": 1, "deleted": 0}
    with closing(novaos_db.connect(novaos)) as conn:
        costs = conn.execute("SELECT * FROM costs WHERE agent_id = ? ORDER BY id", [campaign_id])
        assert costs.fetchall()[0] == first_cost  # the unchanged row kept its id
        assert conn.execute(
            "SELECT (SELECT sum(cost) FROM costs WHERE department = 'sales'),"
            " (SELECT sum(amount) FROM revenue WHERE department = 'sales'),"
            " (SELECT status FROM agents WHERE id = ?)",
            [campaign_id],
        ).fetchone() == (3.75, 10.0, "stopped")


def test_export_refuses_what_novaos_would_refuse_and_writes_nothing(
    dds: DDSIntegration, campaign_id: str, novaos: Path, new_warehouse: Callable[[], str]
) -> None:
    """NovaOS' own cost row pointing at a DDS agent: deleting that agent (it left our
    warehouse) would break NovaOS' foreign key, so the export fails whole."""
    export_to_novaos(dds, novaos)
    with closing(novaos_db.connect(novaos)) as conn, conn:
        conn.execute(
            "INSERT INTO costs (timestamp, agent_id, model, operation, cost) "
            "VALUES ('2026-01-04T00:00:00.000001', ?, 'gpt', 'review', 1.0)",
            [campaign_id],
        )
    other = make_dds(new_warehouse())  # a warehouse without that campaign
    try:
        before = novaos_db.table_rows(novaos)
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            export_to_novaos(other, novaos)
        assert novaos_db.table_rows(novaos) == before
    finally:
        other.close()


def test_export_cli(sample: DDSIntegration, warehouse_address: str, novaos: Path,
                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("DDS_WAREHOUSE", warehouse_address)
    result = CliRunner().invoke(main, ["export-novaos", str(novaos)])
    assert result.exit_code == 0, result.output
    assert "8 agents, 21 costs, 3 revenue, 77 system_metrics (109 inserted" in result.output
    again = CliRunner().invoke(main, ["export-novaos", str(novaos)])
    assert "(0 inserted, 0 updated, 0 deleted)" in again.output
    bad = CliRunner().invoke(main, ["export-novaos", str(novaos.parent)])  # a directory
    assert bad.exit_code != 0
