-- One row per campaign and fired optimization rule, with the value and threshold it was
-- judged on. Rules compare exact values: each ratio test is cross-multiplied (cost > 20 x
-- leads rather than cost / leads > 20), and a rule whose denominator is zero is not
-- evaluated (no "low reply rate" before any email was sent).
--
-- A rate rule's row also carries its sample (trials), a Wilson score interval at
-- dds_confidence and whether the breach is significant (the whole interval on the wrong
-- side of the threshold). Whether the facade acts on a flag by itself is decided here too:
-- the rule's mode (seed, or dds_rule_modes), significance when
-- dds_auto_act_only_on_significant is on, and the cooldown after an operator resumed a
-- campaign the rule had paused.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('int_campaigns_to_refresh') }}

{%- set rule_ids = dds_optimization_rule_ids() %}
{#- rate rules: (successes, trials, the side of the threshold a breach lies on) #}
{%- set rate_rules = {
    'low_qualification_rate': ('successes_qualified', 'trials_leads', 'below'),
    'low_outreach_success': ('successes_replied', 'trials_sent', 'below'),
    'high_bounce_rate': ('successes_bounced', 'trials_sent', 'above'),
    'critical_bounce_rate': ('successes_bounced', 'trials_sent', 'above'),
    'high_spam_rate': ('successes_spam', 'trials_delivered', 'above'),
    'critical_spam_rate': ('successes_spam', 'trials_delivered', 'above'),
    'high_unsubscribe_rate': ('successes_unsubscribed', 'trials_delivered', 'above'),
} %}
{%- set min_sample = var('dds_min_sample_sent') | int %}
{%- set rule_modes = var('dds_rule_modes', {}) or {} %}
{%- for rule_id, mode in rule_modes.items() %}
    {%- if rule_id not in rule_ids or mode not in ('notify', 'auto') %}
        {{ exceptions.raise_compiler_error(
            "dds_rule_modes maps rule ids (" ~ (rule_ids | join(', ')) ~ ") to 'notify' or "
            ~ "'auto'; got " ~ rule_id ~ ": " ~ mode) }}
    {%- endif %}
{%- endfor %}

with

metrics as (

    select * from {{ ref('campaign_metrics') }}
    where {{ dds_in_refresh_scope() }}

),

pacing as (

    select * from {{ ref('campaign_budget_pacing') }}
    where {{ dds_in_refresh_scope() }}

),

rules as (

    select * from {{ ref('optimization_rules') }}

),

auto_pauses as (

    select * from {{ ref('int_auto_pauses_resumed') }}
    where {{ dds_in_refresh_scope() }}

),

metrics_with_pacing as (

    select
        metrics.*,
        coalesce(pacing.will_exceed_budget_before_end, false)
            as will_exceed_budget_before_end,
        pacing.days_of_budget_left,
        pacing.days_until_planned_end,
        coalesce(pacing.credit_pool_runs_out_before_end, false)
            as credit_pool_runs_out_before_end,
        {{ dbt.datediff('pacing.evaluated_on', 'pacing.credit_pool_runs_out_on', 'day') }}
            as days_of_credit_left

    from metrics
    left join pacing on metrics.campaign_id = pacing.campaign_id

),

checks as (

    select
        campaign_id,

        leads_found > 0
        and total_cost_usd > {{ dds_threshold('dds_cost_per_lead_threshold') }} * leads_found
            as fires_high_cost_per_lead,
        -- 12 places rather than the 6 of campaign_metrics, so that a flag that fired does
        -- not show a value equal to its threshold (60.000001 over 3 leads)
        round({{ safe_divide('total_cost_usd', 'leads_found') }}, 12) as value_high_cost_per_lead,
        {{ dds_threshold('dds_cost_per_lead_threshold') }} as threshold_high_cost_per_lead,

        leads_found > 0
        and 100 * leads_qualified
            < {{ dds_threshold('dds_qualification_rate_threshold') }} * leads_found
            as fires_low_qualification_rate,
        qualification_rate as value_low_qualification_rate,
        {{ dds_threshold('dds_qualification_rate_threshold') }}
            as threshold_low_qualification_rate,

        emails_sent > 0
        and 100 * emails_replied < {{ dds_threshold('dds_reply_rate_threshold') }} * emails_sent
            as fires_low_outreach_success,
        reply_rate as value_low_outreach_success,
        {{ dds_threshold('dds_reply_rate_threshold') }} as threshold_low_outreach_success,

        total_cost_usd > 0
        and total_cost_usd >= {{ dds_threshold('dds_negative_roi_min_spend') }}
        and (not {{ dds_flag('dds_negative_roi_requires_outreach') }} or emails_sent > 0)
        and revenue_usd < total_cost_usd
            as fires_negative_roi,
        roi as value_negative_roi,
        0 as threshold_negative_roi,

        total_cost_usd > 0
        and revenue_usd >= total_cost_usd
        and 100 * (revenue_usd - total_cost_usd)
            < {{ dds_threshold('dds_low_roi_threshold') }} * total_cost_usd
            as fires_low_roi,
        roi as value_low_roi,
        {{ dds_threshold('dds_low_roi_threshold') }} as threshold_low_roi,

        total_cost_usd > budget_usd as fires_budget_exceeded,
        total_cost_usd as value_budget_exceeded,
        budget_usd as threshold_budget_exceeded,

        -- the budget will run out before the planned end (campaign_budget_pacing); not once
        -- it is already exceeded, which budget_exceeded reports: one flag for one problem
        will_exceed_budget_before_end
        and not total_cost_usd > budget_usd
            as fires_budget_pace,
        days_of_budget_left as value_budget_pace,
        days_until_planned_end as threshold_budget_pace,

        -- a provider credit pool the campaign draws from runs out before its planned end
        -- (campaign_budget_pacing, from provider_credit_pool_pacing)
        credit_pool_runs_out_before_end as fires_credit_pool_pace,
        days_of_credit_left as value_credit_pool_pace,
        days_until_planned_end as threshold_credit_pool_pace,

        total_cost_usd > 0
        and leads_found > 0
        and 100 * (revenue_usd - total_cost_usd)
            > {{ dds_threshold('dds_scale_up_roi_threshold') }} * total_cost_usd
        and total_cost_usd
            < {{ dds_threshold('dds_scale_up_cost_per_lead_threshold') }} * leads_found
        and 100 * leads_qualified
            > {{ dds_threshold('dds_scale_up_qualification_rate_threshold') }} * leads_found
            as fires_scale_up,
        roi as value_scale_up,
        {{ dds_threshold('dds_scale_up_roi_threshold') }} as threshold_scale_up,

        -- deliverability, from SendGrid events (null without them, so not evaluated), and
        -- only once dds_min_sample_sent emails are out; high and critical never both fire
        emails_sent >= {{ min_sample }}
        and 100 * emails_bounced >= {{ dds_threshold('dds_bounce_rate_high_threshold') }} * emails_sent
        and 100 * emails_bounced
            < {{ dds_threshold('dds_bounce_rate_critical_threshold') }} * emails_sent
            as fires_high_bounce_rate,
        bounce_rate as value_high_bounce_rate,
        {{ dds_threshold('dds_bounce_rate_high_threshold') }} as threshold_high_bounce_rate,

        emails_sent >= {{ min_sample }}
        and 100 * emails_bounced
            >= {{ dds_threshold('dds_bounce_rate_critical_threshold') }} * emails_sent
            as fires_critical_bounce_rate,
        bounce_rate as value_critical_bounce_rate,
        {{ dds_threshold('dds_bounce_rate_critical_threshold') }}
            as threshold_critical_bounce_rate,

        emails_sent >= {{ min_sample }}
        and emails_delivered > 0
        and 100 * spam_reports
            >= {{ dds_threshold('dds_spam_rate_high_threshold') }} * emails_delivered
        and 100 * spam_reports
            < {{ dds_threshold('dds_spam_rate_critical_threshold') }} * emails_delivered
            as fires_high_spam_rate,
        spam_rate as value_high_spam_rate,
        {{ dds_threshold('dds_spam_rate_high_threshold') }} as threshold_high_spam_rate,

        emails_sent >= {{ min_sample }}
        and emails_delivered > 0
        and 100 * spam_reports
            >= {{ dds_threshold('dds_spam_rate_critical_threshold') }} * emails_delivered
            as fires_critical_spam_rate,
        spam_rate as value_critical_spam_rate,
        {{ dds_threshold('dds_spam_rate_critical_threshold') }} as threshold_critical_spam_rate,

        emails_sent >= {{ min_sample }}
        and emails_delivered > 0
        and 100 * unsubscribes
            >= {{ dds_threshold('dds_unsubscribe_rate_high_threshold') }} * emails_delivered
            as fires_high_unsubscribe_rate,
        unsubscribe_rate as value_high_unsubscribe_rate,
        {{ dds_threshold('dds_unsubscribe_rate_high_threshold') }}
            as threshold_high_unsubscribe_rate,

        -- the proportions behind the rate rules: successes out of trials
        leads_found as trials_leads,
        leads_qualified as successes_qualified,
        emails_sent as trials_sent,
        emails_replied as successes_replied,
        emails_bounced as successes_bounced,
        emails_delivered as trials_delivered,
        spam_reports as successes_spam,
        unsubscribes as successes_unsubscribed

    from metrics_with_pacing

),

-- one pass over checks, crossed with the rules seed: a union of one select per rule would
-- make DuckDB plan the whole metrics stack once per rule for every query
evaluated as (

    select
        checks.campaign_id,
        rules.rule_id,
        rules.issue,
        rules.metric,
        rules.severity,
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
            when '{{ rule_id }}' then cast(value_{{ rule_id }} as double)
            {%- endfor %}
        end as current_value,
        case rules.rule_id
            {%- for rule_id in rule_ids %}
            when '{{ rule_id }}' then cast(threshold_{{ rule_id }} as double)
            {%- endfor %}
        end as threshold_value,
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
        case severity
            when 'critical' then 4
            when 'high' then 3
            when 'medium' then 2
            else 1
        end as severity_rank,
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
