-- One row per campaign, provider, operation and UTC day with spend: the one roll-up of the
-- cost events that the cost marts read (campaign totals and breakdown, pacing, daily
-- series, credit pools). A running total: an incremental run folds in only the events newer
-- than the highest event_seq already in the table, added to the rows they touch.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='delete+insert',
    unique_key='campaign_cost_day_id',
) }}

with

cost_events as (

    select * from {{ ref('stg_dds__cost_events') }}
    where {{ dds_newer_than_folded() }}

),

new_days as (

    select
        campaign_id,
        provider,
        operation,
        cast(occurred_at as date) as cost_on,
        sum(cost_usd) as cost_usd,
        count(*) as cost_event_count,
        sum(coalesce(units, 0)) as units,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        min(occurred_at) as first_cost_at,
        max(occurred_at) as last_cost_at,
        max(event_seq) as last_event_seq

    from cost_events
    group by campaign_id, provider, operation, cast(occurred_at as date)

),

{{ dds_fold_in(
    'new_days',
    ['stored.campaign_id', 'stored.provider', 'stored.operation', 'stored.cost_on',
     'stored.cost_usd', 'stored.cost_event_count', 'stored.units', 'stored.input_tokens',
     'stored.output_tokens', 'stored.first_cost_at', 'stored.last_cost_at',
     'stored.last_event_seq'],
    'stored.campaign_id = new_days.campaign_id and stored.provider = new_days.provider '
    ~ 'and stored.operation = new_days.operation and stored.cost_on = new_days.cost_on',
) }}

final as (

    select
        campaign_id || '|' || provider || '|' || operation
        || '|' || cast(cost_on as {{ dbt.type_string() }}) as campaign_cost_day_id,
        campaign_id,
        provider,
        operation,
        cost_on,
        cast(sum(cost_usd) as {{ dds_money_type() }}) as cost_usd,
        cast(sum(cost_event_count) as bigint) as cost_event_count,
        cast(sum(units) as {{ dds_money_type() }}) as units,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens,
        min(first_cost_at) as first_cost_at,
        max(last_cost_at) as last_cost_at,
        max(last_event_seq) as last_event_seq

    from folded
    group by campaign_id, provider, operation, cost_on

)

select * from final
