{#- Reconciliation: totals of one relation equal totals of another, per group or overall.
    Returns the groups whose totals differ, with both sides' values (no rows = reconciled).

    measures: {name: aggregate SQL over `model`}, e.g. {cost_usd: 'sum(cost_usd)'}
    compare_measures: {name: aggregate SQL over `compare_model`}, same names (default: measures)
    group_by: list of key expressions over `model` (none: one total for the whole relation)
    compare_group_by: the same keys over `compare_model`, in order (default: group_by)
    where / compare_where: filters on either side.

    A group on one side only compares with 0, so a campaign missing from a mart shows up.
    Totals compare exactly (decimals): money must reconcile to the micro-dollar. Portable:
    a full outer join (or a cross join of two one-row totals) and coalesce. -#}
{% macro dds_reconciliation(model, compare_model, measures, compare_measures=none, group_by=none,
                            compare_group_by=none, where=none, compare_where=none) -%}
    {%- set compare_measures = compare_measures or measures -%}
    {%- set group_by = group_by or [] -%}
    {%- set compare_group_by = compare_group_by or group_by -%}
    {%- if compare_measures.keys() | list | sort != measures.keys() | list | sort -%}
        {{ exceptions.raise_compiler_error(
            'dds_reconciliation: measures and compare_measures must have the same names') }}
    {%- endif -%}
    {%- if compare_group_by | length != group_by | length -%}
        {{ exceptions.raise_compiler_error(
            'dds_reconciliation: group_by and compare_group_by must have the same length') }}
    {%- endif %}
with

model_totals as (

    select
        {%- for key in group_by %}
        {{ key }} as group_key_{{ loop.index }},
        {%- endfor %}
        {%- for name, expression in measures.items() %}
        {{ expression }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    {%- if group_by %}
    group by {{ group_by | join(', ') }}
    {%- endif %}

),

compare_totals as (

    select
        {%- for key in compare_group_by %}
        {{ key }} as group_key_{{ loop.index }},
        {%- endfor %}
        {%- for name, expression in compare_measures.items() %}
        {{ expression }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ compare_model }}
    {%- if compare_where %}
    where {{ compare_where }}
    {%- endif %}
    {%- if compare_group_by %}
    group by {{ compare_group_by | join(', ') }}
    {%- endif %}

),

compared as (

    select
        {%- for key in group_by %}
        coalesce(model_totals.group_key_{{ loop.index }}, compare_totals.group_key_{{ loop.index }})
            as group_key_{{ loop.index }},
        {%- endfor %}
        {%- for name in measures %}
        model_totals.{{ name }} as model_{{ name }},
        compare_totals.{{ name }} as compare_{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from model_totals
    {%- if group_by %}
    full outer join compare_totals
        on {% for key in group_by -%}
            model_totals.group_key_{{ loop.index }} = compare_totals.group_key_{{ loop.index }}
            {{- ' and ' if not loop.last }}
        {%- endfor %}
    {%- else %}
    cross join compare_totals
    {%- endif %}

)

select *
from compared
where
    {%- for name in measures %}
    coalesce(model_{{ name }}, 0) <> coalesce(compare_{{ name }}, 0){{ ' or' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Generic test form: attach to a model in YAML.
    - reconciles_with:
        arguments:
          compare_model: ref('campaign_metrics')
          group_by: [campaign_id]
          measures: {cost_usd: sum(cost_as_priced_usd)}
          compare_measures: {cost_usd: sum(cost_usd)} -#}
{% test reconciles_with(model, compare_model, measures, compare_measures=none, group_by=none,
                        compare_group_by=none, where=none, compare_where=none) %}
    {{ dds_reconciliation(model, compare_model, measures, compare_measures, group_by,
                          compare_group_by, where, compare_where) }}
{% endtest %}
