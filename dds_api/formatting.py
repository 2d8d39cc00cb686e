"""Turning mart rows into the values NovaOS reads: floats at full precision, ISO-8601 UTC.

Formatting for display (2 decimals, '%') is the caller's job; here an undefined ratio
(null in the marts) becomes 0.0, because the spec's callers format every field with ':.1f'.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb


def money(value: Decimal | float | int | None) -> float:
    """Dollars as a float, rounded to the 6 places we store; None -> 0.0."""
    if value is None:
        return 0.0
    return round(float(value), 6)


def ratio(value: float | Decimal | None) -> float:
    """A rate or ROI as a float; undefined (None) -> 0.0."""
    return 0.0 if value is None else float(value)


def count(value: int | None) -> int:
    return 0 if value is None else int(value)


def utc_iso(value: datetime | None) -> str | None:
    """Naive UTC timestamps from the warehouse as ISO-8601 with an explicit Z."""
    return None if value is None else value.isoformat(timespec="microseconds") + "Z"


# For people (CLI, dashboard): an undefined value shows as a dash.
UNDEFINED = "—"


def _decimal(value: Decimal | float | int) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def dollars(value: Decimal | float | int | None) -> str:
    """$1,234.56 (half up); -$1.50 for a negative amount; None -> —."""
    if value is None:
        return UNDEFINED
    amount = _decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def percent(value: Decimal | float | int | None) -> str:
    """40.0%; None (an undefined ratio) -> —."""
    if value is None:
        return UNDEFINED
    amount = _decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{amount:,.1f}%"


def fetch_dicts(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def fetch_dict(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> dict[str, Any] | None:
    rows = fetch_dicts(conn, sql, params)
    return rows[0] if rows else None
