{#- The original integration's rating of a figure ("Good" / "Poor"), judged by an
    optimization rule rather than by a second copy of its threshold: "Poor" exactly when
    the rule fired, "Not rated yet" when the rule could not be evaluated (its figure is an
    undefined ratio: no leads yet, no email sent yet), "Good" otherwise. -#}
{% macro dds_rating(is_fired, figure) -%}
    case
        when {{ is_fired }} then 'Poor'
        when {{ figure }} is null then 'Not rated yet'
        else 'Good'
    end
{%- endmacro %}
