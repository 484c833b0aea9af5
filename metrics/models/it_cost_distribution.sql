-- Central IT costs (ledger lines on a system listed in dim_central_services) distributed to the
-- committees by the service's key (it_users: IT users that month; licences: paid licences that month).
-- Whole öre with the largest-remainder rule, integer arithmetic only: the committees' shares of a pool
-- add up to the pool exactly. A pool whose key has no data for the month is not distributed (it stays
-- with the committee it is booked on, see it_cost_by_committee).
WITH pool AS (
    SELECT c.month, c.system_id, c.cost_class, c.supplier_type, c.committee_code AS booked_on,
           s.distribution_key, round(sum(c.amount_sek) * 100)::HUGEINT AS pool_ore
    FROM fact_it_costs c JOIN dim_central_services s USING (system_id)
    GROUP BY ALL
), keys AS (
    SELECT 'it_users' AS distribution_key, month, committee_code, sum(it_users)::HUGEINT AS key_value
    FROM fact_it_users GROUP BY ALL
    UNION ALL
    SELECT 'licences', month, committee_code, sum(paid)::HUGEINT FROM fact_licences GROUP BY ALL
), keyed AS (
    SELECT *, sum(key_value) OVER (PARTITION BY distribution_key, month) AS key_total
    FROM keys WHERE key_value > 0
), shares AS (
    SELECT p.*, k.committee_code, k.key_value, k.key_total,
           (abs(p.pool_ore) * k.key_value) // k.key_total AS floor_ore,
           (abs(p.pool_ore) * k.key_value) % k.key_total AS rest
    FROM pool p JOIN keyed k ON k.distribution_key = p.distribution_key AND k.month = p.month
), ranked AS (
    SELECT *,
           abs(pool_ore) - sum(floor_ore) OVER w AS remainder,
           row_number() OVER (PARTITION BY month, system_id, cost_class, supplier_type, booked_on
                              ORDER BY rest DESC, committee_code) AS rn
    FROM shares
    WINDOW w AS (PARTITION BY month, system_id, cost_class, supplier_type, booked_on)
), out AS (
    SELECT month, committee_code, system_id, cost_class, supplier_type, booked_on, distribution_key,
           key_value::BIGINT AS key_value, key_total::BIGINT AS key_total, pool_ore::BIGINT AS pool_ore,
           (sign(pool_ore) * (floor_ore + CASE WHEN rn <= remainder THEN 1 ELSE 0 END))::BIGINT AS distributed_ore
    FROM ranked
)
SELECT *, distributed_ore / 100.0 AS distributed_sek,
       sum(distributed_ore) OVER (PARTITION BY month, system_id, cost_class, supplier_type, booked_on)::BIGINT
           AS pool_distributed_ore
FROM out
