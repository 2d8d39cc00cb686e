-- One row per campaign: every figure of calculate_lead_metrics, from the sum of its cost
-- events, its latest cumulative result snapshot and its SendGrid events. An undefined ratio
-- is null.
--
-- Outreach precedence: a campaign with any SendGrid event takes emails sent, opened and
-- clicked from its events (unique per message), because they are counted at the source and
-- cannot double count; a campaign without any takes them from its snapshots. Replies always
-- come from snapshots: SendGrid does not see replies.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

with

campaigns as (

    select * from {{ ref('campaigns') }}
    where {{ dds_in_refresh_scope() }}

),

costs as (

    select * from {{ ref('int_cost_events_aggregated_to_campaigns') }}
    where {{ dds_in_refresh_scope() }}

),

results as (

    select * from {{ ref('int_result_snapshots_latest_per_campaign') }}
    where {{ dds_in_refresh_scope() }}

),

outreach as (

    select * from {{ ref('int_sendgrid_messages_aggregated_to_campaigns') }}
    where {{ dds_in_refresh_scope() }}

),

joined as (

    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.vertical,
        campaigns.location,
        campaigns.status,
        campaigns.is_optimizable,
        campaigns.budget_usd,
        campaigns.estimated_cost_usd,
        results.stage as latest_stage,
        coalesce(results.leads_found, 0) as leads_found,
        coalesce(results.leads_qualified, 0) as leads_qualified,
        case when outreach.campaign_id is not null then 'sendgrid_events'
            when results.campaign_id is not null then 'snapshots'
        end as outreach_source,
        coalesce(outreach.emails_sent, results.emails_sent, 0) as emails_sent,
        coalesce(outreach.emails_opened, results.emails_opened, 0) as emails_opened,
        coalesce(outreach.emails_clicked, results.emails_clicked, 0) as emails_clicked,
        coalesce(results.emails_replied, 0) as emails_replied,
        -- known from SendGrid events only
        outreach.emails_delivered,
        outreach.emails_bounced,
        outreach.emails_human_opened,
        outreach.emails_machine_opened,
        outreach.emails_machine_only_opened,
        outreach.spam_reports,
        outreach.unsubscribes,
        coalesce(results.revenue_usd, 0) as revenue_usd,
        coalesce(costs.cost_usd, 0) as cost_usd,
        coalesce(costs.cost_event_count, 0) as cost_event_count,
        coalesce(results.snapshot_count, 0) as snapshot_count,
        campaigns.deployed_at,
        results.snapshot_at as last_result_at,
        costs.last_cost_at,
        greatest(
            campaigns.last_lifecycle_event_at,
            coalesce(costs.last_cost_at, campaigns.last_lifecycle_event_at),
            coalesce(results.snapshot_at, campaigns.last_lifecycle_event_at),
            coalesce(outreach.last_sendgrid_event_at, campaigns.last_lifecycle_event_at)
        ) as last_active_at

    from campaigns
    left join costs on campaigns.campaign_id = costs.campaign_id
    left join results on campaigns.campaign_id = results.campaign_id
    left join outreach on campaigns.campaign_id = outreach.campaign_id

),

final as (

    select
        *,
        -- multiply before dividing so that exact percentages (40.0, 5.0) stay exact
        {{ safe_divide('100.0 * leads_qualified', 'leads_found') }} as qualification_rate,
        {{ safe_divide('100.0 * emails_opened', 'emails_sent') }} as open_rate,
        {{ safe_divide('100.0 * emails_clicked', 'emails_sent') }} as click_rate,
        {{ safe_divide('100.0 * emails_replied', 'emails_sent') }} as reply_rate,
        -- from SendGrid events only (null without them); over delivered messages
        {{ safe_divide('100.0 * emails_opened', 'emails_delivered') }} as unique_open_rate,
        {{ safe_divide('100.0 * emails_human_opened', 'emails_delivered') }} as human_open_rate,
        -- human opens over the messages whose reading can be observed: delivered ones
        -- minus those only a machine opened
        {{ safe_divide('100.0 * emails_human_opened',
                       '(emails_delivered - emails_machine_only_opened)') }} as adjusted_open_rate,
        -- the primary outreach KPI where deliveries are known: replies per delivered email
        {{ safe_divide('100.0 * emails_replied', 'emails_delivered') }} as delivered_reply_rate,
        {{ safe_divide('100.0 * emails_bounced', 'emails_sent') }} as bounce_rate,
        {{ safe_divide('100.0 * spam_reports', 'emails_delivered') }} as spam_rate,
        {{ safe_divide('100.0 * unsubscribes', 'emails_delivered') }} as unsubscribe_rate,
        {{ dds_round_double(safe_divide('cost_usd', 'leads_found'), 6) }} as cost_per_lead,
        {{ dds_round_double(
            safe_divide('cost_usd', 'leads_qualified'), 6
        ) }} as cost_per_qualified_lead,
        revenue_usd - cost_usd as profit_usd,
        {{ dds_roi('revenue_usd', 'cost_usd') }} as roi,
        {{ safe_divide('100.0 * cost_usd', 'budget_usd') }} as budget_used_pct,
        budget_usd - cost_usd as budget_remaining_usd

    from joined

)

select * from final
