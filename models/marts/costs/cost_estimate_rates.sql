-- One row per vertical and estimate step: the expected cost per prospect at today's prices:
-- for each provider and item, the price-list version in force today (price_list_versions'
-- windows, the ones ingest prices usage by).
-- '*' is the default vertical; which assumptions a vertical uses (its own rows replace the
-- default rows of the same step) is int_estimate_assumptions_resolved's. The facade looks a
-- vertical up by its key (macros/dds_vertical_key.sql; '*' when it has no rows), multiplies
-- by the prospect count and lists the steps by step_order (seed estimate_steps).
-- A table, so that a deploy reads it in a millisecond rather than planning this SQL: it is
-- rebuilt by every build and by the facade's first refresh of a new UTC day (it depends on
-- the price list and on "today" only).

{{ config(materialized='table') }}

with

prices as (

    select * from {{ ref('provider_prices') }}

),

effective_assumptions as (

    select * from {{ ref('int_estimate_assumptions_resolved') }}

),

versions_in_force as (

    select
        provider,
        item,
        effective_on

    from {{ ref('price_list_versions') }}
    where
        effective_on <= {{ dds_as_of_date() }}
        and (superseded_on is null or superseded_on > {{ dds_as_of_date() }})

),

prices_in_force as (

    select
        prices.provider,
        prices.item,
        prices.unit,
        -- decimal division returns a double here; 12 places recover the exact price
        cast(prices.price_usd / prices.per_quantity as decimal(38, 12)) as unit_price_usd

    from prices
    inner join versions_in_force
        on prices.provider = versions_in_force.provider
        and prices.item = versions_in_force.item
        and prices.effective_from = versions_in_force.effective_on

),

priced as (

    select
        effective_assumptions.vertical,
        effective_assumptions.step,
        effective_assumptions.step_order,
        effective_assumptions.provider,
        effective_assumptions.quantity_per_prospect * prices_in_force.unit_price_usd
            as cost_per_prospect_usd,
        -- the Claude tokens a prospect uses (the original's estimated anthropic_tokens)
        case
            when effective_assumptions.provider = 'anthropic'
                and effective_assumptions.unit like '%token'
                then effective_assumptions.quantity_per_prospect
            else 0
        end as anthropic_tokens_per_prospect,
        prices_in_force.unit_price_usd is null as is_unpriced

    from effective_assumptions
    left join prices_in_force
        on effective_assumptions.provider = prices_in_force.provider
        and effective_assumptions.item = prices_in_force.item
        and effective_assumptions.unit = prices_in_force.unit

),

final as (

    select
        vertical || '|' || step as estimate_rate_id,
        vertical,
        step,
        min(step_order) as step_order,
        min(provider) as provider,
        sum(cost_per_prospect_usd) as cost_per_prospect_usd,
        sum(anthropic_tokens_per_prospect) as anthropic_tokens_per_prospect,
        {{ dbt.bool_or('is_unpriced') }} as has_unpriced_item

    from priced
    group by vertical, step

)

select * from final
