-- NovaOS agents: one per campaign, with its cost and revenue.
{{ dds_reconciliation(
    model=ref('novaos_agents'),
    compare_model=ref('campaign_metrics'),
    group_by=['id'],
    compare_group_by=['campaign_id'],
    measures={'agents': 'count(*)', 'cost_usd': 'sum(total_cost)', 'revenue_usd': 'sum(revenue_generated)'},
    compare_measures={'agents': 'count(*)', 'cost_usd': 'sum(cost_usd)', 'revenue_usd': 'sum(revenue_usd)'},
) }}
