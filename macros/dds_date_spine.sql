{#- Expands each row of `relation` (a ref or a CTE name) into one row per day from its
    `start_date_column` to its `end_date_column`, both included, keeping the row's columns
    and adding `day_on` (a date). Dispatched so that models stay portable: DuckDB and
    Postgres use generate_series (Postgres' over timestamps, with a quoted interval), any
    other adapter (Spark) sequence + explode. A row whose end is before
    its start yields no day. -#}
{% macro dds_date_spine(relation, start_date_column, end_date_column) -%}
    {{ return(adapter.dispatch('dds_date_spine')(relation, start_date_column, end_date_column)) }}
{%- endmacro %}

{% macro duckdb__dds_date_spine(relation, start_date_column, end_date_column) -%}
    select
        spine_bounds.*,
        cast(unnest(generate_series(
            cast(spine_bounds.{{ start_date_column }} as date),
            cast(spine_bounds.{{ end_date_column }} as date),
            interval 1 day
        )) as date) as day_on
    from {{ relation }} as spine_bounds
{%- endmacro %}

{% macro postgres__dds_date_spine(relation, start_date_column, end_date_column) -%}
    select
        spine_bounds.*,
        cast(generate_series(
            cast(spine_bounds.{{ start_date_column }} as timestamp),
            cast(spine_bounds.{{ end_date_column }} as timestamp),
            interval '1 day'
        ) as date) as day_on
    from {{ relation }} as spine_bounds
{%- endmacro %}

{% macro default__dds_date_spine(relation, start_date_column, end_date_column) -%}
    select
        spine_bounds.*,
        explode(sequence(
            cast(spine_bounds.{{ start_date_column }} as date),
            cast(spine_bounds.{{ end_date_column }} as date),
            interval 1 day
        )) as day_on
    from {{ relation }} as spine_bounds
    where spine_bounds.{{ start_date_column }} <= spine_bounds.{{ end_date_column }}
{%- endmacro %}
