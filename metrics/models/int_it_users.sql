-- IT users (and headcount) per committee and month.
SELECT committee_code, month, it_users, headcount
FROM fact_it_users
