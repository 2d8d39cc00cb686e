"""The marts as a full rebuild would make them: what the refresh tests compare the tables
kept current with (tests/warehouse/test_refresh.py, tests/models/test_magnitudes.py).
The compiled full-build SQL is the ``full_build_sql`` fixture (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from dds_api.current_marts import refresh
from dds_api.facade import DDSIntegration
from ingest.warehouse.postgres import connect


def table_differences(conn: duckdb.DuckDBPyConnection, relation: str, full_sql: str) -> list[tuple]:
    """Rows in the table and not in the full build, or the reverse (with multiplicity)."""
    columns = ", ".join(
        f'"{name}"'
        for (name,) in conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            relation.split("."),
        ).fetchall()
    )
    full = f"select {columns} from (\n{full_sql}\n) as full_build"
    return conn.execute(
        f"(select 'stored', {columns} from {relation} except all "
        f"select 'stored', * from ({full}) as rebuilt) union all "
        f"(select 'rebuilt', * from ({full}) as rebuilt except all "
        f"select 'rebuilt', {columns} from {relation})"
    ).fetchall()


def assert_current(dds: DDSIntegration, full_build_sql: dict) -> None:
    with dds.read() as conn:
        plan = refresh.load_plan(conn)
        assert plan is not None
        for step in plan:
            if step.model in (refresh.SCOPE_MODEL, refresh.STATE_MODEL):
                continue
            differences = table_differences(conn, step.relation, full_build_sql[step.model])
            assert differences == [], (step.model, differences[:6])


def marts_as_rows(address: Path | str) -> dict[str, list[tuple]]:
    """Every mart's and intermediate table's rows, sorted: a DuckDB file's (by path) or a
    PostgreSQL database's (by URL)."""
    if isinstance(address, str) and address.startswith("postgresql://"):
        conn: Any = connect(address)
    else:
        conn = duckdb.connect(str(address), read_only=True)
        conn.execute("set TimeZone = 'UTC'")
    tables_sql = (
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database() "
        "and table_schema in ('marts', 'intermediate') order by 1, 2"
    )
    try:
        names = conn.execute(tables_sql).fetchall()
        return {
            f"{schema}.{name}": sorted(
                conn.execute(f'select * from {schema}."{name}"').fetchall(), key=repr
            )
            for schema, name in names
        }
    finally:
        conn.close()
