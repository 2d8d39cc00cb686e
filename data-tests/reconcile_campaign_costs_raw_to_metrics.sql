-- Cost and cost events per campaign: the raw events' exact total and count equal
-- campaign_metrics' (a campaign missing on either side compares with 0).
{{ dds_reconciliation(
    model=source('dds', 'cost_events'),
    compare_model=ref('campaign_metrics'),
    group_by=['campaign_id'],
    measures={'cost_usd': 'sum(cost_usd)', 'cost_events': 'count(*)'},
    compare_measures={'cost_usd': 'sum(cost_usd)', 'cost_events': 'sum(cost_event_count)'},
) }}
