-- One row per UTC day and provider with any spend: what was paid to whom, day by day.

with

cost_events as (

    select * from {{ ref('stg_dds__cost_events') }}

),

aggregated as (

    select
        cast(occurred_at as date) as day_on,
        provider,
        sum(cost_usd) as cost_usd,
        count(*) as cost_event_count

    from cost_events
    group by cast(occurred_at as date), provider

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
