"""The raw tables' declarations (ingest/warehouse/tables.py) are the only place their rules are
written: a warehouse the migrations build has exactly the declared columns and constraints,
and the committed dbt source YAML is the one the declarations generate."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import polars as pl
import pytest
import yaml

from ingest.warehouse import tables
from ingest.warehouse.schema import ensure_raw_schema


def _shape(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, list[tuple]]:
    columns = conn.execute(
        """
        select column_name, data_type, is_nullable, column_default
        from information_schema.columns
        where table_schema = ? and table_name = ?
        order by ordinal_position
        """,
        [tables.RAW_SCHEMA, table],
    ).fetchall()
    constraints = conn.execute(
        """
        select constraint_type, expression, constraint_column_names
        from duckdb_constraints()
        where schema_name = ? and table_name = ?
        """,
        [tables.RAW_SCHEMA, table],
    ).fetchall()
    return {"columns": columns, "constraints": sorted(constraints, key=repr)}


@pytest.fixture(scope="module")
def migrated() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    ensure_raw_schema(conn)
    return conn


@pytest.fixture(scope="module")
def declared() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute(f"create schema {tables.RAW_SCHEMA}")
    conn.execute(f"create sequence {tables.SEQUENCE}")
    for table in tables.RAW_TABLES:
        conn.execute(tables.create_table_sql(table))
    return conn


def test_a_fresh_warehouse_has_exactly_the_declared_tables(
    migrated: duckdb.DuckDBPyConnection,
) -> None:
    stored = {
        name
        for (name,) in migrated.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [tables.RAW_SCHEMA],
        ).fetchall()
    }
    # schema_version belongs to the migrations themselves, not to the data
    assert stored - {"schema_version"} == {table.name for table in tables.RAW_TABLES}


@pytest.mark.parametrize("table", tables.RAW_TABLES, ids=lambda table: table.name)
def test_a_fresh_warehouse_equals_the_declaration(
    migrated: duckdb.DuckDBPyConnection,
    declared: duckdb.DuckDBPyConnection,
    table: tables.RawTable,
) -> None:
    shape = _shape(migrated, table.name)
    declared_columns = [
        (c.name, c.type, "YES" if c.nullable else "NO", c.default) for c in table.columns
    ]
    assert shape["columns"] == declared_columns
    # every CHECK, NOT NULL and primary key, as the declaration's DDL creates them
    assert shape == _shape(declared, table.name)


def test_the_committed_dbt_sources_are_generated_from_the_declarations() -> None:
    assert tables.SOURCES_YAML.read_text() == tables.sources_yaml(), (
        "models/staging/_dds__sources.yml is stale: run `python -m ingest.warehouse.tables`"
    )


def test_dbt_prices_tokens_by_the_declared_units() -> None:
    # one map of token column -> price-list unit (tables.TOKEN_PRICE_UNITS): dbt's macro is
    # written from it, ingest's pricing reads it
    assert tables.TOKEN_UNITS_MACRO.read_text() == tables.token_units_macro(), (
        "macros/dds_token_units.sql is stale: run `python -m ingest.warehouse.tables`"
    )


def test_the_dbt_sources_test_nothing_the_warehouse_enforces(
    migrated: duckdb.DuckDBPyConnection,
) -> None:
    """A constraint is tested once, where it can break: a fresh warehouse refuses a null in
    a NOT NULL column, a repeated primary key and a value outside a CHECK on insert, so the
    sources carry no test of them (each ~0.1 s of every `dbt build`)."""
    enforced = set()
    for table, kind, expression, columns in migrated.execute(
        "select table_name, constraint_type, expression, constraint_column_names "
        "from duckdb_constraints() where schema_name = ?",
        [tables.RAW_SCHEMA],
    ).fetchall():
        for column in columns:
            if kind == "NOT NULL":
                enforced.add((table, column, "not_null"))
            elif kind == "PRIMARY KEY":
                enforced.add((table, column, "unique"))
            elif kind == "CHECK" and " in (" in expression.lower():
                enforced.add((table, column, "accepted_values"))
    assert enforced, "the probe found no constraint to compare with"
    sources = yaml.safe_load(tables.SOURCES_YAML.read_text())["sources"][0]["tables"]
    restated = [
        (table["name"], column["name"], name)
        for table in sources
        for column in table["columns"]
        for test in column.get("data_tests", [])
        for name in [test if isinstance(test, str) else next(iter(test))]
        if (table["name"], column["name"], name) in enforced
    ]
    assert restated == []
    # and what no constraint enforces is still tested: raw's unique columns have no index
    tested = {
        (table["name"], column["name"])
        for table in sources
        for column in table["columns"]
        if "unique" in column.get("data_tests", [])
    }
    assert ("cost_events", "cost_id") in tested and ("cost_events", "idempotency_key") in tested


# Values a caller might give for an input of each declared rule, good and bad. A file gives
# the same values as text. (A number given as a string is refused by a single call as the
# wrong type, and read by a file as the number it spells: types are a call's shape, not a
# row's rule, so they are not probed here.)
PROBES: dict[str, tuple[object, ...]] = {
    tables.NAME: ("Hunter.io", "   ", "!!!", "x" * 501),
    tables.TEXT: ("ok", "x" * 501, "a\x00b"),
    tables.MONEY: (2.5, 0, -1, float("nan"), 1e13),
    tables.COUNT: (7, 0, -5, 2.5),
    tables.TIMESTAMP: (
        "2025-01-01T00:00:00Z",
        "2025-01-01 10:00:00+02:00",
        "not a time",
        "2999-01-01T00:00:00Z",
    ),
    tables.DETAILS: ({"batch": 3}, "not a dict", [1, 2]),
}
GOOD_ROW = {
    "costs": {"operation": "lead_scoring", "provider": "anthropic", "cost": 1,
              "occurred_at": "2025-01-01T00:00:00Z"},
    "results": {"stage": "outreach", "leads_found": 9, "emails_sent": 9,
                "occurred_at": "2025-01-01T00:00:00Z"},
}  # fmt: skip
CHECKED_INPUTS = [
    (kind, given)
    for kind, table in (("costs", tables.COST_EVENTS), ("results", tables.RESULT_SNAPSHOTS))
    for given in table.inputs
    if given.in_call and given.in_file and given.rule in PROBES
]


@pytest.mark.parametrize(
    ("kind", "given"),
    CHECKED_INPUTS,
    ids=[f"{kind}.{given.name}" for kind, given in CHECKED_INPUTS],
)
def test_a_single_call_and_a_file_agree_on_every_declared_rule(
    dds: Any, campaign_id: str, kind: str, given: tables.Input
) -> None:
    """Every probe of the input's declared rule: the single call refuses it exactly when a
    file quarantines it."""
    call = dds.log_dds_costs if kind == "costs" else dds.log_dds_results
    for value in PROBES[given.rule]:
        row = {**GOOD_ROW[kind], given.name: value}
        single = call(campaign_id, row)
        as_text = {
            name: json.dumps(v) if isinstance(v, dict | list) else str(v) for name, v in row.items()
        }
        summary = dds.ingest(kind, pl.DataFrame([{"campaign_id": campaign_id, **as_text}]))
        refused_by_call = single["status"] == "error"
        refused_by_file = summary["quarantined"] == 1
        assert refused_by_call == refused_by_file, (value, single, summary)


def test_an_insert_names_only_declared_columns_and_every_required_one() -> None:
    table = tables.INGEST_BATCHES
    required = [c.name for c in table.columns if not c.nullable and c.default is None]
    assert table.insert_into(*required) == (
        f"insert into raw.ingest_batches ({', '.join(required)})"
    )
    with pytest.raises(ValueError, match="declares no column rows_loaded"):
        table.insert_into(*required, "rows_loaded")
    with pytest.raises(ValueError, match="requires the column"):
        table.insert_into(*required[1:])
    with pytest.raises(ValueError, match="given twice"):
        table.insert_into(*required, required[0])


def test_every_raw_insert_takes_its_column_list_from_the_declaration() -> None:
    """No writer spells `insert into raw.<table> (...)` by hand: RawTable.insert_into does,
    so a writer cannot name a column the table lacks or forget a required one."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    declaration = repo / "ingest" / "warehouse" / "tables.py"
    by_hand = [
        str(path.relative_to(repo))
        for package in ("ingest", "dds_api")
        for path in (repo / package).rglob("*.py")
        if path != declaration and "insert into raw." in path.read_text().lower()
    ]
    assert by_hand == []
