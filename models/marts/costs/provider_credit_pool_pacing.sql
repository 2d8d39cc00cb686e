-- One row per provider credit pool in force today (seed provider_credit_pools): what is left
-- of it in its current period and when it runs out at the provider's recent burn rate.
-- The burn rate is the provider's usage over the last dds_pacing_window_days days (today
-- included) divided by the whole window, as campaign_budget_pacing does for budgets. A
-- pool counts all of its provider's cost events (over every campaign) written before today:
-- dollars for a 'usd' pool, else the events' `units` (searches, emails). Being as of the
-- start of the day, it moves once a day, when every campaign's pacing is recomputed, and a
-- cost written to one campaign never changes another's figures
-- (int_cost_events_aggregated_to_provider_days). A pool that resets monthly is projected
-- through its current period and the next one; one that lasts both is taken to last.
-- Days are exact: ceilings of decimal ratios (macros/dds_ceil_ratio.sql).

{%- set as_of_date = dds_as_of_date() %}
{%- set window_days = var('dds_pacing_window_days') | int %}

with

pools as (

    select * from {{ ref('provider_credit_pools') }}

),

-- as of the start of today: what was written before today
-- (int_cost_events_aggregated_to_provider_days)
provider_usage as (

    select * from {{ ref('int_cost_events_aggregated_to_provider_days') }}
    where ingested_on < {{ as_of_date }}

),

pools_in_force as (

    select
        *,
        {{ as_of_date }} as evaluated_on,
        -- this month's reset day, or last month's if it is still to come
        cast({{ dbt.dateadd(
            'day',
            'reset_day_of_month - 1',
            'cast(' ~ dbt.date_trunc('month', as_of_date) ~ ' as date)'
        ) }} as date) as reset_this_month_on

    from pools
    where effective_from <= {{ as_of_date }}
        and (effective_to is null or effective_to >= {{ as_of_date }})

),

periods as (

    select
        *,
        case
            when reset_day_of_month is null then effective_from
            when reset_this_month_on <= evaluated_on then reset_this_month_on
            else cast({{ dbt.dateadd('month', -1, 'reset_this_month_on') }} as date)
        end as last_reset_on

    from pools_in_force

),

bounded as (

    select
        *,
        -- a pool bought mid-period starts when it was bought
        case
            when last_reset_on < effective_from then effective_from else last_reset_on
        end as period_start_on,
        case
            when reset_day_of_month is not null
                then cast({{ dbt.dateadd('month', 1, 'last_reset_on') }} as date)
        end as next_reset_on,
        case
            when reset_day_of_month is not null
                then cast({{ dbt.dateadd('month', 2, 'last_reset_on') }} as date)
        end as reset_after_next_on

    from periods

),

usage_events as (

    select
        bounded.pool_id,
        provider_usage.used_on,
        case
            when bounded.credit_unit = 'usd' then provider_usage.cost_usd
            else provider_usage.units
        end as usage_amount

    from bounded
    inner join provider_usage on bounded.provider = provider_usage.provider
    where provider_usage.used_on <= bounded.evaluated_on

),

usage_per_pool as (

    select
        usage_events.pool_id,
        sum(
            case
                when usage_events.used_on >= bounded.period_start_on then usage_events.usage_amount
                else 0
            end
        ) as used_in_period,
        sum(
            case
                when usage_events.used_on
                    > cast({{ dbt.dateadd('day', -window_days, 'bounded.evaluated_on') }} as date)
                    then usage_events.usage_amount
                else 0
            end
        ) as window_usage

    from usage_events
    inner join bounded on usage_events.pool_id = bounded.pool_id
    group by usage_events.pool_id

),

measured as (

    select
        bounded.*,
        coalesce(usage_per_pool.used_in_period, 0) as used_in_period,
        coalesce(usage_per_pool.window_usage, 0) as window_usage,
        bounded.credit_amount - coalesce(usage_per_pool.used_in_period, 0) as remaining_in_period

    from bounded
    left join usage_per_pool on bounded.pool_id = usage_per_pool.pool_id

),

-- days each amount lasts at the burn rate: amount / (window usage / window), rounded up
days_left as (

    select
        *,
        case
            when remaining_in_period <= 0 then 0
            when window_usage > 0
                then {{ dds_ceil_ratio('remaining_in_period * ' ~ window_days, 'window_usage') }}
        end as days_of_credit_left,
        case
            when window_usage > 0 and credit_amount > 0
                then {{ dds_ceil_ratio('credit_amount * ' ~ window_days, 'window_usage') }}
        end as days_of_full_period

    from measured

),

projected as (

    select
        *,
        cast({{ dbt.dateadd('day', 'days_of_credit_left', 'evaluated_on') }} as date)
            as exhausted_this_period_on,
        -- in a fresh period the first day already spends: day n of the period is reset + n − 1
        cast({{ dbt.dateadd('day', 'days_of_full_period - 1', 'next_reset_on') }} as date)
            as exhausted_next_period_on

    from days_left

),

chosen as (

    select
        *,
        case
            when exhausted_this_period_on is null then null
            when next_reset_on is null or exhausted_this_period_on < next_reset_on
                then exhausted_this_period_on
            when exhausted_next_period_on < reset_after_next_on then exhausted_next_period_on
        end as projected_exhausted_on

    from projected

),

final as (

    select
        pool_id,
        provider,
        pool_name,
        kind,
        credit_unit,
        credit_amount,
        reset_day_of_month,
        effective_from as first_drawable_on,
        effective_to as last_drawable_on,
        evaluated_on,
        period_start_on,
        next_reset_on,
        used_in_period,
        remaining_in_period,
        cast(window_usage / {{ window_days }} as {{ dds_money_type() }}) as burn_rate_per_day,
        days_of_credit_left,
        projected_exhausted_on,
        case
            when effective_to is not null
                and (projected_exhausted_on is null or effective_to < projected_exhausted_on)
                then effective_to
            else projected_exhausted_on
        end as pool_runs_out_on

    from chosen

)

select * from final
