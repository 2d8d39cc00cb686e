-- One row per campaign and fired optimization rule: the union of the rule families'
-- models (campaign_optimization_flags_<family>, macros/dds_optimization_flags.sql), which
-- the facade, campaign_optimization and analysts read as one table.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

{% for family in dds_optimization_rule_families() -%}
select * from {{ ref('campaign_optimization_flags_' ~ family) }}  -- noqa: AM04
where {{ dds_in_refresh_scope() }}
{% if not loop.last %}
union all

{% endif -%}
{%- endfor %}
