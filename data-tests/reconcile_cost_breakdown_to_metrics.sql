-- The cost breakdown (provider × operation) adds back up to each campaign's cost and events.
{{ dds_reconciliation(
    model=ref('campaign_cost_breakdown'),
    compare_model=ref('campaign_metrics'),
    group_by=['campaign_id'],
    measures={'cost_usd': 'sum(cost_usd)', 'cost_events': 'sum(cost_event_count)'},
    compare_measures={'cost_usd': 'sum(cost_usd)', 'cost_events': 'sum(cost_event_count)'},
) }}
