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
        coalesce(sum(total_cost_usd), 0) as total_cost_usd,
        coalesce(sum(revenue_usd), 0) as total_revenue_usd,
        coalesce(sum(budget_usd), 0) as total_budget_usd,
        coalesce(sum(leads_found), 0) as total_leads_found,
        coalesce(sum(leads_qualified), 0) as total_leads_qualified,
        coalesce(sum(emails_sent), 0) as total_emails_sent,
        coalesce(sum(emails_opened), 0) as total_emails_opened,
        coalesce(sum(emails_clicked), 0) as total_emails_clicked,
        coalesce(sum(emails_replied), 0) as total_emails_replied

    from metrics

),

final as (

    select
        *,
        total_revenue_usd - total_cost_usd as profit_usd,
        {{ dds_roi('total_revenue_usd', 'total_cost_usd') }} as total_roi,
        round({{ safe_divide('total_cost_usd', 'total_leads_found') }}, 6) as cost_per_lead,
        {{ safe_divide('100.0 * total_leads_qualified', 'total_leads_found') }}
            as qualification_rate

    from totals

)

select * from final
