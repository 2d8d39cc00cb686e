"""The facade's point reads of the marts kept current: one campaign's row of each mart it
answers from, and the estimate's rates. Read through ``CurrentMarts.read`` (the flags and
metrics) or on any connection (the estimate's rates are rebuilt by builds); and the
portfolio's rows, shaped by the database."""

from __future__ import annotations

import functools

from dds_api import shapes
from ingest.warehouse.dialect import Dialect, iso_utc

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


# ------------------------------------------------------------------ the portfolio's rows
# A portfolio answer is thousands of dicts: the database shapes their values (floats, ints,
# ISO text), named as the answer's keys, so that Python only puts each row's values in a
# dict (bench/README.md, "#26, portfolio answers"). The fields are shapes' tables, which
# shape one campaign's row in Python: both shapings read the same list.

# Money is stored with 6 places (decimal(38, 6)), or rounded to 6 by the mart (cost per
# lead): as a double it is the float formatting.money gives, without rounding it again.
_SHAPED_SQL = {
    "text": "{column}",
    "count": "coalesce(cast({column} as bigint), 0)",
    "ratio": "coalesce(cast({column} as double precision), 0)",
    "money": "coalesce(cast({column} as double precision), 0)",
    "flag": "coalesce({column}, false)",
    "mode": "case when {column} then 'auto' else 'notify' end",
}


def shaped_columns(fields: tuple[shapes.Field, ...], dialect: Dialect, relation: str) -> str:
    """A select list: each field's column of ``relation`` shaped as ``shapes.shaped``
    shapes it in Python, named by the field's key. A value the answer repeats under a
    second key (reply_rate as outreach_success_rate) is read once: ``shapes.records`` puts
    it under both."""
    columns = []
    selected = set()
    for key, kind, column in fields:
        if (kind, column) in selected:
            continue
        selected.add((kind, column))
        qualified = f"{relation}.{column}"
        if kind == "time":
            sql = iso_utc(dialect, qualified)
        else:
            sql = _SHAPED_SQL[kind].format(column=qualified)
        columns.append(f'{sql} as "{key}"')
    return ",\n        ".join(columns)


@functools.cache
def portfolio_campaigns_sql(dialect: Dialect) -> str:
    """get_all_campaigns_report's campaigns, each row its answer (shapes.CAMPAIGN_ROW)."""
    return f"""
    select
        {shaped_columns(shapes.CAMPAIGN_ROW, dialect, "metrics")}
    from marts.campaign_metrics as metrics
    order by metrics.deployed_at, metrics.campaign_id
    """


@functools.cache
def portfolio_optimization_sql(dialect: Dialect) -> str:
    """The campaigns optimize_all_campaigns analyses: id, name, status, priority and the
    current_performance fields."""
    return f"""
    select
        metrics.campaign_id,
        metrics.campaign_name,
        metrics.status,
        optimization.priority,
        {shaped_columns(shapes.PERFORMANCE, dialect, "metrics")}
    from marts.campaign_metrics as metrics
    inner join marts.campaign_optimization as optimization
        on metrics.campaign_id = optimization.campaign_id
    where metrics.is_optimizable
    order by metrics.deployed_at, metrics.campaign_id
    """


@functools.cache
def portfolio_recommendations_sql(dialect: Dialect) -> str:
    """The flags of the campaigns optimize_all_campaigns analyses, each campaign's most
    severe first: the recommendation's fields, whether it has a sample and a cooldown and
    their fields, and the rule's value unshaped (recorded on an automatic pause)."""
    return f"""
    select
        flags.campaign_id,
        {shaped_columns(shapes.RECOMMENDATION, dialect, "flags")},
        flags.sample_size is not null as has_sample,
        {shaped_columns(shapes.SAMPLE, dialect, "flags")},
        coalesce(flags.is_in_cooldown, false) as in_cooldown,
        {shaped_columns(shapes.COOLDOWN, dialect, "flags")},
        flags.current_value as rule_value
    from marts.campaign_optimization_flags as flags
    inner join marts.campaigns as campaigns
        on flags.campaign_id = campaigns.campaign_id
    where campaigns.is_optimizable
    order by flags.campaign_id, flags.severity_rank desc, flags.rule_id
    """
