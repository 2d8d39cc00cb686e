"""The DDS system's own SQLite databases: campaigns.db (figures we import) and ops.db.

Both belong to the DDS system, which may be writing to them while we read. We open them
read-only (``mode=ro``) with a short busy timeout and never write. A database that is
missing, locked, or not what we expect is a state we report, never an exception: a status
read must not fail because a neighbouring system is busy or half-installed.

campaigns.db's ``campaigns`` table holds one row of cumulative totals per DDS campaign; each
row becomes a result snapshot of *our* campaign with exactly the same name (the newest that
is not stopped), tagged with source ``dds_campaigns_db``, through the same validation and
writer as log_dds_results. This module only reads and matches; ``ingest/imports.py`` writes.
ops.db ("operations tracking") has no documented schema, so we only report its tables and
row counts.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from ingest import results
from ingest.warehouse.errors import ValidationError

CAMPAIGNS_DB = "campaigns.db"
OPS_DB = "ops.db"
CAMPAIGNS_TABLE = "campaigns"
CAMPAIGN_COLUMNS = (
    "campaign_name",
    "niche",
    "location",
    "prospects_csv_path",
    "sender_name",
    "sender_company",
    "status",
    "total_prospects",
    "emails_sent",
    "emails_opened",
    "emails_clicked",
    "emails_replied",
)
#: campaigns.db column -> our snapshot figure. It has no qualified leads or revenue: those
#: carry forward from the campaign's previous snapshot.
FIGURES = {
    "total_prospects": "leads_found",
    "emails_sent": "emails_sent",
    "emails_opened": "emails_opened",
    "emails_clicked": "emails_clicked",
    "emails_replied": "emails_replied",
}
#: raw.result_snapshots.source of the snapshots imported from campaigns.db
SOURCE = "dds_campaigns_db"

# A database's state: absent (no file), ok, locked (the DDS system holds it), malformed (not
# a SQLite database, or without the table and columns we read), unreadable (e.g. permissions).
ABSENT, OK, LOCKED, MALFORMED, UNREADABLE = "absent", "ok", "locked", "malformed", "unreadable"


@dataclass(frozen=True)
class DatabaseRead:
    """What reading one DDS database gave: its state, and its rows or table counts if ok."""

    path: Path
    state: str
    message: str | None = None
    rows: tuple[dict[str, Any], ...] = ()  # campaigns.db: the campaigns rows read
    tables: dict[str, int] = field(default_factory=dict)  # ops.db: table -> row count


@dataclass(frozen=True)
class RowImport:
    """What became of one campaigns.db row."""

    campaign_name: object  # as DDS stored it (not necessarily a string)
    # matched (read, not yet written), then imported, unchanged or (a preview) pending; or
    # unmatched, ambiguous or invalid
    status: str
    campaign_id: str | None = None
    campaign_ids: tuple[str, ...] = ()  # ambiguous: every campaign of ours with the name
    snapshot_id: str | None = None
    message: str | None = None
    result: results.ResultInput | None = None  # matched: the snapshot to write


def read_campaigns(home: Path, timeout: float, name: str | None = None) -> DatabaseRead:
    """campaigns.db's rows (only the one named ``name``, matched exactly, if given)."""
    path = home / CAMPAIGNS_DB

    def read(conn: sqlite3.Connection) -> DatabaseRead:
        present = {
            str(column[1]).lower()
            for column in conn.execute(f"pragma table_info({CAMPAIGNS_TABLE})")
        }
        if not present:
            return DatabaseRead(path, MALFORMED, f"{path} has no '{CAMPAIGNS_TABLE}' table.")
        missing = [column for column in CAMPAIGN_COLUMNS if column not in present]
        if missing:
            return DatabaseRead(
                path,
                MALFORMED,
                f"{path}: table '{CAMPAIGNS_TABLE}' lacks column(s) {', '.join(missing)}.",
            )
        sql = f"select {', '.join(CAMPAIGN_COLUMNS)} from {CAMPAIGNS_TABLE}"
        params: list[str] = []
        if name is not None:
            # an exact match, whatever collation DDS declared (NOCASE would match
            # 'dentists austin q1' to 'Dentists Austin Q1')
            sql += " where campaign_name = ? collate binary"
            params.append(name)
        cursor = conn.execute(f"{sql} order by campaign_name collate binary", params)
        rows = tuple(dict(zip(CAMPAIGN_COLUMNS, row, strict=True)) for row in cursor)
        return DatabaseRead(path, OK, rows=rows)

    return _read(path, timeout, read)


def read_ops(home: Path, timeout: float) -> DatabaseRead:
    """ops.db's tables and their row counts (its schema is not documented; we read no rows)."""
    path = home / OPS_DB

    def read(conn: sqlite3.Connection) -> DatabaseRead:
        names = [
            row[0]
            for row in conn.execute(
                "select name from sqlite_master "
                "where type = 'table' and name not like 'sqlite\\_%' escape '\\' "
                "order by name"
            )
        ]
        # a table name cannot be a parameter; quoting it (doubling any ") is exact
        tables = {
            name: conn.execute(
                f'select count(*) from "{name.replace(chr(34), chr(34) * 2)}"'
            ).fetchone()[0]
            for name in names
        }
        return DatabaseRead(path, OK, tables=tables)

    return _read(path, timeout, read)


def _read(
    path: Path, timeout: float, read: Callable[[sqlite3.Connection], DatabaseRead]
) -> DatabaseRead:
    """Open ``path`` read-only and read it; whatever goes wrong becomes the database's state."""
    try:
        if not path.is_file():
            return DatabaseRead(path, ABSENT, f"No {path.name} in {path.parent}.")
        with closing(_connect_read_only(path, timeout)) as conn:
            return read(conn)
    except sqlite3.Error as exc:
        return _failed(path, exc)
    except OSError as exc:  # e.g. a folder we may not enter
        return DatabaseRead(path, UNREADABLE, f"{path} could not be read: {exc}.")


def match_campaign_rows(
    conn: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]
) -> list[RowImport]:
    """Match each row to the campaign its name resolves to and parse it as a snapshot;
    write nothing (``ingest/imports.py`` writes the matched rows).

    A name resolves to the newest campaign of ours deployed under exactly that name that is
    not stopped (DDS keeps one row per name, so a name reused after a campaign stopped
    belongs to the new campaign); when every such campaign is stopped, to the only one, and
    a name shared by several stopped campaigns is ambiguous and imports nothing. An invalid
    row is reported, not raised. A matched row has status ``matched``, its campaign_id and
    its ``result``.
    """
    names = Counter(row["campaign_name"] for row in rows if isinstance(row["campaign_name"], str))
    candidates_by_name = _campaigns_by_name(conn, names)
    outcomes = []
    for row in rows:
        name = row["campaign_name"]
        if not isinstance(name, str):
            outcomes.append(
                RowImport(name, "invalid", message=f"campaign_name must be text, got {name!r}.")
            )
            continue
        if names[name] > 1:  # possible only if DDS's table lacks its primary key
            outcomes.append(
                RowImport(
                    name,
                    "ambiguous",
                    message=f"{CAMPAIGNS_DB} has {names[name]} rows named {name!r}.",
                )
            )
            continue
        candidates = candidates_by_name.get(name, [])
        if not candidates:
            outcomes.append(RowImport(name, "unmatched"))
            continue
        campaign_id = _resolve(candidates)
        if campaign_id is None:
            ids = tuple(sorted(candidate for candidate, _ in candidates))
            outcomes.append(
                RowImport(
                    name,
                    "ambiguous",
                    campaign_ids=ids,
                    message=f"{len(ids)} of our campaigns are named {name!r} and all are "
                    "stopped, so its figures are imported into none of them; a campaign "
                    "deployed under that name that is not stopped receives them.",
                )
            )
            continue
        try:
            result = _as_result(conn, campaign_id, row)
        except ValidationError as exc:
            outcomes.append(
                RowImport(
                    name,
                    "invalid",
                    campaign_id=campaign_id,
                    message=f"{CAMPAIGNS_DB} row {name!r}: {exc.message}",
                )
            )
            continue
        outcomes.append(RowImport(name, "matched", campaign_id=campaign_id, result=result))
    return outcomes


def _as_result(
    conn: duckdb.DuckDBPyConnection, campaign_id: str, row: dict[str, Any]
) -> results.ResultInput:
    """A campaigns.db row as a result input, validated like any snapshot. A NULL figure is
    one DDS has not reported: it carries forward, as an omitted figure does.

    DDS records no stage, so the campaign keeps ours (the latest of its snapshots not
    imported from campaigns.db): an import never moves it back. A campaign without one
    of ours is in outreach once emails were sent, prospecting before."""
    figures = {ours: row[theirs] for theirs, ours in FIGURES.items() if row[theirs] is not None}
    result = results.parse_results({"stage": "prospecting", **figures})
    ours = conn.execute(
        """
        select stage from raw.result_snapshots
        where campaign_id = ? and source <> ?
        order by occurred_at desc, seq desc
        limit 1
        """,
        [campaign_id, SOURCE],
    ).fetchone()
    if ours is not None:
        return replace(result, stage=ours[0])
    if result.figures.get("emails_sent", 0) > 0:
        return replace(result, stage="outreach")
    return result


def _campaigns_by_name(
    conn: duckdb.DuckDBPyConnection, names: Iterable[str]
) -> dict[str, list[tuple[str, bool]]]:
    """Our campaigns deployed under each of these names, compared exactly (case and spaces
    count), newest deployment first: (campaign id, whether it is stopped)."""
    wanted = sorted(names)
    if not wanted:
        return {}
    rows = conn.execute(
        """
        with deployed as (
            select campaign_id, campaign_name, occurred_at
            from raw.campaign_events
            where event_type = 'deployed' and campaign_name = any(?::varchar[])
        ),

        lifecycle as (
            select
                campaign_id,
                event_type,
                row_number() over (
                    partition by campaign_id order by occurred_at desc, seq desc
                ) as recency
            from raw.campaign_events
            where campaign_id in (select campaign_id from deployed)
        )

        select deployed.campaign_name, deployed.campaign_id, lifecycle.event_type = 'stopped'
        from deployed
        inner join lifecycle on deployed.campaign_id = lifecycle.campaign_id
        where lifecycle.recency = 1
        order by deployed.campaign_name, deployed.occurred_at desc, deployed.campaign_id desc
        """,
        [wanted],
    ).fetchall()
    by_name: dict[str, list[tuple[str, bool]]] = {}
    for name, campaign_id, stopped in rows:
        by_name.setdefault(name, []).append((campaign_id, stopped))
    return by_name


def _resolve(candidates: list[tuple[str, bool]]) -> str | None:
    """The campaign a name means (candidates newest first): the newest not stopped, else
    the only one; None when several campaigns share it and all are stopped."""
    live = [campaign_id for campaign_id, stopped in candidates if not stopped]
    if live:
        return live[0]
    return candidates[0][0] if len(candidates) == 1 else None


def _connect_read_only(path: Path, timeout: float) -> sqlite3.Connection:
    # as_uri() percent-encodes the path, so a '?' or '#' in a folder name cannot end it early
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)


def _failed(path: Path, exc: sqlite3.Error) -> DatabaseRead:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return DatabaseRead(
            path,
            LOCKED,
            f"{path} is locked by another process (the DDS system writing?): {text}. "
            "Its figures will be read on a later call.",
        )
    if any(sign in text for sign in ("not a database", "malformed", "no such", "corrupt")):
        return DatabaseRead(path, MALFORMED, f"{path} is not a readable DDS database: {text}.")
    return DatabaseRead(path, UNREADABLE, f"{path} could not be read: {text}.")
