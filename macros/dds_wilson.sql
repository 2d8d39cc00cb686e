{#- Wilson score interval of a proportion, in percent: the bounds within which the true rate
    lies at confidence var('dds_confidence'). Better than the normal approximation for small
    samples and rates near 0 (bounce and spam rates): it never leaves [0, 100].

    z is the two-sided standard normal quantile of the confidence. Jinja has no inverse
    normal function, so the usual levels are tabulated; another level is a compile error
    rather than a silently different z. -#}
{% macro dds_wilson_z() -%}
    {%- set z_by_confidence = {
        '80': 1.2815515655446004, '85': 1.4395314709384563, '90': 1.6448536269514722,
        '95': 1.959963984540054, '98': 2.3263478740408408, '99': 2.5758293035489004,
        '99.5': 2.807033768343811, '99.9': 3.2905267314918945,
    } -%}
    {%- set key = (var('dds_confidence') | string | replace('.0', '')) -%}
    {%- if key not in z_by_confidence -%}
        {{ exceptions.raise_compiler_error(
            "dds_confidence must be one of " ~ (z_by_confidence.keys() | join(', '))
            ~ " (percent), got " ~ var('dds_confidence')) }}
    {%- endif -%}
    {{ return(z_by_confidence[key]) }}
{%- endmacro %}

{#- The lower ('lower') or upper ('upper') Wilson bound, in percent rounded to 4 places, of
    successes out of trials; null without trials. -#}
{% macro dds_wilson_bound(successes, trials, side) -%}
    {%- set z = dds_wilson_z() -%}
    {%- set sign = '-' if side == 'lower' else '+' -%}
    {%- set rate = 'cast(' ~ successes ~ ' as ' ~ dds_type_double() ~ ') / ' ~ trials -%}
    {%- set bound -%}
    100 * (
        (
            {{ rate }} + {{ dds_divide(z * z, '(2.0 * ' ~ trials ~ ')') }}
            {{ sign }} {{ z }} * sqrt(
                ({{ rate }})
                * (1 - {{ rate }}) / {{ trials }}
                + {{ dds_divide(z * z, '(4.0 * ' ~ trials ~ ' * ' ~ trials ~ ')') }}
            )
        ) / (1 + {{ dds_divide(z * z, trials) }})
    )
    {%- endset -%}
    case when {{ trials }} > 0 then {{ dds_round_double(bound, 4) }} end
{%- endmacro %}

{#- The confidence of the intervals, in percent (for the marts' rows). -#}
{% macro dds_confidence() -%}
    cast({{ var('dds_confidence') }} as {{ dds_type_double() }})
{%- endmacro %}
