"""Changing a documented var never fails the build, and the flags apply the new value.

Every dbt unit test pins the vars its model reads (`overrides: vars:`, which win over
`--vars`), so a full `dbt build` with every var of dbt_project.yml changed at once still
passes its unit tests and builds the flag models with the overrides.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import yaml

from dds_api.current_marts import build as dbt_build
from dds_api.facade import DDSIntegration
from dds_api.samples.demo import load_sample
from ingest.validation import utc_now

TOMORROW = utc_now() + timedelta(days=1)
# every var of dbt_project.yml, each away from its default (and valid)
OVERRIDES = {
    "dds_cost_per_lead_threshold": 30,  # Chiropractors Miami's 26.00 per lead no longer fires
    "dds_qualification_rate_threshold": 25,
    "dds_reply_rate_threshold": 3,
    "dds_low_roi_threshold": 150,
    # Plumbers Denver (10.832 spent, outreach begun) is held back by the minimum spend;
    # Chiropractors Miami and Med Spas LA (no email sent yet) now fire
    "dds_negative_roi_min_spend": 11,
    "dds_negative_roi_requires_outreach": False,
    "dds_scale_up_roi_threshold": 500,
    "dds_scale_up_cost_per_lead_threshold": 10,
    "dds_scale_up_qualification_rate_threshold": 55,  # Roofers Phoenix (50 %) no longer scales
    "dds_pacing_window_days": 14,
    "dds_campaign_duration_days": 60,
    "dds_as_of_date": TOMORROW.date().isoformat(),
    "dds_min_sample_sent": 10,
    "dds_bounce_rate_high_threshold": 4,
    "dds_bounce_rate_critical_threshold": 6,
    "dds_spam_rate_high_threshold": 0.2,
    "dds_spam_rate_critical_threshold": 0.5,
    "dds_unsubscribe_rate_high_threshold": 3,
    "dds_confidence": 95,
    "dds_auto_act_only_on_significant": True,
    "dds_rule_modes": {"critical_spam_rate": "notify"},
    "dds_cooldown_hours": 12,
    "dds_as_of_timestamp": TOMORROW.strftime("%Y-%m-%d %H:%M:%S"),
    "dds_variant_metric": "click_rate",
    "dds_variant_control_label": "baseline",
    "dds_variant_alpha": 0.1,
    "dds_variant_mixture_sd": 0.05,
    "dds_variant_min_sample": 50,
    "dds_variant_min_effect": 3,
}


def test_overrides_cover_every_documented_var() -> None:
    documented = yaml.safe_load((dbt_build.project_dir() / "dbt_project.yml").read_text())["vars"]
    assert set(OVERRIDES) == set(documented)
    for name, value in OVERRIDES.items():
        assert value != documented[name], name


def test_build_with_every_var_changed_passes_and_flags_use_the_overrides(
    dds: DDSIntegration, warehouse_path: Path
) -> None:
    load_sample(dds)
    dds.close()
    output = dbt_build.build(dds.warehouse, ("build", "--vars", json.dumps(OVERRIDES)))
    assert "ERROR=0" in output and "SKIP=0" in output
    # the unit tests ran (and passed: ERROR=0, SKIP=0)
    for family in ("leads", "returns", "outreach", "budget"):
        model = f"campaign_optimization_flags_{family}"
        assert f"{model}::test_{model}_boundaries" in output
    assert "campaign_variant_comparisons::test_campaign_variant_comparisons_verdicts" in output

    with dds.warehouse.connect() as conn:
        rows = conn.execute(
            "select campaigns.campaign_name, flags.rule_id, flags.threshold_value "
            "from marts.campaign_optimization_flags as flags "
            "join marts.campaigns as campaigns using (campaign_id)"
        ).fetchall()
    flags = {(name, rule): threshold for name, rule, threshold in rows}
    fired = set(flags)

    assert ("Law Firms Chicago", "low_qualification_rate") in fired
    assert flags["Law Firms Chicago", "low_qualification_rate"] == 25
    assert flags["Law Firms Chicago", "low_outreach_success"] == 3
    assert ("Chiropractors Miami", "high_cost_per_lead") not in fired  # 26 < 30
    assert ("Plumbers Denver", "negative_roi") not in fired  # 10.832 spent < 11
    assert ("Chiropractors Miami", "negative_roi") in fired  # no outreach needed now
    assert ("Med Spas LA", "negative_roi") in fired
    assert ("Roofers Phoenix Spring", "scale_up") not in fired  # 50 % < 55 %
    assert not any(rule == "scale_up" for _, rule in fired)
