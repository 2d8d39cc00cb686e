{#- DuckDB names the catalog after the file (dds.duckdb -> dds), and dbt-duckdb would write
    that name into every view it creates: the views would break when the file is copied or
    renamed (a backup, a test fixture). References without the catalog resolve inside
    whichever file holds the view. On Postgres, where a query can only name its own
    database, the name would likewise break a renamed database or one copied from a
    template: it is left out there too. -#}
{% macro ref() -%}
    {%- set relation = builtins.ref(*varargs, **kwargs) -%}
    {%- if relation is string or target.type not in ('duckdb', 'postgres') -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- do return(relation.include(database=false)) -%}
{%- endmacro %}

{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {%- if target.type not in ('duckdb', 'postgres') -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- do return(relation.include(database=false)) -%}
{%- endmacro %}
