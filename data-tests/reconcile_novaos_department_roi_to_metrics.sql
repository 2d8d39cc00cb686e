-- NovaOS' ROI by department: every DDS campaign is an agent of the sales department, so the
-- departments' cost, revenue and profit add up to the portfolio's.
{{ dds_reconciliation(
    model=ref('novaos_department_roi'),
    compare_model=ref('campaign_metrics'),
    measures={'cost_usd': 'sum(cost)', 'revenue_usd': 'sum(revenue)', 'profit_usd': 'sum(profit)'},
    compare_measures={
        'cost_usd': 'sum(cost_usd)',
        'revenue_usd': 'sum(revenue_usd)',
        'profit_usd': 'sum(profit_usd)',
    },
) }}
