-- One row per campaign and rule that paused it automatically: the rule's latest automatic
-- pause, the metric's value then, and the operator's resume after it (if any). A resume
-- opens a cooldown of dds_cooldown_hours in which the rule does not pause the campaign
-- again unless its metric gets worse than it was at the pause (campaign_optimization_flags).

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

with

campaign_events as (

    select * from {{ ref('stg_dds__campaign_events') }}
    where {{ dds_in_refresh_scope() }}

),

auto_pauses as (

    select
        campaign_id,
        paused_by_rule_id as rule_id,
        paused_at_rule_value,
        occurred_at as paused_at,
        event_seq,
        row_number() over (
            partition by campaign_id, paused_by_rule_id
            order by occurred_at desc, event_seq desc
        ) as recency_rank

    from campaign_events
    where event_type = 'paused' and paused_by_rule_id is not null

),

latest_auto_pauses as (

    select * from auto_pauses where recency_rank = 1

),

resumes as (

    select
        latest_auto_pauses.campaign_id,
        latest_auto_pauses.rule_id,
        min(campaign_events.occurred_at) as resumed_at

    from latest_auto_pauses
    inner join campaign_events
        on latest_auto_pauses.campaign_id = campaign_events.campaign_id
        and campaign_events.event_type = 'started'
        and (
            campaign_events.occurred_at > latest_auto_pauses.paused_at
            or (
                campaign_events.occurred_at = latest_auto_pauses.paused_at
                and campaign_events.event_seq > latest_auto_pauses.event_seq
            )
        )
    group by latest_auto_pauses.campaign_id, latest_auto_pauses.rule_id

),

final as (

    select
        latest_auto_pauses.campaign_id || '|' || latest_auto_pauses.rule_id
            as auto_pause_id,
        latest_auto_pauses.campaign_id,
        latest_auto_pauses.rule_id,
        latest_auto_pauses.paused_at,
        latest_auto_pauses.paused_at_rule_value,
        resumes.resumed_at,
        {{ dbt.dateadd('hour', var('dds_cooldown_hours') | int, 'resumes.resumed_at') }}
            as cooldown_ends_at

    from latest_auto_pauses
    left join resumes
        on latest_auto_pauses.campaign_id = resumes.campaign_id
        and latest_auto_pauses.rule_id = resumes.rule_id

)

select * from final
