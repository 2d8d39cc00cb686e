-- One row per campaign, provider and operation: what was spent where.

with

cost_events as (

    select * from {{ ref('stg_dds__cost_events') }}

),

aggregated as (

    select
        campaign_id,
        provider,
        operation,
        sum(cost_usd) as cost_usd,
        count(*) as cost_event_count,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        min(occurred_at) as first_cost_at,
        max(occurred_at) as last_cost_at

    from cost_events
    group by campaign_id, provider, operation

),

final as (

    select
        campaign_id || '|' || provider || '|' || operation as cost_breakdown_id,
        *

    from aggregated

)

select * from final
