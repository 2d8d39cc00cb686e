-- One row per campaign: its lifecycle state, taken from the latest lifecycle event.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('int_campaigns_to_refresh') }}

with

campaign_events as (

    select * from {{ ref('stg_dds__campaign_events') }}
    where {{ dds_in_refresh_scope() }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by campaign_id
            order by occurred_at desc, event_seq desc
        ) as recency_rank

    from campaign_events

),

latest as (

    select
        campaign_id,
        case event_type
            when 'deployed' then 'deployed'
            when 'started' then 'active'
            when 'paused' then 'paused'
            when 'stopped' then 'stopped'
        end as status,
        event_reason as status_reason,
        occurred_at as status_changed_at

    from ranked
    where recency_rank = 1

),

milestones as (

    select
        campaign_id,
        min(case when event_type = 'deployed' then occurred_at end) as deployed_at,
        min(case when event_type = 'started' then occurred_at end) as first_started_at,
        max(case when event_type = 'stopped' then occurred_at end) as stopped_at,
        max(occurred_at) as last_lifecycle_event_at,
        count(*) as lifecycle_event_count

    from campaign_events
    group by campaign_id

),

final as (

    select
        latest.campaign_id,
        latest.status,
        latest.status_reason,
        latest.status_changed_at,
        milestones.deployed_at,
        milestones.first_started_at,
        milestones.stopped_at,
        milestones.last_lifecycle_event_at,
        milestones.lifecycle_event_count

    from latest
    inner join milestones on latest.campaign_id = milestones.campaign_id

)

select * from final
