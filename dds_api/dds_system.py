"""The DDS system's databases as the facade shows them: both databases' state and a
campaign's campaigns.db row (get_campaign_status' dds_details, read only), and the import of
campaigns.db's figures (sync_dds_databases, `dds sync-dds`).

Without DDS_HOME nothing here touches a file or runs a query. The other system's SQLite
files are read outside our transactions, so that waiting on their lock never holds the
warehouse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dds_api import shapes
from ingest import campaigns, imports
from ingest.sources import dds_home, dds_sqlite
from ingest.warehouse.connection import Warehouse
from ingest.warehouse.settings import Settings

NOT_CONFIGURED = (
    "DDS_HOME is not set: the DDS system is not connected and its databases are not read. "
    "Set DDS_HOME to the DDS system's folder to import its figures."
)
# states in which a database exists but could not be read
PROBLEM_STATES = (dds_sqlite.LOCKED, dds_sqlite.MALFORMED, dds_sqlite.UNREADABLE)


def campaign_details(warehouse: Warehouse, settings: Settings, campaign_id: str) -> dict[str, Any]:
    """Both DDS databases and the campaign's campaigns.db row, if any, with what importing it
    would do. Reads only: importing is sync()'s (a status read must not write)."""
    home = settings.dds_home_now()
    if home is None:
        not_read = {"path": None, "state": dds_sqlite.ABSENT, "message": NOT_CONFIGURED}
        return {
            "available": False,
            "dds_home": None,
            "dds_available": False,
            "campaigns_db": {**not_read, "row": None, "import": None},
            "ops_db": {**not_read, "tables": {}},
        }
    with warehouse.connect(reading=True) as conn:
        name = campaigns.campaign_name(conn, campaign_id)
    read = dds_sqlite.read_campaigns(home, settings.dds_db_timeout_seconds, name=name)
    preview: dict[str, Any] | None = None
    if read.rows:
        with warehouse.connect(reading=True) as conn:
            (outcome,) = imports.preview_campaign_rows(conn, read.rows)
        preview = shapes.row_import(outcome)
        if outcome.campaign_id not in (None, campaign_id):
            preview.update(
                status="another_campaign",
                message=f"{dds_sqlite.CAMPAIGNS_DB}'s row {name!r} belongs to campaign "
                f"{outcome.campaign_id}, the newest of that name that is not stopped.",
            )
    elif read.state == dds_sqlite.OK:
        preview = {
            "campaign_name": name,
            "status": "unmatched",
            "message": f"{dds_sqlite.CAMPAIGNS_DB} has no campaign named {name!r} "
            "(names must match exactly).",
        }
    return {
        # the original's meaning: the DDS system has this campaign's row (its own figures)
        "available": bool(read.rows),
        "dds_home": str(home),
        "dds_available": dds_home.available(home),
        "campaigns_db": {
            **shapes.dds_database(read),
            "row": read.rows[0] if read.rows else None,
            "import": preview,
        },
        "ops_db": _ops_db(home, settings),
    }


def sync(warehouse: Warehouse, settings: Settings) -> dict[str, Any]:
    """Import every campaigns.db row; summarise what became of each, and both databases."""
    home = settings.dds_home_now()
    if home is None:
        return {
            "status": "not_configured",
            "message": NOT_CONFIGURED,
            "dds_home": None,
            "dds_available": False,
            **_summary([]),
            "errors": [],
        }
    read = dds_sqlite.read_campaigns(home, settings.dds_db_timeout_seconds)
    summary = _summary(_import(warehouse, read.rows) if read.rows else [])
    counts = ", ".join(f"{len(rows)} {status}" for status, rows in summary.items())
    return {
        "status": "error" if read.state in PROBLEM_STATES else "synced",
        # ok: what became of the rows; absent or unreadable: why nothing was imported
        "message": f"{dds_sqlite.CAMPAIGNS_DB}: {counts}."
        if read.state == dds_sqlite.OK
        else read.message,
        "dds_home": str(home),
        "dds_available": dds_home.available(home),
        **summary,
        "errors": [read.message] if read.state in PROBLEM_STATES else [],
        "campaigns_db": shapes.dds_database(read),
        "ops_db": _ops_db(home, settings),
    }


def _summary(outcomes: list[dds_sqlite.RowImport]) -> dict[str, list[Any]]:
    """Rows by what became of them: names for unchanged and unmatched, details otherwise."""

    def named(status: str) -> list[dds_sqlite.RowImport]:
        return [outcome for outcome in outcomes if outcome.status == status]

    return {
        "imported": [shapes.row_import(outcome) for outcome in named("imported")],
        "unchanged": [outcome.campaign_name for outcome in named("unchanged")],
        "unmatched": [outcome.campaign_name for outcome in named("unmatched")],
        "ambiguous": [shapes.row_import(outcome) for outcome in named("ambiguous")],
        "invalid": [shapes.row_import(outcome) for outcome in named("invalid")],
    }


def _import(warehouse: Warehouse, rows: tuple[dict[str, Any], ...]) -> list[dds_sqlite.RowImport]:
    # one transaction: a warehouse error leaves nothing half-imported
    with warehouse.transaction() as conn:
        return imports.import_campaign_rows(conn, rows)


def _ops_db(home: Path, settings: Settings) -> dict[str, Any]:
    ops = dds_sqlite.read_ops(home, settings.dds_db_timeout_seconds)
    return {**shapes.dds_database(ops), "tables": ops.tables}
