-- One row per NovaOS department with DDS activity: what get_roi_by_department returns.

with

costs as (

    select * from {{ ref('novaos_costs') }}

),

revenue as (

    select * from {{ ref('novaos_revenue') }}

),

agents as (

    select * from {{ ref('novaos_agents') }}

),

cost_totals as (

    select department, sum(cost) as cost
    from costs
    group by department

),

revenue_totals as (

    select department, sum(amount) as revenue
    from revenue
    group by department

),

departments as (

    select distinct department from agents

),

final as (

    select
        departments.department,
        coalesce(cost_totals.cost, 0) as cost,
        coalesce(revenue_totals.revenue, 0) as revenue,
        coalesce(revenue_totals.revenue, 0) - coalesce(cost_totals.cost, 0) as profit,
        {{ dds_roi('coalesce(revenue_totals.revenue, 0)', 'cost_totals.cost') }} as roi

    from departments
    left join cost_totals on departments.department = cost_totals.department
    left join revenue_totals on departments.department = revenue_totals.department

)

select * from final
