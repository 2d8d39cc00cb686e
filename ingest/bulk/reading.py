"""Reading a bulk input into the staged table a load works on.

A file (Parquet, CSV, JSON Lines, a JSON array), a polars DataFrame, an Arrow table, or a
webhook's list of events is read into the temporary table ``STAGED``, one row per input row
in input order (its rowid names the row in the quarantine). A file's columns are then held
to the table's declaration (``ingest/warehouse/tables.py``): unknown ones refuse the input,
missing required ones too, missing optional ones read as null.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from ingest.validation import MAX_TEXT
from ingest.warehouse.errors import DATABASE_ERRORS, ValidationError
from ingest.warehouse.tables import COST_EVENTS, RESULT_SNAPSHOTS

FILE_FORMATS = ("parquet", "csv", "jsonl", "json")
STAGED = "bulk_input"  # the temporary table a load reads its input into
# Rows validated and written per step; a progress callback hears after each.
CHUNK_ROWS = 250_000

# a file's columns, and those it must have (declared in ingest/warehouse/tables.py)
DECLARED = {"costs": COST_EVENTS, "results": RESULT_SNAPSHOTS}
REQUIRED = {kind: table.required_file_keys() for kind, table in DECLARED.items()}
ALLOWED = {kind: table.file_keys() for kind, table in DECLARED.items()}

Source = pl.DataFrame | pa.Table | str | Path | Sequence[Mapping[str, Any]]


def label(source: Source) -> str:
    """What raw.ingest_batches records as the load's source."""
    if isinstance(source, str | Path):
        return str(source)
    if isinstance(source, pl.DataFrame | pa.Table):
        return "dataframe"
    return "webhook"


def _detect_format(path: Path, file_format: str | None) -> str:
    if file_format is not None:
        if file_format not in FILE_FORMATS:
            raise ValidationError(
                f"Unknown file format {file_format!r}; choose one of: {', '.join(FILE_FORMATS)}."
            )
        return file_format
    suffix = path.suffix.lower().lstrip(".")
    guessed = {"parquet": "parquet", "pq": "parquet", "csv": "csv", "jsonl": "jsonl"}
    guessed |= {"ndjson": "jsonl", "json": "json"}
    if suffix not in guessed:
        raise ValidationError(
            f"Cannot tell the format of {path.name!r} from its extension; name it .parquet, "
            ".csv, .jsonl or .json (a JSON array), or pass the format."
        )
    return guessed[suffix]


def stage(
    conn: duckdb.DuckDBPyConnection, kind: str, source: Source, file_format: str | None
) -> None:
    """Read the input into the temporary table STAGED, in input order (its rowid).

    SendGrid events are staged as one JSON ``payload`` per event (the raw table keeps it);
    costs and results as columns, every value as text for CSV (so that a bad value
    quarantines its row instead of failing the file).
    """
    conn.execute(f"drop table if exists {STAGED}")
    as_payload = kind == "sendgrid_events"
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise ValidationError(f"No file at {str(path)!r}; check the path.")
        fmt = _detect_format(path, file_format)
        reader = {
            "parquet": "read_parquet(?)",
            "csv": "read_csv(?, header = true, all_varchar = true)",
            "jsonl": "read_json(?, format = 'newline_delimited')",
            "json": "read_json(?, format = 'array')",
        }[fmt]
        if as_payload and fmt in ("jsonl", "json"):
            # keep each event exactly as sent, whatever its keys
            layout = "newline_delimited" if fmt == "jsonl" else "array"
            reader = f"read_json_objects(?, format = '{layout}')"
            select = "select json as payload from " + reader
        elif as_payload:
            select = f"select to_json(input) as payload from {reader} as input"
        else:
            select = f"select * from {reader}"
        try:
            conn.execute(f"create temp table {STAGED} as {select}", [str(path)])
        except DATABASE_ERRORS as exc:
            raise ValidationError(f"Cannot read {path.name!r} as {fmt}: {exc}") from exc
        return
    if isinstance(source, pl.DataFrame):
        source = source.to_arrow()
    if isinstance(source, pa.Table):
        conn.register("bulk_frame", source)
        try:
            select = (
                "select to_json(bulk_frame) as payload from bulk_frame"
                if as_payload
                else "select * from bulk_frame"
            )
            conn.execute(f"create temp table {STAGED} as {select}")
        finally:
            conn.unregister("bulk_frame")
        return
    if as_payload and isinstance(source, Sequence) and not isinstance(source, str | bytes):
        payloads = [_event_json(event, position) for position, event in enumerate(source, 1)]
        conn.register("bulk_frame", pa.table({"payload": pa.array(payloads, pa.string())}))
        try:
            conn.execute(
                f"create temp table {STAGED} as select cast(payload as json) as payload "
                "from bulk_frame"
            )
        finally:
            conn.unregister("bulk_frame")
        return
    raise ValidationError(
        f"Cannot load a {type(source).__name__}: give a file path, a polars DataFrame, an "
        "Arrow table, or (for SendGrid events) the webhook's list of events."
    )


def _event_json(event: object, position: int) -> str:
    """A webhook event as JSON text; a non-object still stages (and is quarantined)."""
    try:
        return json.dumps(event, allow_nan=False, default=str)
    except (TypeError, ValueError):
        return json.dumps({"unreadable_event": repr(event)[:MAX_TEXT], "position": position})


def _staged_columns(conn: duckdb.DuckDBPyConnection) -> list[str]:
    description = conn.execute(f"select * from {STAGED} limit 0").description
    return [column[0] for column in description or ()]


def check_columns(conn: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Unknown columns refuse the input (as unknown keys refuse a single call); missing
    optional columns read as null."""
    present = _staged_columns(conn)
    unknown = sorted(set(present) - set(ALLOWED[kind]))
    if unknown:
        raise ValidationError(
            f"Unknown {kind} column(s): {', '.join(unknown)}. Allowed columns are: "
            f"{', '.join(ALLOWED[kind])}."
        )
    missing = [name for name in REQUIRED[kind] if name not in present]
    if missing:
        raise ValidationError(
            f"The {kind} input lacks the column(s) {', '.join(missing)}; bulk rows need "
            f"{', '.join(REQUIRED[kind])} (occurred_at keeps re-runs from loading a row "
            "twice)."
        )
    for name in ALLOWED[kind]:
        if name not in present:
            conn.execute(f'alter table {STAGED} add column "{name}" varchar')


def chunks(conn: duckdb.DuckDBPyConnection) -> tuple[int, list[tuple[int, int]]]:
    """The staged row count, and the (first rowid, past the last) of each chunk."""
    [(total,)] = conn.execute(f"select count(*) from {STAGED}").fetchall()
    return total, [(lo, min(lo + CHUNK_ROWS, total)) for lo in range(0, total, CHUNK_ROWS)]
