"""The marts as a full rebuild would make them: what the refresh tests compare the tables
kept current with (tests/warehouse/test_refresh.py, tests/models/test_magnitudes.py).
The compiled full-build SQL is the ``full_build_sql`` fixture (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dds_api.current_marts import refresh
from dds_api.facade import DDSIntegration


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
    full = f"select {columns} from (\n{full_sql}\n)"
    return conn.execute(
        f"(select 'stored', {columns} from {relation} except all "
        f"select 'stored', * from ({full})) union all "
        f"(select 'rebuilt', * from ({full}) except all "
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


def marts_as_rows(path: Path) -> dict[str, list[tuple]]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        conn.execute("set TimeZone = 'UTC'")
        names = [
            (schema, name)
            for schema, name in conn.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = current_database() "
                "and table_schema in ('marts', 'intermediate') "
                "order by 1, 2"
            ).fetchall()
        ]
        return {
            f"{schema}.{name}": conn.execute(
                f'select * from {schema}."{name}" order by all'
            ).fetchall()
            for schema, name in names
        }
    finally:
        conn.close()
