{#- A JSON object text from key -> SQL expression pairs (a dict, in order):
    dds_json_object({'source': "'dds'", 'campaign_id': 'campaigns.campaign_id'}).
    Dispatched because every engine spells it differently: DuckDB json_object, Postgres
    json_build_object (its json_object takes arrays), Spark to_json of a named_struct. Null values are kept as null (Spark drops them unless
    told not to). On DuckDB a JSON column nests as an object; on Spark, where JSON is
    stored as text, it nests as a string. -#}
{% macro dds_json_object(pairs) -%}
    {{ return(adapter.dispatch('dds_json_object')(pairs)) }}
{%- endmacro %}

{% macro default__dds_json_object(pairs) -%}
    json_object(
        {%- for key, expression in pairs.items() %}
        '{{ key }}', {{ expression }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro spark__dds_json_object(pairs) -%}
    to_json(
        named_struct(
            {%- for key, expression in pairs.items() %}
            '{{ key }}', {{ expression }}{{ ',' if not loop.last }}
            {%- endfor %}
        ),
        map('ignoreNullFields', 'false')
    )
{%- endmacro %}

{% macro postgres__dds_json_object(pairs) -%}
    json_build_object(
        {%- for key, expression in pairs.items() %}
        '{{ key }}', {{ expression }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
