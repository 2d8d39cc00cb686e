"""Price usage (tokens, searches, emails) from the price list in force when it happened.

The price list is the dbt seed ``provider_prices`` (table ``reference.provider_prices``),
so analysts add or override prices by editing the seed and running ``dds build``. Which
version applies when is dbt's ``price_list_versions`` (table ``marts.price_list_versions``):
a version is every row of one provider and item with the same date, in force from that UTC
date until the item's next version, with its exact rates; this module only finds the window
that holds an event's time and multiplies. A cost priced here keeps that date
(``price_effective_from``) as its provenance, and its amount is fixed when it is written: a
later price row never rewrites history.

One SQL statement prices one event or a million (bulk loads). The arithmetic is exact:
prices are integer pico-dollars per unit (``price_usd`` has 6 places and ``per_quantity``
must divide 1,000,000), counts are integers, and the sum is rounded half up to the
micro-dollar, as DuckDB rounds text cast to DECIMAL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb

from ingest.warehouse.dialect import DUCKDB, POSTGRES, Dialect, dialect_of, huge_integer
from ingest.warehouse.errors import MISSING_TABLE_ERRORS, ValidationError
from ingest.warehouse.tables import MAX_COST_USD, TOKEN_PRICE_UNITS

# the price list's versions (seed provider_prices), their windows and exact rates, built by dbt
VERSIONS_TABLE = "marts.price_list_versions"

# unit in the price list -> the usage column it prices (declared with the raw columns)
TOKEN_UNITS = {unit: column for column, unit in TOKEN_PRICE_UNITS.items()}
# columns a relation of events to price must have (plus ``rid``, a row key)
USAGE_COLUMNS = ("units", *TOKEN_UNITS.values())
PRICING_INPUT_COLUMNS = ("rid", "provider", "price_item", "occurred_at", *USAGE_COLUMNS)


def pricing_sql(pending: str, dialect: Dialect = DUCKDB) -> str:
    """A query pricing every row of ``pending``: rid, item (as resolved),
    price_effective_from, cost_usd and pricing_error (null when priced), in ``dialect``.

    ``pending`` is SQL of our own (a table name or a VALUES list of placeholders), never
    caller input; it must yield PRICING_INPUT_COLUMNS. ``price_item`` is the item asked for
    (the model for Anthropic); null means "the provider's only item".
    """
    huge = huge_integer(dialect)  # integers wider than 64 bits
    rate_columns = ",\n            ".join(
        f"cast({column}_rate as {huge}) as {column}_rate" for column in TOKEN_UNITS.values()
    )
    version_columns = ", ".join(
        f"versions.{column}"
        for column in (
            "version_from",
            "version_until",
            "has_bad_quantity",
            *(f"{column}_rate" for column in TOKEN_UNITS.values()),
            "units_rate",
            "unit_row_count",
        )
    )
    # integer division of non-negative integers (rounding half up below)
    micro_dollars = (
        "div(amount_pico + 500000, 1000000)"
        if dialect == POSTGRES
        else "(amount_pico + 500000) // 1000000"
    )
    missing_rate_checks = "\n".join(
        f"""            when coalesce({column}, 0) > 0 and {column}_rate is null
                then 'the price list has no {unit} price for ' || provider || ' '
                    || item || ' in force at ' || cast(occurred_at as varchar)"""
        for unit, column in TOKEN_UNITS.items()
    )
    # the bound in pico-dollars, the unit amount_pico counts in (a literal of our own)
    max_pico = int(MAX_COST_USD * 10**12)
    amount_terms = " + ".join(
        f"coalesce({column}, 0) * coalesce({column}_rate, 0)" for column in TOKEN_UNITS.values()
    )
    # The versions, their windows and rates come from dbt's price_list_versions (a handful of
    # rows); each event finds the version whose window holds its occurred_at with one join on
    # provider and item: no per-event grouping or joins on the event's id.
    return f"""
    with
    versions as (
        select
            provider,
            item,
            cast(effective_on as timestamp) as version_from,
            cast(superseded_on as timestamp) as version_until,
            is_providers_only_item,
            has_bad_quantity,
            {rate_columns},
            cast(units_rate as {huge}) as units_rate,
            unit_row_count
        from {VERSIONS_TABLE}
    ),
    sole_items as (
        select distinct provider, item from versions where is_providers_only_item
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
            {version_columns}
        from pending
        left join versions
            on pending.provider = versions.provider
            and pending.item = versions.item
            and pending.occurred_at >= versions.version_from
            and (versions.version_until is null or pending.occurred_at < versions.version_until)
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
            coalesce(cast(units as {huge}), 0) * coalesce(units_rate, 0)
                + {amount_terms} as amount_pico
        from rated
    ),
    bounded as (
        select
            *,
            -- a priced amount is bounded as a cost given in dollars is (checked before the
            -- cast below, which could not hold a larger one)
            coalesce(pricing_error, case when amount_pico > {max_pico}
                then 'the usage prices at more than the largest accepted cost of one event '
                    || '(${MAX_COST_USD:,}); check the counts, or split the usage over '
                    || 'several events'
            end) as bounded_error
        from checked
    )
    select
        rid,
        item,
        price_effective_from,
        case when bounded_error is null
            -- round half up to the micro-dollar, then exact DECIMAL(18, 6)
            then cast(
                cast({micro_dollars} as decimal(18, 0))
                * cast(0.000001 as decimal(18, 6)) as decimal(18, 6))
        end as cost_usd,
        bounded_error as pricing_error
    from bounded
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
    pending = f"(values ({casts})) as v({', '.join(PRICING_INPUT_COLUMNS)})"
    try:
        rows = conn.execute(pricing_sql(pending, dialect_of(conn)), values).fetchall()
    except MISSING_TABLE_ERRORS as exc:
        raise ValidationError(
            f"The price list ({VERSIONS_TABLE}) is not in the warehouse: run `dds build` to "
            "build it from the seeds, or give the cost in dollars."
        ) from exc
    [(_, resolved_item, effective_from, amount, error)] = rows
    if error is not None:
        raise ValidationError(
            f"Cannot price this cost: {error}. Give 'cost' in dollars, or add the price to "
            "seeds/provider_prices.csv and run `dds build`."
        )
    return Price(resolved_item, amount, effective_from)
