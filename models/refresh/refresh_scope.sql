-- One row per campaign whose campaign-scoped tables a refresh recomputes, and reason: the
-- raw table it has new events in, 'every_campaign' or 'cooldown_ended'. Those with raw
-- events written since the last refresh (refresh_state), every campaign when the UTC
-- day changed since then (pacing and run-out dates move with "today"), and those whose
-- cooldown after a resume ended since then; every campaign when the vars, seeds or models
-- differ from the last refresh's (dds_refresh_fingerprint), and without a previous refresh
-- (a first or full build). See macros/refresh/dds_refresh.sql.

{{ config(materialized="table", alias="scope") }}

{%- set state_relation = adapter.get_relation(
    database=this.database, schema=this.schema, identifier='state') %}
{%- set has_state = state_relation is not none and not flags.FULL_REFRESH %}

with

campaign_events as (

    select * from {{ ref('stg_dds__campaign_events') }}

),

cost_events as (

    select * from {{ ref('stg_dds__cost_events') }}

),

result_snapshots as (

    select * from {{ ref('stg_dds__result_snapshots') }}

),

sendgrid_events as (

    select * from {{ ref('stg_dds__sendgrid_events') }}

),

previous_refresh as (

    {%- if has_state %}
    select through_seq, refreshed_at, refreshed_on, fingerprint
    from {{ this.schema }}.state
    {%- else %}
    select
        cast(-1 as bigint) as through_seq,
        cast(null as timestamp) as refreshed_at,
        cast(null as date) as refreshed_on,
        cast(null as {{ dbt.type_string() }}) as fingerprint
    {%- endif %}

),

written_since as (

    select campaign_id, 'campaign_events' as reason from campaign_events
    where event_seq > (select max(previous_refresh.through_seq) from previous_refresh)

    union all

    select campaign_id, 'cost_events' as reason from cost_events
    where event_seq > (select max(previous_refresh.through_seq) from previous_refresh)

    union all

    select campaign_id, 'result_snapshots' as reason from result_snapshots
    where event_seq > (select max(previous_refresh.through_seq) from previous_refresh)

    union all

    select campaign_id, 'sendgrid_events' as reason from sendgrid_events
    where event_seq > (select max(previous_refresh.through_seq) from previous_refresh)

),

-- "today" moved (pacing, run-out dates and credit pools of every campaign are as of a new
-- day), the campaigns were computed with other vars, seeds or models, or there was no
-- refresh yet: every campaign
every_campaign as (

    select campaign_id, 'every_campaign' as reason from campaign_events
    where
        event_type = 'deployed'
        and coalesce(
            (select max(previous_refresh.refreshed_on) from previous_refresh)
            < {{ dds_as_of_date() }}
            or (select max(previous_refresh.fingerprint) from previous_refresh)
            <> '{{ dds_refresh_fingerprint() }}',
            true
        )

),

-- a resume starts a cooldown of dds_cooldown_hours; when it ends, an automatic rule may
-- act again without any new event
cooldown_ended as (

    select campaign_id, 'cooldown_ended' as reason from campaign_events
    where
        event_type = 'started'
        and {{ dbt.dateadd('hour', var('dds_cooldown_hours') | int, 'occurred_at') }}
            > (select max(previous_refresh.refreshed_at) from previous_refresh)
        and {{ dbt.dateadd('hour', var('dds_cooldown_hours') | int, 'occurred_at') }}
            <= {{ dds_as_of_timestamp() }}

),

final as (

    select distinct campaign_id, reason
    from (
        select campaign_id, reason from written_since
        union all
        select campaign_id, reason from every_campaign
        union all
        select campaign_id, reason from cooldown_ended
    ) as scoped
    where campaign_id is not null

)

select * from final
