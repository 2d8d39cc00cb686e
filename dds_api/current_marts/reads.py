"""The facade's point reads of the marts kept current: one campaign's row of each mart it
answers from, and the estimate's rates. Read through ``CurrentMarts.read`` (the flags and
metrics) or on any connection (the estimate's rates are rebuilt by builds)."""

METRICS_SQL = "select * from marts.campaign_metrics where campaign_id = ?"
FLAGS_SQL = """
    select * from marts.campaign_optimization_flags
    where campaign_id = ?
    order by severity_rank desc, rule_id
"""
# get_campaign_status shows only which rules fired: a point read costs per column read
# (bench/README.md, "Measured history")
FIRED_RULES_SQL = """
    select rule_id from marts.campaign_optimization_flags
    where campaign_id = ?
    order by severity_rank desc, rule_id
"""
PRIORITY_SQL = "select priority from marts.campaign_optimization where campaign_id = ?"
# one point read of both tables rather than two; the ratings are judged in the mart
CAMPAIGN_STATE_SQL = """
    select
        campaigns.config,
        optimization.priority,
        optimization.cost_efficiency,
        optimization.qualification_quality,
        optimization.outreach_effectiveness
    from marts.campaigns as campaigns
    inner join marts.campaign_optimization as optimization
        on campaigns.campaign_id = optimization.campaign_id
    where campaigns.campaign_id = ?
"""
# the mart carries each provider's and each operation's total on its rows: nothing to sum here
COST_BREAKDOWN_SQL = """
    select provider, operation, cost_usd, cost_event_count, provider_cost_usd, operation_cost_usd,
        stage, stage_cost_usd
    from marts.campaign_cost_breakdown
    where campaign_id = ?
    order by cost_usd desc, provider, operation
"""
# the caller's vertical keyed as the mart keys it (macros/dds_vertical_key.sql): a pure
# function of the text, so the facade keeps each answer
VERTICAL_KEY_SQL = "select coalesce(nullif(lower(trim(?)), ''), '*')"
# every vertical's rates (a few rows a vertical): the facade keeps the vertical's own rows,
# or the default ('*') rows when it has none, and multiplies by the prospect count. Choosing
# and multiplying here cost a deploy ~0.5 ms more to plan (bench/README.md, "#26, single
# writes").
ESTIMATE_SQL = """
    select vertical, step, cost_per_prospect_usd, has_unpriced_item, anthropic_tokens_per_prospect
    from marts.cost_estimate_rates
    order by step_order, step
"""
# the portfolio's recommendations: the flags of the campaigns the optimizer analyses
PORTFOLIO_FLAGS_SQL = """
    select flags.*, campaigns.campaign_name
    from marts.campaign_optimization_flags as flags
    inner join marts.campaigns as campaigns
        on flags.campaign_id = campaigns.campaign_id
    where campaigns.is_optimizable
    order by flags.severity_rank desc, campaigns.deployed_at, flags.campaign_id, flags.rule_id
"""
# get_variant_report: a campaign's variants (control first, then as first seen), each with
# its comparison with the control (none for the control itself)
VARIANTS_SQL = """
    select
        outcomes.*,
        comparisons.control_variant,
        comparisons.metric,
        comparisons.better_when,
        comparisons.control_rate,
        comparisons.variant_rate,
        comparisons.difference,
        comparisons.difference_ci_lower,
        comparisons.difference_ci_upper,
        comparisons.p_value,
        comparisons.alpha,
        comparisons.has_min_sample,
        comparisons.verdict
    from marts.campaign_variant_outcomes as outcomes
    left join marts.campaign_variant_comparisons as comparisons
        on outcomes.campaign_variant_id = comparisons.campaign_variant_id
    where outcomes.campaign_id = ?
    order by outcomes.is_control desc, outcomes.first_seen_at, outcomes.variant
"""
