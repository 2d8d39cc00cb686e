-- Question: which campaigns should we scale up? Those the scale_up rule flags (ROI, cost per
-- lead and qualification all beyond the dds_scale_up_* thresholds), with their rank among
-- peers and the budget they have left, best ROI first. A campaign that would also run out of
-- budget before its planned end needs a budget decision first (needs_budget_review).

with

flags as (

    select * from {{ ref('campaign_optimization_flags') }}

),

metrics as (

    select * from {{ ref('campaign_metrics') }}

),

rankings as (

    select * from {{ ref('campaign_rankings') }}

),

pacing as (

    select * from {{ ref('campaign_budget_pacing') }}

),

scale_up_flags as (

    select campaign_id
    from flags
    where rule_id = 'scale_up'

),

final as (

    select
        metrics.campaign_id,
        metrics.campaign_name,
        metrics.vertical,
        metrics.location,
        metrics.status,
        metrics.roi,
        metrics.cost_per_lead,
        metrics.cost_per_qualified_lead,
        metrics.qualification_rate,
        metrics.revenue_usd,
        metrics.cost_usd,
        rankings.roi_rank_in_vertical,
        rankings.vertical_peer_count,
        rankings.roi_rank_in_location,
        rankings.location_peer_count,
        pacing.budget_remaining_usd,
        pacing.burn_rate_usd_per_day,
        pacing.will_exceed_budget_before_end as needs_budget_review

    from scale_up_flags
    inner join metrics on scale_up_flags.campaign_id = metrics.campaign_id
    inner join rankings on scale_up_flags.campaign_id = rankings.campaign_id
    left join pacing on scale_up_flags.campaign_id = pacing.campaign_id

)

select * from final
order by roi desc
