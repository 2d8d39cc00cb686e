-- One row per DDS cost event, shaped as a row of NovaOS' `costs` table.

with

cost_events as (

    select * from {{ ref('stg_dds__cost_events') }}

),

campaigns as (

    select * from {{ ref('campaigns') }}

),

final as (

    select
        -- the event's place in the raw event sequence: unique and stable, unlike row numbers
        cost_events.event_seq as id,
        cost_events.occurred_at as timestamp,
        cost_events.campaign_id as agent_id,
        campaigns.campaign_name as agent_name,
        'sales' as department,
        -- NovaOS' costs.model is NOT NULL; a provider without a model (Outscraper, Hunter.io,
        -- SendGrid) records the provider as its model, as NovaOS' own DDS integration did
        coalesce(cost_events.model, cost_events.provider) as model,
        cost_events.operation,
        cost_events.input_tokens,
        cost_events.output_tokens,
        case
            when cost_events.input_tokens is not null or cost_events.output_tokens is not null
                then coalesce(cost_events.input_tokens, 0) + coalesce(cost_events.output_tokens, 0)
        end as total_tokens,
        cost_events.cost_usd as cost,
        {{ dds_json_object({
            'source': "'dds'",
            'dds_cost_id': 'cost_events.cost_id',
            'provider': 'cost_events.provider',
            'details': 'cost_events.details',
        }) }} as request_data,
        cost_events.ingested_at as created_at

    from cost_events
    inner join campaigns on cost_events.campaign_id = campaigns.campaign_id

)

select * from final
