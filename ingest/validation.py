"""Validation at the boundary: turn caller input into typed values or raise ValidationError.

Every message says what was wrong and how to fix it. Nothing here touches the warehouse.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ingest.warehouse.errors import ValidationError

# utc_now lives with the raw tables it stamps; imported here for the checks below and the
# writers that take it with their other validation imports
from ingest.warehouse.tables import utc_now

MONEY_PLACES = Decimal("0.000001")  # DECIMAL(18, 6)
MAX_TEXT = 500
MAX_DETAILS_BYTES = 65_536
FUTURE_TOLERANCE = timedelta(minutes=5)
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def require_mapping(value: object, what: str, example: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"{what} must be a dict, got {type(value).__name__}. Pass e.g. {example}."
        )
    return value


def check_keys(given: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    allowed = tuple(allowed)
    unknown = sorted(str(k) for k in given if k not in allowed)
    if unknown:
        raise ValidationError(
            f"Unknown {what} field(s): {', '.join(unknown)}. "
            f"Allowed fields are: {', '.join(allowed)}."
        )


def parse_money(value: object, field: str, maximum: Decimal | int) -> Decimal:
    """Dollars as Decimal with 6 places: int, float or Decimal; finite, from 0 to ``maximum``
    (the input's declared bound, ingest/warehouse/tables.py)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValidationError(
            f"'{field}' must be a number of US dollars (e.g. 2.50), got {value!r}."
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(f"'{field}' must be a finite number of dollars, got {value!r}.")
    try:
        # str() of a float is its shortest repr, so 2.5 stays 2.5 and not 2.4999...
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        if not amount.is_finite():
            raise ValidationError(f"'{field}' must be a finite number of dollars, got {value!r}.")
        # half up, as DuckDB rounds when it casts text to DECIMAL: bulk loads (which cast in
        # SQL) and single calls store the same amount for the same input
        amount = amount.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValidationError(f"'{field}' is not a usable amount: {value!r}.") from exc
    if amount < 0:
        raise ValidationError(
            f"'{field}' must not be negative, got {value!r}. Record refunds as a separate "
            "correction with your finance system; DDS costs are money spent."
        )
    if amount > maximum:
        raise ValidationError(too_large(field, value, maximum, dollars=True))
    return amount


def too_large(field: str, value: object, maximum: Decimal | int, *, dollars: bool) -> str:
    """The message for a figure past its declared bound (single calls)."""
    return f"'{field}' is {value!r}, {past_bound(maximum, dollars=dollars)}"


def past_bound(maximum: Decimal | int, *, dollars: bool) -> str:
    """What too_large says after the value; bulk loads say it too, after the row's value
    (in SQL)."""
    limit = f"${maximum:,}" if dollars else f"{maximum:,}"
    return (
        f"above the largest accepted ({limit}). Check the units (cents given as dollars?); a "
        "real figure this large is split over several events."
    )


def parse_count(value: object, field: str, maximum: int) -> int:
    """A whole number from 0 to ``maximum`` (an integral float such as 50.0 is accepted)."""
    if isinstance(value, bool):
        raise ValidationError(f"'{field}' must be a whole number, got {value!r}.")
    if isinstance(value, float | Decimal) and _is_integral(value):
        value = int(value)
    if not isinstance(value, int):
        raise ValidationError(f"'{field}' must be a whole number (e.g. 50), got {value!r}.")
    if value < 0:
        raise ValidationError(f"'{field}' must not be negative, got {value}.")
    if value > maximum:
        raise ValidationError(too_large(field, value, maximum, dollars=False))
    return value


def _is_integral(value: float | Decimal) -> bool:
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    return value.is_finite() and value == value.to_integral_value()


def parse_text(value: object, field: str, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        need = "a non-empty string" if required else "a string or omitted"
        raise ValidationError(f"'{field}' must be {need}, got {value!r}.")
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(f"'{field}' is longer than {MAX_TEXT} characters; shorten it.")
    if "\x00" in text:
        raise ValidationError(f"'{field}' contains a NUL character; remove it.")
    return text


def normalize_name(value: object, field: str) -> str:
    """Free-text stage/provider/operation names as lower_snake_case ('Hunter.io' -> 'hunter_io')."""
    text = parse_text(value, field, required=True)
    assert text is not None
    name = _NOT_NAME.sub("_", text.lower()).strip("_")
    if not name:
        raise ValidationError(
            f"'{field}' must contain letters or digits (e.g. 'outscraper'), got {value!r}."
        )
    return name


def parse_timestamp(value: object, field: str, *, allow_future: bool = False) -> datetime:
    """A datetime or ISO-8601 string; naive means UTC. Returned as naive UTC.

    Event times may not lie in the future; query bounds (allow_future) may.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValidationError(
                f"'{field}' must be an ISO-8601 time such as '2026-01-31T14:00:00Z', got {value!r}."
            ) from exc
    if not isinstance(value, datetime):
        raise ValidationError(f"'{field}' must be a datetime or ISO-8601 string, got {value!r}.")
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    if not allow_future and value > utc_now() + FUTURE_TOLERANCE:
        raise ValidationError(
            f"'{field}' ({value.isoformat()} UTC) is in the future; events are recorded "
            "when they happen. Check the time zone of the value."
        )
    return value


def parse_details(value: object, field: str = "details") -> str | None:
    """A JSON-serialisable dict, returned as JSON text."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError(f"'{field}' must be a dict, got {type(value).__name__}.")
    try:
        text = json.dumps(value, allow_nan=False, sort_keys=True, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"'{field}' must hold only JSON values (strings, finite numbers, lists, dicts): {exc}"
        ) from exc
    if len(text.encode()) > MAX_DETAILS_BYTES:
        raise ValidationError(f"'{field}' is larger than {MAX_DETAILS_BYTES} bytes of JSON.")
    return text


def _json_default(value: object) -> object:
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def parse_campaign_id(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 128:
        raise ValidationError(
            f"campaign_id must be the string returned by deploy_campaign, got {value!r}."
        )
    return value.strip()
