"""The A/B tests' always-valid comparison (macros/dds_always_valid.sql) keeps its promise
under peeking: simulated A/A tests read after every 100 sends per arm crown a winner at most
alpha of the time, a planted difference is found, and the fixed-sample test it replaces
would crown noise several times as often. The bounds are the very SQL the mart runs: dbt
compiles the macros, and DuckDB evaluates them over a table of simulated peeks."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dds_api.current_marts.build import run_dbt

ALPHA = 0.05
EXPERIMENTS = 2000
SENDS_PER_ARM = 2000
PEEK_EVERY = 100  # sends per arm between two reads: 20 peeks per experiment
MIN_SAMPLE = 100  # the mart's default dds_variant_min_sample: every peek may decide


@pytest.fixture(scope="module")
def bounds_sql(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The macros' expressions for successes / trials columns sa, na (control) and sb, nb,
    as dbt compiles them with the shipped test settings."""
    folder = tmp_path_factory.mktemp("always_valid")
    # each expression between markers (comments, so the inline query stays SQL)
    inline = (
        "select 1 /*split*/ {{ dds_always_valid_bound('sa', 'na', 'sb', 'nb', 'lower') }}"
        " /*split*/ {{ dds_always_valid_bound('sa', 'na', 'sb', 'nb', 'upper') }}"
        " /*split*/ {{ dds_always_valid_p_value('sa', 'na', 'sb', 'nb') }}"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(folder / "target"))
        output = run_dbt(
            [
                "compile",
                "--inline",
                inline,
                "--vars",
                json.dumps({"dds_variant_alpha": ALPHA, "dds_variant_mixture_sd": 0.03}),
            ],
            str(folder / "dds.duckdb"),
        )
    compiled = output.split("Compiled inline node is:", 1)[1]
    _, lo, hi, p_value = (part.strip() for part in compiled.split("/*split*/"))
    return {"lo": lo, "hi": hi, "p_value": p_value}


def _peeks(conn: duckdb.DuckDBPyConnection, rate_a: float, rate_b: float, seed: int) -> None:
    """Table peeks: per experiment and peek, the cumulative successes and trials of each
    arm, from Bernoulli sends drawn by a hash (deterministic, whatever the thread count)."""
    conn.execute(
        f"""
        create or replace table peeks as
        with sends as (
            select experiment, arm, send // {PEEK_EVERY} as block,
                sum(case when hash(experiment, arm, send, {seed}) / 18446744073709551615.0
                    < (case when arm = 0 then {rate_a} else {rate_b} end) then 1 else 0 end)
                    as successes
            from range({EXPERIMENTS}) as e(experiment), range(2) as a(arm),
                range({SENDS_PER_ARM}) as s(send)
            group by all
        ),
        cumulative as (
            select experiment, arm, block,
                sum(successes) over (partition by experiment, arm order by block) as successes,
                (block + 1) * {PEEK_EVERY} as trials
            from sends
        )
        select experiment, block,
            max(case when arm = 0 then successes end) as sa,
            max(case when arm = 0 then trials end) as na,
            max(case when arm = 1 then successes end) as sb,
            max(case when arm = 1 then trials end) as nb
        from cumulative
        group by experiment, block
        """
    )


def _rates(conn: duckdb.DuckDBPyConnection, sql: dict[str, str]) -> tuple[float, float]:
    """(share of experiments in which some peek declared a difference by the always-valid
    interval, the same by a fixed-sample two-sided z-test at ALPHA read at every peek)."""
    always_valid, naive = conn.execute(
        f"""
        with judged as (
            select experiment,
                na >= {MIN_SAMPLE} and nb >= {MIN_SAMPLE}
                    and ({sql["lo"]} > 0 or {sql["hi"]} < 0) as declared,
                abs(sb / nb - sa / na) > 1.959963984540054 * sqrt(
                    ((sa + sb) / (na + nb)) * (1 - (sa + sb) / (na + nb)) * (1 / na + 1 / nb)
                ) as declared_naively
            from peeks
        )
        select avg(case when ever then 1.0 else 0.0 end),
            avg(case when ever_naively then 1.0 else 0.0 end)
        from (
            select experiment, bool_or(declared) as ever,
                bool_or(coalesce(declared_naively, false)) as ever_naively
            from judged group by experiment
        )
        """
    ).fetchone()
    return float(always_valid), float(naive)


def test_aa_tests_read_after_every_batch_rarely_crown_a_winner(
    bounds_sql: dict[str, str],
) -> None:
    conn = duckdb.connect()
    _peeks(conn, 0.05, 0.05, seed=1)
    always_valid, naive = _rates(conn, bounds_sql)
    # measured: 1.0 % always valid, 20.6 % for the fixed-sample test read at every peek
    assert always_valid <= ALPHA
    assert naive > 3 * ALPHA  # peeking is the problem the method solves


def test_a_planted_difference_is_found(bounds_sql: dict[str, str]) -> None:
    conn = duckdb.connect()
    _peeks(conn, 0.05, 0.08, seed=2)  # 5 % against 8 % replies, 2,000 sends per arm
    power, _ = _rates(conn, bounds_sql)
    assert power >= 0.80  # measured 85 %


def test_the_p_value_and_the_interval_agree(bounds_sql: dict[str, str]) -> None:
    conn = duckdb.connect()
    _peeks(conn, 0.05, 0.08, seed=3)
    disagreements, rows = conn.execute(
        f"""
        select count(*) filter (
            where ({bounds_sql["lo"]} > 0 or {bounds_sql["hi"]} < 0)
                != ({bounds_sql["p_value"]} <= {ALPHA})
                and abs({bounds_sql["p_value"]} - {ALPHA}) > 1e-6
        ), count(*)
        from peeks
        """
    ).fetchone()
    assert rows == EXPERIMENTS * SENDS_PER_ARM // PEEK_EVERY
    assert disagreements == 0


def test_the_mart_and_the_simulation_compile_the_same_macro() -> None:
    """The mart calls the macros the simulation compiles (not a copy of the formula)."""
    model = Path(__file__).resolve().parents[2] / "models/marts/variants"
    sql = (model / "campaign_variant_comparisons.sql").read_text()
    assert "dds_always_valid_bound(" in sql and "dds_always_valid_p_value(" in sql
