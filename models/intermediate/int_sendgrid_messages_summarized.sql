-- One row per SendGrid message: what happened to it, each outcome counted once however
-- many events report it, so repeated opens and clicks of one message do not inflate the
-- rates (SendGrid sends an open event for every open).

with

sendgrid_events as (

    select * from {{ ref('stg_dds__sendgrid_events') }}

),

summarized as (

    select
        sg_message_id,
        campaign_id,
        -- dropped: SendGrid never sent it; every other message was handed to a mail server
        max(case when event_type = 'dropped' then 1 else 0 end) = 0 as is_sent,
        max(case when event_type = 'delivered' then 1 else 0 end) = 1 as is_delivered,
        max(case when event_type = 'open' then 1 else 0 end) = 1 as is_opened,
        max(case when event_type = 'open' and not is_machine_open then 1 else 0 end) = 1
            as is_human_opened,
        max(case when event_type = 'open' and is_machine_open then 1 else 0 end) = 1
            as is_machine_opened,
        max(case when event_type = 'click' then 1 else 0 end) = 1 as is_clicked,
        max(case when event_type = 'bounce' then 1 else 0 end) = 1 as is_bounced,
        max(case when event_type = 'dropped' then 1 else 0 end) = 1 as is_dropped,
        max(case when event_type = 'spamreport' then 1 else 0 end) = 1 as is_spam_reported,
        -- an unsubscribe from the message's group (ASM) counts as an unsubscribe of it; a
        -- later group_resubscribe does not undo it (DECISIONS.md)
        max(case when event_type in ('unsubscribe', 'group_unsubscribe') then 1 else 0 end) = 1
            as is_unsubscribed,
        max(case when event_type = 'group_resubscribe' then 1 else 0 end) = 1
            as is_resubscribed,
        sum(case when event_type = 'open' then 1 else 0 end) as open_event_count,
        count(*) as event_count,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at

    from sendgrid_events
    group by sg_message_id, campaign_id

)

select * from summarized
