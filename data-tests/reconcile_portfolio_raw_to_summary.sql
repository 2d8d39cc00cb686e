-- The portfolio: raw totals (every cost event, each campaign's latest reported revenue,
-- every deployed campaign) equal portfolio_summary's single row.
{% set raw_totals %}
    (
        select costs.cost_usd, revenue.revenue_usd, campaigns.campaign_count
        from (
            select sum(cost_usd) as cost_usd from {{ source('dds', 'cost_events') }}
        ) as costs
        cross join (
            select sum(revenue_usd) as revenue_usd
            from (
                select
                    revenue_usd,
                    row_number() over (
                        partition by campaign_id order by occurred_at desc, seq desc
                    ) as recency
                from {{ source('dds', 'result_snapshots') }}
                where revenue_usd is not null
            ) as reported
            where recency = 1
        ) as revenue
        cross join (
            select count(distinct campaign_id) as campaign_count
            from {{ source('dds', 'campaign_events') }}
            where event_type = 'deployed'
        ) as campaigns
    ) as raw_totals
{% endset %}
{{ dds_reconciliation(
    model=raw_totals,
    compare_model=ref('portfolio_summary'),
    measures={
        'cost_usd': 'sum(cost_usd)',
        'revenue_usd': 'sum(revenue_usd)',
        'campaigns': 'sum(campaign_count)',
    },
    compare_measures={
        'cost_usd': 'sum(cost_usd)',
        'revenue_usd': 'sum(revenue_usd)',
        'campaigns': 'sum(total_campaigns)',
    },
) }}
