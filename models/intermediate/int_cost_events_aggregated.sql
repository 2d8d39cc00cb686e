-- One row per campaign with any cost: total spend is the sum of its cost events.

with

cost_events as (

    select * from {{ ref('stg_dds__cost_events') }}

),

aggregated as (

    select
        campaign_id,
        sum(cost_usd) as total_cost_usd,
        count(*) as cost_event_count,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        min(occurred_at) as first_cost_at,
        max(occurred_at) as last_cost_at

    from cost_events
    group by campaign_id

)

select * from aggregated
