-- One row per campaign with SendGrid events: its outreach funnel counted in messages
-- (unique per sg_message_id), the counts that replace the snapshot figures in
-- campaign_metrics.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

with

messages as (

    select * from {{ ref('int_sendgrid_events_pivoted_to_messages') }}
    where {{ dds_in_refresh_scope() }}

),

aggregated as (

    select
        campaign_id,
        sum(case when is_sent then 1 else 0 end) as emails_sent,
        sum(case when is_delivered then 1 else 0 end) as emails_delivered,
        sum(case when is_opened then 1 else 0 end) as emails_opened,
        sum(case when is_human_opened then 1 else 0 end) as emails_human_opened,
        sum(case when is_machine_opened then 1 else 0 end) as emails_machine_opened,
        -- opened only by a machine (e.g. Apple Mail Privacy Protection prefetching images):
        -- whether a person read it is unknowable, so the adjusted open rate leaves it out
        sum(case when is_machine_opened and not is_human_opened then 1 else 0 end)
            as emails_machine_only_opened,
        sum(case when is_clicked then 1 else 0 end) as emails_clicked,
        sum(case when is_bounced then 1 else 0 end) as emails_bounced,
        sum(case when is_dropped then 1 else 0 end) as emails_dropped,
        sum(case when is_spam_reported then 1 else 0 end) as spam_reports,
        sum(case when is_unsubscribed then 1 else 0 end) as unsubscribes,
        sum(event_count) as sendgrid_event_count,
        max(last_event_at) as last_sendgrid_event_at

    from messages
    group by campaign_id

)

select * from aggregated
