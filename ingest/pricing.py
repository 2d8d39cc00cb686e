"""Price usage (tokens, searches, emails) from the price list in force when it happened.

The price list is the dbt seed ``provider_prices`` (table ``reference.provider_prices``),
so analysts add or override prices by editing the seed and running ``dds build``. A price
*version* is every row of one provider and item with the same ``effective_from``; the
version in force at time t is the latest one dated on or before t. A cost priced here keeps
that date (``price_effective_from``) as its provenance, and its amount is fixed when it is
written: a later price row never rewrites history.

One SQL statement prices one event or a million (bulk loads), so there is one place for the
rule. The arithmetic is exact: prices become integer pico-dollars per unit (``price_usd``
has 6 places and ``per_quantity`` must divide 1,000,000), counts are integers, and the sum
is rounded half up to the micro-dollar, as DuckDB rounds text cast to DECIMAL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb

from ingest.warehouse.errors import ValidationError

PRICE_TABLE = "reference.provider_prices"

# unit in the price list -> the usage column it prices
TOKEN_UNITS = {
    "input_token": "input_tokens",
    "output_token": "output_tokens",
    "cache_write_token": "cache_creation_input_tokens",
    "cache_read_token": "cache_read_input_tokens",
}
# columns a relation of events to price must have (plus ``rid``, a row key)
USAGE_COLUMNS = ("units", *TOKEN_UNITS.values())
PRICING_INPUT_COLUMNS = ("rid", "provider", "price_item", "occurred_at", *USAGE_COLUMNS)


def pricing_sql(pending: str) -> str:
    """A query pricing every row of ``pending``: rid, item (as resolved),
    price_effective_from, cost_usd and pricing_error (null when priced).

    ``pending`` is SQL of our own (a table name or a VALUES list of placeholders), never
    caller input; it must yield PRICING_INPUT_COLUMNS. ``price_item`` is the item asked for
    (the model for Anthropic); null means "the provider's only item".
    """
    token_units = ", ".join(f"'{unit}'" for unit in TOKEN_UNITS)
    rate_columns = ",\n            ".join(
        f"max(case when unit = '{unit}' then pico_per_unit end) as {column}_rate"
        for unit, column in TOKEN_UNITS.items()
    )
    missing_rate_checks = "\n".join(
        f"""            when coalesce({column}, 0) > 0 and {column}_rate is null
                then 'the price list has no {unit} price for ' || provider || ' '
                    || item || ' in force at ' || cast(occurred_at as varchar)"""
        for unit, column in TOKEN_UNITS.items()
    )
    amount_terms = " + ".join(
        f"coalesce({column}, 0) * coalesce({column}_rate, 0)" for column in TOKEN_UNITS.values()
    )
    # Each price version's rates are computed once (a handful of rows), and each event finds
    # its version with one ASOF join: no per-event grouping or joins on the event's id.
    return f"""
    with
    prices as (
        select
            provider, item, unit, cast(effective_from as timestamp) as effective_from,
            -- integer pico-dollars per unit: exact for 6-place prices and per_quantity | 10^6
            case when 1000000 % per_quantity = 0
                then cast(price_usd * 1000000 as hugeint) * (1000000 // per_quantity)
            end as pico_per_unit
        from {PRICE_TABLE}
    ),
    sole_items as (
        select provider, min(item) as item
        from prices
        group by provider
        having count(distinct item) = 1
    ),
    versions as (
        select
            provider,
            item,
            effective_from,
            bool_or(pico_per_unit is null) as has_bad_quantity,
            {rate_columns},
            max(case when unit not in ({token_units}) then pico_per_unit end) as units_rate,
            count(case when unit not in ({token_units}) then 1 end) as unit_row_count
        from prices
        group by provider, item, effective_from
    ),
    pending as (
        select
            {", ".join(f"given.{column}" for column in PRICING_INPUT_COLUMNS)},
            coalesce(given.price_item, sole_items.item) as item
        from (select {", ".join(PRICING_INPUT_COLUMNS)} from {pending}) as given
        left join sole_items on given.provider = sole_items.provider
    ),
    rated as (
        select
            pending.*,
            versions.effective_from as version_from,
            versions.* exclude (provider, item, effective_from)
        from pending
        asof left join versions
            on pending.provider = versions.provider
            and pending.item = versions.item
            and pending.occurred_at >= versions.effective_from
    ),
    checked as (
        select
            rid,
            item,
            cast(version_from as date) as price_effective_from,
            case
                when item is null
                    then 'say which ' || provider || ' item or model to price: the price '
                        || 'list has several or none for it'
                when version_from is null
                    then 'the price list has no ' || provider || ' ' || item
                        || ' price in force at ' || cast(occurred_at as varchar)
                when has_bad_quantity
                    then 'the price list gives ' || provider || ' ' || item
                        || ' a per_quantity that does not divide 1000000'
                when coalesce(units, 0) > 0 and unit_row_count <> 1
                    then 'the price list has no single per-unit price for ' || provider
                        || ' ' || item || ' (it is priced by tokens)'
{missing_rate_checks}
            end as pricing_error,
            coalesce(cast(units as hugeint), 0) * coalesce(units_rate, 0)
                + {amount_terms} as amount_pico
        from rated
    )
    select
        rid,
        item,
        price_effective_from,
        case when pricing_error is null
            -- round half up to the micro-dollar, then exact DECIMAL(18, 6)
            then cast(
                cast((amount_pico + 500000) // 1000000 as decimal(18, 0))
                * cast(0.000001 as decimal(18, 6)) as decimal(18, 6))
        end as cost_usd,
        pricing_error
    from checked
    """


@dataclass(frozen=True)
class Price:
    item: str
    amount: Decimal
    effective_from: date


def price_one(
    conn: duckdb.DuckDBPyConnection,
    *,
    provider: str,
    item: str | None,
    occurred_at: datetime,
    units: Decimal | None,
    tokens: dict[str, int | None],
) -> Price:
    """Price one event's usage, or raise ValidationError saying which price is missing."""
    values = [1, provider, item, occurred_at, units, *(tokens.get(c) for c in TOKEN_UNITS.values())]
    casts = (
        "cast(? as integer), cast(? as varchar), cast(? as varchar), cast(? as timestamp), "
        "cast(? as decimal(18, 6)), " + ", ".join("cast(? as bigint)" for _ in TOKEN_UNITS)
    )
    pending = f"(select * from (values ({casts})) as v({', '.join(PRICING_INPUT_COLUMNS)}))"
    try:
        rows = conn.execute(pricing_sql(pending), values).fetchall()
    except duckdb.CatalogException as exc:
        raise ValidationError(
            f"The price list ({PRICE_TABLE}) is not in the warehouse: run `dds build` to load "
            "the seeds, or give the cost in dollars."
        ) from exc
    [(_, resolved_item, effective_from, amount, error)] = rows
    if error is not None:
        raise ValidationError(
            f"Cannot price this cost: {error}. Give 'cost' in dollars, or add the price to "
            "seeds/provider_prices.csv and run `dds build`."
        )
    return Price(resolved_item, amount, effective_from)
