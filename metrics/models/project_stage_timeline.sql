-- One row per project with the date of every stage of the application process (NULL = not reached),
-- who applied and who valued, the current stage and the lead times in days.
WITH s AS (
    SELECT project_id,
           max(entered_on) FILTER (WHERE stage = 'need') AS need_on,
           max(entered_on) FILTER (WHERE stage = 'application') AS application_on,
           max(entered_on) FILTER (WHERE stage = 'valuation') AS valuation_on,
           max(entered_on) FILTER (WHERE stage = 'preparation') AS preparation_on,
           max(entered_on) FILTER (WHERE stage = 'decision') AS decision_on,
           max(entered_on) FILTER (WHERE stage = 'implementation') AS implementation_on,
           max(entered_on) FILTER (WHERE stage = 'follow_up') AS follow_up_on,
           max(entered_on) FILTER (WHERE stage = 'closed') AS closed_on,
           max(person) FILTER (WHERE stage = 'application') AS applicant,
           max(person) FILTER (WHERE stage = 'valuation') AS valuer,
           arg_max(stage, list_position(['need', 'application', 'valuation', 'preparation', 'decision',
                                         'implementation', 'follow_up', 'closed'], stage)) AS current_stage
    FROM fact_project_stages
    GROUP BY project_id
)
SELECT p.project_id, p.portfolio_id, s.current_stage,
       s.need_on, s.application_on, s.valuation_on, s.preparation_on, s.decision_on,
       s.implementation_on, s.follow_up_on, s.closed_on, s.applicant, s.valuer,
       year(s.decision_on)::INTEGER AS decision_year,
       datediff('day', s.need_on, s.decision_on)::INTEGER AS need_to_decision_days,
       datediff('day', s.application_on, s.decision_on)::INTEGER AS application_to_decision_days
FROM s JOIN dim_projects p USING (project_id)
