-- One row per deployed campaign: its configuration at deploy time and its lifecycle state.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

with

campaign_events as (

    select * from {{ ref('stg_dds__campaign_events') }}
    where {{ dds_in_refresh_scope() }}

),

lifecycle as (

    select * from {{ ref('int_campaign_events_aggregated_to_campaigns') }}
    where {{ dds_in_refresh_scope() }}

),

deployments as (

    select
        campaign_id,
        campaign_name,
        vertical,
        location,
        prospect_count,
        budget_usd,
        sender_name,
        sender_company,
        estimated_cost_usd,
        config

    from campaign_events
    where event_type = 'deployed'

),

final as (

    select
        deployments.campaign_id,
        deployments.campaign_name,
        deployments.vertical,
        deployments.location,
        deployments.prospect_count,
        deployments.budget_usd,
        deployments.sender_name,
        deployments.sender_company,
        deployments.estimated_cost_usd,
        deployments.config,
        lifecycle.status,
        lifecycle.status_reason,
        lifecycle.status_changed_at,
        lifecycle.status in ('active', 'paused') as is_optimizable,
        lifecycle.deployed_at,
        lifecycle.first_started_at,
        lifecycle.stopped_at,
        lifecycle.last_lifecycle_event_at

    from deployments
    inner join lifecycle on deployments.campaign_id = lifecycle.campaign_id

)

select * from final
