-- One row per known vertical, estimate step and priced item: the assumptions the estimate of
-- that vertical uses. '*' is the default vertical; a vertical's own rows in
-- estimate_assumptions replace the default rows of the same step, and it inherits the other
-- steps. The one home of that override: cost_estimate_rates prices these rows, and
-- campaign_budget_pacing plans the providers of a campaign's vertical from them (a vertical
-- with no rows of its own gets the '*' rows: macros/dds_vertical_key.sql).
-- A table: pacing reads it on every refresh, and it changes only with the seed.

{{ config(materialized='table') }}

with

assumptions as (

    select * from {{ ref('estimate_assumptions') }}

),

steps as (

    select * from {{ ref('estimate_steps') }}

),

keyed_assumptions as (

    select
        {{ dds_vertical_key('vertical') }} as vertical,
        step,
        provider,
        item,
        unit,
        quantity_per_prospect

    from assumptions

),

verticals as (

    select distinct vertical from keyed_assumptions

),

-- every vertical gets every step: its own rows where it has them, the defaults otherwise
effective_assumptions as (

    select verticals.vertical, own.step, own.provider, own.item, own.unit,
        own.quantity_per_prospect
    from verticals
    inner join keyed_assumptions as own on verticals.vertical = own.vertical

    union all

    select verticals.vertical, defaults.step, defaults.provider, defaults.item, defaults.unit,
        defaults.quantity_per_prospect
    from verticals
    inner join keyed_assumptions as defaults on defaults.vertical = '*'
    where verticals.vertical <> '*'
        and not exists (
            select 1 from keyed_assumptions as own
            where own.vertical = verticals.vertical and own.step = defaults.step
        )

),

final as (

    select
        effective_assumptions.vertical || '|' || effective_assumptions.step || '|'
        || effective_assumptions.provider || '|' || effective_assumptions.item || '|'
        || effective_assumptions.unit as estimate_assumption_id,
        effective_assumptions.vertical,
        effective_assumptions.step,
        steps.step_order,
        effective_assumptions.provider,
        effective_assumptions.item,
        effective_assumptions.unit,
        effective_assumptions.quantity_per_prospect

    from effective_assumptions
    left join steps on effective_assumptions.step = steps.step

)

select * from final
