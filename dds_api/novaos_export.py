"""Write DDS data into a NovaOS memory database (SQLite `novaos.db`) in NovaOS' own tables.

Creates the tables if missing (NovaOS' schema), then in one transaction replaces the rows
that are DDS's with the current novaos_* marts: agents of type 'dds_campaign', costs whose
request_data says source 'dds', revenue with source 'dds', system metrics whose metadata
says source 'dds'. Every other row is left as it is; running it twice gives the same file.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dds_api.facade import DDSIntegration
from dds_api.formatting import fetch_dicts

# NovaOS' tables, as NovaOS defines them.
NOVAOS_DDL = (
    """
    create table if not exists agents (
        id text primary key, name text, type text, department text, status text,
        deployed_at timestamp, token_budget integer, tokens_used integer, total_cost real,
        revenue_generated real, roi real, config text, last_active timestamp
    )
    """,
    """
    create table if not exists costs (
        id integer primary key autoincrement, timestamp timestamp, agent_id text,
        agent_name text, department text, model text, operation text, input_tokens integer,
        output_tokens integer, total_tokens integer, cost real, request_data text,
        created_at timestamp default current_timestamp
    )
    """,
    """
    create table if not exists revenue (
        id integer primary key autoincrement, timestamp timestamp, source text, agent_id text,
        department text, amount real, description text,
        created_at timestamp default current_timestamp
    )
    """,
    """
    create table if not exists system_metrics (
        id integer primary key autoincrement, timestamp timestamp, metric_name text,
        metric_value real, metadata text, created_at timestamp default current_timestamp
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
# NovaOS' columns per table, from our marts (NovaOS assigns its own integer ids).
COLUMNS = {
    "agents": ("id", "name", "type", "department", "status", "deployed_at", "token_budget",
               "tokens_used", "total_cost", "revenue_generated", "roi", "config",
               "last_active"),
    "costs": ("timestamp", "agent_id", "agent_name", "department", "model", "operation",
              "input_tokens", "output_tokens", "total_tokens", "cost", "request_data",
              "created_at"),
    "revenue": ("timestamp", "source", "agent_id", "department", "amount", "description",
                "created_at"),
    "system_metrics": ("timestamp", "metric_name", "metric_value", "metadata", "created_at"),
}  # fmt: skip


def export_to_novaos(dds: DDSIntegration, novaos_path: str | os.PathLike[str]) -> dict[str, int]:
    """Replace DDS's rows in the NovaOS database; returns the row count written per table."""
    with dds.read() as conn:
        marts = {
            table: fetch_dicts(
                conn, f"select {', '.join(COLUMNS[table])} from marts.novaos_{table} order by 1"
            )
            for table in COLUMNS
        }
    path = Path(novaos_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(path, timeout=30)
    try:
        with target:  # one transaction: NovaOS sees the old DDS rows or the new, never half
            for statement in NOVAOS_DDL:
                target.execute(statement)
            for table, rows in marts.items():
                target.execute(f"delete from {table} where {DDS_ROWS[table]}")
                columns = COLUMNS[table]
                target.executemany(
                    f"insert into {table} ({', '.join(columns)}) "
                    f"values ({', '.join('?' for _ in columns)})",
                    (_sqlite_row(row, columns) for row in rows),
                )
    finally:
        target.close()
    return {table: len(rows) for table, rows in marts.items()}


def _sqlite_row(row: dict[str, Any], columns: Iterable[str]) -> tuple[Any, ...]:
    return tuple(_sqlite_value(row[column]) for column in columns)


def _sqlite_value(value: Any) -> Any:
    """NovaOS stores money as REAL and times as ISO-8601 text (UTC)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value
