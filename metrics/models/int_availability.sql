-- Availability of the critical systems, as rows that add up: one 'service_time' row per critical system and
-- month (its agreed service time: hours per week × 60 × days in the month ÷ 7 minutes) and one 'outage' row
-- per unplanned outage, counted in the month it started. An outage counts at most the service time its
-- system-month has left (counted_down_minutes), so a month is never less than 0 % available.
-- The months run from the first to the last month with any outage.
WITH span AS (
    SELECT date_trunc('month', min(started_at)) AS first_month, date_trunc('month', max(started_at)) AS last_month
    FROM fact_outages
), months AS (
    SELECT CAST(unnest(range(first_month, last_month + INTERVAL 1 MONTH, INTERVAL 1 MONTH)) AS DATE) AS month
    FROM span WHERE first_month IS NOT NULL
), service AS (
    SELECT s.system_id, s.owner_committee AS committee_code, m.month, s.name AS system_name, s.intended_users,
           s.agreed_hours_per_week, s.agreed_hours_per_week * 60 * day(last_day(m.month)) / 7 AS agreed_minutes
    FROM dim_systems s CROSS JOIN months m
    WHERE s.critical
), outage AS (
    SELECT o.outage_id, o.system_id, CAST(date_trunc('month', o.started_at) AS DATE) AS month, o.started_at,
           o.ended_at, (epoch(o.ended_at) - epoch(o.started_at)) / 60.0 AS downtime_minutes
    FROM fact_outages o
    WHERE NOT o.planned
), outage_counted AS (
    SELECT o.*, sv.committee_code, sv.system_name, sv.intended_users, sv.agreed_hours_per_week,
           LEAST(o.downtime_minutes, GREATEST(sv.agreed_minutes - COALESCE(
               SUM(o.downtime_minutes) OVER (PARTITION BY o.system_id, o.month ORDER BY o.started_at, o.outage_id
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 0))
               AS counted_down_minutes
    FROM outage o JOIN service sv USING (system_id, month)
)
SELECT system_id, committee_code, month, 'service_time' AS row_kind, NULL::VARCHAR AS outage_id, system_name,
       intended_users, agreed_hours_per_week, agreed_minutes, NULL::TIMESTAMP AS started_at,
       NULL::TIMESTAMP AS ended_at, NULL::DOUBLE AS downtime_minutes, 0.0 AS counted_down_minutes
FROM service
UNION ALL
SELECT system_id, committee_code, month, 'outage', outage_id, system_name, intended_users, agreed_hours_per_week,
       NULL, started_at, ended_at, downtime_minutes, counted_down_minutes
FROM outage_counted
