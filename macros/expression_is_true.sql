{#- Generic test: every row satisfies the expression (as dbt_utils' test, written here because
    the package hub is unreachable from our machines). As there, a row where the expression
    is null passes; pair it with not_null where null is wrong. -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not ({{ column_name ~ ' ' if column_name }}{{ expression }})
{% endtest %}
