-- Optimization flags of the variants family: A/B tests with a verdict
-- (campaign_variant_comparisons, an always-valid test). shift_traffic_to_winner fires when a
-- variant beats the control, stop_losing_variant when one does worse; each carries the
-- difference (percentage points, variant − control, on dds_variant_metric) of the best
-- winner or the worst loser. One row per campaign and fired rule
-- (macros/dds_optimization_flags.sql); both notify, never act.

{{ dds_optimization_flags_head() }}

comparisons as (

    select * from {{ ref('campaign_variant_comparisons') }}
    where {{ dds_in_refresh_scope() }}

),

verdicts as (

    select
        campaign_id,
        max(case when verdict = 'winner' then 1 else 0 end) = 1 as has_winner,
        max(case when verdict = 'loser' then 1 else 0 end) = 1 as has_loser,
        -- the best winner and the worst loser, in the metric's better direction
        max(case when verdict = 'winner' then abs(difference) end) as winner_margin,
        max(case when verdict = 'loser' then abs(difference) end) as loser_margin,
        max(better_when) as better_when

    from comparisons
    group by campaign_id

),

checks as (

    select
        metrics.campaign_id,

        coalesce(verdicts.has_winner, false) as fires_shift_traffic_to_winner,
        case when verdicts.better_when = 'lower' then -verdicts.winner_margin
            else verdicts.winner_margin end as value_shift_traffic_to_winner,
        0 as threshold_shift_traffic_to_winner,

        coalesce(verdicts.has_loser, false) as fires_stop_losing_variant,
        case when verdicts.better_when = 'lower' then verdicts.loser_margin
            else -verdicts.loser_margin end as value_stop_losing_variant,
        0 as threshold_stop_losing_variant

    from metrics
    left join verdicts on metrics.campaign_id = verdicts.campaign_id

),

{{ dds_optimization_flags_from_checks('variants') }}
