-- NovaOS system_metrics: seven figures for every raw snapshot of a deployed campaign (its
-- own: one without an A/B test variant).
{% set deployed_snapshots %}
    (
        select snapshots.seq
        from {{ source('dds', 'result_snapshots') }} as snapshots
        where snapshots.variant is null and snapshots.campaign_id in (
            select campaign_id from {{ source('dds', 'campaign_events') }}
            where event_type = 'deployed'
        )
    ) as deployed_snapshots
{% endset %}
{{ dds_reconciliation(
    model=deployed_snapshots,
    compare_model=ref('novaos_system_metrics'),
    measures={'metric_rows': '7 * count(*)'},
    compare_measures={'metric_rows': 'count(*)'},
) }}
