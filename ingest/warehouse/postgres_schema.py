"""The raw schema on PostgreSQL, emitted from the same declarations as DuckDB's
(``ingest/warehouse/tables.py``).

DuckDB warehouses carry their history (``ingest/warehouse/schema.py`` replays each migration
as written, so a file made by 0.1.0 upgrades in place). A PostgreSQL warehouse starts at
the current version: it is created from the declarations in one transaction and recorded as
that version in ``raw.schema_version``, like a file that ran every migration. A later
version's migration will carry a PostgreSQL form of its own, beside the DuckDB one.

Several hosts may open a new server at once: the first takes an advisory lock and creates
everything; the others wait on the lock and find it there.
"""

from __future__ import annotations

from typing import Any

from ingest.warehouse.schema import MIGRATIONS, SCHEMA_VERSION
from ingest.warehouse.tables import RAW_SCHEMA, RAW_TABLES, SEQUENCE, create_table_sql, utc_now

# the advisory lock key (ingest/warehouse/dialect.py holds the others)
SCHEMA_LOCK = 0x44445300

_SCHEMA_VERSION_TABLE = f"""
create table if not exists {RAW_SCHEMA}.schema_version (
    version     integer primary key,
    description varchar not null,
    applied_at  timestamp not null
)"""


def raw_schema_sql() -> list[str]:
    """Every statement that creates the current raw schema on PostgreSQL, with the spool's
    record of applied writes (in dbt's target schema, ``main``, as on DuckDB)."""
    from ingest.spool import APPLIED_TABLE, APPLIED_TABLE_DDL

    return [
        f"create schema if not exists {RAW_SCHEMA}",
        _SCHEMA_VERSION_TABLE,
        f"create sequence if not exists {SEQUENCE}",
        *(create_table_sql(table, "postgres") for table in RAW_TABLES),
        f"create schema if not exists {APPLIED_TABLE.split('.')[0]}",
        APPLIED_TABLE_DDL,
    ]


def schema_version(conn: Any) -> int:
    """The raw schema version of the server's warehouse (0 when it has none yet)."""
    # pg_tables, not to_regclass(): the catalog cache is not refreshed by an advisory lock,
    # so a host that waited for another's creation would not see its tables
    [(exists,)] = conn.execute(
        "select exists (select from pg_tables where schemaname = %s and tablename = %s)",
        [RAW_SCHEMA, "schema_version"],
    ).fetchall()
    if not exists:
        return 0
    [(version,)] = conn.execute(
        f"select coalesce(max(version), 0) from {RAW_SCHEMA}.schema_version"
    ).fetchall()
    return int(version)


def ensure_raw_schema(conn: Any) -> None:
    """Create the raw schema on a new server; check the version of an existing one.

    ``conn`` is a psycopg connection in autocommit mode."""
    if schema_version(conn) == SCHEMA_VERSION:
        return
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", [SCHEMA_LOCK])
        current = schema_version(conn)  # another host may have created it while we waited
        if current == SCHEMA_VERSION:
            return
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"The warehouse has raw schema version {current}, newer than this code's "
                f"{SCHEMA_VERSION}. Upgrade the dds package before opening it."
            )
        if current:
            raise RuntimeError(
                f"The PostgreSQL warehouse has raw schema version {current}; this code "
                f"writes version {SCHEMA_VERSION} and has no PostgreSQL migration from it."
            )
        for statement in raw_schema_sql():
            conn.execute(statement)
        conn.execute(
            f"insert into {RAW_SCHEMA}.schema_version values (%s, %s, %s)",
            [
                SCHEMA_VERSION,
                MIGRATIONS[-1].description + " (created from the declarations)",
                utc_now(),
            ],
        )
