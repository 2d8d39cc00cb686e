{#- A double-precision float type: DuckDB's `double`, Postgres' `double precision`. -#}
{% macro dds_type_double() -%}
    {{ return(adapter.dispatch('dds_type_double', 'dds')()) }}
{%- endmacro %}

{% macro default__dds_type_double() -%}
    double
{%- endmacro %}

{% macro postgres__dds_type_double() -%}
    double precision
{%- endmacro %}

{#- round() of a double: Postgres has round(numeric, int) only. -#}
{% macro dds_round_double(expression, digits) -%}
    {{ return(adapter.dispatch('dds_round_double', 'dds')(expression, digits)) }}
{%- endmacro %}

{% macro default__dds_round_double(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro postgres__dds_round_double(expression, digits) -%}
    cast(round(cast({{ expression }} as numeric), {{ digits }}) as double precision)
{%- endmacro %}
