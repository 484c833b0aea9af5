-- IT cost per committee, month, cost class and supplier type: direct cost (the committee's own ledger
-- lines, except central-service lines that are distributed) and its share of the central IT costs.
-- C1–C3 read this model, so they do not depend on how the ledger books central costs.
WITH distributed_pools AS (
    SELECT DISTINCT month, system_id, cost_class, supplier_type, booked_on FROM it_cost_distribution
), direct AS (
    SELECT c.committee_code, c.month, c.cost_class, c.supplier_type, sum(c.amount_sek) AS direct_sek,
           0.0 AS distributed_sek, count(*) AS n_lines
    FROM fact_it_costs c
    WHERE NOT EXISTS (SELECT 1 FROM distributed_pools d
                      WHERE d.month = c.month AND d.system_id = c.system_id AND d.cost_class = c.cost_class
                        AND d.supplier_type = c.supplier_type AND d.booked_on = c.committee_code)
    GROUP BY ALL
), shared AS (
    SELECT committee_code, month, cost_class, supplier_type, 0.0 AS direct_sek,
           sum(distributed_ore) / 100.0 AS distributed_sek, count(*) AS n_lines
    FROM it_cost_distribution GROUP BY ALL
)
SELECT committee_code, month, cost_class, supplier_type, sum(direct_sek) AS direct_sek,
       sum(distributed_sek) AS distributed_sek, sum(direct_sek) + sum(distributed_sek) AS it_cost_sek,
       sum(n_lines)::BIGINT AS n_lines
FROM (SELECT * FROM direct UNION ALL SELECT * FROM shared)
GROUP BY ALL
