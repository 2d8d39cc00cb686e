{#- The last non-null value of `expression` over the named `window` (rows up to the current
    one): {{ dds_last_value_ignore_nulls('leads_found', 'campaign_so_far') }}.
    Dispatched because the standard puts IGNORE NULLS after the call, which DuckDB does not
    parse (it takes it inside the parentheses), Spark spells it as a second argument, and
    Postgres has no IGNORE NULLS at all: there, the window's non-null values as an array,
    indexed by how many there are. -#}
{% macro dds_last_value_ignore_nulls(expression, window) -%}
    {{ return(adapter.dispatch('dds_last_value_ignore_nulls')(expression, window)) }}
{%- endmacro %}

{% macro default__dds_last_value_ignore_nulls(expression, window) -%}
    last_value({{ expression }}) ignore nulls over {{ window }}
{%- endmacro %}

{% macro duckdb__dds_last_value_ignore_nulls(expression, window) -%}
    last_value({{ expression }} ignore nulls) over {{ window }}
{%- endmacro %}

{% macro spark__dds_last_value_ignore_nulls(expression, window) -%}
    last_value({{ expression }}, true) over {{ window }}
{%- endmacro %}

{% macro postgres__dds_last_value_ignore_nulls(expression, window) -%}
    (array_agg({{ expression }}) filter (where {{ expression }} is not null) over {{ window }})[
        count({{ expression }}) over {{ window }}
    ]
{%- endmacro %}
