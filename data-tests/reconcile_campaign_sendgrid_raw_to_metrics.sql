-- SendGrid outcomes per campaign: messages delivered, bounced, reported as spam and
-- unsubscribed (globally or from the message's group), counted once per message from the
-- raw webhook events, equal campaign_metrics' (null there without events, compared as 0).
{{ dds_reconciliation(
    model=source('dds', 'sendgrid_events'),
    compare_model=ref('campaign_metrics'),
    group_by=['campaign_id'],
    measures={
        'delivered': "count(distinct case when event = 'delivered' then sg_message_id end)",
        'bounced': "count(distinct case when event = 'bounce' then sg_message_id end)",
        'spam_reports': "count(distinct case when event = 'spamreport' then sg_message_id end)",
        'unsubscribes': "count(distinct case when event in ('unsubscribe', 'group_unsubscribe') then sg_message_id end)",
    },
    compare_measures={
        'delivered': 'sum(emails_delivered)',
        'bounced': 'sum(emails_bounced)',
        'spam_reports': 'sum(spam_reports)',
        'unsubscribes': 'sum(unsubscribes)',
    },
) }}
