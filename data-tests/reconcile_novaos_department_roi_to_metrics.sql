-- NovaOS' ROI by department: every DDS campaign is in the sales department, so its cost,
-- revenue and profit are the portfolio's.
{{ dds_reconciliation(
    model=ref('novaos_department_roi'),
    compare_model=ref('campaign_metrics'),
    group_by=['department'],
    compare_group_by=["'sales'"],
    measures={'cost_usd': 'sum(cost)', 'revenue_usd': 'sum(revenue)', 'profit_usd': 'sum(profit)'},
    compare_measures={
        'cost_usd': 'sum(total_cost_usd)',
        'revenue_usd': 'sum(revenue_usd)',
        'profit_usd': 'sum(profit_usd)',
    },
) }}
