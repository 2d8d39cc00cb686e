-- One row per cost event priced from the price list (it records its item and version):
-- the amount stored when it was written, untouched, beside the amount the CURRENT price list
-- gives for the version in force at its occurred_at (the backfill), and at the version in
-- force today. Same rule as ingest/pricing.py: a version is every row of one provider and
-- item with one effective_from, in force from that UTC date until the next; exact integer
-- pico-dollars rounded half up to the micro-dollar (macros/dds_usage_pricing.sql).
-- A model, not an update: rebuilding gives the same answer, and raw amounts never change.

{%- set as_of_date = dds_as_of_date() %}

with

cost_events as (

    select * from {{ ref('stg_dds__cost_events') }}

),

prices as (

    select * from {{ ref('provider_prices') }}

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
        cost_usd as priced_cost_usd,
        price_effective_on as priced_effective_on

    from cost_events
    where priced_item is not null and price_effective_on is not null

),

unit_prices as (

    select
        provider,
        item,
        unit,
        effective_from,
        {{ dds_pico_per_unit('price_usd', 'per_quantity') }} as pico_per_unit

    from prices
    -- a row that cannot be exact prices nothing (the seed's test refuses it anyway)
    where 1000000 % per_quantity = 0

),

version_rates as (

    select
        provider,
        item,
        effective_from,
        {{ dds_version_rates() }}

    from unit_prices
    group by provider, item, effective_from

),

-- the latest version of the event's item dated on or before the event's UTC day
versions_at_event as (

    select
        list_priced_events.cost_id,
        max(version_rates.effective_from) as repriced_effective_on

    from list_priced_events
    inner join version_rates
        on list_priced_events.provider = version_rates.provider
        and list_priced_events.priced_item = version_rates.item
        and version_rates.effective_from <= list_priced_events.occurred_on
    group by list_priced_events.cost_id

),

versions_today as (

    select
        provider,
        item,
        max(effective_from) as current_effective_on

    from version_rates
    where effective_from <= {{ as_of_date }}
    group by provider, item

),

repriced as (

    select
        list_priced_events.*,
        versions_at_event.repriced_effective_on,
        {{ dds_usage_amount_usd('list_priced_events', 'rates_then') }} as repriced_cost_usd,
        {{ dds_usage_pricing_gap('list_priced_events', 'rates_then') }} as has_repricing_gap,
        versions_today.current_effective_on,
        {{ dds_usage_amount_usd('list_priced_events', 'rates_today') }} as current_list_cost_usd

    from list_priced_events
    left join versions_at_event on list_priced_events.cost_id = versions_at_event.cost_id
    left join version_rates as rates_then
        on list_priced_events.provider = rates_then.provider
        and list_priced_events.priced_item = rates_then.item
        and versions_at_event.repriced_effective_on = rates_then.effective_from
    left join versions_today
        on list_priced_events.provider = versions_today.provider
        and list_priced_events.priced_item = versions_today.item
    left join version_rates as rates_today
        on versions_today.provider = rates_today.provider
        and versions_today.item = rates_today.item
        and versions_today.current_effective_on = rates_today.effective_from

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
        priced_cost_usd,
        priced_effective_on,
        repriced_cost_usd,
        repriced_effective_on,
        has_repricing_gap,
        not has_repricing_gap
        and (
            repriced_effective_on <> priced_effective_on
            or repriced_cost_usd <> priced_cost_usd
        ) as is_repriced,
        case when not has_repricing_gap then repriced_cost_usd - priced_cost_usd end
            as repricing_change_usd,
        current_list_cost_usd,
        current_effective_on

    from repriced

)

select * from final
