"""A durable spool for writes that could not reach the warehouse in time.

DuckDB lets one process hold the file; while dbt, a reader or another NovaOS process holds
it past the lock timeout, a validated write goes here instead: one row in a SQLite file
beside the warehouse (WAL, ``synchronous = FULL``, so the row is on disk when the caller is
answered). Whoever next holds the warehouse applies the rows in spool order.

Applying is idempotent. Each applied row's ``spool_id`` is recorded in
``main.dds_spool_applied`` in the same DuckDB transaction as its events; the SQLite row is
deleted after that commit. A crash between the two leaves a row whose id is already
recorded, and the next drain skips it: nothing is applied twice.

What needs the warehouse's state (the campaign exists, the lifecycle transition is
allowed, results agree with the figures they carry forward) is checked when the row is
applied, as for a direct write. A row refused then is moved to the spool's ``rejected``
table with the reason, never dropped silently and never retried.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from ingest import campaigns, costs, results
from ingest.loads import new_load_id, record_load
from ingest.validation import utc_now
from ingest.warehouse.dialect import lock_appends
from ingest.warehouse.errors import DATABASE_ERRORS, ValidationError

APPLIED_TABLE = "main.dds_spool_applied"
# Rows applied per DuckDB transaction: one commit (one WAL sync) per batch, not per row.
BATCH_SIZE = 500

_SQLITE_DDL = (
    """
    create table if not exists spool (
        id          integer primary key autoincrement,  -- the order of application
        spool_id    text not null unique,
        kind        text not null,
        campaign_id text not null,
        payload     text not null,
        spooled_at  text not null,
        pid         integer not null
    )
    """,
    """
    create table if not exists rejected (
        spool_id    text primary key,
        kind        text not null,
        campaign_id text not null,
        payload     text not null,
        spooled_at  text not null,
        rejected_at text not null,
        message     text not null
    )
    """,
)


def spool_path(warehouse_path: str | os.PathLike[str]) -> Path:
    path = Path(warehouse_path)
    return path.with_name(path.name + ".spool.sqlite3")


# ------------------------------------------------------------------ payloads, both ways


def _encode(value: Any) -> Any:
    """JSON for the dataclasses ingest parses into; Decimal and times keep their exact value."""
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"cannot spool a {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, text),) = value.items()
            if tag == "$decimal":
                return Decimal(text)
            if tag == "$datetime":
                return datetime.fromisoformat(text)
            if tag == "$date":
                return date.fromisoformat(text)
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


@dataclasses.dataclass(frozen=True)
class Write:
    """One validated write, as the spool stores it."""

    kind: str
    campaign_id: str
    payload: dict[str, Any]


def cost_write(campaign_id: str, event: costs.CostEvent) -> Write:
    return Write("cost", campaign_id, _fields(event))


def results_write(campaign_id: str, result: results.ResultInput) -> Write:
    return Write("results", campaign_id, _fields(result))


def transition_write(campaign_id: str, event_type: str, reason: str) -> Write:
    return Write("transition", campaign_id, {"event_type": event_type, "reason": reason})


def _apply_cost(conn: duckdb.DuckDBPyConnection, write: Write, load_id: str) -> None:
    costs.record_cost(conn, write.campaign_id, costs.CostEvent(**write.payload), load_id=load_id)


def _apply_results(conn: duckdb.DuckDBPyConnection, write: Write, load_id: str) -> None:
    results.record_results(
        conn, write.campaign_id, results.ResultInput(**write.payload), load_id=load_id
    )


def _apply_transition(conn: duckdb.DuckDBPyConnection, write: Write, load_id: str) -> None:
    campaigns.record_transition(
        conn,
        write.campaign_id,
        write.payload["event_type"],
        write.payload["reason"],
        load_id=load_id,
    )


APPLIERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Write, str], None]] = {
    "cost": _apply_cost,
    "results": _apply_results,
    "transition": _apply_transition,
}


# ----------------------------------------------------------------------------- the file


@dataclasses.dataclass(frozen=True)
class Pending:
    row_id: int
    spool_id: str
    spooled_at: str
    write: Write


class Spool:
    """The SQLite file beside one warehouse. Created on the first spooled write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self.path, timeout=60, isolation_level=None, check_same_thread=False
            )
            conn.execute("pragma journal_mode = wal")
            # FULL: each commit syncs the WAL, so an acknowledged row survives a crash
            conn.execute("pragma synchronous = full")
            for statement in _SQLITE_DDL:
                conn.execute(statement)
            self._conn = conn
        return self._conn

    def append(self, write: Write) -> str:
        """Store the write durably; return its spool_id."""
        spool_id = uuid.uuid4().hex
        payload = json.dumps(_encode(write.payload), sort_keys=True)
        with self._lock:
            self._connection().execute(
                "insert into spool (spool_id, kind, campaign_id, payload, spooled_at, pid) "
                "values (?, ?, ?, ?, ?, ?)",
                [spool_id, write.kind, write.campaign_id, payload, _now(), os.getpid()],
            )
        return spool_id

    def has_pending(self) -> bool:
        if self._conn is None and not self.path.exists():
            return False  # never spooled: no file, and no cost on the write path
        with self._lock:
            row = self._connection().execute("select 1 from spool limit 1").fetchone()
        return row is not None

    def high_water_mark(self) -> int:
        with self._lock:
            return (
                self._connection().execute("select coalesce(max(id), 0) from spool").fetchone()[0]
            )

    def pending(self, *, up_to: int, limit: int = BATCH_SIZE) -> list[Pending]:
        with self._lock:
            rows = (
                self._connection()
                .execute(
                    "select id, spool_id, kind, campaign_id, payload, spooled_at from spool "
                    "where id <= ? order by id limit ?",
                    [up_to, limit],
                )
                .fetchall()
            )
        return [
            Pending(row_id, spool_id, spooled_at, Write(kind, cid, _decode(json.loads(payload))))
            for row_id, spool_id, kind, cid, payload, spooled_at in rows
        ]

    def settle(self, done: list[Pending], rejected: list[tuple[Pending, str]]) -> None:
        """Remove applied rows and move refused ones to ``rejected``, in one transaction."""
        with self._lock:
            conn = self._connection()
            conn.execute("begin immediate")
            try:
                now = _now()
                for item, message in rejected:
                    conn.execute(
                        "insert or ignore into rejected (spool_id, kind, campaign_id, payload, "
                        "spooled_at, rejected_at, message) values (?, ?, ?, ?, ?, ?, ?)",
                        [
                            item.spool_id,
                            item.write.kind,
                            item.write.campaign_id,
                            json.dumps(_encode(item.write.payload), sort_keys=True),
                            item.spooled_at,
                            now,
                            message,
                        ],
                    )
                conn.executemany(
                    "delete from spool where id = ?",
                    [(item.row_id,) for item in [*done, *(r for r, _ in rejected)]],
                )
                conn.execute("commit")
            except BaseException:
                conn.execute("rollback")
                raise

    def counts(self) -> dict[str, int]:
        """How many writes wait to be applied, and how many were refused when applied."""
        if self._conn is None and not self.path.exists():
            return {"pending": 0, "rejected": 0}
        with self._lock:
            conn = self._connection()
            return {
                "pending": conn.execute("select count(*) from spool").fetchone()[0],
                "rejected": conn.execute("select count(*) from rejected").fetchone()[0],
            }

    def rejected(self) -> list[dict[str, Any]]:
        if self._conn is None and not self.path.exists():
            return []
        with self._lock:
            cursor = self._connection().execute(
                "select spool_id, kind, campaign_id, spooled_at, rejected_at, message "
                "from rejected order by rejected_at, spool_id"
            )
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _now() -> str:
    return utc_now().isoformat()


# ------------------------------------------------------------------------ applying rows


# The record of applied spool rows (both engines spell it the same; on PostgreSQL it is
# created with the raw schema, ingest/warehouse/postgres_schema.py).
APPLIED_TABLE_DDL = (
    f"create table if not exists {APPLIED_TABLE} "
    "(spool_id varchar primary key, applied_at timestamp not null)"
)


def ensure_applied_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(APPLIED_TABLE_DDL)


def drain(conn: duckdb.DuckDBPyConnection, spool: Spool) -> int:
    """Apply every row spooled before this call, in order, on a connection that holds the
    warehouse (no transaction open). Returns how many rows were applied.

    Rows spooled while we drain wait for the next drain, so a busy spool cannot keep the
    caller here forever; the caller's own earlier rows are always included.
    """
    up_to = spool.high_water_mark()
    applied = 0
    ensure_applied_table(conn)
    while batch := spool.pending(up_to=up_to):
        try:
            done, refused = _apply_batch(conn, batch, str(spool.path))
        except DATABASE_ERRORS:
            # a storage-level failure in one row rolled the batch back: go row by row, so
            # that only that row is refused
            done, refused = [], []
            for item in batch:
                try:
                    one_done, one_refused = _apply_batch(conn, [item], str(spool.path))
                except DATABASE_ERRORS as exc:
                    one_done, one_refused = [], [(item, f"the warehouse refused it: {exc}")]
                done += one_done
                refused += one_refused
        spool.settle(done, refused)
        applied += len(done)
    return applied


def _apply_batch(
    conn: duckdb.DuckDBPyConnection, batch: list[Pending], source: str
) -> tuple[list[Pending], list[tuple[Pending, str]]]:
    """Apply one batch in one transaction: one load, recorded in raw.ingest_batches (kind
    'spool') under the load id its rows carry."""
    done: list[Pending] = []
    refused: list[tuple[Pending, str]] = []
    load_id = new_load_id()
    started_at = utc_now()
    conn.begin()
    try:
        lock_appends(conn)
        ids = [item.spool_id for item in batch]
        seen = {
            row[0]
            for row in conn.execute(
                f"select spool_id from {APPLIED_TABLE} where spool_id = any(?)", [ids]
            ).fetchall()
        }
        applied: list[str] = []
        for item in batch:
            if item.spool_id in seen:  # committed before a crash; the row outlived it
                done.append(item)
                continue
            try:
                # the state checks raise before the applier's first insert, so a refusal
                # leaves the transaction clean for the rows after it
                APPLIERS[item.write.kind](conn, item.write, load_id)
            except ValidationError as exc:
                refused.append((item, exc.message))
                continue
            applied.append(item.spool_id)
            done.append(item)
        if applied:  # one statement for the batch, not one per write
            conn.execute(
                f"insert into {APPLIED_TABLE} select unnest(?::varchar[]), ?", [applied, utc_now()]
            )
            # refused rows go to the spool's own table, not raw.quarantine; rows applied
            # before a crash count as duplicates
            record_load(
                conn,
                load_id,
                kind="spool",
                source=source,
                rows_read=len(batch),
                loaded=len(applied),
                quarantined=len(refused),
                duplicates=len(done) - len(applied),
                started_at=started_at,
            )
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return done, refused
