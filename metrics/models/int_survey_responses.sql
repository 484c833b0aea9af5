-- Every survey answer with the committee it counts for: an e-service exit answer counts for the committee
-- that owns the e-service; every other answer for the respondent's committee.
SELECT r.survey_kind, r.response_id, r.question_id,
       COALESCE(e.owner_committee, r.committee_code) AS committee_code,
       r.response_date, CAST(date_trunc('month', r.response_date) AS DATE) AS month,
       r.answer, r.answer >= 4 AS is_positive, r.eservice_id, e.name AS eservice_name
FROM fact_survey_responses r
LEFT JOIN dim_eservices e USING (eservice_id)
