{#- Always-valid comparison of two proportions: the mixture sequential probability ratio
    test (mSPRT) with a normal mixture, as in Johari, Pekelis and Walsh, "Always Valid
    Inference: Bringing Sequential Analysis to A/B Testing" (2015), and Johari et al.,
    "Peeking at A/B Tests" (KDD 2017). DECISIONS.md, "A/B tests", says why and its error
    rates; tests/models/test_ab_sequential.py checks them by running these very expressions
    over simulated peeks.

    The difference d = p_b - p_a of two rates (successes over trials, arm a the control)
    has, by the normal approximation, variance V = p_a (1 - p_a) / n_a + p_b (1 - p_b) / n_b.
    With a normal mixture N(0, tau^2) over the alternatives, the likelihood ratio is
        L = sqrt(V / (V + tau^2)) * exp(d^2 tau^2 / (2 V (V + tau^2)))
    and under no difference the chance that L ever reaches 1 / alpha, however often it is
    read, is at most alpha (Ville's inequality). Equivalently d lies, at every sample size at
    once, in the confidence sequence
        d +- sqrt(V (V + tau^2) / tau^2 * (2 ln(1 / alpha) + ln((V + tau^2) / V))),
    which excludes 0 exactly when L >= 1 / alpha. V uses (successes + 1) / (trials + 2),
    so that it is positive while an arm has no success yet. tau is
    var('dds_variant_mixture_sd') (a proportion: the size of difference the test is tuned
    to find), alpha var('dds_variant_alpha'). Plain arithmetic, sqrt, ln and exp: DuckDB,
    Postgres and Spark alike. -#}

{#- the rate, as a double, for the variance: (successes + 1) / (trials + 2) -#}
{% macro dds_av_smoothed(successes, trials) -%}
    ((cast({{ successes }} as {{ dds_type_double() }}) + 1) / (cast({{ trials }} as {{ dds_type_double() }}) + 2))
{%- endmacro %}

{#- V, the variance of the difference of the two observed rates -#}
{% macro dds_always_valid_variance(successes_a, trials_a, successes_b, trials_b) -%}
    (
        {{ dds_av_smoothed(successes_a, trials_a) }}
        * (1 - {{ dds_av_smoothed(successes_a, trials_a) }}) / {{ trials_a }}
        + {{ dds_av_smoothed(successes_b, trials_b) }}
        * (1 - {{ dds_av_smoothed(successes_b, trials_b) }}) / {{ trials_b }}
    )
{%- endmacro %}

{#- d, the observed difference p_b - p_a, as a proportion -#}
{% macro dds_always_valid_difference(successes_a, trials_a, successes_b, trials_b) -%}
    (
        cast({{ successes_b }} as {{ dds_type_double() }}) / {{ trials_b }}
        - cast({{ successes_a }} as {{ dds_type_double() }}) / {{ trials_a }}
    )
{%- endmacro %}

{#- tau^2, from the var -#}
{% macro dds_av_tau_squared() -%}
    {%- set tau = var('dds_variant_mixture_sd') | float -%}
    {%- if tau <= 0 or tau >= 1 -%}
        {{ exceptions.raise_compiler_error(
            "dds_variant_mixture_sd is a proportion between 0 and 1, got " ~ tau) }}
    {%- endif -%}
    {{ tau * tau }}
{%- endmacro %}

{#- alpha, from the var -#}
{% macro dds_always_valid_alpha() -%}
    {%- set alpha = var('dds_variant_alpha') | float -%}
    {%- if alpha <= 0 or alpha >= 1 -%}
        {{ exceptions.raise_compiler_error(
            "dds_variant_alpha is a probability between 0 and 1, got " ~ alpha) }}
    {%- endif -%}
    {{ return(alpha) }}
{%- endmacro %}

{#- The lower ('lower') or upper ('upper') bound of the always-valid confidence sequence
    of p_b - p_a, in percentage points rounded to 4 places; null while an arm has no trial. -#}
{% macro dds_always_valid_bound(successes_a, trials_a, successes_b, trials_b, side) -%}
    {%- set v = dds_always_valid_variance(successes_a, trials_a, successes_b, trials_b) -%}
    {%- set t2 = dds_av_tau_squared() -%}
    {%- set bound -%}
        100 * (
            {{ dds_always_valid_difference(successes_a, trials_a, successes_b, trials_b) }}
            {{ '-' if side == 'lower' else '+' }} sqrt(
                {{ v }} * ({{ v }} + {{ t2 }}) / {{ t2 }}
                * (2 * ln({{ 1 / dds_always_valid_alpha() }}) + ln(({{ v }} + {{ t2 }}) / {{ v }}))
            )
        )
    {%- endset -%}
    case when {{ trials_a }} > 0 and {{ trials_b }} > 0
        then {{ dds_round_double(bound, 4) }} end
{%- endmacro %}

{#- The always-valid p-value at this sample, min(1, 1 / L): at most alpha exactly when the
    confidence sequence excludes 0; null while an arm has no trial. -#}
{% macro dds_always_valid_p_value(successes_a, trials_a, successes_b, trials_b) -%}
    {%- set v = dds_always_valid_variance(successes_a, trials_a, successes_b, trials_b) -%}
    {%- set d = dds_always_valid_difference(successes_a, trials_a, successes_b, trials_b) -%}
    {%- set t2 = dds_av_tau_squared() -%}
    {#- exp of a large negative number is 0 (Postgres raises on the underflow: kept above
        -700, where exp is still 1e-304) -#}
    case when {{ trials_a }} > 0 and {{ trials_b }} > 0 then least(1.0, exp(greatest(-700.0,
        0.5 * ln(({{ v }} + {{ t2 }}) / {{ v }})
        - {{ d }} * {{ d }} * {{ t2 }} / (2 * {{ v }} * ({{ v }} + {{ t2 }}))
    ))) end
{%- endmacro %}
