{#- The one type of money (and of amounts of the same scale, such as units) in the models:
    DECIMAL(38, 6). Raw stores each figure as DECIMAL(18, 6), bounded by its declaration
    (ingest/warehouse/tables.py), but anything computed from them is held here: a sum of
    bounded events fits until about 10^25 events, and a product with a threshold (also this
    type, macros/dds_threshold.sql) is typed DECIMAL(38, 12), which holds 10^26. DuckDB types
    the product of two DECIMAL(18, 6) values as DECIMAL(18, 12), which overflows at 10^6
    (100 × $10,000): never multiply money in a narrower type (DECISIONS.md, "Bounds"). -#}
{% macro dds_money_type() -%}
    decimal(38, 6)
{%- endmacro %}
