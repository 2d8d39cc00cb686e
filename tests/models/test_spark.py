"""The dbt project builds on Spark: the proof that it can leave one DuckDB file.

Marked ``spark`` and skipped unless pyspark and dbt-spark are installed
(``pip install -e ".[spark]"``; Java 17). Synthetic raw events are generated in DuckDB;
Spark gets them one of two ways (the test's parameter):

- ``duckdb``: copied into Spark tables from Parquet files written from the DuckDB file;
- ``postgres``: copied into a real PostgreSQL warehouse (``COPY``, keeping ``seq``), which
  Spark reads through its JDBC source (``ingest/warehouse/spark.py``, Debian's
  ``libpostgresql-jdbc-java`` jar), as a user's volume build does (README, "Beyond one
  machine"). dbt also builds the warehouse's own marts there (the ``postgres`` target), and
  Spark's must equal them too.

Then ``dbt build --target spark`` runs every seed, model and data test on them (a local
session, warehouse and Derby metastore in a temporary folder), and every mart must equal
DuckDB's on the same events, table for table. Unit tests are excluded on Spark: their
fixtures are DuckDB-typed rows (given/expect as DuckDB literals), and they check the SQL's
logic, which the DuckDB build already covers; the data tests run on both engines. A build
takes about 3-4 minutes here, most of it Spark's per-statement latency.

A last test copies raw from PostgreSQL while writers append, without a build: each copy is
one cut at a ``seq``, in every table (DECISIONS.md, "Spark over the PostgreSQL warehouse").
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from dds_api.current_marts.build import BOOTSTRAP_ARGS, run_dbt
from dds_api.facade import DDSIntegration
from dds_api.samples.synthetic import generate
from ingest.campaigns import parse_deployment, record_deployment
from ingest.costs import parse_cost, record_cost
from ingest.warehouse.postgres import PostgresWarehouse, connect
from ingest.warehouse.settings import Settings
from ingest.warehouse.tables import RAW_SCHEMA, RAW_TABLES, SEQUENCE
from tests.conftest import require_postgres
from tests.models.test_postgres_build import copy_raw_rows
from tests.postgres_server import PostgresServer

pytestmark = pytest.mark.spark
pytest.importorskip("pyspark")
pytest.importorskip("dbt.adapters.spark")

from ingest.warehouse.spark import (  # noqa: E402 (imports pyspark)
    DEFAULT_JDBC_JAR,
    dbt_build,
    jdbc_jar,
    load_raw_from_postgres,
    local_session,
)

PORTFOLIO_SQL = """
    select count(*), sum(cost_usd), sum(revenue_usd), sum(leads_found),
           sum(emails_sent), sum(case when status = 'active' then 1 else 0 end)
    from marts.campaign_metrics
"""
FLAGS_SQL = "select rule_id, count(*) from marts.campaign_optimization_flags group by rule_id"


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local session for the module (a JVM start is ~10 s, and a second Hive-backed
    session in the same JVM is not to be relied on), with the JDBC driver when installed."""
    jars = [DEFAULT_JDBC_JAR] if Path(DEFAULT_JDBC_JAR).is_file() else []
    session = local_session(tmp_path_factory.mktemp("spark"), jars=jars, app_name="dds-test")
    yield session
    session.stop()


def copy_raw_to_postgres(dds: DDSIntegration, url: str) -> dict[str, int]:
    """The DuckDB warehouse's raw rows into the PostgreSQL database ``url`` as they are,
    ``seq`` included (the Postgres build's test copies them so), the sequence set after the
    largest as a warehouse's would be."""
    with dds.read() as conn:
        copied = copy_raw_rows(conn, url)
    events = " union all ".join(
        f"select max(seq) as seq from {RAW_SCHEMA}.{table.name}"
        for table in RAW_TABLES
        if "seq" in table.column_names
    )
    with connect(url) as pg:
        pg.execute(f"select setval(%s, (select max(seq) from ({events}) as tables))", [SEQUENCE])
    return copied


def load_raw_from_duckdb(spark: Any, dds: DDSIntegration, folder: Path) -> dict[str, int]:
    """Every raw table of the DuckDB file into Spark tables, through Parquet files."""
    copied = {}
    with dds.read() as conn:
        # every raw table, whatever the schema version: the sources declare them all
        raw_tables = [
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        ]
        for table in raw_tables:
            rows = conn.sql(f"select * from raw.{table}").to_arrow_table()
            pq.write_table(rows, folder / f"{table}.parquet")
            copied[table] = rows.num_rows
    spark.sql("create database if not exists raw")
    for table in raw_tables:
        spark.read.parquet(str(folder / f"{table}.parquet")).write.saveAsTable(f"raw.{table}")
    return copied


def _value(value: Any) -> Any:
    """A cell in a form both engines' answers share: non-integer numbers to 6 decimals
    (DuckDB answers DECIMAL / DECIMAL as DOUBLE, Spark as DECIMAL), arrays as tuples, JSON
    text as its value (PostgreSQL's jsonb keeps an object's keys in its own order: the
    campaign's config reads back as the same object, spelled in another order)."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, (Decimal, float)):
        return Decimal(value).quantize(Decimal("1e-6"))
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, (list, tuple)):
        return tuple(_value(item) for item in value)
    return value


def _rows(rows: list[Any]) -> list[tuple[Any, ...]]:
    return sorted((tuple(_value(cell) for cell in row) for row in rows), key=repr)


def duckdb_marts(dds: DDSIntegration) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every mart of the DuckDB warehouse: its columns and its rows (normalised, sorted)."""
    marts = {}
    with dds.read() as conn:
        names = [
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = current_database() and table_schema = 'marts'"
            ).fetchall()
        ]
        for name in names:
            result = conn.execute(f"select * from marts.{name}")
            columns = [column[0] for column in result.description]
            marts[name] = (columns, _rows(result.fetchall()))
    return marts


@pytest.mark.parametrize("raw_from", ["duckdb", "postgres"])
def test_the_project_builds_on_spark_and_its_marts_equal_duckdbs(
    raw_from: str,
    spark: Any,
    dds: DDSIntegration,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    generate(dds, campaigns=40, cost_events=4000, seed=9)
    # and a campaign written through the facade, with a snapshot that omits figures
    deployed = dds.deploy_campaign({"vertical": "dentists", "location": "Austin, TX"})
    campaign_id = deployed["campaign_id"]
    dds.start_campaign(campaign_id)
    dds.log_dds_costs(campaign_id, {"operation": "scoring", "provider": "anthropic", "cost": 0.15})
    dds.log_dds_results(campaign_id, {"stage": "prospecting", "leads_found": 50})
    dds.log_dds_results(campaign_id, {"stage": "scoring", "leads_qualified": 20})
    with dds.read() as conn:
        expected_portfolio = conn.execute(PORTFOLIO_SQL).fetchone()
        expected_flags = dict(conn.execute(FLAGS_SQL).fetchall())
    expected_marts = duckdb_marts(dds)

    # a clean metastore: every parameter builds from nothing
    for database in spark.catalog.listDatabases():
        if database.name != "default":
            spark.sql(f"drop database {database.name} cascade")
    started = time.perf_counter()
    if raw_from == "postgres":
        require_postgres("Debian's libpostgresql-jdbc-java", not Path(DEFAULT_JDBC_JAR).is_file())
        jdbc_jar()
        server: PostgresServer = request.getfixturevalue("postgres_tcp_server")
        name = f"spark_{tmp_path.name}"[:60]
        server.create_database(name)
        request.addfinalizer(lambda: server.drop_database(name))
        in_postgres = copy_raw_to_postgres(dds, server.url(name))
        copied = load_raw_from_postgres(spark, server.tcp_url(name))
        assert copied.pop("seq <=") > 0
        assert copied == in_postgres  # the cut is every committed row: nothing was writing
        # and the warehouse's own marts, built by dbt on PostgreSQL from the same raw rows
        # (its own target folder, so that the project's stays parsed for DuckDB)
        target = ("--target-path", str(tmp_path / "target-postgres"))
        postgres_started = time.perf_counter()
        run_dbt((*BOOTSTRAP_ARGS, *target), server.url(name))
        output = run_dbt(("build", *target), server.url(name))
        assert "ERROR=0" in output and " WARN=0 " in output, output[-2000:]
        with connect(server.url(name)) as pg:
            postgres_marts = {
                mart: _rows(pg.execute(f"select {', '.join(columns)} from marts.{mart}").fetchall())
                for mart, (columns, _) in expected_marts.items()
            }
        assert postgres_marts == {mart: rows for mart, (_, rows) in expected_marts.items()}
        postgres_seconds = time.perf_counter() - postgres_started
        postgres_build = f", of which dbt on PostgreSQL {postgres_seconds:.1f} s"
    else:
        copied = load_raw_from_duckdb(spark, dds, tmp_path)
        postgres_build = ""
    dds.close()
    assert copied["cost_events"] > 4000
    loaded = time.perf_counter()

    monkeypatch.setenv("DDS_SPARK_SCHEMA", "dds")
    # in this process, on its active session: the command's own build step
    result = dbt_build(
        "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")
    )
    built = time.perf_counter()
    failures = [
        f"{r.node.unique_id}: {r.status} {r.message}"
        for r in (result.result or [])
        if str(r.status) not in ("success", "pass")
    ]
    assert result.success and not failures, "\n".join(failures) or result.exception
    assert len(result.result) > 100  # seeds, models and data tests all ran

    actual_portfolio = spark.sql(PORTFOLIO_SQL).collect()[0]
    actual_flags = {row[0]: row[1] for row in spark.sql(FLAGS_SQL).collect()}
    spark_marts = {row.tableName for row in spark.sql("show tables in marts").collect()}
    actual_marts = {
        name: _rows(spark.sql(f"select {', '.join(columns)} from marts.{name}").collect())
        for name, (columns, _) in expected_marts.items()
        if name in spark_marts
    }
    compared = time.perf_counter()
    print(
        f"\nspark ({raw_from}): raw load {loaded - started:.1f} s{postgres_build}, "
        f"dbt build {built - loaded:.1f} s ({len(result.result)} nodes), "
        f"marts compared {compared - built:.1f} s"
    )
    assert [Decimal(str(v)) for v in actual_portfolio] == [
        Decimal(str(v)) for v in expected_portfolio
    ]
    assert actual_flags == expected_flags
    assert spark_marts == set(expected_marts)
    differing = {
        name: (len(rows), len(actual_marts[name]))
        for name, (_, rows) in expected_marts.items()
        if rows != actual_marts[name]
    }
    for name in differing:  # the first differing row of each, to read in the failure
        rows = expected_marts[name][1]
        pairs = zip(rows, actual_marts[name], strict=False)
        first = next(((e, a) for e, a in pairs if e != a), None)
        print(f"{name}: {expected_marts[name][0]}")
        print(f"  duckdb {first and first[0]}\n  spark  {first and first[1]}")
    assert not differing, f"marts differing (duckdb rows, spark rows): {differing}"
    if raw_from == "postgres":  # Spark's marts equal the PostgreSQL warehouse's own
        assert actual_marts == postgres_marts


def test_a_copy_while_hosts_write_is_one_cut_across_tables(
    spark: Any,
    postgres_tcp_server: PostgresServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Writers append costs and deployments (the facade's own ingest functions, each write
    under the append lock) while Spark copies the raw tables through JDBC, twice.
    Each copy must hold, in every table, exactly the rows at or below its cut's ``seq``: a row
    with a smaller ``seq`` committing after the cut would be a hole no later run fills in
    the same way, and a row above it would break the cut across tables. No dbt build here."""
    require_postgres("Debian's libpostgresql-jdbc-java", not Path(DEFAULT_JDBC_JAR).is_file())
    monkeypatch.setenv("DDS_STATE_DIR", str(tmp_path))  # the writers' spool
    name = f"cut_{tmp_path.name}"[:60]
    url = postgres_tcp_server.create_database(name)
    settings = Settings.for_postgres(url)
    first = PostgresWarehouse(settings)
    deployment = parse_deployment({"vertical": "dentists", "location": "Austin, TX"})
    with first.connect() as conn:
        campaign_id = record_deployment(conn, deployment, {"total": Decimal("1")})
    first.close()
    stop = threading.Event()
    failures: list[BaseException] = []

    def write(number: int) -> None:
        warehouse = PostgresWarehouse(settings)
        try:
            i = 0
            while not stop.is_set():
                i += 1
                cost = parse_cost({"operation": "scoring", "provider": "anthropic", "cost": 0.01})
                with warehouse.connect() as conn:
                    record_cost(conn, campaign_id, cost)
                if i % 5 == 0:
                    with warehouse.connect() as conn:
                        record_deployment(conn, deployment, {"total": Decimal("1")})
        except BaseException as exc:
            failures.append(exc)
        finally:
            warehouse.close()

    writers = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for writer in writers:
        writer.start()
    try:
        time.sleep(1)  # rows before the first cut
        cuts = [load_raw_from_postgres(spark, postgres_tcp_server.tcp_url(name), "cut")]
        copied = {
            table: {row.seq for row in spark.sql(f"select seq from cut.{table}").collect()}
            for table in ("campaign_events", "cost_events")
        }
        cuts.append(load_raw_from_postgres(spark, postgres_tcp_server.tcp_url(name), "cut2"))
        copied_again = {
            table: {row.seq for row in spark.sql(f"select seq from cut2.{table}").collect()}
            for table in copied
        }
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    assert failures == []
    with connect(url) as pg:
        stored = {
            table: [seq for (seq,) in pg.execute(f"select seq from raw.{table}").fetchall()]
            for table in copied
        }
    postgres_tcp_server.drop_database(name)
    for cut, seen in ((cuts[0]["seq <="], copied), (cuts[1]["seq <="], copied_again)):
        for table, seqs in seen.items():
            assert seqs == {seq for seq in stored[table] if seq <= cut}, table
    # the copies overlapped the writes: rows committed between and after the cuts
    assert 0 < cuts[0]["seq <="] < cuts[1]["seq <="] < max(stored["cost_events"])
    assert all(copied[table] for table in copied)
