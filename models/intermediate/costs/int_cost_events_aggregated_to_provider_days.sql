-- One row per provider, UTC day of use and UTC day of ingestion: what every campaign spent
-- and used with the provider. Credit pools read it as of the start of today (what was
-- written before today), so a pool's projection, which depends on every campaign's usage,
-- changes once a day, when every campaign's pacing is recomputed anyway, and a cost written
-- to one campaign never changes another campaign's figures. A running total, as
-- int_cost_events_aggregated_to_campaign_days.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='delete+insert',
    unique_key='provider_usage_day_id',
) }}

with

cost_events as (

    select * from {{ ref('stg_dds__cost_events') }}
    where {{ dds_newer_than_folded() }}

),

new_days as (

    select
        provider,
        cast(occurred_at as date) as used_on,
        cast(ingested_at as date) as ingested_on,
        sum(cost_usd) as cost_usd,
        sum(coalesce(units, 0)) as units,
        count(*) as cost_event_count,
        max(event_seq) as last_event_seq

    from cost_events
    group by provider, cast(occurred_at as date), cast(ingested_at as date)

),

{{ dds_fold_in(
    'new_days',
    ['stored.provider', 'stored.used_on', 'stored.ingested_on', 'stored.cost_usd',
     'stored.units', 'stored.cost_event_count', 'stored.last_event_seq'],
    'stored.provider = new_days.provider and stored.used_on = new_days.used_on '
    ~ 'and stored.ingested_on = new_days.ingested_on',
) }}

final as (

    select
        provider || '|' || cast(used_on as {{ dbt.type_string() }})
        || '|' || cast(ingested_on as {{ dbt.type_string() }}) as provider_usage_day_id,
        provider,
        used_on,
        ingested_on,
        cast(sum(cost_usd) as {{ dds_money_type() }}) as cost_usd,
        cast(sum(units) as {{ dds_money_type() }}) as units,
        cast(sum(cost_event_count) as bigint) as cost_event_count,
        max(last_event_seq) as last_event_seq

    from folded
    group by provider, used_on, ingested_on

)

select * from final
