-- Optimization flags of the leads family: what each lead costs and how many qualify (rules
-- high_cost_per_lead, low_qualification_rate). One row per campaign and fired rule, with
-- the value and threshold it was judged on (macros/dds_optimization_flags.sql). Rules
-- compare exact values: each ratio test is cross-multiplied (cost > 20 x leads rather
-- than cost / leads > 20), and a rule whose denominator is zero is not evaluated.

{{ dds_optimization_flags_head() }}

checks as (

    select
        campaign_id,

        leads_found > 0
        and cost_usd > {{ dds_threshold('dds_cost_per_lead_threshold') }} * leads_found
            as fires_high_cost_per_lead,
        -- 12 places rather than the 6 of campaign_metrics, so that a flag that fired does
        -- not show a value equal to its threshold (60.000001 over 3 leads)
        {{ dds_round_double(
            safe_divide('cost_usd', 'leads_found'), 12
        ) }} as value_high_cost_per_lead,
        {{ dds_threshold('dds_cost_per_lead_threshold') }} as threshold_high_cost_per_lead,

        leads_found > 0
        and 100 * leads_qualified
            < {{ dds_threshold('dds_qualification_rate_threshold') }} * leads_found
            as fires_low_qualification_rate,
        qualification_rate as value_low_qualification_rate,
        {{ dds_threshold('dds_qualification_rate_threshold') }}
            as threshold_low_qualification_rate,

        -- the proportion behind the rate rule: successes out of trials
        leads_found as trials_leads,
        leads_qualified as successes_qualified

    from metrics

),

{{ dds_optimization_flags_from_checks('leads', rate_rules={
    'low_qualification_rate': ('successes_qualified', 'trials_leads', 'below'),
}) }}
