with

source as (

    select * from {{ source('dds', 'campaign_events') }}

),

renamed as (

    select
        event_id as campaign_event_id,
        seq as event_seq,
        campaign_id,
        event_type,
        reason as event_reason,
        -- automatic pauses: the rule that paused and its metric's value at the pause
        rule_id as paused_by_rule_id,
        rule_value as paused_at_rule_value,
        campaign_name,
        vertical,
        location,
        prospect_count,
        cast(budget_usd as {{ dds_money_type() }}) as budget_usd,
        sender_name,
        sender_company,
        cast(estimated_cost_usd as {{ dds_money_type() }}) as estimated_cost_usd,
        config,
        cast(occurred_at as timestamp) as occurred_at,
        cast(ingested_at as timestamp) as ingested_at

    from source

)

select * from renamed
