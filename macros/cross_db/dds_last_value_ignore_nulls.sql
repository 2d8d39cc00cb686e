{#- The last non-null value of `expression` in the window that follows the call:
    {{ dds_last_value_ignore_nulls('leads_found') }} over campaign_so_far.
    Dispatched because the standard puts IGNORE NULLS after the call, which DuckDB does not
    parse (it takes it inside the parentheses), and Spark spells it as a second argument. -#}
{% macro dds_last_value_ignore_nulls(expression) -%}
    {{ return(adapter.dispatch('dds_last_value_ignore_nulls')(expression)) }}
{%- endmacro %}

{% macro default__dds_last_value_ignore_nulls(expression) -%}
    last_value({{ expression }}) ignore nulls
{%- endmacro %}

{% macro duckdb__dds_last_value_ignore_nulls(expression) -%}
    last_value({{ expression }} ignore nulls)
{%- endmacro %}

{% macro spark__dds_last_value_ignore_nulls(expression) -%}
    last_value({{ expression }}, true)
{%- endmacro %}
