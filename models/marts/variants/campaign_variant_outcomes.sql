-- One row per campaign and A/B test variant: what each variant sent and achieved, what it
-- cost, and each rate with its Wilson interval. A variant is any label that a cost event,
-- result snapshot or SendGrid event carried (raw `variant`); a campaign without variants
-- has no rows here.
--
-- Outreach precedence, as in campaign_metrics but per variant: a variant with SendGrid
-- events takes sent, opens and clicks from them (once per message), and delivered,
-- bounces and unsubscribes are known only from them; a variant without takes sent, opens
-- and clicks from its own snapshots (which cannot tell machine opens apart). Replies and
-- qualified leads always come from its snapshots: cumulative per variant, the latest wins.

{{ config(
    materialized=dds_refreshed_materialization(),
    incremental_strategy='dds_campaign_scope',
) }}
-- depends_on: {{ ref('refresh_scope') }}

with

cost_events as (

    select * from {{ ref('stg_dds__cost_events') }}
    where {{ dds_in_refresh_scope() }} and variant is not null

),

result_snapshots as (

    select * from {{ ref('stg_dds__result_snapshots') }}
    where {{ dds_in_refresh_scope() }} and variant is not null

),

sendgrid_events as (

    select * from {{ ref('stg_dds__sendgrid_events') }}
    where {{ dds_in_refresh_scope() }} and variant is not null

),

costs as (

    select
        campaign_id,
        variant,
        sum(cost_usd) as cost_usd,
        min(occurred_at) as first_seen_at

    from cost_events
    group by campaign_id, variant

),

-- each figure carried forward among the variant's snapshots (occurred_at, then seq)
snapshots_carried as (

    select
        campaign_id,
        variant,
        {% for figure in ['leads_qualified', 'emails_sent', 'emails_opened', 'emails_clicked',
                          'emails_replied'] %}
        coalesce(
            {{ dds_last_value_ignore_nulls(figure, 'variant_so_far') }}, 0
        ) as {{ figure }},
        {% endfor %}
        row_number() over (
            partition by campaign_id, variant order by occurred_at desc, event_seq desc
        ) as recency,
        min(occurred_at) over (partition by campaign_id, variant) as first_seen_at

    from result_snapshots
    window variant_so_far as (
        partition by campaign_id, variant
        order by occurred_at, event_seq
        rows between unbounded preceding and current row
    )

),

snapshots as (

    select * from snapshots_carried where recency = 1

),

messages as (

    select
        campaign_id,
        variant,
        sg_message_id,
        max(case when event_type = 'dropped' then 1 else 0 end) as is_dropped,
        max(case when event_type = 'delivered' then 1 else 0 end) as is_delivered,
        max(case when event_type = 'open' and not is_machine_open then 1 else 0 end)
            as is_human_opened,
        max(case when event_type = 'click' then 1 else 0 end) as is_clicked,
        max(case when event_type = 'bounce' then 1 else 0 end) as is_bounced,
        max(case when event_type in ('unsubscribe', 'group_unsubscribe') then 1 else 0 end)
            as is_unsubscribed,
        min(occurred_at) as first_event_at

    from sendgrid_events
    group by campaign_id, variant, sg_message_id

),

outreach as (

    select
        campaign_id,
        variant,
        sum(1 - is_dropped) as emails_sent,
        sum(is_delivered) as emails_delivered,
        sum(is_human_opened) as emails_human_opened,
        sum(is_clicked) as emails_clicked,
        sum(is_bounced) as emails_bounced,
        sum(is_unsubscribed) as unsubscribes,
        min(first_event_at) as first_seen_at

    from messages
    group by campaign_id, variant

),

variants as (

    select campaign_id, variant, first_seen_at from costs
    union all
    select campaign_id, variant, first_seen_at from snapshots
    union all
    select campaign_id, variant, first_seen_at from outreach

),

variants_seen as (

    select
        campaign_id,
        variant,
        min(first_seen_at) as first_seen_at

    from variants
    group by campaign_id, variant

),

joined as (

    select
        variants_seen.campaign_id,
        variants_seen.variant,
        variants_seen.first_seen_at,
        case when outreach.campaign_id is not null then 'sendgrid_events'
            when snapshots.campaign_id is not null then 'snapshots'
        end as outreach_source,
        cast(coalesce(outreach.emails_sent, snapshots.emails_sent, 0) as {{ dbt.type_bigint() }})
            as emails_sent,
        cast(outreach.emails_delivered as {{ dbt.type_bigint() }}) as emails_delivered,
        cast(coalesce(outreach.emails_human_opened, snapshots.emails_opened, 0)
            as {{ dbt.type_bigint() }}) as emails_human_opened,
        cast(coalesce(outreach.emails_clicked, snapshots.emails_clicked, 0)
            as {{ dbt.type_bigint() }}) as emails_clicked,
        cast(coalesce(snapshots.emails_replied, 0) as {{ dbt.type_bigint() }}) as emails_replied,
        cast(coalesce(snapshots.leads_qualified, 0) as {{ dbt.type_bigint() }})
            as leads_qualified,
        cast(outreach.unsubscribes as {{ dbt.type_bigint() }}) as unsubscribes,
        cast(outreach.emails_bounced as {{ dbt.type_bigint() }}) as emails_bounced,
        cast(coalesce(costs.cost_usd, 0) as {{ dds_money_type() }}) as cost_usd

    from variants_seen
    left join costs
        on variants_seen.campaign_id = costs.campaign_id
        and variants_seen.variant = costs.variant
    left join snapshots
        on variants_seen.campaign_id = snapshots.campaign_id
        and variants_seen.variant = snapshots.variant
    left join outreach
        on variants_seen.campaign_id = outreach.campaign_id
        and variants_seen.variant = outreach.variant

),

-- the control: the variant labelled var('dds_variant_control_label'), else the first seen
ranked as (

    select
        *,
        row_number() over (
            partition by campaign_id
            order by
                case when variant = '{{ var("dds_variant_control_label") }}' then 0 else 1 end,
                first_seen_at,
                variant
        ) as control_rank

    from joined

),

final as (

    select
        campaign_id || '|' || variant as campaign_variant_id,
        campaign_id,
        variant,
        control_rank = 1 as is_control,
        first_seen_at,
        outreach_source,
        emails_sent,
        emails_delivered,
        emails_human_opened,
        emails_clicked,
        emails_replied,
        leads_qualified,
        unsubscribes,
        emails_bounced,
        cost_usd,
        {{ dds_round_double(safe_divide('cost_usd', 'emails_replied'), 6) }}
            as cost_per_reply_usd,
        {{ dds_round_double(safe_divide('cost_usd', 'leads_qualified'), 6) }}
            as cost_per_qualified_lead_usd,
        {%- for rate, successes, trials in [
            ('reply_rate', 'emails_replied', 'emails_sent'),
            ('human_open_rate', 'emails_human_opened', 'emails_sent'),
            ('click_rate', 'emails_clicked', 'emails_sent'),
            ('bounce_rate', 'emails_bounced', 'emails_sent'),
            ('unsubscribe_rate', 'unsubscribes', 'emails_delivered'),
        ] %}
        {{ safe_divide('100.0 * ' ~ successes, trials) }} as {{ rate }},
        {{ dds_wilson_bound(successes, trials, 'lower') }} as {{ rate }}_ci_lower,
        {{ dds_wilson_bound(successes, trials, 'upper') }} as {{ rate }}_ci_upper,
        {%- endfor %}
        {{ dds_confidence() }} as confidence

    from ranked

)

select * from final
