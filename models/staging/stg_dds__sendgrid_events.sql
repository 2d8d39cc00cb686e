with

source as (

    select * from {{ source('dds', 'sendgrid_events') }}

),

renamed as (

    select
        sg_event_id,
        seq as event_seq,
        campaign_id,
        sg_message_id,
        event as event_type,
        email,
        -- only open events carry the flag; an open without it is a human (or unknown) open
        coalesce(machine_open, false) as is_machine_open,
        bounce_type,
        url,
        batch_id,
        variant,
        cast(occurred_at as timestamp) as occurred_at,
        cast(ingested_at as timestamp) as ingested_at

    from source

)

select * from renamed
