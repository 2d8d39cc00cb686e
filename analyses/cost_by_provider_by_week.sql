-- Question: how much did we pay each provider, week by week (weeks start on Monday, UTC),
-- and what share of that week's spend went to each?

with

provider_daily_spend as (

    select * from {{ ref('provider_daily_spend') }}

),

weekly as (

    select
        cast({{ dbt.date_trunc('week', 'day_on') }} as date) as week_start,
        provider,
        sum(cost_usd) as cost_usd,
        sum(cost_event_count) as cost_event_count

    from provider_daily_spend
    group by cast({{ dbt.date_trunc('week', 'day_on') }} as date), provider

),

final as (

    select
        week_start,
        provider,
        cost_usd,
        cost_event_count,
        {{ safe_divide('100.0 * cost_usd', 'sum(cost_usd) over (partition by week_start)') }}
            as share_of_week_pct

    from weekly

)

select * from final
order by week_start asc, cost_usd desc
