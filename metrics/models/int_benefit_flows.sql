-- Planned and realised benefit (valued in SEK) per benefit and month, for the committee owning the benefit.
SELECT p.benefit_id, b.owner_committee AS committee_code, b.project_id, b.kind, b.benefit_class, b.description, p.month,
       'planned' AS flow, p.planned_sek, 0.0 AS realised_sek, NULL::VARCHAR AS evidence
FROM fact_benefit_plans p JOIN dim_benefits b USING (benefit_id)
UNION ALL
SELECT r.benefit_id, b.owner_committee, b.project_id, b.kind, b.benefit_class, b.description, r.month,
       'realised', 0.0, r.realised_sek, r.evidence
FROM fact_benefit_realisations r JOIN dim_benefits b USING (benefit_id)
