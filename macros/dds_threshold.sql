{#- A threshold var as an exact decimal, so that rules compare exact values. -#}
{% macro dds_threshold(name) -%}
    cast({{ var(name) }} as {{ dds_money_type() }})
{%- endmacro %}

{#- A boolean var that may arrive as a YAML boolean or as a string from --vars. -#}
{% macro dds_flag(name) -%}
    {{ 'true' if (var(name) | string | lower) in ['true', '1', 'yes', 'on'] else 'false' }}
{%- endmacro %}
