with

source as (

    select * from {{ source('dds', 'result_snapshots') }}

),

renamed as (

    select
        snapshot_id,
        seq as event_seq,
        campaign_id,
        stage,
        -- a figure the snapshot did not report is null; int_result_snapshots_carried_forward
        -- carries the previous value forward
        leads_found,
        leads_qualified,
        emails_sent,
        emails_opened,
        emails_clicked,
        emails_replied,
        cast(revenue_usd as {{ dds_money_type() }}) as revenue_usd,
        source as snapshot_source,
        batch_id,
        variant,
        cast(occurred_at as timestamp) as occurred_at,
        cast(ingested_at as timestamp) as ingested_at

    from source

)

select * from renamed
