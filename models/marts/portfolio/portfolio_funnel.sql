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
        cast(leads_found as decimal(38, 6)) as amount,
        cast(null as {{ dds_type_double() }}) as step_rate, 'none' as step_rate_kind
    from portfolio

    union all

    select
        2, 'Qualified', 'count', leads_qualified,
        {{ safe_divide('100.0 * leads_qualified', 'leads_found') }}, 'pct_of_found'
    from portfolio

    union all

    select
        3, 'Emailed (emails sent)', 'count', emails_sent,
        {{ safe_divide('1.0 * emails_sent', 'leads_qualified') }},
        'emails_per_qualified'
    from portfolio

    union all

    select
        4, 'Opened', 'count', emails_opened,
        {{ safe_divide('100.0 * emails_opened', 'emails_sent') }}, 'pct_of_sent'
    from portfolio

    union all

    select
        5, 'Replied', 'count', emails_replied,
        {{ safe_divide('100.0 * emails_replied', 'emails_opened') }}, 'pct_of_opened'
    from portfolio

    union all

    select
        6, 'Revenue', 'usd', revenue_usd,
        {{ safe_divide('revenue_usd', 'emails_replied') }}, 'usd_per_reply'
    from portfolio

)

select * from steps
