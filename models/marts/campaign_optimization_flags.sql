-- One row per campaign and fired optimization rule, with the value and threshold it was
-- judged on. Rules compare exact values: each ratio test is cross-multiplied (cost > 20 x
-- leads rather than cost / leads > 20), and a rule whose denominator is zero is not
-- evaluated (no "low reply rate" before any email was sent).

{%- set rule_ids = dds_optimization_rule_ids() %}

with

metrics as (

    select * from {{ ref('campaign_metrics') }}

),

pacing as (

    select * from {{ ref('campaign_budget_pacing') }}

),

rules as (

    select * from {{ ref('optimization_rules') }}

),

metrics_with_pacing as (

    select
        metrics.*,
        coalesce(pacing.will_exceed_budget_before_end, false)
            as will_exceed_budget_before_end,
        pacing.days_of_budget_left,
        pacing.days_until_planned_end

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
        {{ dds_threshold('dds_scale_up_roi_threshold') }} as threshold_scale_up

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
        end as threshold_value

    from checks
    cross join rules

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
        is_auto_action,
        recommendation,
        expected_impact

    from evaluated
    where is_fired

)

select * from final
