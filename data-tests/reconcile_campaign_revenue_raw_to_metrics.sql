-- Revenue per campaign: revenue is cumulative, so a campaign's revenue is that of its latest
-- raw snapshot that reports one (by occurred_at, then seq); it equals campaign_metrics'.
{% set latest_reported_revenue %}
    (
        select campaign_id, revenue_usd
        from (
            select
                campaign_id,
                revenue_usd,
                row_number() over (
                    partition by campaign_id order by occurred_at desc, seq desc
                ) as recency
            from {{ source('dds', 'result_snapshots') }}
            where revenue_usd is not null
        ) as reported
        where recency = 1
    ) as latest_reported_revenue
{% endset %}
{{ dds_reconciliation(
    model=latest_reported_revenue,
    compare_model=ref('campaign_metrics'),
    group_by=['campaign_id'],
    measures={'revenue_usd': 'sum(revenue_usd)'},
) }}
