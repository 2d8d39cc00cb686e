{#- The optimization rules that campaign_optimization_flags evaluates, in one place: the
    model loops over them, and a data test checks that the seed describes each one. -#}
{% macro dds_optimization_rule_ids() -%}
    {%- do return([
        'high_cost_per_lead', 'low_qualification_rate', 'low_outreach_success',
        'negative_roi', 'low_roi', 'budget_exceeded', 'budget_pace', 'scale_up',
        'high_bounce_rate', 'critical_bounce_rate', 'high_spam_rate', 'critical_spam_rate',
        'high_unsubscribe_rate', 'credit_pool_pace',
    ]) -%}
{%- endmacro %}
