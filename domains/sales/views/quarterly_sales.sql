-- Net sales per calendar quarter.
CREATE OR REPLACE VIEW quarterly_sales AS
SELECT
    d.year,
    d.quarter,
    sum(f.net_amount) AS net_sales,
    sum(f.total_amount) AS total_amount,
    count(*) AS lines
FROM fact_transactions AS f
INNER JOIN dim_date AS d ON f.date_key = d.date_key
GROUP BY d.year, d.quarter
