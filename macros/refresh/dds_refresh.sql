{#- Keeping the campaign-grain tables current (README, "How fresh the marts are").

    On DuckDB and Postgres the models the facade reads are incremental tables. A refresh
    (dbt's own incremental run, or the facade before a read, running the SQL dbt compiled
    for the same models) recomputes only:
    - campaign-scoped models: the campaigns in refresh_scope (raw events since
      the last refresh, every campaign on a new UTC day, cooldowns that ended), whose rows
      are deleted and inserted again (strategy dds_campaign_scope);
    - fold-in models: running totals that add only the raw events newer than the highest
      event_seq already folded into the table (strategy delete+insert on their key).
    Elsewhere (Spark) they are plain tables rebuilt by every run. -#}

{% macro dds_refreshed_materialization() -%}
    {{ return('incremental' if target.type in ('duckdb', 'postgres') else 'table') }}
{%- endmacro %}


{#- The incremental branch's filter of a campaign-scoped model: only the campaigns to
    refresh, to save work (the strategy restricts the output to them either way). A full
    build reads every campaign. -#}
{% macro dds_in_refresh_scope(column='campaign_id') -%}
    {%- if is_incremental() -%}
        {{ column }} in (select campaign_id from {{ ref('refresh_scope') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- The incremental branch's filter of a fold-in model: raw events newer than any already
    folded into this table (its rows keep the highest event_seq they include). -#}
{% macro dds_newer_than_folded(seq_column='event_seq') -%}
    {%- if is_incremental() -%}
        {{ seq_column }} > (select coalesce(max(last_event_seq), -1) from {{ dds_this() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- The highest seq written to the raw event tables: one sequence numbers them all, in the
    order they were written (ingest/warehouse/schema.py), so everything up to it has been seen. -#}
{% macro dds_raw_high_water_seq() -%}
    greatest(
        {%- for table in [
            'campaign_events', 'cost_events', 'result_snapshots', 'sendgrid_events'
        ] %}
        coalesce((select max(seq) from {{ source('dds', table) }}), -1){{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}


{#- Custom incremental strategy (sqlmesh's INCREMENTAL_BY_PARTITION, the campaign being the
    partition): replace every row of the campaigns in scope, including those whose rows
    vanish (a flag that no longer fires), and insert only rows of campaigns in scope, so the
    strategy itself keeps the output to the scope: a model's own dds_in_refresh_scope()
    filters only save work, and a model without one cannot insert a campaign twice. The
    facade applies the same two statements (dds_api/current_marts/refresh.py). -#}
{% macro get_incremental_dds_campaign_scope_sql(arg_dict) -%}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set temp_relation = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target_relation }}
    where campaign_id in (select campaign_id from {{ ref('refresh_scope') }});
    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }} from {{ temp_relation }}
    where campaign_id in (select campaign_id from {{ ref('refresh_scope') }});
{%- endmacro %}


{#- The model's own table, without the catalog (see relations_without_catalog.sql). -#}
{% macro dds_this() -%}
    {#- in a unit test, `this` is the fixture's name (a string) -#}
    {%- if this is string or target.type not in ('duckdb', 'postgres') -%}
        {{ return(this) }}
    {%- endif -%}
    {{ return(this.include(database=false)) }}
{%- endmacro %}


{#- What the campaign-scoped tables were computed with: vars given on the command line and
    every model's and seed's checksum. A refresh under another fingerprint (a `dbt build
    --vars ...` by hand, an edited seed, the facade's refresh after either) recomputes every
    campaign, so an override applies everywhere and is undone everywhere. -#}
{% macro dds_refresh_fingerprint() -%}
    {%- set parts = [tojson(invocation_args_dict.get('vars') or {})] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
            {%- if node.resource_type in ('seed', 'model') -%}
                {%- do parts.append(node.unique_id ~ ':' ~ node.checksum.checksum) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(local_md5(parts | join('|'))) }}
{%- endmacro %}


{#- The fold-in skeleton of a running total, as CTEs: `folded` is the rows computed from the
    new events (the CTE `new_rows`) plus, on an incremental run, the stored rows those events
    add to (`join_on` matches a stored row, aliased `stored`, to a new one), each stored row
    given as `stored_columns` (expressions in the order of `new_rows`' columns). The model
    then re-aggregates `folded` by its key; the first build has no stored rows. Call it where
    a CTE may stand, after `new_rows`; it ends with a comma. -#}
{% macro dds_fold_in(new_rows, stored_columns, join_on) -%}
{%- if is_incremental() %}
-- the stored rows that the new events add to
stored_rows as (

    select
        {{ stored_columns | join(',\n        ') }}
    from {{ dds_this() }} as stored
    inner join {{ new_rows }}
        on {{ join_on }}

),
{% endif %}
folded as (

    select * from {{ new_rows }}
    {%- if is_incremental() %}
    union all
    select * from stored_rows
    {%- endif %}

),
{%- endmacro %}
