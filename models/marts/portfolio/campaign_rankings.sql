-- One row per campaign: its rank by ROI (highest first) and by cost per qualified lead
-- (lowest first) among the campaigns of its vertical and of its location. rank(): ties
-- share a rank and leave a gap; a campaign whose ratio is undefined (null) ranks last.

with

metrics as (

    select * from {{ ref('campaign_metrics') }}

),

final as (

    select
        campaign_id,
        campaign_name,
        vertical,
        location,
        status,
        roi,
        cost_per_qualified_lead,
        rank() over (partition by vertical order by roi desc nulls last)
            as roi_rank_in_vertical,
        rank() over (partition by vertical order by cost_per_qualified_lead asc nulls last)
            as cost_per_qualified_lead_rank_in_vertical,
        count(*) over (partition by vertical) as vertical_peer_count,
        rank() over (partition by location order by roi desc nulls last)
            as roi_rank_in_location,
        rank() over (partition by location order by cost_per_qualified_lead asc nulls last)
            as cost_per_qualified_lead_rank_in_location,
        count(*) over (partition by location) as location_peer_count

    from metrics

)

select * from final
