-- One row per cost event priced from the price list (it records its item and version):
-- the amount stored when it was written, untouched, beside the amount the CURRENT price list
-- gives for the version in force at its occurred_at (the backfill), and at the version in
-- force today. The versions, their windows and rates are price_list_versions', the table
-- ingest prices by; exact integer pico-dollars rounded half up to the micro-dollar
-- (macros/dds_usage_pricing.sql).
-- A model, not an update: rebuilding gives the same answer, and raw amounts never change.

{%- set as_of_date = dds_as_of_date() %}

with

cost_events as (

    select * from {{ ref('stg_dds__cost_events') }}

),

-- each version's window (effective_on until superseded_on) and exact rates
version_rates as (

    select * from {{ ref('price_list_versions') }}

),

list_priced_events as (

    select
        cost_id,
        campaign_id,
        provider,
        operation,
        priced_item,
        occurred_at,
        cast(occurred_at as date) as occurred_on,
        units,
        input_tokens,
        output_tokens,
        cache_creation_input_tokens,
        cache_read_input_tokens,
        cost_usd as cost_as_priced_usd,
        price_effective_on as priced_effective_on

    from cost_events
    where priced_item is not null and price_effective_on is not null

),

repriced as (

    select
        list_priced_events.*,
        rates_then.effective_on as repriced_effective_on,
        {{ dds_usage_cost_usd('list_priced_events', 'rates_then') }} as cost_repriced_usd,
        {{ dds_usage_pricing_gap('list_priced_events', 'rates_then') }} as has_repricing_gap,
        rates_today.effective_on as current_effective_on,
        {{ dds_usage_cost_usd('list_priced_events', 'rates_today') }} as cost_at_current_prices_usd

    from list_priced_events
    -- the version in force on the event's UTC day, by the current price list (the backfill)
    left join version_rates as rates_then
        on list_priced_events.provider = rates_then.provider
        and list_priced_events.priced_item = rates_then.item
        and list_priced_events.occurred_on >= rates_then.effective_on
        and (
            rates_then.superseded_on is null
            or list_priced_events.occurred_on < rates_then.superseded_on
        )
    -- the version in force today
    left join version_rates as rates_today
        on list_priced_events.provider = rates_today.provider
        and list_priced_events.priced_item = rates_today.item
        and {{ as_of_date }} >= rates_today.effective_on
        and (rates_today.superseded_on is null or {{ as_of_date }} < rates_today.superseded_on)

),

final as (

    select
        cost_id,
        campaign_id,
        provider,
        operation,
        priced_item,
        occurred_at,
        units,
        input_tokens,
        output_tokens,
        cache_creation_input_tokens,
        cache_read_input_tokens,
        cost_as_priced_usd,
        priced_effective_on,
        cost_repriced_usd,
        repriced_effective_on,
        has_repricing_gap,
        not has_repricing_gap
        and (
            repriced_effective_on <> priced_effective_on
            or cost_repriced_usd <> cost_as_priced_usd
        ) as is_repriced,
        case when not has_repricing_gap then cost_repriced_usd - cost_as_priced_usd end
            as repricing_change_usd,
        cost_at_current_prices_usd,
        current_effective_on

    from repriced

)

select * from final
