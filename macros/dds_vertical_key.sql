{#- The key the estimate keeps a vertical by: trimmed, lower case, and `*` (the default rows)
    when empty or null. int_estimate_assumptions_resolved keys estimate_assumptions' rows by
    it and campaign_budget_pacing a campaign's vertical; a vertical with no rows of its own
    takes the `*` rows. dds_api's ESTIMATE_SQL, outside dbt, states the same expression for
    the caller's vertical (tests/dds_api/test_estimate.py holds the two equal). -#}
{% macro dds_vertical_key(vertical) -%}
    coalesce(nullif(lower(trim({{ vertical }})), ''), '*')
{%- endmacro %}
