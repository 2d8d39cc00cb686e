-- One row: how far the campaign-grain tables have been brought. Built after every model
-- that refresh_scope scopes (the depends_on lines below), so a run that fails
-- half-way leaves the previous state and the next run recomputes the same campaigns.
{{ config(materialized="table", alias="state") }}
-- depends_on: {{ ref('refresh_scope') }}
-- depends_on: {{ ref('campaign_optimization') }}
-- depends_on: {{ ref('campaign_cost_breakdown') }}
-- depends_on: {{ ref('cost_estimate_rates') }}

select
    cast({{ dds_raw_high_water_seq() }} as bigint) as through_seq,
    {{ dds_as_of_timestamp() }} as refreshed_at,
    {{ dds_as_of_date() }} as refreshed_on,
    '{{ dds_refresh_fingerprint() }}' as fingerprint
