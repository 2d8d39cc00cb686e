-- Question: per vertical, how do leads move down the funnel (found → qualified → emailed →
-- opened → replied → revenue), and where is the biggest drop? Each step's rate is relative
-- to the step before it; counts are each campaign's latest cumulative snapshot, summed.

with

metrics as (

    select * from {{ ref('campaign_metrics') }}

),

per_vertical as (

    select
        vertical,
        count(*) as campaign_count,
        sum(leads_found) as leads_found,
        sum(leads_qualified) as leads_qualified,
        sum(emails_sent) as emails_sent,
        sum(emails_opened) as emails_opened,
        sum(emails_replied) as emails_replied,
        sum(revenue_usd) as revenue_usd,
        sum(cost_usd) as cost_usd

    from metrics
    group by vertical

),

final as (

    select
        *,
        {{ safe_divide('100.0 * leads_qualified', 'leads_found') }} as qualification_rate,
        {{ safe_divide('100.0 * emails_sent', 'leads_qualified') }} as emails_per_100_qualified,
        {{ safe_divide('100.0 * emails_opened', 'emails_sent') }} as open_rate,
        {{ safe_divide('100.0 * emails_replied', 'emails_opened') }} as replies_per_100_opened,
        {{ safe_divide('revenue_usd', 'emails_replied') }} as revenue_per_reply_usd,
        {{ dds_roi('revenue_usd', 'cost_usd') }} as roi

    from per_vertical

)

select * from final
order by revenue_usd desc, vertical asc
