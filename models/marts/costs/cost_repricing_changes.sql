-- One row per cost event that the current price list reprices: the event's version in force
-- at its occurred_at is no longer the one that priced it, or the same version now gives
-- another amount (a version edited in place). The old amount and version are those stored
-- in raw (unchanged); the new ones are the backfill of int_cost_events_repriced. Empty while
-- the price list only grows forward in time.

with

repriced_events as (

    select * from {{ ref('int_cost_events_repriced') }}

),

final as (

    select
        cost_id,
        campaign_id,
        provider,
        operation,
        priced_item,
        occurred_at,
        cost_as_priced_usd,
        cost_repriced_usd,
        repricing_change_usd,
        priced_effective_on,
        repriced_effective_on

    from repriced_events
    where is_repriced

)

select * from final
