-- One row per result snapshot with every figure filled in: a figure the snapshot did not
-- report carries forward from the campaign's previous snapshot in occurred_at order (ties by
-- event_seq), and is 0 before the first report. Ordering by occurred_at, not by arrival,
-- lets a late snapshot slot into its place. ingest/results.py applies the same rule when it
-- checks a new snapshot.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

with

result_snapshots as (

    select * from {{ ref('stg_dds__result_snapshots') }}
    where {{ dds_in_refresh_scope() }}

),

carried as (

    select
        snapshot_id,
        event_seq,
        campaign_id,
        stage,
        {% for figure in ['leads_found', 'leads_qualified', 'emails_sent', 'emails_opened',
                          'emails_clicked', 'emails_replied', 'revenue_usd'] %}
        coalesce(
            {{ dds_last_value_ignore_nulls(figure, 'campaign_so_far') }},
            0
        ) as {{ figure }},
        {% endfor %}
        snapshot_source,
        occurred_at,
        ingested_at

    from result_snapshots
    window campaign_so_far as (
        partition by campaign_id
        order by occurred_at, event_seq
        rows between unbounded preceding and current row
    )

)

select * from carried
