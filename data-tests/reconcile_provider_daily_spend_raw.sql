-- Spend per provider, over all days in provider_daily_spend, equals the raw cost events'.
{{ dds_reconciliation(
    model=source('dds', 'cost_events'),
    compare_model=ref('provider_daily_spend'),
    group_by=['provider'],
    measures={'cost_usd': 'sum(cost_usd)', 'cost_events': 'count(*)'},
    compare_measures={'cost_usd': 'sum(cost_usd)', 'cost_events': 'sum(cost_event_count)'},
) }}
