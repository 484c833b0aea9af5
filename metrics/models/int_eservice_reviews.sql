-- One row per expert review of an e-service and year: the checklist score 0–100 (share of the seven items met)
-- and the e-service's completed errands that year (its weight in E3).
WITH volume AS (
    SELECT eservice_id, year(month) AS year, SUM(completed) AS completed
    FROM int_eservice_transactions GROUP BY ALL
)
SELECT r.eservice_id, r.year, make_date(r.year, 1, 1) AS month, e.owner_committee AS committee_code,
       e.name AS eservice_name, r.online_end_to_end, r.eid_login, r.mobile_friendly, r.prefilled_data,
       r.status_visible, r.handling_time_shown, r.help_available,
       100.0 * (r.online_end_to_end::INT + r.eid_login::INT + r.mobile_friendly::INT + r.prefilled_data::INT
                + r.status_visible::INT + r.handling_time_shown::INT + r.help_available::INT) / 7 AS checklist_score,
       COALESCE(v.completed, 0) AS completed_errands
FROM fact_eservice_reviews r
JOIN dim_eservices e USING (eservice_id)
LEFT JOIN volume v USING (eservice_id, year)
