-- One row per provider, priced item and price-list version: the window in which the version
-- is in force and its exact rates. The one home of "which price applies": a version is every
-- row of one provider and item with one effective date, in force from that UTC date until the
-- item's next version (`superseded_on`, exclusive). Ingest prices each cost by the version
-- whose window holds its occurred_at (ingest/pricing.py reads this table), the repricing
-- backfill and the estimate pick versions by the same windows.
-- Rates are integer pico-dollars per unit (macros/dds_usage_pricing.sql): exact for prices
-- with 6 decimal places and a per_quantity that divides 1,000,000.

{{ config(materialized='table') }}

with

prices as (

    select * from {{ ref('provider_prices') }}

),

unit_prices as (

    select
        provider,
        item,
        unit,
        effective_from as effective_on,
        case
            when 1000000 % per_quantity = 0
                then {{ dds_pico_per_unit('price_usd', 'per_quantity') }}
        end as pico_per_unit

    from prices

),

versions as (

    select
        provider,
        item,
        effective_on,
        {{ dbt.bool_or('pico_per_unit is null') }} as has_bad_quantity,
        {{ dds_version_rates() }}

    from unit_prices
    group by provider, item, effective_on

),

-- a provider with one item prices usage that names no item (Outscraper, Hunter.io)
items_per_provider as (

    select
        provider,
        count(distinct item) as item_count

    from prices
    group by provider

),

final as (

    select
        versions.provider || '|' || versions.item || '|'
        || cast(versions.effective_on as {{ dbt.type_string() }}) as price_version_id,
        versions.*,
        lead(versions.effective_on) over (
            partition by versions.provider, versions.item
            order by versions.effective_on
        ) as superseded_on,
        items_per_provider.item_count = 1 as is_providers_only_item

    from versions
    inner join items_per_provider on versions.provider = items_per_provider.provider

)

select * from final
