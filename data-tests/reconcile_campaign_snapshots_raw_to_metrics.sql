-- Result snapshots per campaign: every raw snapshot of the campaign's own (one without an
-- A/B test variant; a variant's snapshots are its totals, counted by the variant marts) is
-- counted in campaign_metrics.
{{ dds_reconciliation(
    model=source('dds', 'result_snapshots'),
    compare_model=ref('campaign_metrics'),
    group_by=['campaign_id'],
    measures={'snapshots': 'count(*)'},
    compare_measures={'snapshots': 'sum(snapshot_count)'},
    where='variant is null',
) }}
