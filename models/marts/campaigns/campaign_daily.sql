-- One row per campaign per UTC day, from its deployment to the as-of date (dds_as_of_date,
-- else the current UTC date): that day's spend, spend to date, and the results of the
-- latest cumulative snapshot as of the end of the day (carried forward over days without
-- one, 0 before the first). Every campaign runs to the as-of date, a stopped one too (with
-- its final figures), so that "as of the end of the period" is true for every period: a
-- campaign quiet in a week still counts in it, and the latest period's figures are the
-- totals. An event after the as-of date (when it is pinned) extends the series: no event
-- is ever left out.

{%- set as_of_date = dds_as_of_date() %}

with

campaigns as (

    select * from {{ ref('campaigns') }}

),

-- the daily cost roll-up (campaign, provider, operation, UTC day) the other cost marts read
campaign_cost_days as (

    select * from {{ ref('int_cost_events_aggregated_to_campaign_days') }}

),

result_snapshots as (

    select * from {{ ref('int_result_snapshots_carried_forward') }}

),

daily_costs as (

    select
        campaign_id,
        cost_on as day_on,
        sum(cost_usd) as cost_usd

    from campaign_cost_days
    group by campaign_id, cost_on

),

ranked_snapshots as (

    select
        *,
        cast(occurred_at as date) as day_on,
        row_number() over (
            partition by campaign_id, cast(occurred_at as date)
            order by occurred_at desc, event_seq desc
        ) as recency_rank

    from result_snapshots

),

-- the day's last snapshot: snapshots are cumulative, so the later one wins
daily_snapshots as (

    select
        campaign_id,
        day_on,
        leads_found,
        leads_qualified,
        emails_sent,
        emails_opened,
        emails_replied,
        revenue_usd

    from ranked_snapshots
    where recency_rank = 1

),

event_days as (

    select campaign_id, day_on from daily_costs
    union all
    select campaign_id, day_on from daily_snapshots

),

event_bounds as (

    select
        campaign_id,
        min(day_on) as first_event_on,
        max(day_on) as last_event_on

    from event_days
    group by campaign_id

),

-- from the deployed date (or a back-dated event before it) to the as-of date, or to a
-- later event of any kind
campaign_bounds as (

    select
        campaigns.campaign_id,
        least(
            cast(campaigns.deployed_at as date),
            coalesce(event_bounds.first_event_on, cast(campaigns.deployed_at as date))
        ) as first_day,
        greatest(
            {{ as_of_date }},
            cast(campaigns.last_lifecycle_event_at as date),
            coalesce(event_bounds.last_event_on, cast(campaigns.last_lifecycle_event_at as date))
        ) as last_day

    from campaigns
    left join event_bounds on campaigns.campaign_id = event_bounds.campaign_id

),

campaign_days as (

    {{ dds_date_spine('campaign_bounds', 'first_day', 'last_day') }}

),

joined as (

    select
        campaign_days.campaign_id,
        campaign_days.day_on,
        coalesce(daily_costs.cost_usd, 0) as cost_usd,
        daily_snapshots.leads_found,
        daily_snapshots.leads_qualified,
        daily_snapshots.emails_sent,
        daily_snapshots.emails_opened,
        daily_snapshots.emails_replied,
        daily_snapshots.revenue_usd,
        -- numbers the run of days that share the same latest snapshot
        count(daily_snapshots.campaign_id) over (
            partition by campaign_days.campaign_id
            order by campaign_days.day_on
            rows between unbounded preceding and current row
        ) as snapshot_group

    from campaign_days
    left join daily_costs
        on campaign_days.campaign_id = daily_costs.campaign_id
        and campaign_days.day_on = daily_costs.day_on
    left join daily_snapshots
        on campaign_days.campaign_id = daily_snapshots.campaign_id
        and campaign_days.day_on = daily_snapshots.day_on

),

carried_forward as (

    select
        campaign_id,
        day_on,
        cost_usd,
        sum(cost_usd) over (
            partition by campaign_id
            order by day_on
            rows between unbounded preceding and current row
        ) as cost_to_date_usd,
        coalesce(max(leads_found) over (partition by campaign_id, snapshot_group), 0)
            as leads_found,
        coalesce(max(leads_qualified) over (partition by campaign_id, snapshot_group), 0)
            as leads_qualified,
        coalesce(max(emails_sent) over (partition by campaign_id, snapshot_group), 0)
            as emails_sent,
        coalesce(max(emails_opened) over (partition by campaign_id, snapshot_group), 0)
            as emails_opened,
        coalesce(max(emails_replied) over (partition by campaign_id, snapshot_group), 0)
            as emails_replied,
        coalesce(max(revenue_usd) over (partition by campaign_id, snapshot_group), 0)
            as revenue_usd

    from joined

),

final as (

    select
        campaign_id || '|' || cast(day_on as {{ dbt.type_string() }}) as campaign_daily_id,
        campaign_id,
        day_on,
        cost_usd,
        cost_to_date_usd,
        leads_found,
        leads_qualified,
        emails_sent,
        emails_opened,
        emails_replied,
        revenue_usd,
        {{ dds_roi('revenue_usd', 'cost_to_date_usd') }} as roi_to_date

    from carried_forward

)

select * from final
