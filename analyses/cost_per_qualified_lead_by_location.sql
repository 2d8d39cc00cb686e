-- Question: which locations give us qualified leads most cheaply? Spend over qualified
-- leads per location (pooled, not an average of campaign ratios), cheapest first; locations
-- with no qualified lead yet come last.

with

metrics as (

    select * from {{ ref('campaign_metrics') }}

),

per_location as (

    select
        location,
        count(*) as campaign_count,
        sum(cost_usd) as cost_usd,
        sum(leads_found) as leads_found,
        sum(leads_qualified) as leads_qualified

    from metrics
    group by location

),

final as (

    select
        location,
        campaign_count,
        cost_usd,
        leads_found,
        leads_qualified,
        {{ dds_round_double(
            safe_divide('cost_usd', 'leads_qualified'), 6
        ) }} as cost_per_qualified_lead,
        {{ dds_round_double(safe_divide('cost_usd', 'leads_found'), 6) }} as cost_per_lead,
        {{ safe_divide('100.0 * leads_qualified', 'leads_found') }} as qualification_rate

    from per_location

)

select * from final
order by cost_per_qualified_lead asc nulls last, location asc
