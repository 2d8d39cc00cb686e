-- One row per campaign, provider and operation: what was spent where, with the campaign's
-- spend per provider and per operation on each row (window sums, so the grain stays one
-- row per pair and a sum over the table still adds each cost once). The facade's report
-- reads these totals as they are rather than re-aggregating the rows itself. Each
-- operation belongs to a stage of the original integration's breakdown (seed cost_stages;
-- `other` for an operation it does not list), with the campaign's spend per stage beside it.

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

cost_stages as (

    select * from {{ ref('cost_stages') }}

),

aggregated as (

    select
        campaign_id,
        provider,
        operation,
        cast(sum(cost_usd) as {{ dds_money_type() }}) as cost_usd,
        cast(sum(cost_event_count) as bigint) as cost_event_count,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens,
        min(first_cost_at) as first_cost_at,
        max(last_cost_at) as last_cost_at

    from campaign_costs_daily
    group by campaign_id, provider, operation

),

staged as (

    select
        aggregated.*,
        coalesce(cost_stages.stage, 'other') as stage

    from aggregated
    left join cost_stages on aggregated.operation = cost_stages.operation

),

final as (

    select
        campaign_id || '|' || provider || '|' || operation as cost_breakdown_id,
        *,
        cast(sum(cost_usd) over (partition by campaign_id, provider) as {{ dds_money_type() }})
            as provider_cost_usd,
        cast(sum(cost_usd) over (partition by campaign_id, operation) as {{ dds_money_type() }})
            as operation_cost_usd,
        cast(sum(cost_usd) over (partition by campaign_id, stage) as {{ dds_money_type() }})
            as stage_cost_usd

    from staged

)

select * from final
