{#- Generic test: no two rows share the values of these columns (a composite key), as
    dbt_utils' test of the same name (no dbt packages here). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as row_count
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
