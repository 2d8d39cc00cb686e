{#- Generic test: a model's row-level checks in one query, one dbt node instead of one per
    check (each costs a build about 0.1 s of dbt's own work; DECISIONS.md, "Row checks, one
    node per model"). The same checks as dbt's not_null and accepted_values and our
    expression_is_true, each a branch of a union: a failing row comes back whole, beside
    `failed_check`, which names the check it fails (the column and the condition), so a
    failure still says which column and which rows. As in those tests, a row where an
    expression or an accepted column is null passes; not_null is what catches a null.

    not_null: columns; expressions: conditions every row satisfies; accepted_values: a list
    of {column, values, quote (default true)}. -#}
{% test row_checks(model, not_null=[], expressions=[], accepted_values=[]) %}
    {%- set checks = [] -%}
    {%- for column in not_null -%}
        {%- do checks.append((column ~ ' is not null', column ~ ' is null')) -%}
    {%- endfor -%}
    {%- for expression in expressions -%}
        {%- do checks.append((expression, 'not (' ~ expression ~ ')')) -%}
    {%- endfor -%}
    {%- for accepted in accepted_values -%}
        {%- set quoted = [] -%}
        {%- for value in accepted['values'] -%}
            {%- if accepted.get('quote', true) -%}
                {%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
            {%- else -%}
                {%- do quoted.append(value | string) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set listed = '(' ~ (quoted | join(', ')) ~ ')' -%}
        {%- do checks.append(
            (accepted['column'] ~ ' in ' ~ listed, accepted['column'] ~ ' not in ' ~ listed)
        ) -%}
    {%- endfor -%}
    {%- for label, failing in checks %}
        select
            '{{ label | replace("'", "''") | replace("\n", " ") }}' as failed_check,
            checked.*
        from {{ model }} as checked
        where {{ failing }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{% endtest %}
