{#- Generated from ingest/warehouse/tables.py (TOKEN_PRICE_UNITS); do not edit.
    Regenerate with: python -m ingest.warehouse.tables
    Price-list unit -> the usage column of a cost event it prices; any other unit
    (search, email, ...) prices `units`. macros/dds_usage_pricing.sql reads it. -#}
{% macro dds_token_units() -%}
    {%- do return({
        'input_token': 'input_tokens',
        'output_token': 'output_tokens',
        'cache_write_token': 'cache_creation_input_tokens',
        'cache_read_token': 'cache_read_input_tokens',
    }) -%}
{%- endmacro %}
