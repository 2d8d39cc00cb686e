"""The dbt project builds on PostgreSQL, and every mart equals DuckDB's (#25, item 6).

The same events go into both engines: synthetic campaigns (dds_api/samples/synthetic.py)
and the demo's sample, played through the facade, are written into a DuckDB warehouse; its
raw rows are copied into the raw tables of a fresh Postgres database (created from the same
declarations, ingest/warehouse/postgres_schema.py). dbt then brings both up to date with
"today" and "now" pinned to the same instant, so that pacing and cooldowns agree: on
Postgres a full `dbt build` (every seed, model, data test and unit test), on DuckDB a
`dbt run` (its tests run in the rest of the suite). Both go through the incremental path
(the tables exist; the pinned vars put every campaign in scope). Every mart must then hold
the same rows: integers and decimals exactly, doubles within 1e-9 relative, JSON as the
same objects.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from dds_api.current_marts.build import BOOTSTRAP_ARGS, run_dbt
from dds_api.facade import DDSIntegration
from dds_api.samples.demo import load_sample
from dds_api.samples.synthetic import generate, plant_variants
from ingest.warehouse.postgres_schema import ensure_raw_schema
from ingest.warehouse.tables import RAW_SCHEMA, RAW_TABLES, utc_now

RELATIVE_TOLERANCE = 1e-9  # doubles: each engine sums and rounds in its own order


def copy_raw_rows(source: duckdb.DuckDBPyConnection, url: str) -> dict[str, int]:
    """Every raw table's rows from the DuckDB warehouse into the Postgres one, by column
    name (COPY); returns the rows copied per table."""
    copied = {}
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_raw_schema(conn)
        for table in RAW_TABLES:
            names = ", ".join(f'"{name}"' for name in table.column_names)
            rows = source.execute(f"select {names} from {RAW_SCHEMA}.{table.name}").fetchall()
            statement = f"copy {RAW_SCHEMA}.{table.name} ({names}) from stdin"
            with conn.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            copied[table.name] = len(rows)
    return copied


def mart_columns(conn: Any, placeholder: str) -> dict[str, list[tuple[str, str]]]:
    """Each relation of the schema marts: its (column, type) pairs in order."""
    rows = conn.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        f"where table_schema = 'marts' and table_catalog = current_database() "
        f"and table_name not like {placeholder} order by table_name, ordinal_position",
        ["%dbt_tmp%"],
    ).fetchall()
    marts: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        marts.setdefault(table, []).append((column, data_type))
    return marts


def normalised(value: Any, is_json: bool) -> Any:
    """One engine-neutral form: JSON parsed, integers as Decimal, the rest as given."""
    if is_json and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def rows_of(rows: list[tuple], is_json: list[bool]) -> list[tuple]:
    return [
        tuple(
            normalised(value, json_column) for value, json_column in zip(row, is_json, strict=True)
        )
        for row in rows
    ]


def sort_key(row: Sequence[Any]) -> tuple[str, ...]:
    """Orders rows by everything but their doubles (which may differ in the last bits)."""
    return tuple(
        "" if isinstance(v, float) else f"{v.normalize()}" if isinstance(v, Decimal) else repr(v)
        for v in row
    )


def differences(mart: str, expected: list[tuple], actual: list[tuple]) -> list[str]:
    if len(expected) != len(actual):
        return [f"{mart}: {len(expected)} rows on DuckDB, {len(actual)} on Postgres"]
    found = []
    pairs = zip(sorted(expected, key=sort_key), sorted(actual, key=sort_key), strict=True)
    for duck_row, pg_row in pairs:
        for duck, pg in zip(duck_row, pg_row, strict=True):
            if isinstance(duck, float) and isinstance(pg, float):
                same = math.isclose(duck, pg, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
            else:
                same = duck == pg and type(duck) is type(pg)
            if not same:
                found.append(f"{mart}: {duck!r} on DuckDB, {pg!r} on Postgres in\n{duck_row}")
                break
    return found


@pytest.mark.slow
def test_every_mart_on_postgres_equals_duckdbs(
    dds: DDSIntegration, warehouse_path: Path, postgres_database: str, tmp_path: Path
) -> None:
    generate(dds, campaigns=30, cost_events=3000, seed=7)
    ids = load_sample(dds)  # through the facade: lifecycle, snapshots omitting figures, stops
    # an A/B test with a winner, a loser and a tie: the variant marts and their verdicts
    plant_variants(
        dds, ids[0], {"plain": 0.03, "personal": 0.15, "short": 0.0, "same": 0.03},
        emails_per_variant=300, seed=5,
    )  # fmt: skip
    dds.close()
    # the same "today" and "now" for both builds, whenever the test runs
    now = utc_now().replace(microsecond=0)
    pinned = json.dumps({"dds_as_of_date": str(now.date()), "dds_as_of_timestamp": str(now)})

    started = time.perf_counter()
    with duckdb.connect(str(warehouse_path), read_only=True) as source:
        copied = copy_raw_rows(source, postgres_database)
    assert copied["campaign_events"] > 60 and copied["cost_events"] > 3000, copied
    assert copied["sendgrid_events"] > 0 and copied["result_snapshots"] > 30, copied
    with duckdb.connect(str(warehouse_path), read_only=True) as source:
        [(variants,)] = source.execute(
            "select count(distinct variant) from raw.sendgrid_events"
        ).fetchall()
    assert variants == 4
    loaded = time.perf_counter()

    # every data test on DuckDB too: the same events (an A/B test among them) on both engines
    run_dbt(
        ("build", "--vars", pinned, "--exclude-resource-type", "unit_test"), str(warehouse_path)
    )
    on_duckdb = time.perf_counter()
    # a new database first gets its tables (the unit tests of incremental models read them),
    # then the full build with every data and unit test, as `dds build` does; in a target
    # folder of its own, so that the project's stays parsed for DuckDB
    target = ("--target-path", str(tmp_path / "target-postgres"))
    run_dbt((*BOOTSTRAP_ARGS, *target), postgres_database)
    output = run_dbt(("build", "--vars", pinned, *target), postgres_database)
    on_postgres = time.perf_counter()
    assert "ERROR=0" in output and "PASS=" in output and " WARN=0 " in output, output[-2000:]

    with duckdb.connect(str(warehouse_path), read_only=True) as duck:
        duck_marts = mart_columns(duck, "?")
        with psycopg.connect(postgres_database) as pg:
            pg_marts = mart_columns(pg, "%s")
            assert {m: [c for c, _ in cs] for m, cs in pg_marts.items()} == {
                m: [c for c, _ in cs] for m, cs in duck_marts.items()
            }
            found, compared = [], 0
            for mart, columns in duck_marts.items():
                is_json = [data_type == "JSON" for _, data_type in columns]
                select = f"select * from marts.{mart}"
                expected = rows_of(duck.execute(select).fetchall(), is_json)
                actual = rows_of(pg.execute(select).fetchall(), is_json)
                found += differences(mart, expected, actual)
                compared += len(expected)
    print(
        f"\npostgres: raw copy {loaded - started:.1f} s, dbt run on DuckDB "
        f"{on_duckdb - loaded:.1f} s, on Postgres (tables, then build) "
        f"{on_postgres - on_duckdb:.1f} s; {compared} rows in {len(duck_marts)} marts compared"
    )
    assert found == []
    assert len(duck_marts) > 25 and compared > 1000
