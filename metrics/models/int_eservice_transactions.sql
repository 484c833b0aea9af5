-- Completed errands per e-service, month and channel, attributed to the committee that owns the e-service.
SELECT t.eservice_id, t.month, e.owner_committee AS committee_code, e.name AS eservice_name, e.errand_type,
       t.channel, t.channel = 'digital' AS is_digital, t.completed, t.straight_through
FROM fact_eservice_transactions t
JOIN dim_eservices e USING (eservice_id)
