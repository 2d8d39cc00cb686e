"""Deterministic synthetic DDS activity, at any volume, for benchmarks and the demo.

``generate(dds, campaigns=N, cost_events=M, seed=S)`` writes N campaigns across verticals
and locations (deployed, most started, some paused or stopped), their cost events per
provider (Outscraper searches, Anthropic calls with token counts, Hunter.io look-ups,
SendGrid sends), cumulative result snapshots, revenue for some, and SendGrid webhook events
when the warehouse has ``raw.sendgrid_events``. The same arguments give the same rows.

**This bypasses per-event validation**: columns are built vectorised (Arrow/polars) and
inserted into the raw tables by DuckDB in bulk, not through ``log_dds_costs``, so that 10M
cost events load in seconds rather than hours. It is for benchmarks and demos only; real
events always go through the facade (or ``ingest``'s bulk loaders). What it keeps from the
real path: the raw tables' shapes (explicit column lists, so columns added later stay
NULL), the estimate (``estimate_campaign_costs``, once per vertical), the pricing rule
(``ingest.pricing.pricing_sql``, in the same bulk statement: every amount is usage times the
price in force when it happened, as ingest prices it), UTC
times never in the future, and the snapshot rules (cumulative, qualified <= found, opened,
clicked and replied <= sent).

Realism, briefly: a campaign's planned usage follows its prospect count as in the estimate
(a search, ~500 analysis tokens, ~300 scoring tokens, an email look-up and three emails per
prospect, with jitter), and its cost events split that usage, so spend tracks the estimate
whatever the number of events asked for. Campaigns progress to different stages; some
find few leads (costly leads), some qualify few, some get few replies, some earn revenue.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import pyarrow as pa

from ingest.pricing import VERSIONS_TABLE, pricing_sql
from ingest.warehouse.staging import duckdb_side, mirror
from ingest.warehouse.tables import (
    CAMPAIGN_EVENTS,
    COST_EVENTS,
    RESULT_SNAPSHOTS,
    SENDGRID_EVENTS,
)

if TYPE_CHECKING:
    from dds_api.facade import DDSIntegration

# A fixed "now" so that a seed alone fixes every row (the demo passes the real time).
DEFAULT_NOW = datetime(2026, 1, 31, 12, 0, 0)
HISTORY_DAYS = 60
# rows per bulk insert: bounds memory at 10M events to a few hundred MB
CHUNK_ROWS = 1_000_000

VERTICALS = (
    "dentists", "plumbers", "roofers", "chiropractors", "law firms", "med spas", "hvac",
    "real estate agents", "accountants", "auto repair", "veterinarians", "landscapers",
)  # fmt: skip
LOCATIONS = (
    "Austin, TX", "Denver, CO", "Phoenix, AZ", "Miami, FL", "Chicago, IL", "Los Angeles, CA",
    "Seattle, WA", "Boston, MA", "Atlanta, GA", "Portland, OR", "Nashville, TN", "Dallas, TX",
    "San Diego, CA", "Minneapolis, MN", "Charlotte, NC", "Columbus, OH",
)  # fmt: skip
PROSPECT_COUNTS = (25, 50, 50, 100, 100, 150, 200, 250, 300, 500)
# Every 50th campaign (from the 8th) is a big spender: a national campaign of this many
# prospects with enterprise deals, tens of thousands of dollars spent and millions earned,
# so that demos and benchmarks carry figures far from the small ones (issue 23). It is
# billed in batches (usage per cost event scaled so it has about as many events as a
# 100-prospect campaign), and reports outreach by snapshots only (no SendGrid events).
BIG_SPENDER_EVERY, BIG_SPENDER_FIRST = 50, 7
BIG_SPENDER_PROSPECTS = (100_000, 250_000, 1_000_000)
BIG_SPENDER_DEAL_FACTOR = 100
# Anthropic models used for scoring, with their share of campaigns
MODELS = (
    ("claude-3-haiku-20240307", 0.6),
    ("claude-3-5-haiku-20241022", 0.3),
    ("claude-haiku-4-5-20251001", 0.1),
)

# The cost kinds, in pipeline order: (operation, provider, price item or None for the model,
# unit, share of the campaign's active span in which they happen, usage per natural event).
KINDS = (
    ("scraping", "outscraper", "google_maps_search", "search", (0.00, 0.05), 20),
    ("website_analysis", "anthropic", None, "token", (0.02, 0.25), 1),
    ("lead_scoring", "anthropic", None, "token", (0.10, 0.35), 1),
    ("email_finding", "hunter_io", "email_finder", "email", (0.30, 0.50), 1),
    ("outreach", "sendgrid", "email_send", "email", (0.45, 1.00), 50),
)
# the pipeline stage a campaign reached -> how many KINDS it has incurred
KINDS_BY_LEVEL = {0: 0, 1: 2, 2: 3, 3: 5, 4: 5}
ESTIMATE_STEPS = tuple(kind[0] for kind in KINDS)
STAGES = {1: "prospecting", 2: "scoring", 3: "outreach", 4: "closed"}

COST_COLUMNS = (
    "cost_id", "campaign_id", "operation", "provider", "cost_usd", "model",
    "input_tokens", "output_tokens", "units", "occurred_at", "ingested_at",
)  # fmt: skip
# columns a newer raw schema has; filled when present (the price's provenance)
OPTIONAL_COST_COLUMNS = ("item", "price_effective_from")
_INSERT_SENDGRID_EVENTS = SENDGRID_EVENTS.insert_into(
    "sg_event_id", "campaign_id", "sg_message_id", "event", "email", "machine_open",
    "bounce_type", "url", "payload", "occurred_at", "ingested_at",
)  # fmt: skip


@dataclass(frozen=True)
class SyntheticSummary:
    campaigns: int
    campaign_events: int
    cost_events: int
    result_snapshots: int
    sendgrid_events: int
    seconds: float


@dataclass
class _Campaign:
    campaign_id: str
    vertical: str
    location: str
    prospects: int
    budget: Decimal
    estimate: dict[str, Decimal]
    deployed_at: datetime
    started_at: datetime | None
    span_end: datetime
    level: int
    status: str
    model: str
    leads_found: int = 0
    leads_qualified: int = 0
    emails_sent: int = 0
    emails_opened: int = 0
    emails_clicked: int = 0
    emails_replied: int = 0
    revenue: Decimal = Decimal(0)
    batch: int = 1  # usage per natural cost event (big spenders are billed in batches)


def generate(
    dds: DDSIntegration,
    campaigns: int,
    cost_events: int | None = None,
    seed: int = 42,
    now: datetime | None = None,
) -> SyntheticSummary:
    """Write ``campaigns`` synthetic campaigns and their events into the warehouse.

    ``cost_events`` is the total number of cost events (default: DDS's natural granularity,
    about three per prospect); their spend is the same either way, only split finer or
    coarser. ``now`` (naive UTC) is the end of the history; nothing is later. Generating
    twice with the same seed into one warehouse fails on the duplicate ids.
    """
    if campaigns < 1:
        raise ValueError("campaigns must be at least 1")
    started = time.perf_counter()
    now = now or DEFAULT_NOW
    rng = random.Random(seed)
    token = f"{rng.getrandbits(32):08x}"
    rates = _per_prospect_estimates(dds)
    with dds.warehouse.connect() as conn:
        plan = [_plan_campaign(rng, i, rates, now, token) for i in range(campaigns)]
        cost_columns = _existing_columns(conn, "cost_events")
        snapshot_nullable = _figures_nullable(conn)
        has_sendgrid = "sg_event_id" in _existing_columns(conn, "sendgrid_events")
    # Arrow tables appended by DuckDB (on PostgreSQL, on a DuckDB side copied to the server)
    with dds.warehouse.transaction() as conn, duckdb_side(conn) as side:
        if side is not conn:
            mirror(side, conn, VERSIONS_TABLE)  # prices the usage-given costs
        lifecycle = _insert_campaign_events(side, plan)
        snapshots = _insert_snapshots(side, plan, snapshot_nullable)
        costs = _insert_costs(side, rng, plan, cost_events, cost_columns, token)
        sendgrid = _insert_sendgrid(side, rng, plan, token) if has_sendgrid else 0
    return SyntheticSummary(
        campaigns=campaigns,
        campaign_events=lifecycle,
        cost_events=costs,
        result_snapshots=snapshots,
        sendgrid_events=sendgrid,
        seconds=time.perf_counter() - started,
    )


def more_cost_events(
    campaign_ids: list[str], count: int, rng: random.Random, at: datetime
) -> pl.DataFrame:
    """A bulk costs file of ``count`` more $0.15 lead-scoring costs over random campaigns of
    ``campaign_ids``, all at ``at`` (the "1 % new events" the build benchmarks load before an
    incremental build); each has an idempotency key, so loading it twice loads it once."""
    return pl.DataFrame(
        {
            "campaign_id": [rng.choice(campaign_ids) for _ in range(count)],
            "operation": ["lead_scoring"] * count,
            "provider": ["anthropic"] * count,
            "cost": ["0.15"] * count,
            "occurred_at": [at.isoformat()] * count,
            "idempotency_key": [f"bench-{i}" for i in range(count)],
        }
    )


# --------------------------------------------------------------------------- the plan


def _per_prospect_estimates(dds: DDSIntegration) -> dict[str, dict[str, Decimal]]:
    """The estimate per prospect and step for each vertical, from the facade's own estimate
    (a million prospects, so that 6 stored places give 12 per prospect)."""
    rates: dict[str, dict[str, Decimal]] = {}
    for vertical in VERTICALS:
        estimate = dds.estimate_campaign_costs(1_000_000, vertical)
        if estimate.get("status") == "error":
            raise RuntimeError(f"cannot estimate synthetic campaigns: {estimate['message']}")
        rates[vertical] = {
            step: Decimal(str(estimate[step])) / 1_000_000 for step in ESTIMATE_STEPS
        }
    return rates


def _plan_campaign(
    rng: random.Random, index: int, rates: dict[str, dict[str, Decimal]], now: datetime, token: str
) -> _Campaign:
    vertical = VERTICALS[rng.randrange(len(VERTICALS))]
    location = LOCATIONS[rng.randrange(len(LOCATIONS))]
    prospects = rng.choice(PROSPECT_COUNTS)
    big = index % BIG_SPENDER_EVERY == BIG_SPENDER_FIRST
    if big:
        # drawn apart from rng, so that every other campaign is what the seed always made
        prospects = random.Random(f"{token}:{index}").choice(BIG_SPENDER_PROSPECTS)
    estimate = {
        step: (rate * prospects).quantize(Decimal("0.000001"))
        for step, rate in rates[vertical].items()
    }
    estimate["total"] = sum(estimate.values(), Decimal(0))
    # most budgets leave headroom; a few are tight enough to be overrun
    headroom = rng.uniform(1.01, 1.15) if rng.random() < 0.08 else rng.uniform(1.3, 4.0)
    budget = (estimate["total"] * Decimal(str(round(headroom, 3)))).quantize(Decimal("0.01"))
    deployed_at = now - timedelta(seconds=rng.uniform(3600, HISTORY_DAYS * 86400))
    roll = rng.random()
    level = 0 if roll < 0.06 else 1 if roll < 0.18 else 2 if roll < 0.32 else 3 if roll < 0.7 else 4
    started_at = None if level == 0 else deployed_at + timedelta(minutes=rng.uniform(5, 2880))
    if started_at is not None and started_at > now:
        started_at = now - timedelta(minutes=1)
    status = "deployed"
    span_end = deployed_at
    if started_at is not None:
        status_roll = rng.random()
        status = "stopped" if status_roll < 0.1 else "paused" if status_roll < 0.18 else "active"
        span_end = min(now - timedelta(minutes=1), started_at + timedelta(days=rng.uniform(2, 30)))
    model = rng.choices([m for m, _ in MODELS], weights=[w for _, w in MODELS])[0]
    campaign = _Campaign(
        campaign_id=f"dds_{deployed_at:%Y%m%d_%H%M%S}_{token}{index:04x}",
        vertical=vertical,
        location=location,
        prospects=prospects,
        budget=budget,
        estimate=estimate,
        deployed_at=deployed_at,
        started_at=started_at,
        span_end=span_end,
        level=level,
        status=status,
        model=model,
    )
    if level >= 1:
        weak_scraping = rng.random() < 0.08
        campaign.leads_found = max(
            1, round(prospects * (rng.uniform(0.02, 0.2) if weak_scraping else rng.uniform(0.8, 1)))
        )
    if level >= 2:
        campaign.leads_qualified = round(campaign.leads_found * rng.uniform(0.12, 0.6))
    if level >= 3:
        sent = campaign.leads_qualified * 3
        campaign.emails_sent = sent
        campaign.emails_opened = round(sent * rng.uniform(0.12, 0.45))
        campaign.emails_clicked = round(campaign.emails_opened * rng.uniform(0.05, 0.35))
        campaign.emails_replied = round(sent * rng.uniform(0.01, 0.1))
    if level == 4 and campaign.emails_replied and rng.random() < 0.6:
        deals = max(1, round(campaign.emails_replied * rng.uniform(0.05, 0.4)))
        campaign.revenue = Decimal(deals * rng.randrange(500, 5001, 50))
    if big:
        campaign.batch = prospects // 100
        campaign.revenue *= BIG_SPENDER_DEAL_FACTOR
    return campaign


# ------------------------------------------------------------------------ lifecycle


def _insert_campaign_events(conn: duckdb.DuckDBPyConnection, plan: list[_Campaign]) -> int:
    rows: dict[str, list[Any]] = {name: [] for name in _CAMPAIGN_EVENT_COLUMNS}

    def add(campaign: _Campaign, event_type: str, at: datetime, **deploy: Any) -> None:
        values = {
            "event_id": f"{campaign.campaign_id}_{event_type}",
            "campaign_id": campaign.campaign_id,
            "event_type": event_type,
            "reason": "user",
            "occurred_at": at,
            "ingested_at": at,
            **deploy,
        }
        for name in _CAMPAIGN_EVENT_COLUMNS:
            rows[name].append(values.get(name))

    for c in plan:
        name = f"{c.vertical.title()} {c.location.split(',')[0]} {c.campaign_id[-6:]}"
        config = {
            "vertical": c.vertical,
            "location": c.location,
            "prospect_count": c.prospects,
            "budget": str(c.budget),
            "campaign_name": name,
            "sender_name": None,
            "sender_company": None,
            "estimated_costs": {k: str(v) for k, v in c.estimate.items()},
        }
        add(
            c,
            "deployed",
            c.deployed_at,
            campaign_name=name,
            vertical=c.vertical,
            location=c.location,
            prospect_count=c.prospects,
            budget_usd=c.budget,
            estimated_cost_usd=c.estimate["total"],
            config=json.dumps(config, sort_keys=True),
        )
        if c.started_at is not None:
            add(c, "started", c.started_at)
        if c.status in ("paused", "stopped"):
            add(c, c.status, c.span_end)
    table = pa.table(
        {
            **rows,
            "budget_usd": pa.array(rows["budget_usd"], pa.decimal128(18, 6)),
            "estimated_cost_usd": pa.array(rows["estimated_cost_usd"], pa.decimal128(18, 6)),
        }
    )
    columns = ", ".join(_CAMPAIGN_EVENT_COLUMNS)
    conn.register("synthetic_campaign_events", table)
    try:
        conn.execute(
            f"{CAMPAIGN_EVENTS.insert_into(*_CAMPAIGN_EVENT_COLUMNS)} "
            f"select {columns} from synthetic_campaign_events order by occurred_at"
        )
    finally:
        conn.unregister("synthetic_campaign_events")
    return table.num_rows


_CAMPAIGN_EVENT_COLUMNS = (
    "event_id", "campaign_id", "event_type", "reason", "campaign_name", "vertical", "location",
    "prospect_count", "budget_usd", "estimated_cost_usd", "config", "occurred_at", "ingested_at",
)  # fmt: skip


# ------------------------------------------------------------------------ snapshots


def _insert_snapshots(
    conn: duckdb.DuckDBPyConnection, plan: list[_Campaign], figures_nullable: bool
) -> int:
    """Cumulative snapshots at the end of each stage reached. With a raw schema that allows
    it, the closing snapshot reports revenue alone (the rest is carried forward by dbt)."""
    figures = ("leads_found", "leads_qualified", "emails_sent", "emails_opened",
               "emails_clicked", "emails_replied")  # fmt: skip
    rows: dict[str, list[Any]] = {
        name: [] for name in ("snapshot_id", "campaign_id", "stage", *figures, "revenue_usd")
    }
    rows["occurred_at"] = []
    for c in plan:
        if c.started_at is None:
            continue
        span = c.span_end - c.started_at
        for level in range(1, c.level + 1):
            at = c.started_at + span * {1: 0.25, 2: 0.4, 3: 0.9, 4: 1.0}[level]
            reached = {
                "leads_found": c.leads_found,
                "leads_qualified": c.leads_qualified if level >= 2 else 0,
                "emails_sent": c.emails_sent if level >= 3 else 0,
                "emails_opened": c.emails_opened if level >= 3 else 0,
                "emails_clicked": c.emails_clicked if level >= 3 else 0,
                "emails_replied": c.emails_replied if level >= 3 else 0,
            }
            omit = level == 4 and figures_nullable
            rows["snapshot_id"].append(f"{c.campaign_id}_s{level}")
            rows["campaign_id"].append(c.campaign_id)
            rows["stage"].append(STAGES[level])
            for name in figures:
                rows[name].append(None if omit else reached[name])
            rows["revenue_usd"].append(c.revenue if level == 4 else Decimal(0))
            rows["occurred_at"].append(at)
    table = pa.table({**rows, "revenue_usd": pa.array(rows["revenue_usd"], pa.decimal128(18, 6))})
    columns = ", ".join(rows)
    conn.register("synthetic_snapshots", table)
    try:
        conn.execute(
            f"{RESULT_SNAPSHOTS.insert_into(*rows, 'ingested_at')} "
            f"select {columns}, occurred_at from synthetic_snapshots order by occurred_at"
        )
    finally:
        conn.unregister("synthetic_snapshots")
    return table.num_rows


# ---------------------------------------------------------------------------- costs


def _insert_costs(
    conn: duckdb.DuckDBPyConnection,
    rng: random.Random,
    plan: list[_Campaign],
    total_events: int | None,
    existing_columns: set[str],
    token: str,
) -> int:
    pairs = _planned_usage(plan)
    if pairs.is_empty():
        return 0
    natural = pairs["natural_events"]
    total = int(natural.sum()) if total_events is None else total_events
    # each event belongs to a (campaign, kind) pair, drawn in proportion to its natural
    # number of events; the pair's planned usage is then split over the events it drew
    cumulative = (natural.cast(pl.Float64).cum_sum() / float(natural.sum())).to_list()
    boundaries = pl.Series("boundaries", cumulative)
    pair_of_event = (
        boundaries.search_sorted(_uniform(rng, total), side="right")
        .clip(upper_bound=pairs.height - 1)
        .cast(pl.UInt32)
        .alias("pair")
    )
    counts = pair_of_event.value_counts(name="events")
    pairs = (
        pairs.with_row_index("pair")
        .join(counts, on="pair", how="left")
        .with_columns(pl.col("events").fill_null(0))
    )
    optional = [name for name in OPTIONAL_COST_COLUMNS if name in existing_columns]
    insert_costs = COST_EVENTS.insert_into(*COST_COLUMNS, *optional)
    written = 0
    for offset in range(0, total, CHUNK_ROWS):
        chunk = pair_of_event.slice(offset, CHUNK_ROWS)
        events = _cost_chunk(rng, pairs, chunk, offset, token)
        conn.register("synthetic_costs", events.to_arrow())
        try:
            # priced by ingest's one pricing rule, in the statement that inserts them
            conn.execute(
                f"""
                {insert_costs}
                select
                    events.cost_id, events.campaign_id, events.operation, events.provider,
                    priced.cost_usd, events.model, events.input_tokens, events.output_tokens,
                    cast(events.units as decimal(18, 6)), events.occurred_at,
                    events.ingested_at
                    {"".join(", priced." + name for name in optional)}
                from synthetic_costs as events
                inner join ({pricing_sql(_PENDING)}) as priced on events.rid = priced.rid
                order by events.occurred_at
                """
            )
        finally:
            conn.unregister("synthetic_costs")
        written += events.height
    return written


# the generated events as ingest's pricing reads them (ingest.pricing.PRICING_INPUT_COLUMNS;
# null usage prices nothing)
_PENDING = """(
    select
        rid, provider, item as price_item, occurred_at, cast(units as decimal(18, 6)) as units,
        input_tokens, output_tokens,
        cast(null as bigint) as cache_creation_input_tokens,
        cast(null as bigint) as cache_read_input_tokens
    from synthetic_costs
)"""


def _planned_usage(plan: list[_Campaign]) -> pl.DataFrame:
    """One row per campaign and cost kind it incurred: its planned usage."""
    rows: dict[str, list[Any]] = {
        name: []
        for name in (
            "campaign_id", "operation", "provider", "item", "model", "is_tokens", "units",
            "input_tokens", "output_tokens", "start_us", "span_us", "natural_events",
        )
    }  # fmt: skip
    jitter = random.Random(len(plan))  # usage jitter, independent of the event draws
    for c in plan:
        if c.started_at is None:
            continue
        start_us = _epoch_us(c.started_at)
        span_us = _epoch_us(c.span_end) - start_us
        for operation, provider, item, unit, (a, b), per_event in KINDS[: KINDS_BY_LEVEL[c.level]]:
            is_tokens = unit == "token"
            if is_tokens:
                per_prospect_in = {"website_analysis": 425, "lead_scoring": 255}[operation]
                per_prospect_out = {"website_analysis": 75, "lead_scoring": 45}[operation]
                input_tokens = round(c.prospects * per_prospect_in * jitter.uniform(0.8, 1.2))
                output_tokens = round(c.prospects * per_prospect_out * jitter.uniform(0.8, 1.2))
                units = 0
                natural = c.prospects
            else:
                input_tokens = output_tokens = 0
                units = {
                    "scraping": round(c.prospects * jitter.uniform(1.0, 1.3)),
                    "email_finding": round(c.prospects * jitter.uniform(0.85, 1.25)),
                    "outreach": c.emails_sent,
                }[operation]
                natural = max(1, -(-units // per_event))
            natural = max(1, natural // c.batch)
            if not units and not input_tokens:
                continue
            rows["campaign_id"].append(c.campaign_id)
            rows["operation"].append(operation)
            rows["provider"].append(provider)
            rows["item"].append(c.model if is_tokens else item)
            rows["model"].append(c.model if is_tokens else None)
            rows["is_tokens"].append(is_tokens)
            rows["units"].append(units)
            rows["input_tokens"].append(input_tokens)
            rows["output_tokens"].append(output_tokens)
            rows["start_us"].append(start_us + int(span_us * a))
            rows["span_us"].append(max(1, int(span_us * (b - a))))
            rows["natural_events"].append(natural)
    return pl.DataFrame(rows)


def _cost_chunk(
    rng: random.Random, pairs: pl.DataFrame, chunk: pl.Series, offset: int, token: str
) -> pl.DataFrame:
    n = chunk.len()
    events = pl.DataFrame(
        {"pair": chunk.cast(pl.UInt32), "u_split": _uniform(rng, n), "u_time": _uniform(rng, n)}
    ).with_row_index("n", offset=offset)
    share = 1.0 / pl.col("events")

    def split(column: str) -> pl.Expr:
        # usage / events, rounded up or down at random so that the parts add up to the plan
        # on average. Split finer than one unit per event, some events carry none and cost
        # nothing (as a Hunter.io look-up that finds no email).
        exact = pl.col(column) * share
        return (exact.floor() + (pl.col("u_split") < exact - exact.floor())).cast(pl.Int64)

    events = events.join(pairs, on="pair", how="left").with_columns(
        split("units").alias("units"),
        split("input_tokens").alias("input_tokens"),
        split("output_tokens").alias("output_tokens"),
        (pl.col("start_us") + (pl.col("u_time") * pl.col("span_us")).cast(pl.Int64)).alias(
            "occurred_us"
        ),
    )
    occurred = pl.col("occurred_us").cast(pl.Datetime("us"))
    return events.select(
        pl.col("n").alias("rid"),
        pl.format("syn{}_{}", pl.lit(token), pl.col("n")).alias("cost_id"),
        "campaign_id",
        "operation",
        "provider",
        "model",
        pl.when(pl.col("is_tokens")).then(pl.col("input_tokens")).alias("input_tokens"),
        pl.when(pl.col("is_tokens")).then(pl.col("output_tokens")).alias("output_tokens"),
        pl.when(~pl.col("is_tokens")).then(pl.col("units")).alias("units"),
        occurred.alias("occurred_at"),
        # written a moment later
        (occurred + pl.duration(milliseconds=(pl.col("u_time") * 900 + 50).cast(pl.Int64))).alias(
            "ingested_at"
        ),
        "item",
    )


# ---------------------------------------------------------------------------- SendGrid


def _insert_sendgrid(
    conn: duckdb.DuckDBPyConnection, rng: random.Random, plan: list[_Campaign], token: str
) -> int:
    """SendGrid webhook events for each email a campaign sent: processed, then delivered or
    bounced; opens (some by machines), clicks, the odd unsubscribe and spam report."""
    outreach = [c for c in plan if c.emails_sent and c.batch == 1]
    starts = [_epoch_us(c.started_at or c.deployed_at) for c in outreach]
    if not outreach:
        return 0
    campaigns = pl.DataFrame(
        {
            "campaign_id": [c.campaign_id for c in outreach],
            "sent": [c.emails_sent for c in outreach],
            "open_rate": [c.emails_opened / c.emails_sent for c in outreach],
            "click_rate": [c.emails_clicked / max(1, c.emails_opened) for c in outreach],
            "start_us": starts,
            "span_us": [_epoch_us(c.span_end) - s for c, s in zip(outreach, starts, strict=True)],
        }
    )
    messages = campaigns.with_columns(pl.int_ranges(0, pl.col("sent")).alias("message")).explode(
        "message"
    )
    n = messages.height
    draws = pl.DataFrame({f"u{i}": _uniform(rng, n) for i in range(5)})
    messages = pl.concat([messages, draws], how="horizontal").with_columns(
        # sends happen in the outreach part of the campaign's span (45% .. 90%)
        (pl.col("start_us") + (pl.col("span_us") * (0.45 + 0.45 * pl.col("u0"))).cast(pl.Int64))
        .alias("sent_us"),
        (pl.col("u1") < 0.02).alias("bounced"),
        (pl.col("u2") < pl.col("open_rate")).alias("opened"),
    )  # fmt: skip
    now_us = max(_epoch_us(c.span_end) for c in outreach)
    second = 1_000_000

    def events(name: str, condition: pl.Expr, delay_us: pl.Expr, **extra: pl.Expr) -> pl.LazyFrame:
        return (
            messages.lazy()
            .filter(condition)
            .select(
                "campaign_id",
                "message",
                pl.lit(name).alias("event"),
                pl.min_horizontal(pl.col("sent_us") + delay_us, pl.lit(now_us)).alias(
                    "occurred_us"
                ),
                extra.get("machine_open", pl.lit(None, pl.Boolean)).alias("machine_open"),
                extra.get("bounce_type", pl.lit(None, pl.String)).alias("bounce_type"),
                extra.get("url", pl.lit(None, pl.String)).alias("url"),
            )
        )

    delivered = ~pl.col("bounced")
    opened = delivered & pl.col("opened")
    all_events = pl.concat(
        [
            events("processed", pl.lit(True), pl.lit(0)),
            events("delivered", delivered, (pl.col("u3") * 30 * second).cast(pl.Int64)),
            events(
                "bounce",
                pl.col("bounced"),
                (pl.col("u3") * 60 * second).cast(pl.Int64),
                bounce_type=pl.when(pl.col("u4") < 0.8)
                .then(pl.lit("bounce"))
                .otherwise(pl.lit("blocked")),
            ),
            events(
                "open",
                opened,
                (pl.col("u3") * 3 * 86400 * second).cast(pl.Int64),
                machine_open=pl.col("u4") < 0.3,
            ),
            events(
                "click",
                opened & (pl.col("u4") < pl.col("click_rate")),
                ((pl.col("u3") * 3 * 86400 + 120) * second).cast(pl.Int64),
                url=pl.lit("https://example.com/book-a-call"),
            ),
            events(
                "unsubscribe",
                delivered & (pl.col("u4") > 0.995),
                ((pl.col("u3") * 5 * 86400 + 60) * second).cast(pl.Int64),
            ),
            events(
                "spamreport",
                delivered & (pl.col("u4") < 0.001),
                ((pl.col("u3") * 5 * 86400 + 90) * second).cast(pl.Int64),
            ),
        ]
    ).collect()
    table = all_events.with_row_index("n").select(
        pl.format("sg{}_{}", pl.lit(token), pl.col("n")).alias("sg_event_id"),
        "campaign_id",
        pl.format("{}.{}", pl.col("campaign_id"), pl.col("message")).alias("sg_message_id"),
        "event",
        pl.format("lead{}@{}.example", pl.col("message"), pl.col("campaign_id")).alias("email"),
        "machine_open",
        "bounce_type",
        "url",
        pl.col("occurred_us").cast(pl.Datetime("us")).alias("occurred_at"),
    )
    conn.register("synthetic_sendgrid", table.to_arrow())
    try:
        # the payload as SendGrid posts it (unix timestamp, sg_ ids); built by DuckDB
        conn.execute(
            f"""
            {_INSERT_SENDGRID_EVENTS}
            select
                sg_event_id, campaign_id, sg_message_id, event, email, machine_open,
                bounce_type, url,
                json_object(
                    'email', email, 'event', event, 'sg_event_id', sg_event_id,
                    'sg_message_id', sg_message_id, 'timestamp', epoch(occurred_at),
                    'campaign_id', campaign_id
                ),
                occurred_at, occurred_at
            from synthetic_sendgrid
            order by occurred_at
            """
        )
    finally:
        conn.unregister("synthetic_sendgrid")
    return table.height


# --------------------------------------------------------------------------- helpers


def _uniform(rng: random.Random, n: int) -> pl.Series:
    """n uniform floats in [0, 1) from the seeded generator, built without a Python loop:
    randbytes is stable across Python versions, so the same seed gives the same data."""
    if n == 0:
        return pl.Series("u", [], pl.Float64)
    raw = pa.Array.from_buffers(pa.uint64(), n, [None, pa.py_buffer(rng.randbytes(8 * n))])
    bits = pl.Series("u", raw)
    return (bits // 2048).cast(pl.Float64) * 2.0**-53


def _epoch_us(at: datetime) -> int:
    return int((at - datetime(1970, 1, 1)).total_seconds() * 1_000_000)


def _existing_columns(conn: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = ?",
            [table],
        ).fetchall()
    }


def _figures_nullable(conn: duckdb.DuckDBPyConnection) -> bool:
    row = conn.execute(
        "select is_nullable from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'result_snapshots' "
        "and column_name = 'leads_found'"
    ).fetchone()
    return bool(row) and row[0] == "YES"
