"""The raw tables of a PostgreSQL warehouse, read into Spark for the volume build.

The facade keeps its marts current on the warehouse itself (DuckDB, or PostgreSQL when
NovaOS runs on several hosts). Spark is for volume: ``dbt build --target spark`` over the
same raw events, a batch whose marts are as fresh as its last run. This module is the one
place Spark reads the warehouse's raw tables:

- through Spark's JDBC source with the PostgreSQL driver from Debian's
  ``libpostgresql-jdbc-java`` (``/usr/share/java/postgresql.jar``, given to Spark as a
  local ``spark.jars`` path; nothing is fetched from a JVM repository);
- **as one consistent cut**: the high-water ``seq`` over every raw table is read in one
  statement first, then each table's rows up to it. A writer appends under the append lock
  (``ingest/warehouse/postgres.py``), so no row below a visible ``seq`` is still uncommitted:
  the cut holds exactly the events committed before that statement, across tables, however
  long the copy takes and whoever writes meanwhile. The bookkeeping tables without ``seq``
  (``quarantine``, ``ingest_batches``) are read whole;
- **copied once per build** into the Spark tables ``raw.<table>`` (Parquet, the session's
  warehouse), rather than left as JDBC views: each model would re-read the server, at a
  different moment, and every model reads the same events here. Event tables are read in
  ``seq`` ranges by several tasks at once (``partitions``).

Run a build from the command line (a local session in ``--dir``; see README, "Beyond one
machine")::

    python -m ingest.warehouse.spark postgresql://reader@db-host:5432/dds --dir ./spark

On a cluster, call ``load_raw_from_postgres(spark, url)`` in the session dbt-spark builds
on (the driver jar on the cluster's classpath), then ``dbt build --target spark``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from ingest.warehouse.settings import redact
from ingest.warehouse.tables import RAW_SCHEMA, RAW_TABLES

#: Debian's PostgreSQL JDBC driver (package libpostgresql-jdbc-java); DDS_POSTGRES_JDBC_JAR
#: names another file.
DEFAULT_JDBC_JAR = "/usr/share/java/postgresql.jar"
JDBC_DRIVER = "org.postgresql.Driver"
# libpq parameters that pgjdbc takes under the same name; others are refused, not dropped
_PASSED_THROUGH = ("sslmode", "sslrootcert", "sslcert", "sslkey", "options")


def jdbc_jar() -> str:
    """The PostgreSQL JDBC driver's jar, checked to exist."""
    path = os.environ.get("DDS_POSTGRES_JDBC_JAR", DEFAULT_JDBC_JAR)
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"No PostgreSQL JDBC driver at {path}: install Debian's libpostgresql-jdbc-java "
            "(apt-get install libpostgresql-jdbc-java) or set DDS_POSTGRES_JDBC_JAR to the jar."
        )
    return path


def jdbc_source(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL (``postgresql://user:password@host:port/dbname?sslmode=...``) as Spark's
    JDBC options: the ``jdbc:postgresql://`` URL without credentials, and the properties
    (user, password, driver, SSL settings). The password stays out of the JDBC URL, which
    Spark shows in plans and errors; Spark redacts a ``password`` option."""
    params = conninfo_to_dict(url)
    host = str(params.pop("host", "") or "")
    if not host or host.startswith("/") or "," in host:
        raise ValueError(
            f"Spark reads PostgreSQL over TCP: {redact(url)!r} names no single host name "
            "(a unix socket directory or a host list). Give postgresql://user@host:port/dbname."
        )
    port = str(params.pop("port", "") or "5432")
    dbname = str(params.pop("dbname", "") or "")
    if not dbname:
        raise ValueError(f"{redact(url)!r} names no database: add /dbname to the URL.")
    properties = {"driver": JDBC_DRIVER}
    for key in ("user", "password"):
        value = params.pop(key, None)
        if value:
            properties[key] = str(value)
    for key in _PASSED_THROUGH:
        value = params.pop(key, None)
        if value:
            properties[key] = str(value)
    if params:
        raise ValueError(
            f"{redact(url)!r}: Spark's JDBC reader does not take {', '.join(sorted(params))} "
            f"(it takes host, port, dbname, user, password, {', '.join(_PASSED_THROUGH)})."
        )
    return f"jdbc:postgresql://{host}:{port}/{dbname}", properties


def local_session(folder: Path, jars: Sequence[str] = (), app_name: str = "dds-spark") -> Any:
    """A local Spark session whose warehouse and Derby metastore live in ``folder`` (by
    default they land in the working directory, and Derby admits one process at a time),
    in UTC, with ``jars`` (local paths) on its classpath."""
    from pyspark.sql import SparkSession

    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    builder = (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.sql.warehouse.dir", str(folder / "spark-warehouse"))
        .config(
            "javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true",
        )
        # UTC in the JVM too: a JDBC timestamp is read through the JVM's default zone
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dderby.system.home={folder} -Duser.timezone=UTC",
        )
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        # a handful of rows per model: Spark's default of 200 shuffle partitions is all overhead
        .config("spark.sql.shuffle.partitions", "2")
    )
    if jars:
        builder = builder.config("spark.jars", ",".join(str(Path(jar).resolve()) for jar in jars))
    return builder.enableHiveSupport().getOrCreate()


def _watermark_sql() -> str:
    """The high-water ``seq`` over every event table, in one statement (one snapshot)."""
    parts = [
        f"select max(seq) as seq from {RAW_SCHEMA}.{table.name}"
        for table in RAW_TABLES
        if "seq" in table.column_names
    ]
    return f"select coalesce(max(seq), 0) as seq from ({' union all '.join(parts)}) as tables"


def load_raw_from_postgres(
    spark: Any, url: str, database: str = RAW_SCHEMA, partitions: int = 4
) -> dict[str, int]:
    """Copy the PostgreSQL warehouse's raw tables (``url``, a libpq URL) into the Spark
    tables ``<database>.<table>``, replacing what they held, as one consistent cut (the
    module's docstring). Returns the rows copied per table, and the cut's ``seq`` under
    ``"seq <="``. The session must have the JDBC driver (``local_session(jars=[jdbc_jar()])``
    or ``spark.jars`` on a cluster)."""
    jdbc_url, properties = jdbc_source(url)

    def reader(**options: Any) -> Any:
        read = spark.read.format("jdbc").option("url", jdbc_url)
        for key, value in {**properties, **options}.items():
            read = read.option(key, str(value))
        return read

    [row] = reader(query=_watermark_sql()).load().collect()
    high = int(row[0])
    spark.sql(f"create database if not exists {database}")
    copied: dict[str, int] = {"seq <=": high}
    for table in RAW_TABLES:
        source = f"{RAW_SCHEMA}.{table.name}"
        if "seq" in table.column_names:
            frame = reader(
                dbtable=f"(select * from {source} where seq <= {high}) as cut",
                partitionColumn="seq",
                lowerBound=0,
                upperBound=high + 1,
                numPartitions=max(1, partitions),
            ).load()
        else:
            frame = reader(dbtable=source).load()
        # PostgreSQL's unbounded varchar arrives as a string marked varchar(2147483647), which
        # the Hive metastore refuses (Spark then stores the table its own way, after a stack
        # trace): plain strings, without the mark
        frame = frame.select(
            [frame[field.name].alias(field.name, metadata={}) for field in frame.schema.fields]
        )
        frame.write.mode("overwrite").format("parquet").saveAsTable(f"{database}.{table.name}")
        copied[table.name] = spark.table(f"{database}.{table.name}").count()
    return copied


def dbt_build(*args: str) -> Any:
    """``dbt build --target spark`` in this process (dbt-spark's ``session`` method builds on
    its active Spark session), every mart a table (``DDS_TARGET=spark``), unit tests left to
    DuckDB (their fixtures are DuckDB-typed rows); ``args`` go to dbt. dbt's result."""
    from dbt.cli.main import dbtRunner

    from dds_api.current_marts.build import project_dir

    root = str(project_dir())
    previous = os.environ.get("DDS_TARGET")
    os.environ["DDS_TARGET"] = "spark"  # dbt_project.yml: the marts as tables
    try:
        return dbtRunner().invoke(
            ["build", "--target", "spark", "--project-dir", root, "--profiles-dir", root,
             "--exclude-resource-type", "unit_test", *args]
        )  # fmt: skip
    finally:
        if previous is None:
            os.environ.pop("DDS_TARGET", None)
        else:
            os.environ["DDS_TARGET"] = previous


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ingest.warehouse.spark URL [--dir DIR] [--load-only] [dbt args]``: copy
    the raw tables into a local Spark session and run the dbt build on it."""
    parser = argparse.ArgumentParser(
        prog="python -m ingest.warehouse.spark",
        description="Build the marts on Spark from a PostgreSQL warehouse's raw tables. "
        "Arguments after the URL that are not listed here go to dbt build.",
    )
    parser.add_argument("url", nargs="?", default=os.environ.get("DDS_WAREHOUSE"),
                        help="the warehouse's libpq URL (default: $DDS_WAREHOUSE)")  # fmt: skip
    parser.add_argument("--dir", default="spark", type=Path,
                        help="the local session's warehouse and metastore (./spark)")  # fmt: skip
    parser.add_argument("--load-only", action="store_true",
                        help="copy the raw tables, do not run dbt")  # fmt: skip
    args, dbt_args = parser.parse_known_args(argv)
    if not args.url or not args.url.startswith(("postgresql://", "postgres://")):
        parser.error("give the warehouse's postgresql:// URL (or set DDS_WAREHOUSE to it)")
    try:
        jdbc_source(args.url)
        jar = jdbc_jar()
    except (ValueError, FileNotFoundError) as error:
        parser.error(str(error))

    spark = local_session(args.dir, jars=[jar])
    try:
        started = time.perf_counter()
        copied = load_raw_from_postgres(spark, args.url)
        print(
            f"raw tables from {redact(args.url)} up to seq {copied.pop('seq <=')} in "
            f"{time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{name} {rows}" for name, rows in copied.items())
        )
        if args.load_only:
            return 0
        return 0 if dbt_build(*dbt_args).success else 1
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
