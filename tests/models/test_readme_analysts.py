"""The analysts' guide's commands (analyses/README.md) run as written, on a fresh warehouse.

The commands are read from the guide itself (every fenced block of analyses/README.md), and
run in a fresh copy of the repository (the venv linked in as `.venv`, `.mfvenv` too when it
exists), from its folder, with the default warehouse `./dds.duckdb` made by `dds demo`.
MetricFlow's commands need `.mfvenv` (the guide's "Metrics layer"; `.ci/run` installs it):
without it their test is skipped. There, MetricFlow's figures are also compared with the
marts'.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
MFVENV = REPO / ".mfvenv"
DOCS_PORT = 8080  # dbt docs serve's default, as the README runs it
# a float shown with its binary noise, such as -100.00000000000001 or 2.9999999999999996
FLOAT_NOISE = re.compile(r"\d\.\d*(?:0{8,}|9{8,})\d")


def readme_blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block of the analysts' guide, analyses/README.md
    (the README points analysts there)."""
    guide = (REPO / "analyses" / "README.md").read_text()
    return re.findall(r"```(\w+)\n(.*?)```", guide, flags=re.DOTALL)


def bash_commands(text: str) -> list[str]:
    """Command lines of a bash block, continuation lines joined."""
    joined = text.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip()]


@dataclass
class Checkout:
    path: Path
    env: dict[str, str]
    outputs: dict[str, str] = field(default_factory=dict)

    def run(self, command: str, timeout: float = 900) -> str:
        completed = subprocess.run(
            command,
            shell=True,
            executable="/bin/bash",
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = completed.stdout + completed.stderr
        assert completed.returncode == 0, f"{command}\nexit {completed.returncode}:\n{output}"
        self.outputs[command] = completed.stdout
        return completed.stdout


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checkout]:
    """A fresh copy of the repository, with the `dds demo` warehouse built in it."""
    path = tmp_path_factory.mktemp("clone") / "dds"
    shutil.copytree(
        REPO,
        path,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".mfvenv", "target", "logs", "*.duckdb*", "__pycache__",
            ".pytest_cache", ".ruff_cache", ".benchmarks", "*.egg-info",
        ),
    )  # fmt: skip
    (path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    if MFVENV.is_dir():
        (path / ".mfvenv").symlink_to(MFVENV, target_is_directory=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in (
            "DDS_WAREHOUSE",
            "DDS_TARGET",
            "DBT_PROFILES_DIR",
            "DBT_TARGET_PATH",
            "DBT_LOG_PATH",
            "VIRTUAL_ENV",
        )
    }
    # the package is installed from this repository: point its dbt project at the copy,
    # as a fresh clone's own install would; BROWSER=true: `docs serve` opens no browser
    env.update(DDS_DBT_PROJECT_DIR=str(path), DO_NOT_TRACK="1", BROWSER="true")
    clone = Checkout(path, env)
    clone.run(".venv/bin/dds demo")  # the README's set-up, on ./dds.duckdb
    yield clone


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def serve_and_fetch(checkout: Checkout, command: str) -> str:
    """Run a command that ends in a server (`dbt docs serve`), fetch its page, stop it."""
    server = subprocess.Popen(
        command,
        shell=True,
        executable="/bin/bash",
        cwd=checkout.path,
        env=checkout.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert server.poll() is None, f"{command} exited with {server.returncode}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{DOCS_PORT}/", timeout=5) as page:
                    return page.read().decode()
            except OSError:
                time.sleep(1)
        raise AssertionError(f"{command}: nothing served on port {DOCS_PORT}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server we started, and its children
        server.wait(timeout=30)


@pytest.mark.slow(minutes=3)
def test_readme_analyst_commands_run_as_written(checkout: Checkout) -> None:
    ran = []
    for language, text in readme_blocks():
        if language == "python":
            script = checkout.path / "readme_snippet.py"
            script.write_text(text)
            output = checkout.run(f".venv/bin/python {script.name}")
            assert "campaign_name" in output and "Dentists Austin Q1" in output
            ran.append(text)
            continue
        assert language == "bash", language
        for command in bash_commands(text):
            if ".mfvenv" in command:
                continue  # test_readme_metricflow_commands
            if "docs serve" in command:
                if port_in_use(DOCS_PORT):
                    pytest.fail(f"port {DOCS_PORT} is taken; cannot check: {command}")
                page = serve_and_fetch(checkout, command)
                assert "dbt" in page.lower()
                assert (checkout.path / "target" / "catalog.json").is_file()
            else:
                checkout.run(command)
            ran.append(command)

    # the commands the guide promises are among them
    assert any("dbt compile" in command for command in ran)
    assert any("--vars" in command for command in ran)

    # the analyses one-liner shows every column of the analysis
    [one_liner] = [command for command in ran if "funnel_by_vertical.sql" in command]
    output = checkout.outputs[one_liner]
    compiled = checkout.path / "target/compiled/dds_analytics/analyses/funnel_by_vertical.sql"
    with duckdb.connect(str(checkout.path / "dds.duckdb"), read_only=True) as conn:
        columns = conn.sql(compiled.read_text()).columns
    assert len(columns) >= 15
    assert all(column in output for column in columns), output
    assert "-100.0 " in output  # campaigns without revenue, exactly -100

    # the threshold override was applied: Chiropractors Miami's $26.00 per lead at 25
    with duckdb.connect(str(checkout.path / "dds.duckdb"), read_only=True) as conn:
        thresholds = conn.execute(
            "select threshold_value from marts.campaign_optimization_flags "
            "where rule_id = 'high_cost_per_lead'"
        ).fetchall()
    assert thresholds == [(25,)]

    for command, output in checkout.outputs.items():
        assert not FLOAT_NOISE.search(output), (command, FLOAT_NOISE.search(output))


def mf_table(output: str) -> list[list[str]]:
    """The rows of `mf query`'s printed table (after its header and dashes line)."""
    lines = output.splitlines()
    dashes = next(i for i, line in enumerate(lines) if re.fullmatch(r"[- ]+", line.strip()))
    return [line.split("  ") for line in lines[dashes + 1 :] if line.strip()]


@pytest.mark.skipif(not MFVENV.is_dir(), reason="MetricFlow's .mfvenv is not installed")
def test_readme_metricflow_commands_run_in_order_and_agree_with_the_marts(
    checkout: Checkout,
) -> None:
    commands = [
        command
        for language, text in readme_blocks()
        if language == "bash"
        for command in bash_commands(text)
        if command.startswith(".mfvenv/bin/")
    ]
    assert sum(command.startswith(".mfvenv/bin/mf query") for command in commands) >= 3
    outputs = {command: checkout.run(command) for command in commands}
    for command, output in outputs.items():
        assert not FLOAT_NOISE.search(output), (command, output)
        if "metric_time__" in command:
            times = [cells[0] for cells in mf_table(output)]
            assert times == sorted(times) and len(times) > 1, output

    # the same questions as CSV, against the marts on the same warehouse
    def mf_csv(arguments: str) -> list[dict[str, str]]:
        path = checkout.path / "mf.csv"
        checkout.run(f".mfvenv/bin/mf query {arguments} --csv {path.name}")
        with path.open() as rows:
            return list(csv.DictReader(rows))

    def marts(sql: str) -> list[tuple]:
        with duckdb.connect(str(checkout.path / "dds.duckdb"), read_only=True) as conn:
            return conn.execute(sql).fetchall()

    def dec(text: str) -> Decimal | None:
        return Decimal(text) if text else None

    def close(a: Decimal | float | None, b: Decimal | float | None) -> bool:
        if a is None or b is None:
            return a is None and b is None
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))

    spend = mf_csv("--metrics spend --group-by cost_event__provider")
    by_provider = dict(
        marts("select provider, sum(cost_usd) from marts.provider_daily_spend group by 1")
    )
    assert {row["cost_event__provider"]: dec(row["spend"]) for row in spend} == by_provider

    daily = mf_csv("--metrics spend --group-by metric_time__day")
    by_day = dict(marts("select day_on, sum(cost_usd) from marts.provider_daily_spend group by 1"))
    assert {row["metric_time__day"][:10]: dec(row["spend"]) for row in daily} == {
        day.isoformat(): value for day, value in by_day.items()
    }

    verticals = mf_csv("--metrics roi,cost_per_qualified_lead --group-by campaign__vertical")
    expected = {
        vertical: (roi, cpql)
        for vertical, roi, cpql in marts(
            "select vertical, round(100.0 * (sum(revenue_usd) - sum(cost_usd)) "
            "/ nullif(sum(cost_usd), 0), 6), "
            "sum(cost_usd) / nullif(sum(leads_qualified), 0) "
            "from marts.campaign_metrics group by 1"
        )
    }
    assert {row["campaign__vertical"] for row in verticals} == set(expected)
    for row in verticals:
        roi, cpql = expected[row["campaign__vertical"]]
        assert close(dec(row["roi"]), roi), row
        assert close(dec(row["cost_per_qualified_lead"]), cpql), row

    # the latest week's cumulative figures are the portfolio's totals
    weeks = mf_csv("--metrics revenue,spend_to_date --group-by metric_time__week")
    latest = max(weeks, key=lambda row: row["metric_time__week"])
    [(revenue, cost)] = marts("select revenue_usd, cost_usd from marts.portfolio_summary")
    assert close(dec(latest["revenue"]), revenue)
    assert close(dec(latest["spend_to_date"]), cost)
