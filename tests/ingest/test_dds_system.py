"""The DDS system as a neighbour: located by DDS_HOME, its own SQLite databases read (never
written) and campaigns.db's figures imported as source-tagged snapshots. Real folders and
real SQLite files built with sqlite3; a real warehouse; no mocks."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dds_api.facade import DDSIntegration
from ingest.sources.dds_home import ENTRY_POINTS
from ingest.warehouse.settings import Settings
from tests.conftest import SPEC_CONFIG, log_snapshot, make_dds, raw_state

NAME = SPEC_CONFIG["campaign_name"]  # 'Dentists Austin Q1'

CAMPAIGNS_DDL = """
    create table campaigns (
        campaign_name text primary key{collate},
        niche text, location text, prospects_csv_path text, sender_name text,
        sender_company text, status text,
        total_prospects integer default 0, emails_sent integer default 0,
        emails_opened integer default 0, emails_clicked integer default 0,
        emails_replied integer default 0
    )
"""


def dds_row(name: str = NAME, **figures: Any) -> dict[str, Any]:
    return {
        "campaign_name": name,
        "niche": "dentists",
        "location": "Austin, TX",
        "prospects_csv_path": "data/prospects_dentists_austin.csv",
        "sender_name": "John Smith",
        "sender_company": "Marketing Solutions Pro",
        "status": "active",
        "total_prospects": 50,
        "emails_sent": 60,
        "emails_opened": 18,
        "emails_clicked": 12,
        "emails_replied": 3,
        **figures,
    }


def write_campaigns_db(home: Path, *rows: dict[str, Any], nocase: bool = False) -> Path:
    """campaigns.db as the DDS system keeps it (its rows replaced by `rows`)."""
    path = home / "campaigns.db"
    with sqlite3.connect(path) as conn:
        conn.execute(CAMPAIGNS_DDL.format(collate=" collate nocase" if nocase else ""))
        for row in rows:
            conn.execute(
                f"insert into campaigns ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                list(row.values()),
            )
    conn.close()
    return path


def update_campaigns_db(path: Path, name: str, **figures: Any) -> None:
    with sqlite3.connect(path) as conn:
        for column, value in figures.items():
            conn.execute(
                f"update campaigns set {column} = ? where campaign_name = ?", [value, name]
            )
    conn.close()


@pytest.fixture
def dds_home(tmp_path: Path) -> Path:
    """A DDS system folder with the four agents' entry points and no database yet."""
    home = tmp_path / "prospecting_agent"
    for entry in ENTRY_POINTS:
        (home / entry).parent.mkdir(parents=True, exist_ok=True)
        (home / entry).write_text("# a DDS agent\n")
    return home


@pytest.fixture
def connected(warehouse_address: str, dds_home: Path) -> Iterator[DDSIntegration]:
    """A facade whose DDS_HOME is the folder above (short SQLite timeout for lock tests)."""
    integration = make_dds(warehouse_address, dds_home=dds_home, dds_db_timeout_seconds=0.1)
    yield integration
    integration.close()


def deploy(dds: DDSIntegration, name: str = NAME) -> str:
    deployed = dds.deploy_campaign({**SPEC_CONFIG, "campaign_name": name})
    assert deployed["status"] == "deployed", deployed
    return deployed["campaign_id"]


def imported_snapshots(dds: DDSIntegration) -> list[tuple]:
    """The imported snapshots with omitted figures carried forward (raw stores only what
    the import gave; the carried view fills in the rest)."""
    with dds.read() as conn:
        return conn.execute(
            "select campaign_id, leads_found, leads_qualified, emails_sent, emails_opened, "
            "emails_clicked, emails_replied, revenue_usd, stage "
            "from intermediate.int_result_snapshots_carried_forward "
            "where snapshot_source = 'dds_campaigns_db' order by event_seq"
        ).fetchall()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------- locating DDS


def test_without_dds_home_deploy_works_and_nothing_is_read(dds: DDSIntegration) -> None:
    assert dds.dds_path is None and dds.dds_available is False
    campaign_id = deploy(dds)
    details = dds.get_campaign_status(campaign_id)["dds_details"]
    assert details["dds_home"] is None and details["dds_available"] is False
    assert details["campaigns_db"]["state"] == details["ops_db"]["state"] == "absent"
    assert "DDS_HOME is not set" in details["campaigns_db"]["message"]
    assert details["result_snapshots"] == 0  # the existing keys are kept
    assert dds.sync_dds_databases()["status"] == "not_configured"


@pytest.mark.parametrize("broken", ["missing_folder", "missing_entry_point"])
def test_wrong_dds_home_refuses_deploy_with_setup_instructions(
    warehouse_address: str, dds_home: Path, broken: str
) -> None:
    if broken == "missing_folder":
        home, missing = dds_home.parent / "nowhere", "not an existing folder"
    else:
        (dds_home / "src/outreach_agent.py").unlink()
        home, missing = dds_home, "src/outreach_agent.py"
    dds = make_dds(warehouse_address, dds_home=home)
    try:
        before = raw_state(dds)
        result = dds.deploy_campaign(SPEC_CONFIG)
        assert result["status"] == "error"
        assert "DDS system not found" in result["message"] and missing in result["message"]
        assert "DDS_HOME" in result["setup_instructions"]  # the spec's troubleshooting
        assert all(entry in result["setup_instructions"] for entry in ENTRY_POINTS)
        assert dds.dds_path == home and dds.dds_available is False
        assert raw_state(dds) == before
    finally:
        dds.close()


def test_right_dds_home_is_available(connected: DDSIntegration, dds_home: Path) -> None:
    assert connected.dds_path == dds_home and connected.dds_available is True
    campaign_id = deploy(connected)
    details = connected.get_campaign_status(campaign_id)["dds_details"]
    assert details["dds_home"] == str(dds_home) and details["dds_available"] is True
    assert details["campaigns_db"]["state"] == details["ops_db"]["state"] == "absent"
    assert details["available"] is False  # the original's key: no campaigns.db row to show


def test_deploy_reports_each_agent_as_dds_home_holds_it(
    connected: DDSIntegration, dds_home: Path
) -> None:
    deployed = connected.deploy_campaign(SPEC_CONFIG)
    # the four entry points deploying needs, but no research agent (website analyzer) yet
    assert deployed["dds_integration"] == {
        "prospecting_agent": "Ready", "scoring_agent": "Ready",
        "research_agent": "Missing", "outreach_agent": "Ready",
    }  # fmt: skip
    (dds_home / "src/website_analyzer.py").write_text("# the research agent\n")
    again = connected.deploy_campaign({**SPEC_CONFIG, "campaign_name": "Second"})
    assert set(again["dds_integration"].values()) == {"Ready"}


def test_dds_details_are_available_when_campaigns_db_has_the_campaign(
    connected: DDSIntegration, dds_home: Path
) -> None:
    campaign_id = deploy(connected)
    write_campaigns_db(dds_home, dds_row())
    assert connected.get_campaign_status(campaign_id)["dds_details"]["available"] is True
    other = deploy(connected, name="Not in campaigns.db")
    assert connected.get_campaign_status(other)["dds_details"]["available"] is False


def test_settings_read_dds_home_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, dds_home: Path
) -> None:
    settings = Settings.from_env("x.duckdb")
    monkeypatch.setenv("DDS_HOME", str(dds_home))
    assert settings.dds_home_now() == dds_home.resolve()  # read when used, not when made
    monkeypatch.setenv("DDS_HOME", "  ")
    assert settings.dds_home_now() is None
    monkeypatch.delenv("DDS_HOME")
    assert settings.dds_home_now() is None
    assert Settings(Path("x.duckdb"), dds_home=dds_home).dds_home_now() == dds_home


def test_dds_home_set_while_the_process_runs_is_used(
    warehouse_address: str, dds_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """get_dds() keeps one facade per process: DDS_HOME set (or changed) after it was made
    connects the DDS system without a restart."""
    monkeypatch.delenv("DDS_HOME", raising=False)
    dds = DDSIntegration(Settings.from_env(warehouse_address))
    try:
        campaign_id = deploy(dds)
        assert dds.dds_path is None and dds.sync_dds_databases()["status"] == "not_configured"
        write_campaigns_db(dds_home, dds_row())
        monkeypatch.setenv("DDS_HOME", str(dds_home))
        assert dds.dds_path == dds_home and dds.dds_available is True
        details = dds.get_campaign_status(campaign_id)["dds_details"]
        assert details["dds_home"] == str(dds_home)
        assert details["campaigns_db"]["import"]["status"] == "pending"
        assert dds.sync_dds_databases()["imported"][0]["campaign_id"] == campaign_id
        (dds_home / "src/main.py").unlink()  # a broken DDS_HOME refuses deploys at once
        assert dds.deploy_campaign(SPEC_CONFIG)["status"] == "error"
        monkeypatch.delenv("DDS_HOME")
        assert dds.deploy_campaign(SPEC_CONFIG)["status"] == "deployed"
    finally:
        dds.close()


# ---------------------------------------------------------------------- campaigns.db


def test_status_shows_the_row_and_writes_nothing_sync_imports_it(
    connected: DDSIntegration, dds_home: Path
) -> None:
    campaign_id = deploy(connected)
    # what DDS does not know (qualified leads, revenue) carries forward from our snapshots
    log_snapshot(connected, campaign_id, leads_found=40, leads_qualified=20, revenue=500)
    path = write_campaigns_db(dds_home, dds_row())
    before = digest(path)

    warehouse_before = raw_state(connected)
    status = connected.get_campaign_status(campaign_id)
    assert raw_state(connected) == warehouse_before  # a read writes no snapshot
    campaigns_db = status["dds_details"]["campaigns_db"]
    assert campaigns_db["state"] == "ok"
    assert campaigns_db["row"] == dds_row()
    assert campaigns_db["import"]["status"] == "pending"
    assert "sync_dds_databases()" in campaigns_db["import"]["message"]
    assert status["metrics"]["leads_generated"] == 40  # not imported yet
    assert status["dds_details"]["result_snapshots"] == 1

    synced = connected.sync_dds_databases()
    assert [row["campaign_id"] for row in synced["imported"]] == [campaign_id]
    assert imported_snapshots(connected) == [(campaign_id, 50, 20, 60, 18, 12, 3, 500, "outreach")]
    status = connected.get_campaign_status(campaign_id)
    assert status["dds_details"]["campaigns_db"]["import"]["status"] == "unchanged"
    metrics = status["metrics"]
    assert (metrics["leads_generated"], metrics["leads_qualified"]) == (50, 20)
    assert (metrics["emails_sent"], metrics["emails_opened"]) == (60, 18)
    assert (metrics["emails_clicked"], metrics["emails_replied"]) == (12, 3)
    assert metrics["click_rate"] == 20.0  # 12 of 60 sent
    assert metrics["revenue_generated"] == 500.0
    assert status["dds_details"]["result_snapshots"] == 2
    outreach = connected.generate_campaign_report(campaign_id, "outreach")
    assert (outreach["emails_clicked"], outreach["click_rate"]) == (12, 20.0)
    assert digest(path) == before  # read-only: the DDS system's file is untouched


def test_status_reports_an_invalid_row_without_writing(
    connected: DDSIntegration, dds_home: Path
) -> None:
    campaign_id = deploy(connected)
    write_campaigns_db(dds_home, dds_row(emails_replied=-1))
    before = raw_state(connected)
    preview = connected.get_campaign_status(campaign_id)["dds_details"]["campaigns_db"]["import"]
    assert preview["status"] == "invalid" and "must not be negative" in preview["message"]
    assert raw_state(connected) == before


def test_import_never_moves_our_stage_back(connected: DDSIntegration, dds_home: Path) -> None:
    """campaigns.db has no stage: the campaign keeps ours, however far it has gone."""
    closed, fresh = deploy(connected, "Closed"), deploy(connected, "Fresh")
    log_snapshot(connected, closed, leads_found=40, emails_sent=50)
    connected.log_dds_results(closed, {"stage": "closed", "revenue": 5000})
    path = write_campaigns_db(dds_home, dds_row("Closed"), dds_row("Fresh", emails_sent=0,
                              emails_opened=0, emails_clicked=0, emails_replied=0))  # fmt: skip
    assert len(connected.sync_dds_databases()["imported"]) == 2
    assert connected.calculate_lead_metrics(closed)["latest_stage"] == "closed"
    # without a stage of ours, DDS's figures say where the campaign is
    assert connected.calculate_lead_metrics(fresh)["latest_stage"] == "prospecting"
    update_campaigns_db(path, "Fresh", emails_sent=10)
    update_campaigns_db(path, "Closed", emails_replied=4)
    assert len(connected.sync_dds_databases()["imported"]) == 2
    assert connected.calculate_lead_metrics(fresh)["latest_stage"] == "outreach"
    assert connected.calculate_lead_metrics(closed)["latest_stage"] == "closed"
    assert [row[-1] for row in imported_snapshots(connected)] == [
        "closed", "prospecting", "closed", "outreach"
    ]  # fmt: skip


def test_import_is_idempotent_and_follows_changes(
    connected: DDSIntegration, dds_home: Path
) -> None:
    campaign_id = deploy(connected)
    path = write_campaigns_db(dds_home, dds_row())
    assert connected.sync_dds_databases()["imported"][0]["campaign_id"] == campaign_id
    again = connected.get_campaign_status(campaign_id)["dds_details"]["campaigns_db"]
    assert again["import"]["status"] == "unchanged"
    synced = connected.sync_dds_databases()
    assert (synced["status"], synced["imported"], synced["unchanged"]) == ("synced", [], [NAME])
    assert len(imported_snapshots(connected)) == 1

    update_campaigns_db(path, NAME, emails_sent=80, emails_clicked=20)
    assert len(connected.sync_dds_databases()["imported"]) == 1
    assert [row[3:6] for row in imported_snapshots(connected)] == [(60, 18, 12), (80, 18, 20)]
    assert connected.calculate_lead_metrics(campaign_id)["click_rate"] == 25.0


# ours differs from DDS's 'Dentists Austin Q1' by a suffix, by case, or is a LIKE pattern
@pytest.mark.parametrize("ours", [f"{NAME} (copy)", NAME.lower(), "Dentists%"])
def test_names_match_exactly(connected: DDSIntegration, dds_home: Path, ours: str) -> None:
    campaign_id = deploy(connected, ours)
    write_campaigns_db(dds_home, dds_row(NAME))
    synced = connected.sync_dds_databases()
    assert synced["unmatched"] == [NAME] and synced["imported"] == []
    details = connected.get_campaign_status(campaign_id)["dds_details"]["campaigns_db"]
    assert details["row"] is None and details["import"]["status"] == "unmatched"
    assert imported_snapshots(connected) == []


def test_names_match_exactly_even_in_a_nocase_table(
    connected: DDSIntegration, dds_home: Path
) -> None:
    campaign_id = deploy(connected, NAME)
    write_campaigns_db(dds_home, dds_row(NAME.lower()), nocase=True)
    details = connected.get_campaign_status(campaign_id)["dds_details"]["campaigns_db"]
    assert details["state"] == "ok" and details["row"] is None
    assert imported_snapshots(connected) == []


def test_a_reused_name_resolves_to_the_newest_campaign_not_stopped(
    connected: DDSIntegration, dds_home: Path
) -> None:
    first = deploy(connected)
    assert connected.stop_campaign(first)["status"] == "stopped"
    second = deploy(connected)  # the name reused after the first campaign stopped
    write_campaigns_db(dds_home, dds_row())
    details = connected.get_campaign_status(first)["dds_details"]["campaigns_db"]
    assert details["import"]["status"] == "another_campaign"
    assert details["import"]["campaign_id"] == second
    assert connected.get_campaign_status(second)["dds_details"]["campaigns_db"]["import"][
        "status"
    ] == "pending"  # fmt: skip
    synced = connected.sync_dds_databases()
    assert [row["campaign_id"] for row in synced["imported"]] == [second]
    assert [row[0] for row in imported_snapshots(connected)] == [second]

    third = deploy(connected)  # two not stopped: the newest deployment is DDS's row
    update_campaigns_db(dds_home / "campaigns.db", NAME, emails_sent=70)
    assert [row["campaign_id"] for row in connected.sync_dds_databases()["imported"]] == [third]


def test_a_name_shared_by_stopped_campaigns_only_is_ambiguous(
    connected: DDSIntegration, dds_home: Path
) -> None:
    first, second = deploy(connected), deploy(connected)
    for campaign_id in (first, second):
        assert connected.stop_campaign(campaign_id)["status"] == "stopped"
    write_campaigns_db(dds_home, dds_row())
    before = raw_state(connected)
    synced = connected.sync_dds_databases()
    assert synced["status"] == "synced" and synced["imported"] == []
    (ambiguous,) = synced["ambiguous"]
    assert ambiguous["campaign_name"] == NAME
    assert ambiguous["campaign_ids"] == sorted([first, second])
    details = connected.get_campaign_status(first)["dds_details"]["campaigns_db"]
    assert details["import"]["status"] == "ambiguous"
    assert raw_state(connected) == before


def test_a_stopped_campaign_alone_with_its_name_still_receives_its_figures(
    connected: DDSIntegration, dds_home: Path
) -> None:
    campaign_id = deploy(connected)
    connected.stop_campaign(campaign_id)
    write_campaigns_db(dds_home, dds_row())
    assert connected.sync_dds_databases()["imported"][0]["campaign_id"] == campaign_id


def test_invalid_rows_are_reported_not_imported(connected: DDSIntegration, dds_home: Path) -> None:
    good, *bad = ["Good", "Opened > sent", "Negative", "Text count", "Fraction", "Clicks > sent"]
    ids = {name: deploy(connected, name) for name in (good, *bad)}
    write_campaigns_db(
        dds_home,
        dds_row(good),
        dds_row("Opened > sent", emails_sent=10, emails_opened=11, emails_clicked=0),
        dds_row("Negative", emails_replied=-1),
        dds_row("Text count", total_prospects="fifty"),
        dds_row("Fraction", emails_sent=60.5),
        dds_row("Clicks > sent", emails_clicked=61),
        dds_row("Not ours"),
    )
    synced = connected.sync_dds_databases()
    assert [row["campaign_id"] for row in synced["imported"]] == [ids[good]]
    assert synced["unmatched"] == ["Not ours"]
    invalid = {row["campaign_name"]: row["message"] for row in synced["invalid"]}
    assert set(invalid) == set(bad)
    assert "emails_opened (11) cannot exceed emails_sent (10)" in invalid["Opened > sent"]
    assert "must not be negative" in invalid["Negative"]
    assert "whole number" in invalid["Text count"] and "whole number" in invalid["Fraction"]
    assert "emails_clicked (61) cannot exceed emails_sent (60)" in invalid["Clicks > sent"]
    assert [row[0] for row in imported_snapshots(connected)] == [ids[good]]


def test_absent_databases(connected: DDSIntegration, dds_home: Path) -> None:
    campaign_id = deploy(connected)
    details = connected.get_campaign_status(campaign_id)["dds_details"]
    assert details["campaigns_db"]["state"] == "absent" and details["campaigns_db"]["row"] is None
    assert details["ops_db"] == {
        "path": str(dds_home / "ops.db"),
        "state": "absent",
        "message": f"No ops.db in {dds_home}.",
        "tables": {},
    }
    assert connected.sync_dds_databases()["status"] == "synced"
    assert not (dds_home / "campaigns.db").exists()  # reading did not create it


def test_locked_databases_are_reported_not_raised(
    connected: DDSIntegration, dds_home: Path
) -> None:
    campaign_id = deploy(connected)
    write_campaigns_db(dds_home, dds_row())
    with sqlite3.connect(dds_home / "ops.db") as conn:
        conn.execute("create table runs (id integer)")
    conn.close()
    holders = []
    for name in ("campaigns.db", "ops.db"):
        holder = sqlite3.connect(dds_home / name, isolation_level=None)
        holder.execute("begin exclusive")  # the DDS system in the middle of a write
        holders.append(holder)
    try:
        status = connected.get_campaign_status(campaign_id)
        assert status["status"] == "deployed"
        details = status["dds_details"]
        assert details["campaigns_db"]["state"] == details["ops_db"]["state"] == "locked"
        assert "locked" in details["campaigns_db"]["message"]
        synced = connected.sync_dds_databases()
        assert synced["status"] == "error" and "locked" in synced["message"]
        assert synced["errors"] and synced["imported"] == []
        assert imported_snapshots(connected) == []
    finally:
        for holder in holders:
            holder.close()
    assert len(connected.sync_dds_databases()["imported"]) == 1  # read once released


@pytest.mark.parametrize("kind", ["text_file", "no_campaigns_table", "missing_columns", "empty"])
def test_malformed_databases_are_reported_not_raised(
    connected: DDSIntegration, dds_home: Path, kind: str
) -> None:
    campaign_id = deploy(connected)
    path = dds_home / "campaigns.db"
    if kind == "text_file":
        path.write_text("campaign_name,total_prospects\nDentists Austin Q1,50\n" * 20)
        (dds_home / "ops.db").write_text("not a database either\n" * 20)
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        with sqlite3.connect(path) as conn:
            if kind == "no_campaigns_table":
                conn.execute("create table prospects (name text)")
            else:
                conn.execute("create table campaigns (campaign_name text primary key, niche text)")
        conn.close()
    details = connected.get_campaign_status(campaign_id)["dds_details"]
    assert details["campaigns_db"]["state"] == "malformed"
    if kind == "text_file":
        assert details["ops_db"]["state"] == "malformed"
    if kind == "missing_columns":
        assert "total_prospects" in details["campaigns_db"]["message"]
    synced = connected.sync_dds_databases()
    assert synced["status"] == "error" and synced["campaigns_db"]["state"] == "malformed"
    assert imported_snapshots(connected) == []


def test_ops_db_tables_and_counts_are_reported(connected: DDSIntegration, dds_home: Path) -> None:
    campaign_id = deploy(connected)
    path = dds_home / "ops.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table runs (id integer primary key autoincrement, agent text)")
        conn.executemany("insert into runs (agent) values (?)", [("prospecting",)] * 3)
        conn.execute('create table "api ""calls""" (provider text)')
    conn.close()
    before = digest(path)
    details = connected.get_campaign_status(campaign_id)["dds_details"]["ops_db"]
    assert details["state"] == "ok"
    assert details["tables"] == {'api "calls"': 0, "runs": 3}  # not sqlite_sequence
    assert connected.sync_dds_databases()["ops_db"]["tables"] == details["tables"]
    assert digest(path) == before


# ------------------------------------------------------------------ clicks as a metric


def test_emails_clicked_through_log_dds_results(dds: DDSIntegration, campaign_id: str) -> None:
    logged = log_snapshot(dds, campaign_id, emails_sent=60, emails_opened=18, emails_clicked=12)
    assert logged["emails_clicked"] == 12
    later = log_snapshot(dds, campaign_id, emails_replied=3)  # clicks carry forward
    assert later["emails_clicked"] == 12
    metrics = dds.calculate_lead_metrics(campaign_id)
    assert (metrics["emails_clicked"], metrics["click_rate"]) == (12, 20.0)
    report = dds.get_all_campaigns_report()["campaigns"][0]
    assert (report["emails_clicked"], report["click_rate"]) == (12, 20.0)

    before = raw_state(dds)
    for results, expected in [
        ({"stage": "outreach", "emails_clicked": 61}, "emails_clicked (61) cannot exceed"),
        ({"stage": "outreach", "emails_clicked": -1}, "must not be negative"),
        ({"stage": "outreach", "emails_clicked": 1.5}, "whole number"),
    ]:
        result = dds.log_dds_results(campaign_id, results)
        assert result["status"] == "error" and expected in result["message"]
    assert raw_state(dds) == before


def test_click_rate_is_zero_in_the_facade_before_any_email(
    dds: DDSIntegration, campaign_id: str
) -> None:
    log_snapshot(dds, campaign_id, leads_found=50)
    metrics = dds.calculate_lead_metrics(campaign_id)
    assert (metrics["emails_clicked"], metrics["click_rate"]) == (0, 0.0)  # null in the mart


def test_sync_cli(
    dds: DDSIntegration, warehouse_address: str, dds_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from dds_api.apps.cli import main

    deploy(dds)
    deploy(dds, "Bad")  # matched, so validated: opened > sent
    dds.close()
    write_campaigns_db(dds_home, dds_row(), dds_row("Not ours"), dds_row("Bad", emails_opened=99))
    monkeypatch.setenv("DDS_WAREHOUSE", warehouse_address)
    monkeypatch.setenv("DDS_HOME", str(dds_home))
    first = CliRunner().invoke(main, ["sync-dds"])
    assert first.exit_code == 0, first.output
    assert "1 imported, 0 unchanged, 1 unmatched, 0 ambiguous, 1 invalid" in first.output
    assert "invalid: " in first.output and "Bad" in first.output
    again = CliRunner().invoke(main, ["sync-dds"])
    assert "0 imported, 1 unchanged, 1 unmatched" in again.output
