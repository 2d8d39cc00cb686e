{#- dbt's unit test materialization on Postgres, with two differences from dbt's own
    (dbt/include/global_project/macros/materializations/tests/unit.sql), both about Postgres
    rather than about our models:
    - the scratch table is named from the unit test's name cut to fit Postgres' 63 characters
      (dbt's builds a relation of the full name first, and Postgres refuses it);
    - numeric columns are compared without trailing zeros (trim_scale): Postgres' numeric
      carries the scale of the computation (0.5 × 2.40 is 1.200), and dbt compares the two
      sides as text, so an expected 1.2 would differ from the 1.200 it equals. -#}
{%- materialization unit, adapter='postgres' -%}

    {%- set relations = [] -%}
    {%- set sql_header = none -%}
    {%- if flags.REQUIRE_SQL_HEADER_IN_TEST_CONFIGS -%}
        {%- set sql_header = config.get('sql_header') -%}
    {%- endif -%}

    {%- set expected_rows = config.get('expected_rows') -%}
    {%- set expected_sql = config.get('expected_sql') -%}
    {%- if expected_rows | length > 0 -%}
        {%- set tested_expected_column_names = expected_rows[0].keys() -%}
    {%- else -%}
        {%- set tested_expected_column_names = get_columns_in_query(sql) -%}
    {%- endif -%}

    {%- set temp_relation = make_temp_relation(this).incorporate(type='table') -%}
    {%- do run_query(
        get_create_table_as_sql(True, temp_relation, get_empty_subquery_sql(sql))
    ) -%}
    {%- set column_name_to_data_types = {} -%}
    {%- set column_name_to_quoted = {} -%}
    {%- for column in adapter.get_columns_in_relation(temp_relation) -%}
        {%- do column_name_to_data_types.update({column.name | lower: column.data_type}) -%}
        {%- do column_name_to_quoted.update({column.name | lower: column.quoted}) -%}
    {%- endfor -%}

    {%- set compared_columns = [] -%}
    {%- for column_name in tested_expected_column_names -%}
        {%- set quoted = column_name_to_quoted[column_name | lower] -%}
        {%- if column_name_to_data_types[column_name | lower].startswith('numeric') -%}
            {%- do compared_columns.append('trim_scale(' ~ quoted ~ ') as ' ~ quoted) -%}
        {%- else -%}
            {%- do compared_columns.append(quoted) -%}
        {%- endif -%}
    {%- endfor -%}

    {%- if not expected_sql -%}
        {%- set expected_sql = get_expected_sql(
            expected_rows, column_name_to_data_types, column_name_to_quoted
        ) -%}
    {%- endif -%}

    {% call statement('main', fetch_result=True) -%}
        {% if sql_header %}{{ sql_header }}{% endif %}
        {{ get_unit_test_sql(sql, expected_sql, compared_columns) }}
    {%- endcall %}

    {%- do adapter.drop_relation(temp_relation) -%}

    {{ return({'relations': relations}) }}

{%- endmaterialization -%}
