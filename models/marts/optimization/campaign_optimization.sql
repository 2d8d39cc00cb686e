-- One row per campaign: its optimization priority, the highest severity among its fired
-- rules (critical -> CRITICAL, high -> HIGH, medium -> MEDIUM, otherwise LOW).

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('int_campaigns_to_refresh') }}

with

campaigns as (

    select * from {{ ref('campaigns') }}
    where {{ dds_in_refresh_scope() }}

),

flags as (

    select * from {{ ref('campaign_optimization_flags') }}
    where {{ dds_in_refresh_scope() }}

),

per_campaign as (

    select
        campaign_id,
        count(*) as fired_rule_count,
        max(severity_rank) as max_severity_rank,
        sum(case when severity_rank > 1 then 1 else 0 end) as issue_count,
        max(case when acts_automatically then 1 else 0 end) = 1 as has_auto_action

    from flags
    group by campaign_id

),

final as (

    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.status,
        campaigns.is_optimizable,
        case coalesce(per_campaign.max_severity_rank, 0)
            when 4 then 'CRITICAL'
            when 3 then 'HIGH'
            when 2 then 'MEDIUM'
            else 'LOW'
        end as priority,
        coalesce(per_campaign.fired_rule_count, 0) as fired_rule_count,
        coalesce(per_campaign.issue_count, 0) as issue_count,
        coalesce(per_campaign.has_auto_action, false) as has_auto_action

    from campaigns
    left join per_campaign on campaigns.campaign_id = per_campaign.campaign_id

)

select * from final
