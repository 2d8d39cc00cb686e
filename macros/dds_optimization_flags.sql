{#- The optimization rules, by family. Each family is one model,
    models/marts/optimization/campaign_optimization_flags_<family>.sql, that computes its
    rules' checks; campaign_optimization_flags is their union. A data test checks that the
    seed describes every rule. -#}
{% macro dds_optimization_rule_families() -%}
    {%- do return({
        'leads': ['high_cost_per_lead', 'low_qualification_rate'],
        'returns': ['negative_roi', 'low_roi', 'scale_up'],
        'outreach': [
            'low_outreach_success', 'high_bounce_rate', 'critical_bounce_rate',
            'high_spam_rate', 'critical_spam_rate', 'high_unsubscribe_rate',
        ],
        'budget': ['budget_exceeded', 'budget_pace', 'credit_pool_pace'],
    }) -%}
{%- endmacro %}


{% macro dds_optimization_rule_ids() -%}
    {%- set rule_ids = [] -%}
    {%- for family_rule_ids in dds_optimization_rule_families().values() -%}
        {%- do rule_ids.extend(family_rule_ids) -%}
    {%- endfor -%}
    {%- do return(rule_ids) -%}
{%- endmacro %}


{#- The head of a family model, before its `checks` CTE: its config (an incremental table
    kept current per campaign, macros/refresh/dds_refresh.sql), the refresh scope it
    depends on, and `with` the one import every family judges, the campaigns' metrics
    within the refresh scope. Called first in each
    models/marts/optimization/campaign_optimization_flags_<family>.sql; a family adds its
    own imports after it (budget: pacing). -#}
{% macro dds_optimization_flags_head() -%}
{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

with

metrics as (

    select * from {{ ref('campaign_metrics') }}
    where {{ dds_in_refresh_scope() }}

),
{%- endmacro %}


{#- The rest of a family model, after its `checks` CTE: one row per campaign and fired rule
    of the family, judged and decided the same way for every family. `checks` has, per
    rule, fires_<rule_id>, value_<rule_id> and threshold_<rule_id>; rate_rules maps each
    rate rule to (its successes column, its trials column, the side of the threshold a
    breach lies on), for its Wilson interval.

    A rate rule's row carries its sample (trials), a Wilson score interval at
    dds_confidence and whether the breach is significant (the whole interval on the wrong
    side of the threshold). Whether the facade acts on a flag by itself is decided here
    too: the rule's mode (seed, or dds_rule_modes), significance when
    dds_auto_act_only_on_significant is on, and the cooldown after an operator resumed a
    campaign the rule had paused. -#}
{% macro dds_optimization_flags_from_checks(family, rate_rules={}) -%}
{%- set rule_ids = dds_optimization_rule_families()[family] %}
{%- set all_rule_ids = dds_optimization_rule_ids() %}
{%- set rule_modes = var('dds_rule_modes', {}) or {} %}
{%- for rule_id, mode in rule_modes.items() %}
    {%- if rule_id not in all_rule_ids or mode not in ('notify', 'auto') %}
        {{ exceptions.raise_compiler_error(
            "dds_rule_modes maps rule ids (" ~ (all_rule_ids | join(', ')) ~ ") to 'notify' or "
            ~ "'auto'; got " ~ rule_id ~ ": " ~ mode) }}
    {%- endif %}
{%- endfor %}

-- each rule with its severity's rank (seed severity_levels, the one place severities are
-- ordered)
rules as (

    select
        optimization_rules.*,
        severity_levels.severity_rank

    from {{ ref('optimization_rules') }} as optimization_rules
    inner join {{ ref('severity_levels') }} as severity_levels
        on optimization_rules.severity = severity_levels.severity
    where optimization_rules.rule_id in ('{{ rule_ids | join("', '") }}')

),

auto_pauses as (

    select * from {{ ref('int_auto_pauses_resumed') }}
    where {{ dds_in_refresh_scope() }}

),

-- one pass over checks, crossed with the family's rules: a union of one select per rule
-- would make DuckDB plan the whole metrics stack once per rule for every query
evaluated as (

    select
        checks.campaign_id,
        rules.rule_id,
        rules.issue,
        rules.metric,
        rules.severity,
        rules.severity_rank,
        rules.action,
        rules.is_auto_action,
        rules.worse_when,
        rules.recommendation,
        rules.expected_impact,
        case rules.rule_id
            {%- for rule_id in rule_ids %}
            when '{{ rule_id }}' then fires_{{ rule_id }}
            {%- endfor %}
        end as is_fired,
        case rules.rule_id
            {%- for rule_id in rule_ids %}
            when '{{ rule_id }}' then cast(value_{{ rule_id }} as {{ dds_type_double() }})
            {%- endfor %}
        end as current_value,
        case rules.rule_id
            {%- for rule_id in rule_ids %}
            when '{{ rule_id }}' then cast(threshold_{{ rule_id }} as {{ dds_type_double() }})
            {%- endfor %}
        end as threshold_value,
        {%- if rate_rules %}
        case rules.rule_id
            {%- for rule_id, rate in rate_rules.items() %}
            when '{{ rule_id }}' then {{ rate[1] }}
            {%- endfor %}
        end as sample_size,
        case rules.rule_id
            {%- for rule_id, rate in rate_rules.items() %}
            when '{{ rule_id }}' then {{ rate[0] }}
            {%- endfor %}
        end as sample_successes,
        case rules.rule_id
            {%- for rule_id, rate in rate_rules.items() %}
            when '{{ rule_id }}' then '{{ rate[2] }}'
            {%- endfor %}
        end as breach_side
        {%- else %}
        -- no rate rule in this family: no sample, no interval
        cast(null as {{ dbt.type_bigint() }}) as sample_size,
        cast(null as {{ dbt.type_bigint() }}) as sample_successes,
        cast(null as {{ dbt.type_string() }}) as breach_side
        {%- endif %}

    from checks
    cross join rules

),

fired as (

    select * from evaluated where is_fired

),

with_interval as (

    select
        fired.*,
        {{ dds_wilson_bound('sample_successes', 'sample_size', 'lower') }} as ci_lower,
        {{ dds_wilson_bound('sample_successes', 'sample_size', 'upper') }} as ci_upper

    from fired

),

judged as (

    select
        with_interval.*,
        -- significant: the whole interval lies on the breaching side of the threshold
        case breach_side
            when 'above' then ci_lower >= threshold_value
            when 'below' then ci_upper < threshold_value
        end as is_significant,
        {%- if rule_modes %}
        case with_interval.rule_id
            {%- for rule_id, mode in rule_modes.items() %}
            when '{{ rule_id }}' then {{ 'true' if mode == 'auto' else 'false' }}
            {%- endfor %}
            else with_interval.is_auto_action
        end as is_auto_mode,
        {%- else %}
        with_interval.is_auto_action as is_auto_mode,
        {%- endif %}
        auto_pauses.paused_at_rule_value,
        auto_pauses.cooldown_ends_at,
        -- resumed by an operator less than dds_cooldown_hours ago, and the metric is not
        -- worse than when the rule paused the campaign
        coalesce(
            auto_pauses.resumed_at is not null
            and {{ dds_as_of_timestamp() }} < auto_pauses.cooldown_ends_at
            and not (
                (with_interval.worse_when = 'higher'
                    and with_interval.current_value > auto_pauses.paused_at_rule_value)
                or (with_interval.worse_when = 'lower'
                    and with_interval.current_value < auto_pauses.paused_at_rule_value)
            ),
            false
        ) as is_in_cooldown

    from with_interval
    left join auto_pauses
        on with_interval.campaign_id = auto_pauses.campaign_id
        and with_interval.rule_id = auto_pauses.rule_id

),

final as (

    select
        campaign_id || '|' || rule_id as flag_id,
        campaign_id,
        rule_id,
        issue,
        metric,
        current_value,
        threshold_value,
        severity,
        severity_rank,
        action,
        is_auto_mode as is_auto_action,
        worse_when,
        recommendation,
        expected_impact,
        sample_size,
        ci_lower,
        ci_upper,
        case when sample_size is not null then {{ dds_confidence() }} end as confidence,
        is_significant,
        paused_at_rule_value,
        case when is_in_cooldown then cooldown_ends_at end as cooldown_ends_at,
        is_in_cooldown,
        -- the facade takes the action itself (only PAUSE_CAMPAIGN can be taken)
        is_auto_mode
        and action = 'PAUSE_CAMPAIGN'
        and not is_in_cooldown
        {%- if dds_flag('dds_auto_act_only_on_significant') == 'true' %}
        and coalesce(is_significant, true)
        {%- endif %}
            as acts_automatically

    from judged

)

select * from final
{%- endmacro %}
