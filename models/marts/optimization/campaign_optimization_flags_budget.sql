-- Optimization flags of the budget family: spend against the budget and the provider
-- credit pools, now and projected to the planned end (rules budget_exceeded, budget_pace,
-- credit_pool_pace; projections from campaign_budget_pacing). One row per campaign and
-- fired rule, with the value and threshold it was judged on
-- (macros/dds_optimization_flags.sql).

{{ dds_optimization_flags_head() }}

pacing as (

    select * from {{ ref('campaign_budget_pacing') }}
    where {{ dds_in_refresh_scope() }}

),

metrics_with_pacing as (

    select
        metrics.*,
        coalesce(pacing.will_exceed_budget_before_end, false)
            as will_exceed_budget_before_end,
        pacing.days_of_budget_left,
        pacing.days_until_planned_end,
        coalesce(pacing.credit_pool_runs_out_before_end, false)
            as credit_pool_runs_out_before_end,
        {{ dbt.datediff('pacing.evaluated_on', 'pacing.credit_pool_runs_out_on', 'day') }}
            as days_of_credit_left

    from metrics
    left join pacing on metrics.campaign_id = pacing.campaign_id

),

checks as (

    select
        campaign_id,

        cost_usd > budget_usd as fires_budget_exceeded,
        cost_usd as value_budget_exceeded,
        budget_usd as threshold_budget_exceeded,

        -- the budget will run out before the planned end (campaign_budget_pacing); not once
        -- it is already exceeded, which budget_exceeded reports: one flag for one problem
        will_exceed_budget_before_end
        and not cost_usd > budget_usd
            as fires_budget_pace,
        days_of_budget_left as value_budget_pace,
        days_until_planned_end as threshold_budget_pace,

        -- a provider credit pool the campaign draws from runs out before its planned end
        -- (campaign_budget_pacing, from provider_credit_pool_pacing)
        credit_pool_runs_out_before_end as fires_credit_pool_pace,
        days_of_credit_left as value_credit_pool_pace,
        days_until_planned_end as threshold_credit_pool_pace

    from metrics_with_pacing

),

{{ dds_optimization_flags_from_checks('budget') }}
