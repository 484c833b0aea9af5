-- Total operating cost per committee and month (the denominator of C1).
SELECT committee_code, month, amount_sek
FROM fact_operating_costs
