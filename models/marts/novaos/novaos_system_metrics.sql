-- One row per result snapshot and figure, shaped as a row of NovaOS' `system_metrics`
-- table (metric_name dds.<figure>, the campaign and stage in metadata).

{#- metric name suffix: snapshot column -#}
{%- set figures = {
    'leads_found': 'leads_found', 'leads_qualified': 'leads_qualified',
    'emails_sent': 'emails_sent', 'emails_opened': 'emails_opened',
    'emails_clicked': 'emails_clicked', 'emails_replied': 'emails_replied',
    'revenue': 'revenue_usd',
} %}

with

snapshots as (

    select * from {{ ref('int_result_snapshots_carried_forward') }}

),

campaigns as (

    select * from {{ ref('campaigns') }}

),

unpivoted as (

    {% for name, column in figures.items() %}
    select
        -- unique and stable: the snapshot's place in the event sequence, then the figure
        snapshots.event_seq * {{ figures | length }} + {{ loop.index0 }} as id,
        snapshots.occurred_at as timestamp,
        'dds.{{ name }}' as metric_name,
        cast(snapshots.{{ column }} as {{ dds_type_double() }}) as metric_value,
        snapshots.campaign_id,
        snapshots.snapshot_id,
        snapshots.stage,
        snapshots.ingested_at as created_at

    from snapshots
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        unpivoted.id,
        unpivoted.timestamp,
        unpivoted.metric_name,
        unpivoted.metric_value,
        {{ dds_json_object({
            'source': "'dds'",
            'campaign_id': 'unpivoted.campaign_id',
            'campaign_name': 'campaigns.campaign_name',
            'stage': 'unpivoted.stage',
            'snapshot_id': 'unpivoted.snapshot_id',
        }) }} as metadata,
        unpivoted.created_at

    from unpivoted
    inner join campaigns on unpivoted.campaign_id = campaigns.campaign_id

)

select * from final
