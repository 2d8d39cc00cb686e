{#- The smallest integer n with n × denominator >= numerator, for positive exact decimals:
    ceil(numerator / denominator) without trusting floating point. Decimal division gives a
    double in DuckDB (and Spark may round), so the double only estimates the ceiling; the
    exact decimal products correct it by one either way (0.07 / 0.01 is 7.000000000000001 in
    double, whose ceiling would be 8). The one home of the rule: campaign_budget_pacing's days
    of budget left and provider_credit_pool_pacing's days of credit call it. The arguments
    are SQL expressions, repeated: pass column names or simple products. -#}
{% macro dds_ceil_ratio(numerator, denominator) -%}
    {%- set estimate -%}
        cast(ceil({{ numerator }} / {{ denominator }}) as bigint)
    {%- endset -%}
    case
        when ({{ estimate }} - 1) * {{ denominator }} >= {{ numerator }} then {{ estimate }} - 1
        when {{ estimate }} * {{ denominator }} < {{ numerator }} then {{ estimate }} + 1
        else {{ estimate }}
    end
{%- endmacro %}
