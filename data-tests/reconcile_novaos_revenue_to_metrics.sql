-- NovaOS revenue rows (one per change in cumulative revenue) add up to each campaign's revenue.
{{ dds_reconciliation(
    model=ref('novaos_revenue'),
    compare_model=ref('campaign_metrics'),
    group_by=['agent_id'],
    compare_group_by=['campaign_id'],
    measures={'revenue_usd': 'sum(amount)'},
    compare_measures={'revenue_usd': 'sum(revenue_usd)'},
) }}
