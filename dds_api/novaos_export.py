"""Write DDS data into a NovaOS memory database (SQLite `novaos.db`) in NovaOS' own tables.

The tables are NovaOS' (created with NovaOS' DDL if missing), written under NovaOS' rules:
foreign keys on, NOT NULL columns filled, times as NovaOS writes them. In one transaction
the rows that are DDS's (agents of type 'dds_campaign', costs whose request_data says
source 'dds', revenue with source 'dds', system metrics whose metadata says source 'dds')
are made equal to the current novaos_* marts: a row already there is left as it is (its id
and created_at too), a missing one is inserted, one the marts no longer have is deleted.
Every other row is left alone, and running it again changes nothing.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dds_api.facade import DDSIntegration
from dds_api.formatting import fetch_dicts

# NovaOS' tables, exactly as NovaOS creates them (SQLite keeps the text in its schema).
NOVAOS_DDL = (
    """
    CREATE TABLE IF NOT EXISTS agents (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        department TEXT,
        status TEXT NOT NULL,
        config TEXT,
        token_budget INTEGER,
        tokens_used INTEGER DEFAULT 0,
        total_cost REAL DEFAULT 0.0,
        revenue_generated REAL DEFAULT 0.0,
        roi REAL DEFAULT 0.0,
        deployed_at TEXT NOT NULL,
        last_active TEXT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS costs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        timestamp TEXT NOT NULL,
        agent_id TEXT REFERENCES agents(id),
        agent_name TEXT,
        department TEXT,
        model TEXT NOT NULL,
        operation TEXT NOT NULL,
        input_tokens INTEGER,
        output_tokens INTEGER,
        total_tokens INTEGER,
        cost REAL NOT NULL,
        request_data TEXT,
        created_at TEXT DEFAULT CURRENT_TIMESTAMP
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS revenue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        timestamp TEXT NOT NULL,
        source TEXT NOT NULL,
        amount REAL NOT NULL,
        agent_id TEXT REFERENCES agents(id),
        department TEXT,
        description TEXT,
        created_at TEXT DEFAULT CURRENT_TIMESTAMP
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS system_metrics (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        timestamp TEXT NOT NULL,
        metric_name TEXT NOT NULL,
        metric_value REAL NOT NULL,
        metadata TEXT,
        created_at TEXT DEFAULT CURRENT_TIMESTAMP
    )
    """,
)

# How each table's DDS rows are recognised, so that nothing else is touched.
DDS_ROWS = {
    "agents": "type = 'dds_campaign'",
    "costs": "json_valid(request_data) and json_extract(request_data, '$.source') = 'dds'",
    "revenue": "source = 'dds'",
    "system_metrics": "json_valid(metadata) and json_extract(metadata, '$.source') = 'dds'",
}
# The columns we write per table. NovaOS numbers its own rows (INTEGER autoincrement) and
# fills created_at with the time the row reached its database.
COLUMNS = {
    "agents": ("id", "name", "type", "department", "status", "config", "token_budget",
               "tokens_used", "total_cost", "revenue_generated", "roi", "deployed_at",
               "last_active"),
    "costs": ("timestamp", "agent_id", "agent_name", "department", "model", "operation",
              "input_tokens", "output_tokens", "total_tokens", "cost", "request_data"),
    "revenue": ("timestamp", "source", "amount", "agent_id", "department", "description"),
    "system_metrics": ("timestamp", "metric_name", "metric_value", "metadata"),
}  # fmt: skip
# The marts' rows in those columns. An undefined ROI is NULL in the mart; NovaOS' column
# defaults to 0.0 and its callers format it as a number, so it is written as 0.0.
MART_SQL = {
    "agents": """
        select id, name, type, department, status, config, token_budget, tokens_used,
               total_cost, revenue_generated, coalesce(roi, 0) as roi, deployed_at, last_active
        from marts.novaos_agents order by id
    """,
    "costs": f"select {', '.join(COLUMNS['costs'])} from marts.novaos_costs order by id",
    "revenue": f"select {', '.join(COLUMNS['revenue'])} from marts.novaos_revenue order by id",
    "system_metrics": f"select {', '.join(COLUMNS['system_metrics'])} "
    "from marts.novaos_system_metrics order by id",
}
# Parents before children, so that foreign keys hold at every statement.
TABLES = ("agents", "costs", "revenue", "system_metrics")


def export_to_novaos(
    dds: DDSIntegration, novaos_path: str | os.PathLike[str]
) -> dict[str, dict[str, int]]:
    """Make DDS's rows in the NovaOS database equal the marts. Returns, per table, the DDS
    rows it now holds and how many were inserted, updated (agents) and deleted."""
    with dds.read() as conn:
        wanted = {
            table: [
                tuple(_sqlite_value(row[column]) for column in COLUMNS[table])
                for row in fetch_dicts(conn, MART_SQL[table])
            ]
            for table in TABLES
        }
    path = Path(novaos_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # autocommit mode, so that the pragma applies and the transaction is ours to delimit
    with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as target:
        # as NovaOS runs; SQLite ignores this pragma inside a transaction, hence before BEGIN
        target.execute("pragma foreign_keys = on")
        target.execute("begin immediate")  # NovaOS sees the old DDS rows or the new
        try:
            for statement in NOVAOS_DDL:
                target.execute(statement)
            agents, stale_agents = _sync_agents(target, wanted["agents"])
            summary = {"agents": agents}
            for table in TABLES[1:]:
                summary[table] = _sync_rows(target, table, wanted[table])
            # last: their costs and revenue are gone by now
            target.executemany("delete from agents where id = ?", [(i,) for i in stale_agents])
            target.execute("commit")
        except BaseException:
            target.execute("rollback")
            raise
    return summary


def _sync_agents(
    target: sqlite3.Connection, wanted: list[tuple[Any, ...]]
) -> tuple[dict[str, int], list[str]]:
    """Insert new campaigns and update changed ones, by id. Returns the counts and the ids
    of DDS agents the marts no longer have (deleted once nothing of ours refers to them)."""
    columns = COLUMNS["agents"]
    select = f"select {', '.join(columns)} from agents where {DDS_ROWS['agents']}"
    present = {row[0]: row for row in target.execute(select)}
    inserted = [row for row in wanted if row[0] not in present]
    updated = [row for row in wanted if row[0] in present and present[row[0]] != row]
    target.executemany(
        f"insert into agents ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})",
        inserted,
    )
    target.executemany(
        f"update agents set {', '.join(f'{c} = ?' for c in columns[1:])} where id = ?",
        [(*row[1:], row[0]) for row in updated],
    )
    stale = sorted(set(present) - {row[0] for row in wanted})
    counts = {
        "rows": len(wanted),
        "inserted": len(inserted),
        "updated": len(updated),
        "deleted": len(stale),
    }
    return counts, stale


def _sync_rows(
    target: sqlite3.Connection, table: str, wanted: Sequence[tuple[Any, ...]]
) -> dict[str, int]:
    """Compare the table's DDS rows with the wanted ones by content (NovaOS' ids are its
    own): keep equal rows, delete the rest, insert what is missing."""
    columns = COLUMNS[table]
    missing = Counter(wanted)
    surplus = []
    for row_id, *values in target.execute(
        f"select id, {', '.join(columns)} from {table} where {DDS_ROWS[table]} order by id"
    ):
        row = tuple(values)
        if missing[row] > 0:
            missing[row] -= 1
        else:
            surplus.append((row_id,))
    target.executemany(f"delete from {table} where id = ?", surplus)
    inserts = []
    for row in wanted:
        if missing[row] > 0:
            missing[row] -= 1
            inserts.append(row)
    target.executemany(
        f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})",
        inserts,
    )
    return {"rows": len(wanted), "inserted": len(inserts), "updated": 0, "deleted": len(surplus)}


def _sqlite_value(value: Any) -> Any:
    """NovaOS stores money as REAL and times as `datetime.now().isoformat()` writes them
    ('YYYY-MM-DDTHH:MM:SS.ffffff', no zone; ours are UTC), comparing them as text. The
    microseconds are always written, so that text order is time order."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value
