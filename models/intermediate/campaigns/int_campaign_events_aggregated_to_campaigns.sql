-- One row per campaign: its lifecycle state, the state its latest lifecycle event leads to
-- (seed campaign_lifecycle, the same rows ingest checks transitions against).

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

-- the state each event leads to, whatever it follows
event_outcomes as (

    select distinct event_type, to_status from {{ ref('campaign_lifecycle') }}

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
        ranked.campaign_id,
        event_outcomes.to_status as status,
        ranked.event_reason as status_reason,
        ranked.occurred_at as status_changed_at

    from ranked
    left join event_outcomes on ranked.event_type = event_outcomes.event_type
    where ranked.recency_rank = 1

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
