-- One row per campaign with results: its latest cumulative snapshot. Snapshots report totals
-- so far, so the latest one wins and they are never summed.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

with

result_snapshots as (

    select * from {{ ref('int_result_snapshots_carried_forward') }}
    where {{ dds_in_refresh_scope() }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by campaign_id
            order by occurred_at desc, event_seq desc
        ) as recency_rank,
        count(*) over (partition by campaign_id) as snapshot_count

    from result_snapshots

),

latest as (

    select
        campaign_id,
        snapshot_id,
        stage,
        leads_found,
        leads_qualified,
        emails_sent,
        emails_opened,
        emails_clicked,
        emails_replied,
        revenue_usd,
        occurred_at as snapshot_at,
        snapshot_count

    from ranked
    where recency_rank = 1

)

select * from latest
