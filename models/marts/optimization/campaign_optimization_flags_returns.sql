-- Optimization flags of the returns family: revenue against spend (rules negative_roi,
-- low_roi, scale_up). One row per campaign and fired rule, with the value and threshold it
-- was judged on (macros/dds_optimization_flags.sql). Rules compare exact values, cross-
-- multiplied, and a rule whose denominator is zero is not evaluated.

{{ dds_optimization_flags_head() }}

checks as (

    select
        campaign_id,

        cost_usd > 0
        and cost_usd >= {{ dds_threshold('dds_negative_roi_min_spend') }}
        and (not {{ dds_flag('dds_negative_roi_requires_outreach') }} or emails_sent > 0)
        and revenue_usd < cost_usd
            as fires_negative_roi,
        roi as value_negative_roi,
        0 as threshold_negative_roi,

        cost_usd > 0
        and revenue_usd >= cost_usd
        and 100 * (revenue_usd - cost_usd)
            < {{ dds_threshold('dds_low_roi_threshold') }} * cost_usd
            as fires_low_roi,
        roi as value_low_roi,
        {{ dds_threshold('dds_low_roi_threshold') }} as threshold_low_roi,

        cost_usd > 0
        and leads_found > 0
        and 100 * (revenue_usd - cost_usd)
            > {{ dds_threshold('dds_scale_up_roi_threshold') }} * cost_usd
        and cost_usd
            < {{ dds_threshold('dds_scale_up_cost_per_lead_threshold') }} * leads_found
        and 100 * leads_qualified
            > {{ dds_threshold('dds_scale_up_qualification_rate_threshold') }} * leads_found
            as fires_scale_up,
        roi as value_scale_up,
        {{ dds_threshold('dds_scale_up_roi_threshold') }} as threshold_scale_up

    from metrics

),

{{ dds_optimization_flags_from_checks('returns') }}
