-- Net sales per ISO week (refunds net of restocking fees).
CREATE OR REPLACE VIEW weekly_sales AS
SELECT
    d.year,
    d.week_of_year,
    min(d.date) AS first_day,
    sum(f.net_amount) AS net_sales,
    count(*) AS lines
FROM fact_transactions AS f
INNER JOIN dim_date AS d ON f.date_key = d.date_key
GROUP BY d.year, d.week_of_year
