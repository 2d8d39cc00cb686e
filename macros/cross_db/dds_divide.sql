{#- numerator / denominator as DuckDB divides: in double precision, whatever the operands'
    types (DuckDB's `/` gives a double for integers and decimals alike). Postgres divides
    integers as integers and decimals as decimals: there the numerator is cast to double
    precision first, so both engines compute the same double and type the column alike. -#}
{% macro dds_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('dds_divide')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__dds_divide(numerator, denominator) -%}
    {{ numerator }} / {{ denominator }}
{%- endmacro %}

{% macro postgres__dds_divide(numerator, denominator) -%}
    cast({{ numerator }} as double precision) / {{ denominator }}
{%- endmacro %}
