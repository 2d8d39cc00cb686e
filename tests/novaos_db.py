"""A NovaOS memory database as NovaOS itself creates it (issue 16), for the export tests.

The DDL is written out here on purpose, not imported from dds_api.novaos_export: the export
must meet NovaOS' constraints (NOT NULL, foreign keys on), not constraints of its own.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

NOVAOS_TABLES = (
    """
    CREATE TABLE agents (
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
    CREATE TABLE costs (
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
    CREATE TABLE revenue (
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
    CREATE TABLE system_metrics (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        timestamp TEXT NOT NULL,
        metric_name TEXT NOT NULL,
        metric_value REAL NOT NULL,
        metadata TEXT,
        created_at TEXT DEFAULT CURRENT_TIMESTAMP
    )
    """,
)
TABLES = ("agents", "costs", "revenue", "system_metrics")


def connect(path: Path) -> sqlite3.Connection:
    """A connection as NovaOS opens one: foreign keys enforced."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def create_novaos_db(path: Path) -> Path:
    """NovaOS' four memory tables, empty, as NovaOS creates them."""
    with connect(path) as conn:
        for statement in NOVAOS_TABLES:
            conn.execute(statement)
    conn.close()
    return path


def schema(conn: sqlite3.Connection) -> dict[str, object]:
    """Each table's columns (name, type, not null, default, primary key) and foreign keys,
    independent of column order."""
    return {
        table: (
            sorted(tuple(column[1:]) for column in conn.execute(f"PRAGMA table_info({table})")),
            sorted(tuple(fk[2:5]) for fk in conn.execute(f"PRAGMA foreign_key_list({table})")),
        )
        for table in TABLES
    }


def table_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of the four tables, ids included."""
    conn = connect(path)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in TABLES
        }
    finally:
        conn.close()
