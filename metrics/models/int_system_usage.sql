-- Active users per system and month beside the system's intended users, for the committee owning it.
SELECT u.system_id, u.month, s.owner_committee AS committee_code, s.name AS system_name, s.key_system,
       u.active_users_30d, s.intended_users
FROM fact_system_usage u
JOIN dim_systems s USING (system_id)
