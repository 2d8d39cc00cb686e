-- NovaOS costs rows (one per cost event) add up to each campaign's cost and event count.
{{ dds_reconciliation(
    model=ref('novaos_costs'),
    compare_model=ref('campaign_metrics'),
    group_by=['agent_id'],
    compare_group_by=['campaign_id'],
    measures={'cost_usd': 'sum(cost)', 'cost_events': 'count(*)'},
    compare_measures={'cost_usd': 'sum(cost_usd)', 'cost_events': 'sum(cost_event_count)'},
) }}
