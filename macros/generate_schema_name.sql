{#- Use the folder's schema name as is (staging, intermediate, marts, reference), rather than
    dbt's default <target_schema>_<custom>, so that analysts query marts.campaign_metrics. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
