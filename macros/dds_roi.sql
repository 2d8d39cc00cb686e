{#- ROI in percent: (revenue − cost) / cost · 100, null when nothing was spent. Every layer
    that shows an ROI computes it here (MetricFlow's roi metric restates it, held equal by
    tests/models/test_analyst_paths.py). Rounded to 6 decimal places (a millionth of a
    percent): DuckDB divides decimals in double precision, so unrounded a campaign without
    revenue shows −100.00000000000001 for about a third of all costs. No rule compares it:
    the flags cross-multiply exact decimals. -#}
{% macro dds_roi(revenue, cost) -%}
    {{ dds_round_double(safe_divide('100.0 * (' ~ revenue ~ ' - ' ~ cost ~ ')', cost), 6) }}
{%- endmacro %}
