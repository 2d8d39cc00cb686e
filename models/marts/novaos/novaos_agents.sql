-- One row per DDS campaign, shaped as a row of NovaOS' `agents` table: a campaign is an
-- agent of type dds_campaign in the sales department.

with

metrics as (

    select * from {{ ref('campaign_metrics') }}

),

campaigns as (

    select * from {{ ref('campaigns') }}

),

tokens as (

    select * from {{ ref('int_cost_events_aggregated_to_campaigns') }}

),

final as (

    select
        metrics.campaign_id as id,
        metrics.campaign_name as name,
        'dds_campaign' as type,
        'sales' as department,
        metrics.status,
        metrics.deployed_at,
        -- DDS campaigns are budgeted in dollars (config.budget), not tokens
        cast(null as bigint) as token_budget,
        coalesce(tokens.input_tokens, 0) + coalesce(tokens.output_tokens, 0) as tokens_used,
        metrics.cost_usd as total_cost,
        metrics.revenue_usd as revenue_generated,
        metrics.roi,
        campaigns.config,
        metrics.last_active_at as last_active

    from metrics
    inner join campaigns on metrics.campaign_id = campaigns.campaign_id
    left join tokens on metrics.campaign_id = tokens.campaign_id

)

select * from final
