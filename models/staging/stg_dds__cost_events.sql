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
        cast(cost_usd as {{ dds_money_type() }}) as cost_usd,
        model,
        -- the price-list item that priced the cost (the model for Anthropic); null when the
        -- caller gave the amount in dollars
        item as priced_item,
        input_tokens,
        output_tokens,
        cache_creation_input_tokens,
        cache_read_input_tokens,
        cast(units as {{ dds_money_type() }}) as units,
        cast(price_effective_from as date) as price_effective_on,
        details,
        idempotency_key,
        batch_id,
        variant,
        cast(occurred_at as timestamp) as occurred_at,
        cast(ingested_at as timestamp) as ingested_at

    from source

)

select * from renamed
