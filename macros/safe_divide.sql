{#- numerator / denominator, or null when the denominator is zero or null: an undefined
    ratio is null in the marts (the facade shows it as 0.0). -#}
{% macro safe_divide(numerator, denominator) -%}
    case when {{ denominator }} is null or {{ denominator }} = 0 then null
         else {{ numerator }} / {{ denominator }} end
{%- endmacro %}
