-- One row per respondent of the digital competence survey: the mean level over the areas answered.
SELECT committee_code, response_id, min(response_date) AS response_date,
       CAST(date_trunc('month', min(response_date)) AS DATE) AS month,
       count(*) AS areas_answered, avg(answer) AS mean_level, avg(answer) >= 3 AS is_competent
FROM int_survey_responses
WHERE survey_kind = 'digital_competence'
GROUP BY committee_code, response_id
