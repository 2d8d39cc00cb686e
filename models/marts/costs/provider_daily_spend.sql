-- One row per UTC day and provider with any spend: what was paid to whom, day by day. Read
-- from the provider roll-up (provider, day of use, day of ingestion), summed over the days
-- of ingestion: the cost events are added up once, there.

with

provider_usage_days as (

    select * from {{ ref('int_cost_events_aggregated_to_provider_days') }}

),

aggregated as (

    select
        used_on as day_on,
        provider,
        sum(cost_usd) as cost_usd,
        cast(sum(cost_event_count) as bigint) as cost_event_count

    from provider_usage_days
    group by used_on, provider

),

final as (

    select
        cast(day_on as {{ dbt.type_string() }}) || '|' || provider as provider_daily_spend_id,
        day_on,
        provider,
        cost_usd,
        cost_event_count

    from aggregated

)

select * from final
