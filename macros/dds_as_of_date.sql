{#- "Today" for time-dependent models (budget pacing), as a SQL date expression: the var
    dds_as_of_date when set (unit tests pin it: overrides: {vars: {dds_as_of_date: ...}}),
    otherwise the current UTC date. Dispatched: DuckDB's current_date follows the session
    time zone, so it takes the date of the current timestamp in UTC. -#}
{% macro dds_as_of_date() -%}
    {%- set as_of = var('dds_as_of_date', none) -%}
    {%- if as_of is not none and (as_of | string | trim) not in ['', 'none', 'None', 'null'] -%}
        {{ return("cast('" ~ as_of ~ "' as date)") }}
    {%- else -%}
        {{ return(adapter.dispatch('dds_current_utc_date')()) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__dds_current_utc_date() -%}
    cast(timezone('UTC', current_timestamp) as date)
{%- endmacro %}

{% macro default__dds_current_utc_date() -%}
    current_date
{%- endmacro %}

{#- "Now" for time-dependent rules (the cooldown after a resume), as a SQL timestamp in UTC:
    the var dds_as_of_timestamp when set (unit tests pin it), otherwise the current time. -#}
{% macro dds_as_of_timestamp() -%}
    {%- set as_of = var('dds_as_of_timestamp', none) -%}
    {%- if as_of is not none and (as_of | string | trim) not in ['', 'none', 'None', 'null'] -%}
        {{ return("cast('" ~ as_of ~ "' as timestamp)") }}
    {%- else -%}
        {{ return(adapter.dispatch('dds_current_utc_timestamp')()) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__dds_current_utc_timestamp() -%}
    cast(timezone('UTC', current_timestamp) as timestamp)
{%- endmacro %}

{% macro default__dds_current_utc_timestamp() -%}
    cast(current_timestamp as timestamp)
{%- endmacro %}
