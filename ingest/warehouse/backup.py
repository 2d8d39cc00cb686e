"""Backup and restore of the raw events: every table in schema ``raw`` to Parquet and back.

The raw tables are the source of truth (dbt derives everything else), so a backup is those
tables, found in the catalog rather than listed here, so that a table added by a migration
is backed up without touching this module. ``manifest.json`` records the schema version
and each table's row count; a restore checks both.

A restore goes into an empty warehouse only (no events in any raw table): merging two
histories could count an event twice. It is one transaction, so a failed restore leaves the
warehouse empty. ``seq`` values are kept (they order events of the same time) and the
sequence is moved past them, so events written afterwards sort after the restored ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.warehouse.dialect import is_postgres
from ingest.warehouse.errors import ValidationError
from ingest.warehouse.schema import RAW_SCHEMA, SCHEMA_VERSION, schema_version
from ingest.warehouse.tables import utc_now

MANIFEST = "manifest.json"
# The target's own migrations write its version history; a restore does not replace it.
VERSION_TABLE = "schema_version"
SEQUENCE = f"{RAW_SCHEMA}.event_seq"


def raw_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
        [RAW_SCHEMA],
    ).fetchall()
    return [row[0] for row in rows]


def _quoted(table: str) -> str:
    # names come from the catalog, never from input; quoted all the same
    return f'{RAW_SCHEMA}."{table.replace(chr(34), chr(34) * 2)}"'


def _columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = conn.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [RAW_SCHEMA, table],
    ).fetchall()
    return [row[0] for row in rows]


def export_raw(conn: duckdb.DuckDBPyConnection, out_dir: Path) -> dict[str, int]:
    """Write each raw table to ``out_dir/<table>.parquet`` (streamed), and the manifest.

    Read in one transaction, so the files are one consistent moment of the warehouse.
    Returns rows per table.
    """
    _refuse_postgres(conn)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    conn.begin()
    try:
        version = schema_version(conn)
        for table in raw_tables(conn):
            order = " order by seq" if "seq" in _columns(conn, table) else ""
            reader = conn.sql(f"select * from {_quoted(table)}{order}").to_arrow_reader()
            rows = 0
            with pq.ParquetWriter(out_dir / f"{table}.parquet", reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch)
                    rows += batch.num_rows
            counts[table] = rows
    finally:
        conn.rollback()  # read only
    manifest = {
        "schema_version": version,
        "exported_at": utc_now().isoformat(),
        "tables": counts,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return counts


def import_raw(conn: duckdb.DuckDBPyConnection, in_dir: Path) -> dict[str, int]:
    """Restore a backup made by export_raw into this (empty) warehouse. Returns rows per
    table. Raises ValidationError, with nothing written, when it cannot."""
    _refuse_postgres(conn)
    manifest = _manifest(in_dir)
    tables = raw_tables(conn)
    unknown = sorted(set(manifest["tables"]) - set(tables))
    if unknown:
        raise ValidationError(
            f"The backup has raw table(s) this warehouse does not: {', '.join(unknown)}. "
            "It was made by a newer version; restore it with that version."
        )
    occupied = {
        table: n
        for table in tables
        if table != VERSION_TABLE
        and (n := conn.execute(f"select count(*) from {_quoted(table)}").fetchall()[0][0])
    }
    if occupied:
        shown = ", ".join(f"{table} ({n} rows)" for table, n in sorted(occupied.items()))
        raise ValidationError(
            f"The warehouse is not empty: {shown}. A restore goes into a new, empty "
            "warehouse (merging two histories could count events twice): point "
            "DDS_WAREHOUSE at a new file and import again."
        )
    counts: dict[str, int] = {}
    conn.begin()
    try:
        for table, expected in sorted(manifest["tables"].items()):
            if table == VERSION_TABLE:
                continue
            path = in_dir / f"{table}.parquet"
            if not path.is_file():
                raise ValidationError(f"The backup lacks {path.name}, listed in its manifest.")
            parquet = pq.ParquetFile(path)
            # streamed batch by batch: a large table never sits in memory whole
            rows = pa.RecordBatchReader.from_batches(parquet.schema_arrow, parquet.iter_batches())
            conn.register("backup_rows", rows)
            try:
                conn.execute(f"insert into {_quoted(table)} by name select * from backup_rows")
            finally:
                conn.unregister("backup_rows")
            stored = conn.execute(f"select count(*) from {_quoted(table)}").fetchall()[0][0]
            if stored != expected:
                raise ValidationError(
                    f"{path.name} holds {stored} rows but the manifest says {expected}; the "
                    "backup is incomplete. Nothing was restored."
                )
            counts[table] = stored
        _advance_sequence(conn, tables)
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return counts


def _refuse_postgres(conn: Any) -> None:
    if is_postgres(conn):
        raise ValidationError(
            "A PostgreSQL warehouse is backed up and restored by the server's own tools: "
            "pg_dump --schema=raw (README, 'PostgreSQL: NovaOS on several hosts') and "
            "pg_restore into a new database; `dds export --raw` and `dds import` are for "
            "the DuckDB file."
        )


def _manifest(in_dir: Path) -> dict[str, Any]:
    path = in_dir / MANIFEST
    if not path.is_file():
        raise ValidationError(
            f"No {MANIFEST} in {in_dir}: not a backup made by `dds export --raw`."
        )
    try:
        manifest = json.loads(path.read_text())
        version = int(manifest["schema_version"])
        tables = {str(k): int(v) for k, v in manifest["tables"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValidationError(f"{path} is not a valid backup manifest: {exc}") from exc
    if version > SCHEMA_VERSION:
        raise ValidationError(
            f"The backup has raw schema version {version}; this code knows up to "
            f"{SCHEMA_VERSION}. Restore it with the newer version."
        )
    return {"schema_version": version, "tables": tables}


def _advance_sequence(conn: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Move the shared sequence past every restored seq (DuckDB cannot set a sequence)."""
    parts = [
        f"select max(seq) as seq from {_quoted(t)}" for t in tables if "seq" in _columns(conn, t)
    ]
    union = " union all ".join(parts)
    highest = conn.execute(f"select coalesce(max(seq), 0) from ({union})").fetchall()[0][0]
    current = conn.execute(f"select nextval('{SEQUENCE}')").fetchall()[0][0]
    if highest >= current:
        conn.execute(f"select max(nextval('{SEQUENCE}')) from range(?)", [highest - current])
