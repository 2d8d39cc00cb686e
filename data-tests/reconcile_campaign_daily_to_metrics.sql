-- A campaign's spend to date on its last day in campaign_daily is its total cost (spend
-- never decreases, so the largest cumulative spend is the last day's).
{{ dds_reconciliation(
    model=ref('campaign_daily'),
    compare_model=ref('campaign_metrics'),
    group_by=['campaign_id'],
    measures={'cost_usd': 'max(cost_to_date_usd)'},
    compare_measures={'cost_usd': 'sum(cost_usd)'},
) }}
