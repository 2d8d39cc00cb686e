-- One row per UTC day from 2020-01-01 to 2035-12-31: the time spine MetricFlow requires
-- (dbt's `time_spine` config in _semantic_models.yml), built with the portable date spine.

with

bounds as (

    select
        cast('2020-01-01' as date) as first_day,
        cast('2035-12-31' as date) as last_day

),

days as (

    {{ dds_date_spine('bounds', 'first_day', 'last_day') }}

),

final as (

    select day_on from days

)

select * from final
