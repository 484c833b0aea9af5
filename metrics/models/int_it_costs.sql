-- One row per ledger line of IT cost, with its committee, origin and classification.
-- Direct cost is booked by the committee itself; distributed cost is central IT invoiced internally and
-- spread over the committees by a key (account 6541 without a project: "Centrala it-tjänster – fördelning
-- enligt nyckel"). Renewal = the Grow and Transform classes of Run/Grow/Transform.
SELECT c.line_id, c.committee_code, c.month, c.account, c.amount_sek, c.supplier_type,
       CASE WHEN c.account = '6541' AND c.project_id IS NULL THEN 'distributed' ELSE 'direct' END AS cost_origin,
       c.cost_class, c.cost_class IN ('grow', 'transform') AS is_renewal,
       c.system_id, COALESCE(s.tier, 'unallocated') AS system_tier, c.project_id
FROM fact_it_costs c
LEFT JOIN dim_systems s USING (system_id)
