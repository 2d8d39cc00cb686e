-- One row per SendGrid message: what happened to it, each outcome counted once however
-- many events report it, so repeated opens and clicks of one message do not inflate the
-- rates (SendGrid sends an open event for every open). An outcome only ever becomes true,
-- so an incremental run folds in only the events newer than the highest event_seq already
-- in the table, merged with the stored row of each message they touch.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='delete+insert',
    unique_key='sendgrid_message_key',
) }}

with

sendgrid_events as (

    select * from {{ ref('stg_dds__sendgrid_events') }}
    where {{ dds_newer_than_folded() }}

),

new_outcomes as (

    select
        sg_message_id,
        campaign_id,
        -- dropped: SendGrid never sent it; every other message was handed to a mail server
        max(case when event_type = 'dropped' then 1 else 0 end) as dropped,
        max(case when event_type = 'delivered' then 1 else 0 end) as delivered,
        max(case when event_type = 'open' then 1 else 0 end) as opened,
        max(case when event_type = 'open' and not is_machine_open then 1 else 0 end)
            as human_opened,
        max(case when event_type = 'open' and is_machine_open then 1 else 0 end)
            as machine_opened,
        max(case when event_type = 'click' then 1 else 0 end) as clicked,
        max(case when event_type = 'bounce' then 1 else 0 end) as bounced,
        max(case when event_type = 'spamreport' then 1 else 0 end) as spam_reported,
        -- an unsubscribe from the message's group (ASM) counts as an unsubscribe of it; a
        -- later group_resubscribe does not undo it (DECISIONS.md)
        max(case when event_type in ('unsubscribe', 'group_unsubscribe') then 1 else 0 end)
            as unsubscribed,
        max(case when event_type = 'group_resubscribe' then 1 else 0 end) as resubscribed,
        sum(case when event_type = 'open' then 1 else 0 end) as open_event_count,
        count(*) as event_count,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        max(event_seq) as last_event_seq

    from sendgrid_events
    group by sg_message_id, campaign_id

),

{{ dds_fold_in(
    'new_outcomes',
    [
        'stored.sg_message_id',
        'stored.campaign_id',
        'case when stored.is_dropped then 1 else 0 end as dropped',
        'case when stored.is_delivered then 1 else 0 end as delivered',
        'case when stored.is_opened then 1 else 0 end as opened',
        'case when stored.is_human_opened then 1 else 0 end as human_opened',
        'case when stored.is_machine_opened then 1 else 0 end as machine_opened',
        'case when stored.is_clicked then 1 else 0 end as clicked',
        'case when stored.is_bounced then 1 else 0 end as bounced',
        'case when stored.is_spam_reported then 1 else 0 end as spam_reported',
        'case when stored.is_unsubscribed then 1 else 0 end as unsubscribed',
        'case when stored.is_resubscribed then 1 else 0 end as resubscribed',
        'stored.open_event_count',
        'stored.event_count',
        'stored.first_event_at',
        'stored.last_event_at',
        'stored.last_event_seq'
    ],
    "stored.sendgrid_message_key = new_outcomes.campaign_id || '|' || new_outcomes.sg_message_id",
) }}

summarized as (

    select
        campaign_id || '|' || sg_message_id as sendgrid_message_key,
        sg_message_id,
        campaign_id,
        max(dropped) = 0 as is_sent,
        max(delivered) = 1 as is_delivered,
        max(opened) = 1 as is_opened,
        max(human_opened) = 1 as is_human_opened,
        max(machine_opened) = 1 as is_machine_opened,
        max(clicked) = 1 as is_clicked,
        max(bounced) = 1 as is_bounced,
        max(dropped) = 1 as is_dropped,
        max(spam_reported) = 1 as is_spam_reported,
        max(unsubscribed) = 1 as is_unsubscribed,
        max(resubscribed) = 1 as is_resubscribed,
        cast(sum(open_event_count) as bigint) as open_event_count,
        cast(sum(event_count) as bigint) as event_count,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at,
        max(last_event_seq) as last_event_seq

    from folded
    group by campaign_id, sg_message_id

)

select * from summarized
