-- Every version of every benefit plan: version 1 is the plan approved at the council decision
-- (fact_benefit_plans, never overwritten by a re-plan); versions 2, 3 ... are the re-plans.
WITH v AS (
    SELECT benefit_id, 1::BIGINT AS version, NULL::DATE AS decided_on, month, planned_value, planned_sek
    FROM fact_benefit_plans
    UNION ALL
    SELECT benefit_id, version, decided_on, month, planned_value, planned_sek
    FROM fact_benefit_replans
), latest AS (
    SELECT benefit_id, max(version) AS latest_version FROM v GROUP BY benefit_id
)
SELECT v.benefit_id, v.version, v.decided_on, v.month, v.planned_value, v.planned_sek,
       v.version = 1 AS is_approved, v.version = latest.latest_version AS is_latest
FROM v JOIN latest USING (benefit_id)
