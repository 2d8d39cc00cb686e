"""What the writer processes of a concurrency test left in the warehouse, read after the
spool is applied: the tests compare it with what the writers were told was stored."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tests.conftest import make_dds


@dataclass(frozen=True)
class Stored:
    cost_by_campaign: dict[str, Decimal]
    cost_rows: int
    distinct_cost_details: int  # each write's details are unique: equal to cost_rows
    snapshots: int


def stored(warehouse_path: Path) -> Stored:
    """Open the warehouse as a new process would (which applies whatever is still spooled)
    and read the raw totals; nothing may be left pending or rejected in the spool."""
    dds = make_dds(warehouse_path)
    try:
        with dds.warehouse.connect() as conn:
            by_campaign = dict(
                conn.execute(
                    "select campaign_id, sum(cost_usd) from raw.cost_events group by all"
                ).fetchall()
            )
            rows, distinct = conn.execute(
                "select count(*), count(distinct details) from raw.cost_events"
            ).fetchone()
            snapshots = conn.execute("select count(*) from raw.result_snapshots").fetchone()[0]
        assert dds.warehouse.spool.counts() == {"pending": 0, "rejected": 0}
        return Stored(by_campaign, rows, distinct, snapshots)
    finally:
        dds.close()
