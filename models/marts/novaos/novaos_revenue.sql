-- One row per change in a campaign's cumulative revenue, shaped as a row of NovaOS'
-- `revenue` table. Snapshots report revenue so far, so a revenue event is the difference
-- from the snapshot before (in time order). A correction downwards is a negative row, so
-- that the rows always add up to the latest snapshot's revenue.

with

snapshots as (

    select * from {{ ref('int_result_snapshots_carried_forward') }}

),

campaigns as (

    select * from {{ ref('campaigns') }}

),

deltas as (

    select
        event_seq,
        snapshot_id,
        campaign_id,
        stage,
        occurred_at,
        ingested_at,
        revenue_usd - coalesce(
            lag(revenue_usd) over (
                partition by campaign_id
                order by occurred_at, event_seq
            ),
            0
        ) as amount

    from snapshots

),

final as (

    select
        deltas.event_seq as id,
        deltas.occurred_at as timestamp,
        'dds' as source,
        deltas.campaign_id as agent_id,
        'sales' as department,
        deltas.amount,
        'DDS campaign ' || campaigns.campaign_name || ': revenue reported at stage '
        || deltas.stage || ' (snapshot ' || deltas.snapshot_id || ')' as description,
        deltas.ingested_at as created_at

    from deltas
    inner join campaigns on deltas.campaign_id = campaigns.campaign_id
    where deltas.amount <> 0

)

select * from final
