"""NovaOS memory over DDS data: the methods the spec's "Query DDS data via NovaOS memory"
snippet calls, answered from the novaos_* marts (the same numbers as the reports).

    from dds_api.memory import get_memory
    memory = get_memory()
    campaigns = memory.get_all_agents(department='sales')

These mirror NovaOS' own memory interface, so they return plain lists and floats; a bad
date or status raises ValueError (NovaOS code expects a number, not an error dict).
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from dds_api import get_dds
from dds_api.facade import DDSIntegration
from dds_api.formatting import fetch_dicts, money, ratio, utc_iso
from ingest.validation import parse_timestamp
from ingest.warehouse.errors import ValidationError

AGENT_STATUSES = ("deployed", "active", "paused", "stopped")


class DDSMemory:
    def __init__(self, dds: DDSIntegration) -> None:
        self._dds = dds

    def get_all_agents(
        self, status: str | None = None, department: str | None = None
    ) -> list[dict[str, Any]]:
        """DDS campaigns as NovaOS agents (type 'dds_campaign'), optionally filtered."""
        if status is not None and status not in AGENT_STATUSES:
            raise ValueError(f"status must be one of {', '.join(AGENT_STATUSES)} or None")
        with self._dds.read() as conn:
            rows = fetch_dicts(
                conn,
                """
                select * from marts.novaos_agents
                where (cast($1 as varchar) is null or status = $1)
                    and (cast($2 as varchar) is null or department = $2)
                order by deployed_at, id
                """,
                [status, department],
            )
        return [
            {
                **row,
                "deployed_at": utc_iso(row["deployed_at"]),
                "last_active": utc_iso(row["last_active"]),
                "total_cost": money(row["total_cost"]),
                "revenue_generated": money(row["revenue_generated"]),
                "roi": ratio(row["roi"]),
            }
            for row in rows
        ]

    def get_total_costs(
        self,
        start_date: date | datetime | str | None = None,
        end_date: date | datetime | str | None = None,
        department: str | None = None,
    ) -> float:
        return money(self._sum("novaos_costs", "cost", start_date, end_date, department))

    def get_total_revenue(
        self,
        start_date: date | datetime | str | None = None,
        end_date: date | datetime | str | None = None,
        department: str | None = None,
    ) -> float:
        return money(self._sum("novaos_revenue", "amount", start_date, end_date, department))

    def get_roi_by_department(self) -> dict[str, dict[str, float]]:
        """{department: {'cost', 'revenue', 'profit', 'roi'}}; ROI is 0.0 with no cost."""
        with self._dds.read() as conn:
            rows = fetch_dicts(conn, "select * from marts.novaos_department_roi")
        return {
            row["department"]: {
                "cost": money(row["cost"]),
                "revenue": money(row["revenue"]),
                "profit": money(row["profit"]),
                "roi": ratio(row["roi"]),
            }
            for row in rows
        }

    def _sum(
        self,
        mart: str,
        column: str,
        start_date: date | datetime | str | None,
        end_date: date | datetime | str | None,
        department: str | None,
    ) -> Decimal:
        start = None if start_date is None else _bound(start_date, "start_date", end=False)
        end = None if end_date is None else _bound(end_date, "end_date", end=True)
        with self._dds.read() as conn:
            # mart and column are constants of this module, never caller input
            total = conn.execute(
                f"""
                select coalesce(sum({column}), 0) from marts.{mart}
                where (cast($1 as timestamp) is null or timestamp >= $1)
                    and (cast($2 as timestamp) is null or timestamp < $2)
                    and (cast($3 as varchar) is null or department = $3)
                """,
                [start, end, department],
            ).fetchone()[0]
        return total


def _bound(value: date | datetime | str, name: str, *, end: bool) -> datetime:
    """A date means the whole day (an end date includes it); a datetime is exact (UTC)."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            value = date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{name} must be an ISO date or datetime, got {value!r}") from exc
    if isinstance(value, date) and not isinstance(value, datetime):
        day = datetime(value.year, value.month, value.day)
        return day + timedelta(days=1) if end else day
    try:
        moment = parse_timestamp(value, name, allow_future=True)
    except ValidationError as exc:
        raise ValueError(exc.message) from exc
    return moment + timedelta(microseconds=1) if end else moment


def get_memory(warehouse_path: str | os.PathLike[str] | None = None) -> DDSMemory:
    """NovaOS memory over the process's DDS warehouse (the same one get_dds() uses)."""
    return DDSMemory(get_dds(warehouse_path))
