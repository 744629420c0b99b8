-- Net sales per fiscal year, quarter and month (dates the fiscal calendar does not cover are left out).
CREATE OR REPLACE VIEW fiscal_period_sales AS
SELECT
    d.fiscal_year,
    d.fiscal_quarter,
    d.fiscal_month,
    sum(f.net_amount) AS net_sales,
    count(*) AS lines
FROM fact_transactions AS f
INNER JOIN dim_date AS d ON f.date_key = d.date_key
WHERE d.fiscal_year IS NOT NULL
GROUP BY d.fiscal_year, d.fiscal_quarter, d.fiscal_month
