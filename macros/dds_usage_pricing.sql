{#- Pricing usage in SQL, by the rule of ingest/pricing.py, for models that reprice stored
    costs (int_cost_events_repriced). Portable: integers, decimals and case only.

    Exactness: a price has 6 decimal places and `per_quantity` divides 1,000,000 (a seed
    test), so the price of one unit is a whole number of pico-dollars (10^-12 USD):
    price_usd × 10^6 (an integer) × 10^6 / per_quantity (an integer). The usage counts are
    integers, so the sum of count × pico-dollars is an integer, held in DECIMAL(38, 0). Moving
    it to dollars multiplies by the decimal 0.000000000001 (a shift of the scale, no
    division), and round(…, 6) rounds half up to the micro-dollar (DuckDB rounds decimals half
    away from zero, Spark HALF_UP; amounts are never negative, so both are half up). No
    double is involved except 1000000 / per_quantity, an exact integer below 2^53. -#}

{#- price-list unit -> the usage column it prices: dds_token_units() (macros/dds_token_units.sql,
    written from ingest/warehouse/tables.py, whose pricing reads the same map) -#}

{#- integer pico-dollars per unit of a price-list row -#}
{% macro dds_pico_per_unit(price_usd, per_quantity) -%}
    cast({{ price_usd }} * 1000000 as decimal(38, 0))
        * cast(1000000 / {{ per_quantity }} as bigint)
{%- endmacro %}

{#- Select list: one price-list version's pico-dollar rates, one column per usage column
    (`<usage column>_rate`), plus `unit_row_count` (rows priced per `units`). Use in a query
    over price rows carrying `unit` and `pico_per_unit`, grouped by version. -#}
{% macro dds_version_rates() -%}
    {%- set token_units = dds_token_units() -%}
    {%- for unit, column in token_units.items() %}
        max(case when unit = '{{ unit }}' then pico_per_unit end) as {{ column }}_rate,
    {%- endfor %}
        max(
            case
                when unit not in ('{{ token_units.keys() | join("', '") }}') then pico_per_unit
            end
        ) as units_rate,
        count(
            case when unit not in ('{{ token_units.keys() | join("', '") }}') then 1 end
        ) as unit_row_count
{%- endmacro %}

{#- True when the version joined as `rates` cannot price the event `events`: no version in
    force, or the event used a unit the version has no (single) price for. -#}
{% macro dds_usage_pricing_gap(events, rates) -%}
    (
        {{ rates }}.unit_row_count is null
        or (coalesce({{ events }}.units, 0) > 0 and {{ rates }}.unit_row_count <> 1)
    {%- for column in dds_token_units().values() %}
        or (coalesce({{ events }}.{{ column }}, 0) > 0 and {{ rates }}.{{ column }}_rate is null)
    {%- endfor %}
    )
{%- endmacro %}

{#- The event's amount in USD, DECIMAL(18, 6), priced by the version joined as `rates`
    (null when that version cannot price it). -#}
{% macro dds_usage_cost_usd(events, rates) -%}
    case
        when not {{ dds_usage_pricing_gap(events, rates) }}
            then cast(round(
                (
                    cast(coalesce({{ events }}.units, 0) as decimal(38, 0))
                        * coalesce({{ rates }}.units_rate, 0)
                {%- for column in dds_token_units().values() %}
                    + cast(coalesce({{ events }}.{{ column }}, 0) as decimal(38, 0))
                        * coalesce({{ rates }}.{{ column }}_rate, 0)
                {%- endfor %}
                ) * cast(0.000000000001 as decimal(13, 12)),
                6
            ) as {{ dds_money_type() }})
    end
{%- endmacro %}
