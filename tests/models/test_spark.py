"""The dbt project builds on Spark: the proof that it can leave one DuckDB file.

Marked ``spark`` and skipped unless pyspark and dbt-spark are installed
(``pip install -e ".[spark]"``; Java 17). Synthetic raw events are generated in DuckDB,
copied into Spark tables (a local session, warehouse and Derby metastore in a temporary
folder), and ``dbt build --target spark`` runs every seed, model and data test on them. The
marts must then agree with DuckDB's on the same events. Unit tests are excluded on Spark:
their fixtures are DuckDB-typed rows (given/expect as DuckDB literals), and they check the
SQL's logic, which the DuckDB build already covers; the data tests run on both engines.
It takes a few minutes, most of it Spark's start and per-statement latency.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dds_api.current_marts.build import project_dir
from dds_api.facade import DDSIntegration
from dds_api.samples.synthetic import generate

pytestmark = pytest.mark.spark
pytest.importorskip("pyspark")
pytest.importorskip("dbt.adapters.spark")

from pyspark.sql import SparkSession  # noqa: E402

PORTFOLIO_SQL = """
    select count(*), sum(cost_usd), sum(revenue_usd), sum(leads_found),
           sum(emails_sent), sum(case when status = 'active' then 1 else 0 end)
    from marts.campaign_metrics
"""
FLAGS_SQL = "select rule_id, count(*) from marts.campaign_optimization_flags group by rule_id"


def _local_spark(folder: Path) -> SparkSession:
    """A local session whose warehouse and metastore live in ``folder`` (by default they land
    in the working directory, and Derby admits one process at a time)."""
    return (
        SparkSession.builder.master("local[2]")
        .appName("dds-dbt-spark-test")
        .config("spark.sql.warehouse.dir", str(folder / "spark-warehouse"))
        .config(
            "javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={folder}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        # a handful of rows per model: Spark's default of 200 shuffle partitions is all overhead
        .config("spark.sql.shuffle.partitions", "2")
        .enableHiveSupport()
        .getOrCreate()
    )


def test_the_project_builds_and_passes_its_data_tests_on_spark(
    dds: DDSIntegration, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbt.cli.main import dbtRunner

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
        # every raw table, whatever the schema version: the sources declare them all
        raw_tables = [
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        ]
        for table in raw_tables:
            pq.write_table(
                conn.sql(f"select * from raw.{table}").to_arrow_table(),
                tmp_path / f"{table}.parquet",
            )
    dds.close()

    started = time.perf_counter()
    spark = _local_spark(tmp_path)
    try:
        spark.sql("create database if not exists raw")
        for table in raw_tables:
            spark.read.parquet(str(tmp_path / f"{table}.parquet")).write.saveAsTable(f"raw.{table}")
        loaded = time.perf_counter()

        root = project_dir()
        monkeypatch.setenv("DDS_SPARK_SCHEMA", "dds")
        monkeypatch.setenv("DDS_TARGET", "spark")  # marts as tables (dbt_project.yml)
        # dbt-spark's session method builds on this process's active session
        result = dbtRunner().invoke(
            [
                "build",
                "--target", "spark",
                "--project-dir", str(root),
                "--profiles-dir", str(root),
                "--target-path", str(tmp_path / "target"),
                "--log-path", str(tmp_path / "logs"),
                "--exclude-resource-type", "unit_test",
            ]
        )  # fmt: skip
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
    finally:
        spark.stop()
    print(
        f"\nspark: session and raw load {loaded - started:.1f} s, "
        f"dbt build {built - loaded:.1f} s ({len(result.result)} nodes)"
    )
    assert [Decimal(str(v)) for v in actual_portfolio] == [
        Decimal(str(v)) for v in expected_portfolio
    ]
    assert actual_flags == expected_flags
