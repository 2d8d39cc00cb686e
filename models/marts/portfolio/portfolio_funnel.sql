-- One row per step of the portfolio's lead funnel (found -> qualified -> emailed -> opened
-- -> replied -> revenue), with each step's conversion from the step before. Emails go out
-- several per lead, so that step's rate is emails per qualified lead; revenue is dollars
-- per reply.

with

portfolio as (

    select * from {{ ref('portfolio_summary') }}

),

steps as (

    select
        1 as step_order, 'Leads found' as label, 'count' as unit,
        cast(total_leads_found as decimal(38, 6)) as amount,
        cast(null as double) as step_rate, 'none' as step_rate_kind
    from portfolio

    union all

    select
        2, 'Qualified', 'count', total_leads_qualified,
        {{ safe_divide('100.0 * total_leads_qualified', 'total_leads_found') }}, 'pct_of_found'
    from portfolio

    union all

    select
        3, 'Emailed (emails sent)', 'count', total_emails_sent,
        {{ safe_divide('1.0 * total_emails_sent', 'total_leads_qualified') }},
        'emails_per_qualified'
    from portfolio

    union all

    select
        4, 'Opened', 'count', total_emails_opened,
        {{ safe_divide('100.0 * total_emails_opened', 'total_emails_sent') }}, 'pct_of_sent'
    from portfolio

    union all

    select
        5, 'Replied', 'count', total_emails_replied,
        {{ safe_divide('100.0 * total_emails_replied', 'total_emails_opened') }}, 'pct_of_opened'
    from portfolio

    union all

    select
        6, 'Revenue', 'usd', total_revenue_usd,
        {{ safe_divide('total_revenue_usd', 'total_emails_replied') }}, 'usd_per_reply'
    from portfolio

)

select * from steps
