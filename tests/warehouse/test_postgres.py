"""The PostgreSQL warehouse (README, "PostgreSQL: NovaOS on several hosts"): chosen by URL,
its raw tables from the same declarations, several writers appending with nothing lost,
doubled or committed out of ``seq`` order, and an outage that loses nothing. A real server
(tests/postgres_server.py)."""

from __future__ import annotations

import os
import threading
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from dds_api.current_marts.build import build
from ingest import spool as spool_module
from ingest.campaigns import parse_deployment, record_deployment
from ingest.costs import parse_cost, record_cost
from ingest.warehouse import open_warehouse, postgres_schema
from ingest.warehouse.connection import Warehouse
from ingest.warehouse.errors import ValidationError
from ingest.warehouse.gate import WarehouseBusyError
from ingest.warehouse.postgres import PostgresWarehouse, connect
from ingest.warehouse.schema import SCHEMA_VERSION
from ingest.warehouse.settings import Settings, redact
from ingest.warehouse.tables import RAW_TABLES, column_type
from tests.conftest import SPEC_CONFIG, make_dds
from tests.postgres_server import PostgresServer
from tests.warehouse.processes import watermark_skips

# ------------------------------------------------------------------- choosing the engine


def test_a_postgres_url_selects_postgres_and_a_path_keeps_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDS_STATE_DIR", str(tmp_path / "state"))
    for url in ("postgresql://novaos@db.internal:5432/dds", "postgres://novaos@db/dds"):
        monkeypatch.setenv("DDS_WAREHOUSE", url)
        settings = Settings.from_env()
        assert settings.is_postgres and settings.postgres_url == url
        # this host's state (the spool) lives in the state folder, never beside a "file"
        assert settings.warehouse_path.is_relative_to(tmp_path / "state")
    monkeypatch.setenv("DDS_WAREHOUSE", str(tmp_path / "w.duckdb"))
    settings = Settings.from_env()
    assert not settings.is_postgres and settings.warehouse_path == tmp_path / "w.duckdb"
    assert isinstance(open_warehouse(settings), Warehouse)


def test_a_value_that_is_neither_a_path_nor_a_postgres_url_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DDS_WAREHOUSE", "mysql://root:hunter2@db/dds")
    with pytest.raises(ValidationError) as refused:
        Settings.from_env()
    message = str(refused.value)
    assert "neither a file path nor a PostgreSQL URL" in message
    assert "hunter2" not in message and "***" in message


def test_a_password_is_redacted_wherever_the_warehouse_is_named() -> None:
    url = "postgresql://writer:s3cret@db.internal:6432/dds?sslmode=require"
    assert redact(url) == "postgresql://writer:***@db.internal:6432/dds?sslmode=require"
    assert redact("postgresql://writer@db/dds") == "postgresql://writer@db/dds"
    settings = Settings.for_postgres(url)
    assert "s3cret" not in settings.warehouse_name
    assert "s3cret" not in str(settings.warehouse_path)
    assert "s3cret" not in PostgresWarehouse(settings).path


def test_an_unreachable_server_is_busy_and_its_message_keeps_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDS_STATE_DIR", str(tmp_path))
    url = f"postgresql://writer:s3cret@/dds?host={tmp_path}&connect_timeout=2"
    warehouse = PostgresWarehouse(Settings.for_postgres(url))
    with pytest.raises(WarehouseBusyError) as busy, warehouse.connect():
        pass
    assert "did not answer" in str(busy.value) and "s3cret" not in str(busy.value)


# ------------------------------------------------------------------------- the raw tables


def test_the_raw_tables_are_the_declarations(postgres_database: str) -> None:
    conn = connect(postgres_database)
    postgres_schema.ensure_raw_schema(conn)
    postgres_schema.ensure_raw_schema(conn)  # opening again changes nothing
    assert postgres_schema.schema_version(conn) == SCHEMA_VERSION
    for table in RAW_TABLES:
        columns = conn.execute(
            "select column_name, is_nullable, "
            "case when data_type = 'numeric' then "
            "  'DECIMAL(' || numeric_precision || ',' || numeric_scale || ')' "
            "else data_type end "
            "from information_schema.columns "
            "where table_schema = 'raw' and table_name = %s order by ordinal_position",
            [table.name],
        ).fetchall()
        expected = [
            (c.name, "YES" if c.nullable else "NO", column_type(c, "postgres"))
            for c in table.columns
        ]
        assert [(n, nullable) for n, nullable, _ in columns] == [(n, x) for n, x, _ in expected]
        for (_, _, stored), (name, _, declared) in zip(columns, expected, strict=True):
            assert _same_type(stored, declared), (table.name, name, stored, declared)
    # a retry that slips past ingest is refused by the unique key, not stored twice
    cost = (
        "insert into raw.cost_events (cost_id, campaign_id, operation, provider, cost_usd, "
        "idempotency_key, occurred_at, ingested_at) "
        "values ('c1', 'x', 'scoring', 'anthropic', 1, 'k1', now(), now())"
    )
    conn.execute(cost)
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(cost.replace("'c1'", "'c2'"))


def _same_type(stored: str, declared: str) -> bool:
    aliases = {
        "VARCHAR": "character varying",
        "BIGINT": "bigint",
        "INTEGER": "integer",
        "TIMESTAMP": "timestamp without time zone",
        "BOOLEAN": "boolean",
        "DATE": "date",
    }
    return stored == aliases.get(declared, declared)


def test_two_hosts_opening_a_new_server_at_once_create_it_once(postgres_database: str) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            postgres_schema.ensure_raw_schema(connect(postgres_database))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    [(versions,)] = (
        connect(postgres_database).execute("select count(*) from raw.schema_version").fetchall()
    )
    assert versions == 1


# ------------------------------------------------------------ several writers, one order


def _deploy(warehouse: PostgresWarehouse) -> str:
    deployment = parse_deployment({"vertical": "dentists", "location": "Austin, TX", "budget": 100})
    with warehouse.connect() as conn:
        return record_deployment(conn, deployment, {"total": Decimal("1")})


def test_eight_writers_lose_nothing_double_nothing_and_never_skip_the_watermark(
    postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight writers on their own connections append costs (each twice: a retry) while a
    reader polls the high-water seq. Every poll must already see every row below its
    watermark: a row with a smaller seq committing later would be skipped by an incremental
    refresh forever (DESIGN.md). The append lock taken by every writing use gives that."""
    monkeypatch.setenv("DDS_STATE_DIR", str(tmp_path))
    settings = Settings.for_postgres(postgres_database)
    campaign_id = _deploy(PostgresWarehouse(settings))
    writers, per_writer = 8, 60
    polls: list[tuple[int, int]] = []
    done = threading.Event()
    failures: list[BaseException] = []

    def write(number: int) -> None:
        warehouse = PostgresWarehouse(settings)
        try:
            for i in range(per_writer):
                event = parse_cost(
                    {
                        "operation": "scoring",
                        "provider": "anthropic",
                        "cost": 0.010001,
                        "idempotency_key": f"w{number}-{i}",
                    }
                )
                for _retry in range(2):
                    with warehouse.connect() as conn:
                        record_cost(conn, campaign_id, event)
        except BaseException as exc:
            failures.append(exc)
        finally:
            warehouse.close()

    def poll() -> None:
        conn = connect(postgres_database)
        while not done.is_set():
            [(high, seen)] = conn.execute(
                "select coalesce(max(seq), 0), count(*) from raw.cost_events"
            ).fetchall()
            polls.append((high, seen))

    poller = threading.Thread(target=poll)
    poller.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    poller.join()
    assert failures == []

    conn = connect(postgres_database)
    [(stored, keys, total)] = conn.execute(
        "select count(*), count(distinct idempotency_key), sum(cost_usd) from raw.cost_events"
    ).fetchall()
    assert (stored, keys) == (writers * per_writer, writers * per_writer)  # 0 lost, 0 doubled
    assert total == Decimal("0.010001") * writers * per_writer
    assert len(polls) > 20
    skips = watermark_skips(conn, polls)
    assert skips == 0, f"{skips} of {len(polls)} polls saw a watermark ahead of uncommitted rows"


# ------------------------------------------------------------------------------ outage


def test_writes_during_an_outage_spool_on_the_host_and_apply_in_order_when_it_is_back(
    postgres_server: PostgresServer,
    postgres_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DDS_STATE_DIR", str(tmp_path))
    settings = Settings.for_postgres(postgres_database + "&connect_timeout=2")
    warehouse = PostgresWarehouse(settings)
    campaign_id = _deploy(warehouse)
    warehouse.close()

    postgres_server.stop()
    try:
        for i in range(5):
            event = parse_cost({"operation": "scoring", "provider": "anthropic", "cost": i + 1})
            with pytest.raises(WarehouseBusyError), warehouse.connect(spoolable=True):
                pass
            warehouse.spool.append(
                spool_module.cost_write(campaign_id, event)
            )  # as the facade does
        assert warehouse.spool.has_pending()
    finally:
        postgres_server.start()

    with warehouse.connect(reading=True) as conn:  # the first use back applies the spool
        rows = conn.execute(
            "select cost_usd from raw.cost_events where campaign_id = ? order by seq",
            [campaign_id],
        ).fetchall()
    assert [r[0] for r in rows] == [Decimal(i + 1) for i in range(5)]
    assert not warehouse.spool.has_pending()
    warehouse.close()


# ------------------------------------------------------------------- least privileges


def _readme_roles_block() -> list[str]:
    """The README's SQL block under "Least privileges", as statements (``\\connect`` kept)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Least privileges", 1)[1]
    block = section.split("```sql\n", 1)[1].split("```", 1)[0]
    statements, current = [], []
    for line in block.splitlines():
        if line.startswith("--") or not line.strip():
            continue
        if line.startswith("\\connect"):
            statements.append(line)
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).rstrip(";"))
            current = []
    return statements


def test_least_privileges_from_the_readme(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's roles, created as written: the owner builds, NovaOS' role writes and
    reads through the facade (the refresh included) but cannot drop or delete anything,
    and the analyst reads and can write nothing."""
    monkeypatch.setenv("DDS_STATE_DIR", str(tmp_path))
    as_user = {
        user: postgres_server.url("dds").replace("postgresql://postgres@", f"postgresql://{user}@")
        for user in ("dds_owner", "dds_novaos", "dds_analyst")
    }
    conn = connect(postgres_server.url())
    for statement in _readme_roles_block():
        if statement.startswith("\\connect"):
            _, database, user = statement.split()
            assert database == "dds"
            conn = connect(as_user[user])
        else:
            conn.execute(statement)

    owner = make_dds(as_user["dds_owner"])  # `dds build`: the raw tables and every model
    owner.close()

    novaos = make_dds(as_user["dds_novaos"])
    try:
        campaign_id = novaos.deploy_campaign(SPEC_CONFIG)["campaign_id"]
        assert novaos.start_campaign(campaign_id)["status"] == "started"
        cost = {"operation": "scoring", "provider": "anthropic", "cost": 0.15}
        assert novaos.log_dds_costs(campaign_id, cost)["status"] == "logged"
        status = novaos.get_campaign_status(campaign_id)  # the refresh, as dds_novaos
        assert status["metrics"]["total_cost"] == 0.15
        csv = tmp_path / "costs.csv"
        csv.write_text(
            "campaign_id,operation,provider,cost,occurred_at\n"
            f"{campaign_id},scraping,outscraper,2.50,2025-01-01T09:00:00Z\n"
        )
        assert novaos.ingest("costs", str(csv))["loaded"] == 1
        assert novaos.get_campaign_status(campaign_id)["metrics"]["total_cost"] == 2.65
    finally:
        novaos.close()

    refused = (
        "delete from raw.cost_events",
        "update raw.cost_events set cost_usd = 0",
        "drop table marts.campaign_metrics",
        "create table raw.mine (x int)",
    )
    for statement in refused:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connect(as_user["dds_novaos"]).execute(statement)

    analyst = connect(as_user["dds_analyst"])
    [(total,)] = analyst.execute(
        "select cost_usd from marts.campaign_metrics where campaign_id = %s", [campaign_id]
    ).fetchall()
    assert total == Decimal("2.65")
    assert analyst.execute("select count(*) from raw.cost_events").fetchall() == [(2,)]
    for statement in (
        *refused,
        "insert into raw.campaign_events (event_id, campaign_id, event_type, occurred_at, "
        "ingested_at) values ('x', 'x', 'stopped', now(), now())",
        "delete from marts.campaign_metrics",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connect(as_user["dds_analyst"]).execute(statement)


def test_a_build_on_another_host_reaches_this_hosts_next_refresh(
    postgres_server: PostgresServer,
    template_postgres: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Host B rebuilds with another threshold while host A keeps its connection: A's next
    refresh replays the SQL B's build compiled, not the plan A read before (on the file,
    a reopen rereads it; a server connection stays open)."""
    monkeypatch.setenv("DDS_STATE_DIR", str(tmp_path))
    url = postgres_server.create_database(f"rebuilt_{os.getpid()}", template=template_postgres)
    host_a, host_b = make_dds(url), make_dds(url)
    try:
        campaign_id = host_a.deploy_campaign(SPEC_CONFIG)["campaign_id"]
        host_a.start_campaign(campaign_id)
        host_a.log_dds_costs(
            campaign_id, {"operation": "scoring", "provider": "anthropic", "cost": 26}
        )
        host_a.log_dds_results(campaign_id, {"stage": "outreach", "leads_found": 1})

        def fired() -> set[str]:
            with host_a.read(needs=("campaign_optimization_flags",)) as conn:
                rows = conn.execute(
                    "select rule_id from marts.campaign_optimization_flags where campaign_id = ?",
                    [campaign_id],
                ).fetchall()
            return {rule for (rule,) in rows}

        assert "high_cost_per_lead" in fired()  # $26 a lead, over the default $20
        build(host_b.warehouse, ("run", "--vars", "{dds_cost_per_lead_threshold: 30}"))
        # A's next read refreshes (the build reset the refresh's marks), and a write makes it
        # refresh the campaign again: with B's plan, the threshold stays $30
        assert "high_cost_per_lead" not in fired()
        host_a.log_dds_costs(
            campaign_id, {"operation": "scoring", "provider": "anthropic", "cost": 0.01}
        )
        assert "high_cost_per_lead" not in fired()
    finally:
        host_a.close()
        host_b.close()
