-- One row per campaign and variant other than its control: the variant against the
-- control on one metric (var('dds_variant_metric'), reply rate by default), with an
-- always-valid test (mSPRT, macros/dds_always_valid.sql) whose false-positive rate holds
-- however often it is read, and a verdict in plain words. No verdict before each arm has
-- var('dds_variant_min_sample') trials.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

{%- set metrics = {
    'reply_rate': ('emails_replied', 'emails_sent', 'higher'),
    'human_open_rate': ('emails_human_opened', 'emails_sent', 'higher'),
    'click_rate': ('emails_clicked', 'emails_sent', 'higher'),
    'bounce_rate': ('emails_bounced', 'emails_sent', 'lower'),
    'unsubscribe_rate': ('unsubscribes', 'emails_delivered', 'lower'),
} %}
{%- set metric = var('dds_variant_metric') %}
{%- if metric not in metrics %}
    {{ exceptions.raise_compiler_error(
        "dds_variant_metric must be one of " ~ (metrics.keys() | join(', ')) ~ ", got "
        ~ metric) }}
{%- endif %}
{%- set successes, trials, better_when = metrics[metric] %}

with

outcomes as (

    select * from {{ ref('campaign_variant_outcomes') }}
    where {{ dds_in_refresh_scope() }}

),

arms as (

    select
        campaign_id,
        variant,
        is_control,
        coalesce({{ successes }}, 0) as successes,
        coalesce({{ trials }}, 0) as trials

    from outcomes

),

paired as (

    select
        variants.campaign_id,
        variants.variant,
        controls.variant as control_variant,
        controls.successes as control_successes,
        controls.trials as control_trials,
        variants.successes as variant_successes,
        variants.trials as variant_trials

    from arms as variants
    inner join arms as controls
        on variants.campaign_id = controls.campaign_id
        and controls.is_control
    where not variants.is_control

),

tested as (

    select
        *,
        {{ safe_divide('100.0 * control_successes', 'control_trials') }} as control_rate,
        {{ safe_divide('100.0 * variant_successes', 'variant_trials') }} as variant_rate,
        {{ dds_always_valid_bound('control_successes', 'control_trials',
                                  'variant_successes', 'variant_trials', 'lower') }}
            as difference_ci_lower,
        {{ dds_always_valid_bound('control_successes', 'control_trials',
                                  'variant_successes', 'variant_trials', 'upper') }}
            as difference_ci_upper,
        {{ dds_always_valid_p_value('control_successes', 'control_trials',
                                    'variant_successes', 'variant_trials') }}
            as p_value,
        control_trials >= {{ var('dds_variant_min_sample') }}
        and variant_trials >= {{ var('dds_variant_min_sample') }} as has_min_sample

    from paired

),

judged as (

    select
        *,
        variant_rate - control_rate as difference,
        case
            when not has_min_sample or difference_ci_lower is null then 'no difference yet'
            {%- if better_when == 'higher' %}
            when difference_ci_lower > 0 then 'winner'
            when difference_ci_upper < 0 then 'loser'
            {%- else %}
            when difference_ci_upper < 0 then 'winner'
            when difference_ci_lower > 0 then 'loser'
            {%- endif %}
            when difference_ci_lower >= -{{ var('dds_variant_min_effect') }}
                and difference_ci_upper <= {{ var('dds_variant_min_effect') }}
                then 'no detectable difference at this sample'
            else 'no difference yet'
        end as verdict

    from tested

),

final as (

    select
        campaign_id || '|' || variant as campaign_variant_id,
        campaign_id,
        variant,
        control_variant,
        '{{ metric }}' as metric,
        '{{ better_when }}' as better_when,
        control_successes,
        control_trials,
        variant_successes,
        variant_trials,
        control_rate,
        variant_rate,
        difference,
        difference_ci_lower,
        difference_ci_upper,
        p_value,
        cast({{ dds_always_valid_alpha() }} as {{ dds_type_double() }}) as alpha,
        has_min_sample,
        verdict

    from judged

)

select * from final
