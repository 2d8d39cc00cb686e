-- One row per campaign with any cost: total spend is the sum of its cost events (through
-- the daily roll-up, which adds them up once).

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

with

campaign_costs_daily as (

    select * from {{ ref('int_cost_events_aggregated_to_campaign_days') }}
    where {{ dds_in_refresh_scope() }}

),

aggregated as (

    select
        campaign_id,
        cast(sum(cost_usd) as {{ dds_money_type() }}) as cost_usd,
        cast(sum(cost_event_count) as bigint) as cost_event_count,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens,
        min(first_cost_at) as first_cost_at,
        max(last_cost_at) as last_cost_at

    from campaign_costs_daily
    group by campaign_id

)

select * from aggregated
