-- Optimization flags of the outreach family: replies and deliverability (rules
-- low_outreach_success, high_/critical_bounce_rate, high_/critical_spam_rate,
-- high_unsubscribe_rate). One row per campaign and fired rule, with the value and
-- threshold it was judged on, and its Wilson interval (macros/dds_optimization_flags.sql).
-- Rates compare exact values, cross-multiplied; no rate is judged on zero trials.

{%- set min_sample = var('dds_min_sample_sent') | int %}

{{ dds_optimization_flags_head() }}

checks as (

    select
        campaign_id,

        emails_sent > 0
        and 100 * emails_replied < {{ dds_threshold('dds_reply_rate_threshold') }} * emails_sent
            as fires_low_outreach_success,
        reply_rate as value_low_outreach_success,
        {{ dds_threshold('dds_reply_rate_threshold') }} as threshold_low_outreach_success,

        -- deliverability, from SendGrid events (null without them, so not evaluated), and
        -- only once dds_min_sample_sent emails are out; high and critical never both fire
        emails_sent >= {{ min_sample }}
        and 100 * emails_bounced
            >= {{ dds_threshold('dds_bounce_rate_high_threshold') }} * emails_sent
        and 100 * emails_bounced
            < {{ dds_threshold('dds_bounce_rate_critical_threshold') }} * emails_sent
            as fires_high_bounce_rate,
        bounce_rate as value_high_bounce_rate,
        {{ dds_threshold('dds_bounce_rate_high_threshold') }} as threshold_high_bounce_rate,

        emails_sent >= {{ min_sample }}
        and 100 * emails_bounced
            >= {{ dds_threshold('dds_bounce_rate_critical_threshold') }} * emails_sent
            as fires_critical_bounce_rate,
        bounce_rate as value_critical_bounce_rate,
        {{ dds_threshold('dds_bounce_rate_critical_threshold') }}
            as threshold_critical_bounce_rate,

        emails_sent >= {{ min_sample }}
        and emails_delivered > 0
        and 100 * spam_reports
            >= {{ dds_threshold('dds_spam_rate_high_threshold') }} * emails_delivered
        and 100 * spam_reports
            < {{ dds_threshold('dds_spam_rate_critical_threshold') }} * emails_delivered
            as fires_high_spam_rate,
        spam_rate as value_high_spam_rate,
        {{ dds_threshold('dds_spam_rate_high_threshold') }} as threshold_high_spam_rate,

        emails_sent >= {{ min_sample }}
        and emails_delivered > 0
        and 100 * spam_reports
            >= {{ dds_threshold('dds_spam_rate_critical_threshold') }} * emails_delivered
            as fires_critical_spam_rate,
        spam_rate as value_critical_spam_rate,
        {{ dds_threshold('dds_spam_rate_critical_threshold') }} as threshold_critical_spam_rate,

        emails_sent >= {{ min_sample }}
        and emails_delivered > 0
        and 100 * unsubscribes
            >= {{ dds_threshold('dds_unsubscribe_rate_high_threshold') }} * emails_delivered
            as fires_high_unsubscribe_rate,
        unsubscribe_rate as value_high_unsubscribe_rate,
        {{ dds_threshold('dds_unsubscribe_rate_high_threshold') }}
            as threshold_high_unsubscribe_rate,

        -- the proportions behind the rate rules: successes out of trials
        emails_sent as trials_sent,
        emails_replied as successes_replied,
        emails_bounced as successes_bounced,
        emails_delivered as trials_delivered,
        spam_reports as successes_spam,
        unsubscribes as successes_unsubscribed

    from metrics

),

{{ dds_optimization_flags_from_checks('outreach', rate_rules={
    'low_outreach_success': ('successes_replied', 'trials_sent', 'below'),
    'high_bounce_rate': ('successes_bounced', 'trials_sent', 'above'),
    'critical_bounce_rate': ('successes_bounced', 'trials_sent', 'above'),
    'high_spam_rate': ('successes_spam', 'trials_delivered', 'above'),
    'critical_spam_rate': ('successes_spam', 'trials_delivered', 'above'),
    'high_unsubscribe_rate': ('successes_unsubscribed', 'trials_delivered', 'above'),
}) }}
