{#- numerator / denominator, or null when the denominator is zero or null: an undefined
    ratio is null in the marts (the facade shows it as 0.0). A double, as DuckDB divides
    (macros/cross_db/dds_divide.sql). -#}
{% macro safe_divide(numerator, denominator) -%}
    case when {{ denominator }} is null or {{ denominator }} = 0 then null
         else {{ dds_divide(numerator, denominator) }} end
{%- endmacro %}
