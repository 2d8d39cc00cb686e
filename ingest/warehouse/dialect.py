"""Where the two warehouse engines differ, in one place (the Python half of the dialect edge;
dbt's half is the ``postgres__``/``duckdb__`` dispatch macros).

Every module of ours writes one SQL text for both engines; where DuckDB and PostgreSQL spell
something differently, it asks here, by the connection's ``dialect``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

from ingest.warehouse.tables import SEQUENCE

Dialect = Literal["duckdb", "postgres"]
DUCKDB: Dialect = "duckdb"
POSTGRES: Dialect = "postgres"

# Advisory lock keys (PostgreSQL; arbitrary, fixed constants). APPEND_LOCK is taken by every
# writing transaction just before it appends, so no reader ever sees a high-water seq while
# a smaller one is still uncommitted (DESIGN.md: plain sequences break that invariant);
# REFRESH_LOCK keeps two hosts from refreshing the marts at the same time.
APPEND_LOCK = 0x44445301
REFRESH_LOCK = 0x44445302


def dialect_of(conn: Any) -> Dialect:
    """The engine behind a connection of ours (a DuckDB connection has no ``dialect``)."""
    return getattr(conn, "dialect", DUCKDB)


def is_postgres(conn: Any) -> bool:
    return dialect_of(conn) == POSTGRES


def huge_integer(dialect: Dialect) -> str:
    """The type of an exact integer wider than 64 bits (money in micro-units, token counts
    multiplied by prices): DuckDB's HUGEINT, PostgreSQL's numeric(38, 0)."""
    return "numeric(38, 0)" if dialect == POSTGRES else "hugeint"


def lock_appends(conn: Any) -> None:
    """In an open transaction on PostgreSQL, wait for the append lock (held to its end), so
    appends commit in ``seq`` order (DESIGN.md); DuckDB has one writer and needs none. The
    warehouse takes it for every writing use; a drain or load that opens its own transaction
    takes it here.

    Once it holds the lock, it draws one value of the raw sequence: so every writing
    transaction moves the sequence, even one that appends nothing (a build storing its
    plan), and a reader that finds the sequence unmoved with the lock free knows that
    nothing was written since it last looked (ingest/warehouse/postgres.py). The draw is in
    the outer query, so it runs after the subquery took the lock (``offset 0`` keeps the
    planner from merging the two)."""
    if is_postgres(conn):
        conn.execute(
            f"select nextval('{SEQUENCE}') "
            "from (select pg_advisory_xact_lock(?) offset 0) as locked",
            [APPEND_LOCK],
        )


def insert_by_name(conn: Any, relation: str, select_sql: str) -> str:
    """``insert into relation`` the rows of ``select_sql``, matching columns by name (the
    select yields every column of the table, in any order). PostgreSQL has no ``by name``:
    the table's column list, read once per connection and relation, names them."""
    if not is_postgres(conn):
        return f"insert into {relation} by name {select_sql}"
    columns = conn.columns.get(relation)
    if columns is None:
        schema, table = relation.split(".")
        rows = conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        columns = conn.columns[relation] = ", ".join(f'"{name}"' for (name,) in rows)
    return f"insert into {relation} ({columns}) select {columns} from ({select_sql}) as by_name"


def forget_columns(conn: Any) -> None:
    """Drop the column lists insert_by_name read (a build may have recreated the tables)."""
    if is_postgres(conn):
        conn.columns.clear()


@contextmanager
def refresh_lock(conn: Any) -> Iterator[None]:
    """On PostgreSQL, one host at a time refreshes the marts: a session-level lock taken
    before the refresh's transaction begins (so its snapshot is taken after the previous
    refresh committed) and released after it ends. DuckDB has one process at the file."""
    if not is_postgres(conn):
        yield
        return
    conn.execute("select pg_advisory_lock(?)", [REFRESH_LOCK])
    try:
        yield
    finally:
        conn.execute("select pg_advisory_unlock(?)", [REFRESH_LOCK])


def begin_snapshot(conn: Any) -> None:
    """Begin a transaction whose reads all see one snapshot (the refresh reads raw several
    times): DuckDB's transactions always do; PostgreSQL's need repeatable read (its default,
    read committed, takes a new snapshot per statement)."""
    if is_postgres(conn) and not conn.in_transaction:
        conn.begin("repeatable read")
    else:
        conn.begin()


def arrow_reader(conn: Any, sql: str) -> Any:
    """The query's rows as a stream of Arrow batches (``pyarrow.RecordBatchReader``), so a
    large result never sits in memory whole."""
    if is_postgres(conn):
        return conn.arrow_reader(sql)
    return conn.sql(sql).to_arrow_reader()


def iso_utc(dialect: Dialect, timestamp: str) -> str:
    """SQL for a naive UTC timestamp as the answers show it (``formatting.utc_iso``):
    ISO-8601 with microseconds and a Z, e.g. 2026-03-01T09:30:00.000000Z."""
    if dialect == POSTGRES:
        return f"""to_char({timestamp}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    return f"strftime({timestamp}, '%Y-%m-%dT%H:%M:%S.%fZ')"


def fetch_columns(conn: Any, sql: str, params: Sequence[Any] | None = None) -> dict[str, list[Any]]:
    """A many-row result as one list of Python values per column (name -> values, in the
    select's order), for the facade to build a portfolio's dicts from. DuckDB converts
    each column through Arrow, at C speed (fetchall makes each row's values one by one,
    several times slower; bench/README.md, "#26, portfolio answers"); psycopg's rows are
    transposed."""
    if is_postgres(conn):
        cursor = conn.execute(sql, params)
        names = [column.name for column in cursor.description]
        rows = cursor.fetchall()
        if not rows:
            return {name: [] for name in names}
        return dict(zip(names, map(list, zip(*rows, strict=True)), strict=True))
    conn.complete()  # a result execute() left unread (a fetchone) would refuse conn.sql
    table = conn.sql(sql, params=params).to_arrow_table()
    return {
        name: column.to_pylist()
        for name, column in zip(table.column_names, table.columns, strict=True)
    }
