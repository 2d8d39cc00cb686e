-- The flag models (one per rule family) join the optimization_rules seed, so a rule missing
-- from the seed would silently never fire. Fails with each rule id the seed lacks.

{%- set rule_ids = dds_optimization_rule_ids() %}

with

expected as (

    {% for rule_id in rule_ids %}
    select '{{ rule_id }}' as rule_id
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

rules as (

    select * from {{ ref('optimization_rules') }}

)

select expected.rule_id
from expected
left join rules on expected.rule_id = rules.rule_id
where rules.rule_id is null
