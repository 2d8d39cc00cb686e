-- One row per campaign: how fast it spends its budget and when the budget will run out.
-- "Today" is the var dds_as_of_date, or the current UTC date. The burn rate is the spend of
-- the last dds_pacing_window_days days (today included) divided by the whole window (why:
-- DECISIONS.md, "Budget pacing divides by the whole window"). Dates are exact: the number
-- of days the budget lasts is a ceiling computed in decimals, not in floating point.
-- Credit pools: a campaign draws from the pools (provider_credit_pool_pacing) of every provider
-- it has paid or that its estimate plans (its vertical's assumptions as
-- int_estimate_assumptions_resolved resolves them); the first of them to run out is reported, and
-- whether that is before the planned end.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

{%- set as_of_date = dds_as_of_date() %}
{%- set window_days = var('dds_pacing_window_days') | int %}
{%- set duration_days = var('dds_campaign_duration_days') | int %}

with

campaigns as (

    select * from {{ ref('campaigns') }}
    where {{ dds_in_refresh_scope() }}

),

campaign_costs_daily as (

    select * from {{ ref('int_cost_events_aggregated_to_campaign_days') }}
    where {{ dds_in_refresh_scope() }}

),

credit_pools as (

    select * from {{ ref('provider_credit_pool_pacing') }}

),

estimate_assumptions as (

    select * from {{ ref('int_estimate_assumptions_resolved') }}

),

estimate_verticals as (

    select distinct vertical from estimate_assumptions

),

-- the assumptions of the campaign's vertical, or the default ('*') ones when it has none
campaign_estimate_verticals as (

    select
        campaigns.campaign_id,
        coalesce(estimate_verticals.vertical, '*') as estimate_vertical

    from campaigns
    left join estimate_verticals
        on {{ dds_vertical_key('campaigns.vertical') }} = estimate_verticals.vertical

),

planned_steps as (

    select
        campaign_estimate_verticals.campaign_id,
        estimate_assumptions.provider

    from campaign_estimate_verticals
    inner join estimate_assumptions
        on campaign_estimate_verticals.estimate_vertical = estimate_assumptions.vertical

),

campaign_providers as (

    select campaign_id, provider from planned_steps

    union

    select campaign_id, provider from campaign_costs_daily

),

pools_drawn as (

    select
        campaign_providers.campaign_id,
        credit_pools.pool_id,
        credit_pools.pool_runs_out_on,
        row_number() over (
            partition by campaign_providers.campaign_id
            order by credit_pools.pool_runs_out_on, credit_pools.pool_id
        ) as run_out_order

    from campaign_providers
    inner join credit_pools on campaign_providers.provider = credit_pools.provider
    where credit_pools.pool_runs_out_on is not null

),

first_pool_to_run_out as (

    select
        campaign_id,
        pool_id as credit_pool_id,
        pool_runs_out_on as credit_pool_runs_out_on

    from pools_drawn
    where run_out_order = 1

),

dated_costs as (

    select
        campaign_id,
        cost_usd,
        cost_on,
        {{ as_of_date }} as evaluated_on

    from campaign_costs_daily

),

costs_to_date as (

    select
        campaign_id,
        sum(cost_usd) as cost_to_date_usd,
        sum(
            case
                when cost_on > cast({{ dbt.dateadd('day', -window_days, 'evaluated_on') }} as date)
                    then cost_usd
                else 0
            end
        ) as window_cost_usd

    from dated_costs
    where cost_on <= evaluated_on
    group by campaign_id

),

joined as (

    select
        campaigns.campaign_id,
        campaigns.status,
        campaigns.budget_usd,
        {{ as_of_date }} as evaluated_on,
        coalesce(costs_to_date.cost_to_date_usd, 0) as cost_to_date_usd,
        coalesce(costs_to_date.window_cost_usd, 0) as window_cost_usd,
        campaigns.budget_usd - coalesce(costs_to_date.cost_to_date_usd, 0)
            as budget_remaining_usd,
        cast(
            {{ dbt.dateadd(
                'day',
                duration_days,
                'cast(coalesce(campaigns.first_started_at, campaigns.deployed_at) as date)'
            ) }} as date
        ) as planned_end_on

    from campaigns
    left join costs_to_date on campaigns.campaign_id = costs_to_date.campaign_id

),

-- days the remaining budget lasts at the burn rate, rounded up: remaining / (window spend /
-- window) = remaining × window / window spend, an exact ceiling (macros/dds_ceil_ratio.sql)
paced as (

    select
        *,
        case
            when budget_remaining_usd <= 0 then 0
            when window_cost_usd > 0
                then {{
                    dds_ceil_ratio('budget_remaining_usd * ' ~ window_days, 'window_cost_usd')
                }}
        end as days_of_budget_left

    from joined

),

budgeted as (

    select
        campaign_id,
        status,
        evaluated_on,
        budget_usd,
        cost_to_date_usd,
        budget_remaining_usd,
        cast(window_cost_usd / {{ window_days }} as {{ dds_money_type() }})
            as burn_rate_usd_per_day,
        planned_end_on,
        {{ dbt.datediff('evaluated_on', 'planned_end_on', 'day') }} as days_until_planned_end,
        cast({{ dbt.dateadd('day', 'days_of_budget_left', 'evaluated_on') }} as date)
            as projected_budget_exhausted_on,
        days_of_budget_left,
        coalesce(
            days_of_budget_left < {{ dbt.datediff('evaluated_on', 'planned_end_on', 'day') }},
            false
        )
        and status <> 'stopped' as will_exceed_budget_before_end

    from paced

),

with_pools as (

    select
        budgeted.*,
        first_pool_to_run_out.credit_pool_id,
        first_pool_to_run_out.credit_pool_runs_out_on,
        coalesce(first_pool_to_run_out.credit_pool_runs_out_on < budgeted.planned_end_on, false)
        and budgeted.status <> 'stopped' as credit_pool_runs_out_before_end

    from budgeted
    left join first_pool_to_run_out
        on budgeted.campaign_id = first_pool_to_run_out.campaign_id

),

final as (

    select
        *,
        case
            when credit_pool_runs_out_on is null then projected_budget_exhausted_on
            when projected_budget_exhausted_on is null then credit_pool_runs_out_on
            when credit_pool_runs_out_on < projected_budget_exhausted_on
                then credit_pool_runs_out_on
            else projected_budget_exhausted_on
        end as runs_out_on,
        will_exceed_budget_before_end or credit_pool_runs_out_before_end as runs_out_before_end

    from with_pools

)

select * from final
