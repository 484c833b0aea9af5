-- Paid and used licences per committee, product and month.
SELECT committee_code, month, product, paid, used_90d, paid - used_90d AS unused
FROM fact_licences
