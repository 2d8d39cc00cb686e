with

source as (

    select * from {{ source('dds', 'cost_events') }}

),

renamed as (

    select
        cost_id,
        seq as event_seq,
        campaign_id,
        operation,
        provider,
        cast(amount_usd as decimal(18, 6)) as cost_usd,
        model,
        input_tokens,
        output_tokens,
        cast(units as decimal(18, 6)) as units,
        details,
        idempotency_key,
        cast(occurred_at as timestamp) as occurred_at,
        cast(ingested_at as timestamp) as ingested_at

    from source

)

select * from renamed
