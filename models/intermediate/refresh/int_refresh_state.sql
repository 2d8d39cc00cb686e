-- One row: how far the campaign-grain tables have been brought. Built after every model
-- that int_campaigns_to_refresh scopes (the depends_on lines below), so a run that fails
-- half-way leaves the previous state and the next run recomputes the same campaigns.
{{ config(materialized="table") }}
-- depends_on: {{ ref('int_campaigns_to_refresh') }}
-- depends_on: {{ ref('campaign_optimization') }}
-- depends_on: {{ ref('campaign_cost_breakdown') }}
-- depends_on: {{ ref('cost_estimate_rates') }}

select
    cast({{ dds_raw_high_water_seq() }} as bigint) as through_seq,
    {{ dds_as_of_timestamp() }} as refreshed_at,
    {{ dds_as_of_date() }} as refreshed_on,
    '{{ dds_refresh_fingerprint() }}' as fingerprint
