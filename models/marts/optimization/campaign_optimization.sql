-- One row per campaign: its optimization priority, the priority of the most severe rule it
-- fires (seed severity_levels: critical -> CRITICAL, high -> HIGH, medium -> MEDIUM), LOW
-- when it fires none or only opportunities; and the original integration's three ratings
-- (Good / Poor / Not rated yet), each judged by its rule (macros/dds_rating.sql).

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

with

campaigns as (

    select * from {{ ref('campaigns') }}
    where {{ dds_in_refresh_scope() }}

),

-- the figures the ratings judge: a rule is not evaluated while its figure is undefined
metrics as (

    select
        campaign_id,
        cost_per_lead,
        qualification_rate,
        reply_rate

    from {{ ref('campaign_metrics') }}
    where {{ dds_in_refresh_scope() }}

),

severity_levels as (

    select * from {{ ref('severity_levels') }}

),

lowest_level as (

    select priority, severity_rank from severity_levels
    order by severity_rank
    limit 1

),

flags as (

    select * from {{ ref('campaign_optimization_flags') }}
    where {{ dds_in_refresh_scope() }}

),

per_campaign as (

    select
        flags.campaign_id,
        count(*) as fired_rule_count,
        max(flags.severity_rank) as max_severity_rank,
        -- an issue is any rule more severe than the lowest level (an opportunity)
        sum(case when flags.severity_rank > lowest_level.severity_rank then 1 else 0 end)
            as issue_count,
        max(case when flags.acts_automatically then 1 else 0 end) = 1 as has_auto_action,
        max(case when flags.rule_id = 'high_cost_per_lead' then 1 else 0 end) = 1
            as fires_high_cost_per_lead,
        max(case when flags.rule_id = 'low_qualification_rate' then 1 else 0 end) = 1
            as fires_low_qualification_rate,
        max(case when flags.rule_id = 'low_outreach_success' then 1 else 0 end) = 1
            as fires_low_outreach_success

    from flags
    cross join lowest_level
    group by flags.campaign_id, lowest_level.severity_rank

),

final as (

    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.status,
        campaigns.is_optimizable,
        coalesce(fired_level.priority, lowest_level.priority) as priority,
        -- higher is more urgent: the dashboard and analysts sort by it
        coalesce(fired_level.severity_rank, lowest_level.severity_rank) as priority_rank,
        coalesce(per_campaign.fired_rule_count, 0) as fired_rule_count,
        coalesce(per_campaign.issue_count, 0) as issue_count,
        coalesce(per_campaign.has_auto_action, false) as has_auto_action,
        {{ dds_rating(
            'coalesce(per_campaign.fires_high_cost_per_lead, false)', 'metrics.cost_per_lead'
        ) }} as cost_efficiency,
        {{ dds_rating(
            'coalesce(per_campaign.fires_low_qualification_rate, false)',
            'metrics.qualification_rate'
        ) }} as qualification_quality,
        {{ dds_rating(
            'coalesce(per_campaign.fires_low_outreach_success, false)', 'metrics.reply_rate'
        ) }} as outreach_effectiveness

    from campaigns
    cross join lowest_level
    left join metrics on campaigns.campaign_id = metrics.campaign_id
    left join per_campaign on campaigns.campaign_id = per_campaign.campaign_id
    left join severity_levels as fired_level
        on per_campaign.max_severity_rank = fired_level.severity_rank

)

select * from final
