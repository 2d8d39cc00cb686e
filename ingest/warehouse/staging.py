"""DuckDB's engine beside a PostgreSQL warehouse, for the writes written in DuckDB SQL.

A bulk load validates, prices and deduplicates a million rows in DuckDB SQL (reading
Parquet, JSON paths, hashes), and the synthetic generator appends Arrow tables; neither has
a PostgreSQL twin worth keeping. On PostgreSQL they run unchanged on a *side*: an in-memory
DuckDB with the raw schema from the same declarations, holding the stored rows the work
reads (``mirror``), and whatever the work appends there is copied to the server at the end
(``COPY``), in the writing transaction the caller holds, under its append lock, in the
side's ``seq`` order (the server numbers the rows anew). On DuckDB the side is the
warehouse's own connection: nothing is copied.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

from ingest.warehouse.connection import QUIET
from ingest.warehouse.dialect import is_postgres
from ingest.warehouse.tables import RAW_SCHEMA, RAW_TABLES, SEQUENCE, RawTable, create_table_sql

# The side numbers its own appends from here: a mirrored row keeps the server's seq (far
# below), so what the work appended is exactly the rows at or above it.
SIDE_SEQ_START = 1 << 62
_BATCH_ROWS = 50_000


@contextmanager
def duckdb_side(conn: Any) -> Iterator[duckdb.DuckDBPyConnection]:
    """The connection to run DuckDB SQL on for a write to ``conn``'s warehouse: ``conn``
    itself on DuckDB; on PostgreSQL a side whose appends reach the server when the block
    ends without an exception (``conn`` must be in a transaction holding the append lock,
    as every writing use of ``PostgresWarehouse`` is)."""
    if not is_postgres(conn):
        yield conn
        return
    side = duckdb.connect(":memory:")
    try:
        side.execute(QUIET)
        side.execute("set TimeZone = 'UTC'")
        side.execute(f"create schema {RAW_SCHEMA}")
        side.execute("create schema marts")
        side.execute(f"create sequence {SEQUENCE} start {SIDE_SEQ_START}")
        for table in RAW_TABLES:
            side.execute(create_table_sql(table))
        yield side
        copy_appended(side, conn)
    finally:
        side.close()


def mirror(
    side: duckdb.DuckDBPyConnection,
    conn: Any,
    relation: str,
    where: str = "true",
    parameters: Sequence[Any] = (),
) -> int:
    """Copy the server's rows of ``relation`` that match ``where`` into the side's table of
    the same name: a raw table (created with the side), or any other relation, created on
    the side from the rows' own columns. Returns the number of rows copied."""
    cursor = conn.raw.cursor()
    cursor.execute(f"select * from {relation} where {where}", list(parameters) or None)
    names = [column.name for column in cursor.description]
    rows = cursor.fetchall()
    if _raw_table(relation) is not None:
        if not rows:
            return 0
        statement = f"insert into {relation} by name select * from mirrored_rows"
    else:
        statement = f"create or replace table {relation} as select * from mirrored_rows"
    side.register("mirrored_rows", _arrow(names, rows))
    try:
        side.execute(statement)
    finally:
        side.unregister("mirrored_rows")
    return len(rows)


def copy_appended(side: duckdb.DuckDBPyConnection, conn: Any) -> dict[str, int]:
    """Copy every row the work appended on the side to the server's table of the same name,
    in ``seq`` order, leaving ``seq`` to the server's sequence. Returns rows per table."""
    copied: dict[str, int] = {}
    cursor = conn.raw.cursor()
    for table in RAW_TABLES:  # every raw table has seq (tables.py)
        listed = ", ".join(f'"{name}"' for name in table.column_names if name != "seq")
        result = side.execute(
            f"select {listed} from {RAW_SCHEMA}.{table.name} where seq >= ? order by seq",
            [SIDE_SEQ_START],
        )
        count = 0
        with cursor.copy(f"copy {RAW_SCHEMA}.{table.name} ({listed}) from stdin") as copy:
            while batch := result.fetchmany(_BATCH_ROWS):
                for row in batch:
                    copy.write_row(row)
                count += len(batch)
        if count:
            copied[table.name] = count
    return copied


def _raw_table(relation: str) -> RawTable | None:
    schema, _, name = relation.partition(".")
    if schema != RAW_SCHEMA:
        return None
    return next((table for table in RAW_TABLES if table.name == name), None)


def _arrow(names: list[str], rows: list[tuple[Any, ...]]) -> pa.Table:
    """Rows fetched from the server as an Arrow table, each column's type inferred from
    its values (JSON arrives as text; a column of nulls is typed by the insert)."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table(
        {name: pa.array(list(values)) for name, values in zip(names, columns, strict=True)}
    )
