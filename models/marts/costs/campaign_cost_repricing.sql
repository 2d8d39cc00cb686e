-- One row per deployed campaign: its cost as priced when each event was written (the amounts
-- stored in raw, never rewritten), as repriced by the current price list for each event's
-- own time (the backfill: a price row added with a past date reprices the events in its
-- window), and at today's list, side by side. Costs given in dollars are not priced from the
-- list and count at their amount in every column; so does an event the current list cannot
-- price (counted in repricing_gap_event_count).

with

campaigns as (

    select * from {{ ref('campaigns') }}

),

cost_events as (

    select * from {{ ref('stg_dds__cost_events') }}

),

repriced_events as (

    select * from {{ ref('int_cost_events_repriced') }}

),

costed as (

    select
        cost_events.campaign_id,
        cost_events.cost_usd as cost_as_priced_usd,
        -- null when not list-priced or when the current list cannot price it
        coalesce(repriced_events.cost_repriced_usd, cost_events.cost_usd) as cost_repriced_usd,
        coalesce(repriced_events.cost_at_current_prices_usd, cost_events.cost_usd)
            as cost_at_current_prices_usd,
        repriced_events.cost_id is not null as is_list_priced,
        coalesce(repriced_events.is_repriced, false) as is_repriced,
        coalesce(repriced_events.has_repricing_gap, false) as has_repricing_gap

    from cost_events
    left join repriced_events on cost_events.cost_id = repriced_events.cost_id

),

per_campaign as (

    select
        campaign_id,
        sum(cost_as_priced_usd) as cost_as_priced_usd,
        sum(cost_repriced_usd) as cost_repriced_usd,
        sum(cost_at_current_prices_usd) as cost_at_current_prices_usd,
        count(*) as cost_event_count,
        count(case when is_list_priced then 1 end) as list_priced_event_count,
        count(case when is_repriced then 1 end) as repriced_event_count,
        count(case when has_repricing_gap then 1 end) as repricing_gap_event_count

    from costed
    group by campaign_id

),

final as (

    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        coalesce(per_campaign.cost_as_priced_usd, 0) as cost_as_priced_usd,
        coalesce(per_campaign.cost_repriced_usd, 0) as cost_repriced_usd,
        coalesce(per_campaign.cost_at_current_prices_usd, 0) as cost_at_current_prices_usd,
        coalesce(per_campaign.cost_repriced_usd, 0)
        - coalesce(per_campaign.cost_as_priced_usd, 0) as repricing_change_usd,
        coalesce(per_campaign.cost_at_current_prices_usd, 0)
        - coalesce(per_campaign.cost_as_priced_usd, 0) as current_prices_change_usd,
        coalesce(per_campaign.cost_event_count, 0) as cost_event_count,
        coalesce(per_campaign.list_priced_event_count, 0) as list_priced_event_count,
        coalesce(per_campaign.repriced_event_count, 0) as repriced_event_count,
        coalesce(per_campaign.repricing_gap_event_count, 0) as repricing_gap_event_count

    from campaigns
    left join per_campaign on campaigns.campaign_id = per_campaign.campaign_id

)

select * from final
