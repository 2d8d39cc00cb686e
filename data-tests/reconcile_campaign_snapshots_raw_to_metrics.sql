-- Result snapshots per campaign: every raw snapshot is counted in campaign_metrics.
{{ dds_reconciliation(
    model=source('dds', 'result_snapshots'),
    compare_model=ref('campaign_metrics'),
    group_by=['campaign_id'],
    measures={'snapshots': 'count(*)'},
    compare_measures={'snapshots': 'sum(snapshot_count)'},
) }}
