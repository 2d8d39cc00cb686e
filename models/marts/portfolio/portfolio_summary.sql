-- One row: the whole portfolio of campaigns ever deployed.

with

metrics as (

    select * from {{ ref('campaign_metrics') }}

),

totals as (

    select
        count(*) as total_campaigns,
        count(case when status = 'active' then 1 end) as active_campaigns,
        count(case when status = 'paused' then 1 end) as paused_campaigns,
        count(case when status = 'stopped' then 1 end) as stopped_campaigns,
        count(case when status = 'deployed' then 1 end) as deployed_campaigns,
        coalesce(sum(cost_usd), 0) as cost_usd,
        coalesce(sum(revenue_usd), 0) as revenue_usd,
        coalesce(sum(budget_usd), 0) as budget_usd,
        coalesce(sum(leads_found), 0) as leads_found,
        coalesce(sum(leads_qualified), 0) as leads_qualified,
        coalesce(sum(emails_sent), 0) as emails_sent,
        coalesce(sum(emails_opened), 0) as emails_opened,
        coalesce(sum(emails_clicked), 0) as emails_clicked,
        coalesce(sum(emails_replied), 0) as emails_replied

    from metrics

),

final as (

    select
        *,
        revenue_usd - cost_usd as profit_usd,
        {{ dds_roi('revenue_usd', 'cost_usd') }} as roi,
        {{ dds_round_double(safe_divide('cost_usd', 'leads_found'), 6) }} as cost_per_lead,
        {{ dds_round_double(
            safe_divide('cost_usd', 'leads_qualified'), 6
        ) }} as cost_per_qualified_lead,
        {{ safe_divide('100.0 * leads_qualified', 'leads_found') }}
            as qualification_rate,
        {{ safe_divide('100.0 * emails_replied', 'emails_sent') }} as reply_rate

    from totals

)

select * from final
